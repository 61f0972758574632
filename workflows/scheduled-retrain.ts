import { upsertSearchAttributes } from '@temporalio/workflow';
import type { ScheduledRetrainInput } from '../contracts/controller.js';
import { MODEL_KEY, TRIGGER_KEY } from '../contracts/search-attributes.js';
import { durable } from './activity-proxies.js';

/**
 * Started by the model's Temporal Schedule: hands a `schedule` trigger to the model's retraining controller
 * (starting the controller if needed), so scheduled runs obey the same rules as every other trigger:
 * at most one training at a time, coalescing.
 */
export async function scheduledRetrain(input: ScheduledRetrainInput): Promise<string> {
  upsertSearchAttributes([
    { key: MODEL_KEY, value: input.model },
    { key: TRIGGER_KEY, value: 'schedule' },
  ]);
  const { controllerWorkflowId } = await durable.signalController.executeWithOptions(
    { summary: `Signal retrain-${input.model}: scheduled retraining` },
    [{ spec: input.spec, reason: 'scheduled retraining', kind: 'schedule' }],
  );
  return controllerWorkflowId;
}
