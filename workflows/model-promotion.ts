import { upsertSearchAttributes, workflowInfo, setCurrentDetails } from '@temporalio/workflow';
import type { ModelPromotionInput, ModelPromotionResult } from '../contracts/controller.js';
import { MODEL_KEY, STAGE_KEY, TRIGGER_KEY, VERSION_KEY } from '../contracts/search-attributes.js';
import { deploying } from './activity-proxies.js';

/**
 * A human's promote or rollback (`mlops models promote|rollback`): deploys the chosen registered version through
 * the same deploy activity as the pipeline (champion alias, deployment history, serving replicas), so the change is
 * audited in the registry and visible in the Web UI with who asked and why.
 */
export async function modelPromotion(input: ModelPromotionInput): Promise<ModelPromotionResult> {
  const { model, version, action, reason, requestedBy } = input;
  upsertSearchAttributes([
    { key: MODEL_KEY, value: model },
    { key: VERSION_KEY, value: version },
    { key: TRIGGER_KEY, value: action },
    { key: STAGE_KEY, value: 'deploying' },
  ]);
  setCurrentDetails(`**${action} ${model} to v${version}** requested by ${requestedBy}: ${reason}`);
  const deployed = await deploying.deployModel.executeWithOptions(
    { summary: `${action === 'rollback' ? 'Roll back' : 'Promote'} ${model} to v${version}` },
    [{ model, version, runId: workflowInfo().workflowId, readyTimeoutMs: input.readyTimeoutMs }],
  );
  upsertSearchAttributes([{ key: STAGE_KEY, value: 'deployed' }]);
  setCurrentDetails(
    `**${action} ${model} to v${version}** requested by ${requestedBy}: ${reason}\n\n` +
      `serving on ${deployed.replicas.length} replica(s)${deployed.replicas.length ? `: ${deployed.replicas.join(', ')}` : ''}`,
  );
  return { model, version, previousVersion: input.previousVersion, replicas: deployed.replicas };
}
