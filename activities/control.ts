import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { manualRetrainSignal } from '../contracts/messages.js';
import { MODEL_KEY, STAGE_KEY } from '../contracts/search-attributes.js';
import { controllerWorkflowId, monitorWorkflowId } from '../contracts/workflow-ids.js';
import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';
import type { ActivityDeps } from './deps.js';

/** Activities that start or signal other workflows (they hold a Temporal client; workflows cannot signal-with-start). */
export function createControl(deps: ActivityDeps) {
  /** Starts `monitor-<model>` unless it is already running (idempotent). */
  async function ensureMonitorRunning(input: {
    spec: PipelineSpec;
    controllerWorkflowId: string;
  }): Promise<{ workflowId: string; runId: string }> {
    const workflowId = monitorWorkflowId(input.spec.model);
    const handle = await deps.temporal.workflow.start('modelMonitor', {
      workflowId,
      taskQueue: deps.cpuTaskQueue,
      args: [{ model: input.spec.model, spec: input.spec, controllerWorkflowId: input.controllerWorkflowId }],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      staticSummary: `Monitor ${input.spec.model}: drift and performance every ${input.spec.monitoring.window}`,
      typedSearchAttributes: [
        { key: MODEL_KEY, value: input.spec.model },
        { key: STAGE_KEY, value: 'monitoring' },
      ],
    });
    return { workflowId, runId: handle.firstExecutionRunId };
  }

  /** Signals (starting if needed) the model's retraining controller with a manual or scheduled trigger. */
  async function signalController(input: {
    spec: PipelineSpec;
    reason: string;
    kind: 'manual' | 'schedule';
  }): Promise<{ controllerWorkflowId: string }> {
    const workflowId = controllerWorkflowId(input.spec.model);
    await deps.temporal.workflow.signalWithStart('retrainingController', {
      workflowId,
      taskQueue: deps.cpuTaskQueue,
      args: [{ spec: input.spec }],
      signal: manualRetrainSignal,
      signalArgs: [{ reason: input.reason, kind: input.kind }],
      staticSummary: `Retraining controller for ${input.spec.model}`,
      typedSearchAttributes: [{ key: MODEL_KEY, value: input.spec.model }],
    });
    return { controllerWorkflowId: workflowId };
  }

  return { ensureMonitorRunning, signalController };
}
