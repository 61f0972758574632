import {
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { ModelMonitorInput } from '../contracts/controller.js';
import { driftDetectedSignal, monitorStatusQuery, performanceDroppedSignal } from '../contracts/messages.js';
import type { ModelMonitorState, MonitorWindowInput, MonitorWindowReport } from '../contracts/monitoring.js';
import { MODEL_KEY, STAGE_KEY, VERSION_KEY } from '../contracts/search-attributes.js';
import { parseDuration } from '../lib/spec/duration.js';
import { quick } from './activity-proxies.js';

/** Patch: windows pass the performance tolerance and error-rate rules to the monitoring activity. */
const MONITOR_RULES_PATCH = 'monitor-tolerance-and-error-rate';

/** The spec's optional performance-tolerance and error-rate rules, as monitoring activity input. */
function judgementRules(monitoring: ModelMonitorInput['spec']['monitoring']): Partial<MonitorWindowInput> {
  return {
    performanceTolerance: monitoring.performanceTolerance ?? null,
    maxErrorRate: monitoring.maxErrorRate ?? null,
    ...(monitoring.errorRateCounts !== undefined ? { errorRateCounts: monitoring.errorRateCounts } : {}),
  };
}

/** Windows per run before continuing as new (keeps history small however long the model is watched). */
const WINDOWS_PER_RUN = 100;
/** After signalling the controller about a version, wait this many windows before signalling again about it. */
/** Windows after a signal before the same version may signal again, unless the spec sets `cooldownWindows`. */
const COOLDOWN_WINDOWS = 10;

/**
 * One per deployed model (`monitor-<model>`): every `monitoring.window` runs the monitoring activity over the
 * traffic logged in that window (feature drift vs the deployed version's training profile, performance on labelled
 * feedback, latency) and, after `consecutiveBreaches` breached windows, signals the retraining controller.
 */
export async function modelMonitor(input: ModelMonitorInput): Promise<ModelMonitorState> {
  const { model, spec, controllerWorkflowId, stopAfterWindows } = input;
  const state: ModelMonitorState & { signalledVersion?: number | null; signalledAtWindow?: number } = input.state ?? {
    windowsRun: 0,
    consecutiveBreaches: 0,
    lastStatus: null,
    lastSummary: null,
    signalsSent: 0,
  };
  let last: MonitorWindowReport | null = null;
  setHandler(monitorStatusQuery, () => ({ state, last }), { description: 'Latest window report and counters' });
  upsertSearchAttributes([
    { key: MODEL_KEY, value: model },
    { key: STAGE_KEY, value: 'monitoring' },
  ]);
  const windowMs = parseDuration(spec.monitoring.window);
  const { monitoring, evaluation } = spec;

  for (let i = 0; i < (input.windowsPerRun ?? WINDOWS_PER_RUN); i++) {
    if (stopAfterWindows !== undefined && state.windowsRun >= stopAfterWindows) {
      upsertSearchAttributes([{ key: STAGE_KEY, value: 'stopped' }]);
      return state;
    }
    const windowStart = new Date(Date.now()).toISOString();
    await sleep(windowMs, { summary: `monitoring window ${state.windowsRun + 1} (${spec.monitoring.window})` });
    const windowEnd = new Date(Date.now()).toISOString();
    const report = await quick.monitorWindow.executeWithOptions(
      { summary: `Monitor window ${state.windowsRun + 1}: drift and performance` },
      [
        {
          model,
          windowStart,
          windowEnd,
          driftMethod: monitoring.driftMethod,
          ...(monitoring.driftThreshold !== undefined ? { driftThreshold: monitoring.driftThreshold } : {}),
          driftColumns: monitoring.driftColumns,
          driftShare: monitoring.driftShare,
          minSamples: monitoring.minSamples,
          performanceFloor: monitoring.performanceFloor ?? null,
          primaryMetric: evaluation.primaryMetric,
          ...(patched(MONITOR_RULES_PATCH) ? judgementRules(monitoring) : {}),
        },
      ],
    );
    last = report;
    state.windowsRun++;
    state.lastStatus = report.status;
    state.lastSummary = report.summary;
    const breached = report.status === 'drift' || report.status === 'degraded';
    state.consecutiveBreaches = breached ? state.consecutiveBreaches + 1 : 0;

    let action = '';
    if (breached && state.consecutiveBreaches >= monitoring.consecutiveBreaches) {
      const cooling =
        state.signalledVersion === report.version &&
        state.signalledAtWindow !== undefined &&
        state.windowsRun - state.signalledAtWindow < (monitoring.cooldownWindows ?? COOLDOWN_WINDOWS);
      if (cooling) {
        action = `breach on v${report.version} already reported at window ${state.signalledAtWindow}; cooling down`;
      } else {
        const controller = getExternalWorkflowHandle(controllerWorkflowId);
        if (report.status === 'drift') await controller.signal(driftDetectedSignal, { report });
        else await controller.signal(performanceDroppedSignal, { report });
        state.signalsSent++;
        state.signalledVersion = report.version;
        state.signalledAtWindow = state.windowsRun;
        state.consecutiveBreaches = 0;
        action = `signalled ${controllerWorkflowId} (${report.status === 'drift' ? 'driftDetected' : 'performanceDropped'})`;
      }
    }
    upsertSearchAttributes([{ key: STAGE_KEY, value: report.status }]);
    if (report.version !== null) upsertSearchAttributes([{ key: VERSION_KEY, value: report.version }]);
    setCurrentDetails(
      [
        `**Monitoring "${model}"** v${report.version ?? '-'}: **${report.status}**`,
        report.summary,
        report.labels && report.labels.status !== 'ok'
          ? `labels ${report.labels.status}: ${report.labels.labelled} of ${report.labels.predictions} predictions have feedback`
          : '',
        action ? `\n${action}` : '',
        `\nwindows: ${state.windowsRun}; consecutive breaches: ${state.consecutiveBreaches}/${monitoring.consecutiveBreaches}; signals sent: ${state.signalsSent}`,
        report.reportUri ? `report: ${report.reportUri}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
    if (workflowInfo().continueAsNewSuggested) break;
  }
  return await continueAsNew<typeof modelMonitor>({ ...input, state });
}
