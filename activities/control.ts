import { Context } from '@temporalio/activity';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import type { ModelMonitorInput } from '../contracts/controller.js';
import { manualRetrainSignal, monitorStatusQuery } from '../contracts/messages.js';
import type { MonitorWindowInput, MonitorWindowReport } from '../contracts/monitoring.js';
import { MODEL_KEY, STAGE_KEY } from '../contracts/search-attributes.js';
import { controllerWorkflowId, monitorWorkflowId } from '../contracts/workflow-ids.js';
import { monitorBreachAlert, monitorWillSignal, type MonitorCounters } from '../lib/alerts/events.js';
import { notifyAlert, type AlertOrigin } from '../lib/alerts/notifier.js';
import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';
import type { ActivityDeps } from './deps.js';
import { workflowInputOf } from './workflow-input.js';

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

/** The workflow run of the current activity, for an alert's Web UI link (undefined outside a workflow). */
export function alertOrigin(): AlertOrigin | undefined {
  const info = Context.current().info;
  if (!info.workflowExecution) return undefined;
  return {
    namespace: info.workflowNamespace ?? 'default',
    workflowId: info.workflowExecution.workflowId,
    runId: info.workflowExecution.runId,
  };
}

/** Monitor inputs by run ID (each monitor run reads its own once). */
const monitorInputs = new Map<string, ModelMonitorInput>();

/** The input of a monitor run: the first event of its history, decoded by the client's data converter. */
async function monitorInputOf(deps: ActivityDeps, origin: AlertOrigin): Promise<ModelMonitorInput> {
  const cached = monitorInputs.get(origin.runId);
  if (cached) return cached;
  const input = await workflowInputOf(deps, origin);
  if (!input || typeof input !== 'object') throw new Error(`no input in the history of ${origin.workflowId}`);
  if (monitorInputs.size >= 256) monitorInputs.delete(monitorInputs.keys().next().value!);
  monitorInputs.set(origin.runId, input as ModelMonitorInput);
  return input as ModelMonitorInput;
}

/**
 * Wraps the monitoring activity so that the window after which the monitor workflow signals the controller (drift
 * or degraded performance) also raises a webhook alert. The workflow decides from its counters and its spec, so the
 * activity asks it: the `monitorStatus` query (counters before this window) and the run's input (the spec's
 * `monitoring.consecutiveBreaches` and `alerts`), and applies the workflow's rule (`monitorWillSignal`). No workflow
 * code is involved, so recorded histories replay unchanged. When the workflow cannot be asked, a breached window
 * alerts anyway (its ID is per window, so a receiver sees each window at most once). Without a configured webhook
 * nothing is asked and the report is returned as is.
 */
export function withMonitorAlerts(
  deps: ActivityDeps,
  monitorWindow: (input: MonitorWindowInput) => Promise<MonitorWindowReport>,
): (input: MonitorWindowInput) => Promise<MonitorWindowReport> {
  return async function monitorWindowWithAlerts(input: MonitorWindowInput): Promise<MonitorWindowReport> {
    const report = await monitorWindow(input);
    if (!deps.alerts || (report.status !== 'drift' && report.status !== 'degraded')) return report;
    const ctx = Context.current();
    ctx.heartbeat(); // the window's own work may have used much of the heartbeat timeout
    const origin = alertOrigin();
    let alertsSpec: unknown;
    if (origin) {
      try {
        const handle = deps.temporal.workflow.getHandle(origin.workflowId, origin.runId);
        const [status, monitorInput] = await deps.temporal.withDeadline(Date.now() + 10_000, () =>
          Promise.all([handle.query(monitorStatusQuery), monitorInputOf(deps, origin)]),
        );
        const monitoring = monitorInput.spec.monitoring as
          { consecutiveBreaches?: number; cooldownWindows?: number } | undefined;
        alertsSpec = (monitorInput.spec as { alerts?: unknown }).alerts;
        const counters = status.state as MonitorCounters;
        if (!monitorWillSignal(counters, report, monitoring?.consecutiveBreaches ?? 1, monitoring?.cooldownWindows))
          return report;
      } catch (err) {
        ctx.log.warn('could not read the monitor state; alerting on the breached window', {
          error: (err as Error).message,
        });
      }
    }
    const monitorId = origin?.workflowId ?? monitorWorkflowId(report.model);
    await notifyAlert(deps, monitorBreachAlert(report, monitorId), { alertsSpec, origin, log: ctx.log });
    return report;
  };
}
