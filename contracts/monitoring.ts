import type { ErrorRateCounts, WindowErrorRate } from '../lib/monitoring/error-rate.js';
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

/** Feedback coverage of a monitoring window (see {@link MonitorWindowReport.labels}). */
export interface WindowLabels {
  status: 'ok' | 'partial' | 'missing';
  /** Predictions of the window with ground-truth feedback. */
  labelled: number;
  /** Predictions of the window. */
  predictions: number;
  /** Fewest labelled predictions for performance to be judged. */
  minLabelled: number;
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
  /**
   * Whether ground truth arrives, as data: `missing` when too few predictions have feedback to judge performance
   * (fewer than the activity's minimum, 50), `partial` when performance is judged on some but not all of them,
   * `ok` when every prediction has feedback. Null when the window had no predictions; absent in older reports.
   */
  labels?: WindowLabels | null;
  drift: { share: number; datasetDrift: boolean; features: FeatureDriftScore[] } | null;
  /**
   * Performance on labelled traffic by task (binary: AUC, accuracy...; multiclass: accuracy, macro-F1; regression:
   * RMSE, MAE, R²); the fields after `floor` are absent in reports written before they existed.
   */
  performance: {
    metric: string;
    value: number;
    floor: number | null;
    /** The deployed version's holdout value of `metric`. */
    baseline?: number | null;
    tolerance?: number | null;
    lowerIsBetter?: boolean;
    metrics?: Record<string, number>;
    /** Why performance breached, or null. */
    breach?: string | null;
  } | null;
  /** Predict requests of the version in the window and their error rates (absent in older reports). */
  errors?: WindowErrorRate | null;
  /** What made the window breach (absent in older reports). */
  breaches?: Array<'drift' | 'performance' | 'error_rate'>;
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
  /** `monitoring.performanceTolerance` (absent in older histories: no tolerance rule). */
  performanceTolerance?: number | null;
  /** `monitoring.maxErrorRate` (absent in older histories: error rate reported, not judged). */
  maxErrorRate?: number | null;
  /** `monitoring.errorRateCounts` (default `server`). */
  errorRateCounts?: ErrorRateCounts;
}

/** State carried across continue-as-new by the monitor. */
export interface ModelMonitorState {
  windowsRun: number;
  consecutiveBreaches: number;
  lastStatus: MonitorStatus | null;
  lastSummary: string | null;
  signalsSent: number;
}
