import { userInfo } from 'node:os';
import { WorkflowFailedError } from '@temporalio/client';
import type { ReproduceModelResult } from '../../contracts/reproduce.js';
import { MODEL_KEY, TRIGGER_KEY, VERSION_KEY } from '../../contracts/search-attributes.js';
import { CPU_TASK_QUEUE } from '../../contracts/task-queues.js';
import { reproduceWorkflowId } from '../../contracts/workflow-ids.js';
import type { reproduceModel } from '../../workflows/reproduce-model.js';
import { UsageError } from '../errors.js';
import { workflowLink } from '../stack-settings.js';
import { parseModelRef, withRegistry } from './models.js';
import { withClient } from './with-client.js';

const print = (line: string): void => console.log(line);

/** The innermost message of a failure chain (workflow -> activity -> application failure). */
function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/** Prints a finished reproduction; exit code 0 on match, 1 on mismatch. */
export function printReproduction(r: ReproduceModelResult): void {
  print(
    r.match
      ? `match: ${r.model} v${r.version} reproduced bit for bit`
      : `mismatch: ${r.model} v${r.version} did not reproduce`,
  );
  print(`  registered sha256: ${r.expectedSha256}`);
  print(`  retrained sha256:  ${r.actualSha256}`);
  print(`  dataset sha256:    ${r.datasetSha256}`);
  print(`  spec hash:         ${r.specHash}`);
  print(`  trainer:           ${r.trainer}, ${(r.durationMs / 1000).toFixed(1)}s`);
  if (!r.match && r.recordedCodeVersion !== r.currentCodeVersion)
    print(`  code:              trained by ${r.recordedCodeVersion}, reproduced with ${r.currentCodeVersion}`);
  if (!r.match) process.exitCode = 1;
}

/** `mlops reproduce <model>@<version> [--wait]` */
export async function reproduceCommand(ref: string, opts: { wait: boolean }): Promise<void> {
  const { model, version } = parseModelRef(ref);
  if (version === null) throw new UsageError(`expected <model>@<version>, found "${ref}"`);
  await withRegistry(async (registry) => {
    if (!(await registry.getVersion(model, version))) throw new UsageError(`unknown version ${model}@${version}`, 1);
  });
  await withClient(async ({ client, settings }) => {
    const workflowId = reproduceWorkflowId(model, version, Date.now());
    const handle = await client.workflow.start<typeof reproduceModel>('reproduceModel', {
      workflowId,
      taskQueue: CPU_TASK_QUEUE,
      args: [{ model, version, requestedBy: userInfo().username }],
      staticSummary: `Reproduce ${model} v${version}: retrain from its lineage and compare the ONNX sha256`,
      typedSearchAttributes: [
        { key: MODEL_KEY, value: model },
        { key: VERSION_KEY, value: version },
        { key: TRIGGER_KEY, value: 'reproduce' },
      ],
    });
    print(`reproduce ${model} v${version}: ${workflowId}`);
    print(`  ${workflowLink(settings, workflowId)}`);
    if (!opts.wait) return;
    let result: ReproduceModelResult;
    try {
      result = await handle.result();
    } catch (err) {
      if (err instanceof WorkflowFailedError)
        throw new UsageError(`reproduce ${model} v${version} failed: ${rootMessage(err)}`, 1);
      throw err;
    }
    printReproduction(result);
  });
}
