import type { Alert } from './alert.js';

/** An alert before the notifier adds its Web UI link. */
export type AlertDraft = Omit<Alert, 'runUrl'>;

/** The fields of a monitoring window report an alert needs (contracts/monitoring.ts `MonitorWindowReport`). */
export interface BreachReport {
  model: string;
  version: number | null;
  windowStart: string;
  windowEnd: string;
  status: string;
  predictions: number;
  labelled: number;
  drift: {
    share: number;
    datasetDrift: boolean;
    features: Array<{ name: string; score: number; drifted: boolean; method?: string; threshold?: number }>;
  } | null;
  performance: { metric: string; value: number; floor: number | null } | null;
  /** Request counts and error rates (absent in older reports). */
  errors?: {
    total: number;
    serverErrors: number;
    clientErrors: number;
    errorRate: number;
    breach: string | null;
  } | null;
  /** What breached (absent in older reports). */
  breaches?: string[];
  summary: string;
  reportUri: string | null;
}

/** The monitor's counters as its `monitorStatus` query returns them (before the window being reported). */
export interface MonitorCounters {
  windowsRun: number;
  consecutiveBreaches: number;
  signalledVersion?: number | null;
  signalledAtWindow?: number;
}

/**
 * Windows the monitor waits before signalling again about the same version. Mirrors `COOLDOWN_WINDOWS` in
 * workflows/model-monitor.ts (workflow code cannot be imported here; test/alerts checks the two agree).
 */
export const MONITOR_COOLDOWN_WINDOWS = 10;
// (the spec's `monitoring.cooldownWindows` overrides it, in the workflow and here)

/**
 * Whether the monitor workflow will signal the controller after this window, computed as the workflow does from
 * its counters before the window: a breached window (drift or degraded) that makes `consecutiveBreaches` consecutive
 * ones, unless the same version was signalled fewer than {@link MONITOR_COOLDOWN_WINDOWS} windows ago.
 */
export function monitorWillSignal(
  before: MonitorCounters,
  report: Pick<BreachReport, 'status' | 'version'>,
  consecutiveBreaches: number,
  cooldownWindows: number = MONITOR_COOLDOWN_WINDOWS,
): boolean {
  if (report.status !== 'drift' && report.status !== 'degraded') return false;
  const window = before.windowsRun + 1;
  if (before.consecutiveBreaches + 1 < consecutiveBreaches) return false;
  const cooling =
    before.signalledVersion === report.version &&
    before.signalledAtWindow !== undefined &&
    window - before.signalledAtWindow < cooldownWindows;
  return !cooling;
}

const clip = (s: string, n = 1900): string => (s.length > n ? `${s.slice(0, n)}...` : s);

/**
 * The alert for a breached window the monitor reports to the controller: `drift` (warning) or `performance`
 * (critical). ID `<monitorWorkflowId>:<type>:v<version>:<windowEnd>`, the same for every retry of the window.
 */
export function monitorBreachAlert(report: BreachReport, monitorWorkflowId: string): AlertDraft {
  const type = report.status === 'drift' ? 'drift' : 'performance';
  const common = {
    windowStart: report.windowStart,
    windowEnd: report.windowEnd,
    predictions: report.predictions,
    labelled: report.labelled,
    reportUri: report.reportUri,
    monitorWorkflowId,
  };
  const version = report.version === null ? 'none' : `v${report.version}`;
  if (type === 'drift') {
    const drifted = (report.drift?.features ?? []).filter((f) => f.drifted);
    return {
      id: `${monitorWorkflowId}:drift:${version}:${report.windowEnd}`,
      type,
      model: report.model,
      version: report.version,
      severity: 'warning',
      summary: clip(`${report.model} ${version}: ${report.summary}`),
      details: {
        ...common,
        driftShare: report.drift?.share ?? null,
        datasetDrift: report.drift?.datasetDrift ?? null,
        driftedFeatures: drifted.slice(0, 50),
      },
      occurredAt: report.windowEnd,
    };
  }
  return {
    id: `${monitorWorkflowId}:performance:${version}:${report.windowEnd}`,
    type,
    model: report.model,
    version: report.version,
    severity: 'critical',
    summary: clip(`${report.model} ${version}: ${report.summary}`),
    details: {
      ...common,
      performance: report.performance,
      ...(report.errors ? { errors: report.errors } : {}),
      ...(report.breaches ? { breaches: report.breaches } : {}),
    },
    occurredAt: report.windowEnd,
  };
}

/**
 * The alert for a pipeline run that ended `failed` (critical) or `invalid_data` (warning). ID
 * `<pipelineWorkflowId>:pipeline_failed`.
 */
export function pipelineFailedAlert(input: {
  pipelineId: string;
  model: string;
  outcome: 'failed' | 'invalid_data';
  error: string | null;
  trigger: { kind: string; reason: string };
  completedStages: string[];
  occurredAt: string;
}): AlertDraft {
  const what = input.outcome === 'invalid_data' ? 'stopped on invalid data' : 'failed';
  return {
    id: `${input.pipelineId}:pipeline_failed`,
    type: 'pipeline_failed',
    model: input.model,
    version: null,
    severity: input.outcome === 'invalid_data' ? 'warning' : 'critical',
    summary: clip(`${input.model}: pipeline ${input.pipelineId} ${what}${input.error ? `: ${input.error}` : ''}`),
    details: {
      pipelineId: input.pipelineId,
      outcome: input.outcome,
      error: input.error,
      trigger: input.trigger,
      completedStages: input.completedStages,
    },
    occurredAt: input.occurredAt,
  };
}

/**
 * The alert for a rolled-back deployment (critical): automatic, because live serving replicas did not load the new
 * version in time, or by a human (`mlops models rollback`, with `requestedBy`). `version` is the version rolled back,
 * `restoredVersion` the one deployed instead. ID `<runId>:rollback:v<version>`.
 */
export function rollbackAlert(input: {
  model: string;
  version: number;
  restoredVersion: number;
  runId: string;
  reason: string;
  /** Who asked, for a human rollback. */
  requestedBy?: string;
  occurredAt: string;
}): AlertDraft {
  return {
    id: `${input.runId}:rollback:v${input.version}`,
    type: 'rollback',
    model: input.model,
    version: input.version,
    severity: 'critical',
    summary: clip(`${input.model}: v${input.version} was rolled back to v${input.restoredVersion}: ${input.reason}`),
    details: {
      failedVersion: input.version,
      restoredVersion: input.restoredVersion,
      runId: input.runId,
      reason: input.reason,
      ...(input.requestedBy !== undefined ? { requestedBy: input.requestedBy } : {}),
    },
    occurredAt: input.occurredAt,
  };
}
