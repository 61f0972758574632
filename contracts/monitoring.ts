import type { ColumnDriftSetting, DriftMethod, DriftMethodSetting } from '../lib/stats/drift-methods.js';

/** Monitoring payloads shared by the monitor workflow, its activity and the controller. JSON-shaped. */

export type MonitorStatus = 'ok' | 'drift' | 'degraded' | 'insufficient_data' | 'no_model';

export interface FeatureDriftScore {
  name: string;
  score: number;
  drifted: boolean;
  /** Method of `score` (a p-value for ks/chisquare); absent in reports written before methods other than PSI. */
  method?: DriftMethod;
  threshold?: number;
}

/** What one monitoring window found. */
export interface MonitorWindowReport {
  model: string;
  version: number | null;
  windowStart: string;
  windowEnd: string;
  status: MonitorStatus;
  /** Predictions logged in the window. */
  predictions: number;
  /** Of those, how many have ground-truth feedback. */
  labelled: number;
  drift: { share: number; datasetDrift: boolean; features: FeatureDriftScore[] } | null;
  performance: { metric: string; value: number; floor: number | null } | null;
  /**
   * Drift of the model's outputs against its outputs on the evaluation holdout (informational: it does not change
   * `status`); absent when the version's evaluation evidence has no prediction profile or too few predictions.
   */
  predictionDrift?: { method: DriftMethod; score: number; threshold: number; drifted: boolean } | null;
  latencyMs: { p50: number; p99: number } | null;
  /** One human line, e.g. "drift: 4/7 features (plan 0.61, tenure_months 0.44)". */
  summary: string;
  reportUri: string | null;
}

export interface MonitorWindowInput {
  model: string;
  windowStart: string;
  windowEnd: string;
  /** Drift method for every column (`auto`: Evidently's choice per column). Absent in older histories: PSI. */
  driftMethod?: DriftMethodSetting;
  /** Threshold of an explicit `driftMethod`. */
  driftThreshold?: number;
  driftColumns?: Record<string, ColumnDriftSetting>;
  driftShare: number;
  minSamples: number;
  performanceFloor: number | null;
  primaryMetric: string;
}

/** State carried across continue-as-new by the monitor. */
export interface ModelMonitorState {
  windowsRun: number;
  consecutiveBreaches: number;
  lastStatus: MonitorStatus | null;
  lastSummary: string | null;
  signalsSent: number;
}
