import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { RetrainNowResult } from '../../contracts/controller.js';
import { pipelineProgressQuery, retrainNowUpdate } from '../../contracts/messages.js';
import type { TrainingPipelineResult, TriggerKind } from '../../contracts/payloads.js';
import { MODEL_KEY, STAGE_KEY } from '../../contracts/search-attributes.js';
import { CPU_TASK_QUEUE } from '../../contracts/task-queues.js';
import { controllerWorkflowId } from '../../contracts/workflow-ids.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import type { retrainingController } from '../../workflows/retraining-controller.js';
import { workflowLink, type StackSettings } from '../stack-settings.js';

/**
 * Asks the model's retraining controller (starting it if needed, with update-with-start) to run the pipeline now.
 * Returns which pipeline carries the request.
 */
export async function requestRetrain(
  client: Client,
  spec: PipelineSpec,
  request: { reason: string; kind?: TriggerKind; datasetUri?: string; updateSpec?: boolean },
): Promise<RetrainNowResult> {
  const workflowId = controllerWorkflowId(spec.model);
  const startOp = new WithStartWorkflowOperation<typeof retrainingController>('retrainingController', {
    workflowId,
    taskQueue: CPU_TASK_QUEUE,
    args: [{ spec }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    staticSummary: `Retraining controller for ${spec.model}: one pipeline at a time, triggers coalesced`,
    typedSearchAttributes: [
      { key: MODEL_KEY, value: spec.model },
      { key: STAGE_KEY, value: 'idle' },
    ],
  });
  return client.workflow.executeUpdateWithStart(retrainNowUpdate, {
    startWorkflowOperation: startOp,
    args: [
      {
        reason: request.reason,
        ...(request.kind ? { kind: request.kind } : {}),
        ...(request.updateSpec === false ? {} : { spec }),
        ...(request.datasetUri ? { datasetUri: request.datasetUri } : {}),
      },
    ],
  });
}

/** Follows a pipeline's stages until it closes, printing each change; returns its result. */
export async function followPipeline(
  client: Client,
  pipelineId: string,
  print: (line: string) => void,
): Promise<TrainingPipelineResult> {
  const handle = client.workflow.getHandle(pipelineId);
  let lastLine = '';
  const done = handle.result() as Promise<TrainingPipelineResult>;
  let finished = false;
  void done.then(
    () => (finished = true),
    () => (finished = true),
  );
  while (!finished) {
    try {
      const progress = await handle.query(pipelineProgressQuery);
      const line = `${progress.stage}${progress.detail ? `: ${progress.detail}` : ''}`;
      if (line !== lastLine) print(`  [${new Date().toISOString().slice(11, 19)}] ${line}`);
      lastLine = line;
    } catch {
      // not started yet or closing: keep waiting
    }
    await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
  return done;
}

/** Prints the outcome of `mlops run`/`retrain` and, with `wait`, follows the run. */
export async function reportRetrain(
  client: Client,
  settings: StackSettings,
  result: RetrainNowResult,
  opts: { wait: boolean; print: (line: string) => void },
): Promise<TrainingPipelineResult | null> {
  const { print } = opts;
  if (result.disposition === 'queued' || !result.pipelineId) {
    print(`queued: ${result.runningPipelineId} is running; this request will run in its single follow-up.`);
    if (result.runningPipelineId) print(`  ${workflowLink(settings, result.runningPipelineId)}`);
    return null;
  }
  print(`started pipeline ${result.pipelineId}`);
  print(`  ${workflowLink(settings, result.pipelineId)}`);
  if (!opts.wait) return null;
  const outcome = await followPipeline(client, result.pipelineId, print);
  print(
    `${outcome.outcome}${outcome.version !== null ? `: ${outcome.model} v${outcome.version}` : ''}` +
      (outcome.reasons.length ? ` (${outcome.reasons.join('; ')})` : ''),
  );
  return outcome;
}
