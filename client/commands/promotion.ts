import { userInfo } from 'node:os';
import type { ModelPromotionResult } from '../../contracts/controller.js';
import { MODEL_KEY, TRIGGER_KEY } from '../../contracts/search-attributes.js';
import { CPU_TASK_QUEUE } from '../../contracts/task-queues.js';
import { compactTimestamp } from '../../contracts/workflow-ids.js';
import type { ModelRegistry } from '../../lib/registry/model-registry.js';
import { UsageError } from '../errors.js';
import { workflowLink } from '../stack-settings.js';
import { withClient } from './with-client.js';
import { parseModelRef, withRegistry } from './models.js';

const print = (line: string): void => console.log(line);

/** The version deployed before the current one (the rollback target), or null. */
export async function previousDeployedVersion(registry: ModelRegistry, model: string): Promise<number | null> {
  const history = [...(await registry.listDeployments(model))].sort((a, b) => a.deployedAt.localeCompare(b.deployedAt));
  const current = history[history.length - 1];
  if (!current) return null;
  for (let i = history.length - 2; i >= 0; i--) {
    if (history[i]!.version !== current.version) return history[i]!.version;
  }
  return null;
}

async function runPromotion(
  action: 'promote' | 'rollback',
  model: string,
  version: number,
  previous: number | null,
  reason: string,
): Promise<void> {
  await withClient(async ({ client, settings }) => {
    const workflowId = `${action}-${model}-v${version}-${compactTimestamp(Date.now())}`;
    print(`${action} ${model} v${previous ?? '-'} -> v${version}: ${workflowId}`);
    print(`  ${workflowLink(settings, workflowId)}`);
    const result = (await client.workflow.execute('modelPromotion', {
      workflowId,
      taskQueue: CPU_TASK_QUEUE,
      args: [
        {
          model,
          version,
          action,
          reason,
          requestedBy: userInfo().username,
          previousVersion: previous,
          readyTimeoutMs: 60_000,
        },
      ],
      staticSummary: `${action} ${model} to v${version}: ${reason}`.slice(0, 200),
      typedSearchAttributes: [
        { key: MODEL_KEY, value: model },
        { key: TRIGGER_KEY, value: action },
      ],
    })) as ModelPromotionResult;
    print(`${model} v${result.version} is deployed (${result.replicas.length} serving replica(s))`);
  });
}

/** `mlops models promote <model>@<version> --reason` */
export async function modelsPromoteCommand(ref: string, reason: string): Promise<void> {
  const { model, version } = parseModelRef(ref);
  if (version === null) throw new UsageError(`expected <model>@<version>, found "${ref}"`);
  const previous = await withRegistry(async (registry) => {
    if (!(await registry.getVersion(model, version))) throw new UsageError(`unknown version ${model}@${version}`, 1);
    const deployed = await registry.getDeployed(model);
    if (deployed?.version === version) throw new UsageError(`${model} v${version} is already deployed`, 1);
    return deployed?.version ?? null;
  });
  await runPromotion('promote', model, version, previous, reason);
}

/** `mlops models rollback <model> [--to <version>] --reason` */
export async function modelsRollbackCommand(model: string, to: number | undefined, reason: string): Promise<void> {
  const { target, current } = await withRegistry(async (registry) => {
    const deployed = await registry.getDeployed(model);
    if (!deployed) throw new UsageError(`model "${model}" has no deployed version to roll back`, 1);
    const target = to ?? (await previousDeployedVersion(registry, model));
    if (target === null) throw new UsageError(`${model} has no earlier deployed version; pass --to <version>`, 1);
    if (!(await registry.getVersion(model, target))) throw new UsageError(`unknown version ${model}@${target}`, 1);
    return { target, current: deployed.version };
  });
  await runPromotion('rollback', model, target, current, reason);
}
