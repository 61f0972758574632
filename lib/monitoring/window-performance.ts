import { binaryMetricsForLabels } from '../eval/metrics.js';
import type { ModelTask } from '../eval/model-outputs.js';
import { multiclassMetricsForLabels } from '../eval/multiclass-metrics.js';
import { regressionMetricsForLabels } from '../eval/regression-metrics.js';
import { LOWER_IS_BETTER } from '../spec/evaluation-spec.js';

/** The metrics a window computes per task, and the one judged when the primary metric is not among them. */
const WINDOW_METRICS: Readonly<Record<ModelTask, { metrics: readonly string[]; fallback: string }>> = {
  binary: { metrics: ['roc_auc', 'accuracy', 'precision', 'recall', 'f1', 'log_loss'], fallback: 'roc_auc' },
  // The prediction log keeps the predicted class and its probability, not every class's: no log loss.
  multiclass: { metrics: ['accuracy', 'macro_f1'], fallback: 'accuracy' },
  regression: { metrics: ['rmse', 'mae', 'r2'], fallback: 'rmse' },
};

/** One labelled prediction of a window, as read from the prediction log joined with feedback. */
export interface LabelledRow {
  prediction: string | number;
  score: number | null;
  label: string | number | null;
}

/** What {@link windowPerformance} judges. */
export interface WindowPerformanceInput {
  task: ModelTask;
  rows: readonly LabelledRow[];
  /** Binary: the label value that counts as positive. */
  positive?: string | undefined;
  /** The spec's `evaluation.primaryMetric`; another metric of the task is judged when a window cannot compute it. */
  primaryMetric: string;
  /** Holdout metrics of the deployed version (the baseline of `tolerance`); null when unknown. */
  baseline: Readonly<Record<string, number>> | null;
  /** `monitoring.performanceFloor`: a bound on the metric (a ceiling for lower-is-better metrics). */
  floor: number | null;
  /** `monitoring.performanceTolerance`: largest degradation from the baseline, in metric units. */
  tolerance: number | null;
}

/** Performance of a window on labelled traffic. JSON-shaped. */
export interface WindowPerformance {
  /** The judged metric. */
  metric: string;
  value: number;
  floor: number | null;
  /** The deployed version's holdout value of `metric`, when recorded. */
  baseline: number | null;
  tolerance: number | null;
  lowerIsBetter: boolean;
  /** Every metric the window computed (binary: AUC and accuracy...; multiclass: accuracy, macro-F1; regression: RMSE, MAE, R²). */
  metrics: Record<string, number>;
  /** Labelled rows the metrics are computed on (unusable labels, e.g. non-numeric regression labels, are skipped). */
  count: number;
  /** Why the window breached (below the floor, degraded beyond tolerance), or null. */
  breach: string | null;
}

function labelString(label: string | number | null): string | null {
  return label === null || label === undefined ? null : String(label);
}

function computeMetrics(input: WindowPerformanceInput): { metrics: Record<string, number>; count: number } {
  const labels = input.rows.map((r) => labelString(r.label));
  if (input.task === 'binary') {
    const m = binaryMetricsForLabels(
      input.rows.map((r) => r.score ?? 0),
      labels,
      input.positive ?? '1',
    );
    return { metrics: { ...m }, count: m.count };
  }
  if (input.task === 'regression') {
    const kept = input.rows.filter((r, i) => {
      const v = labels[i];
      return v !== null && v !== undefined && v.trim() !== '' && Number.isFinite(Number(v));
    });
    const m = regressionMetricsForLabels(
      kept.map((r) => (typeof r.prediction === 'number' ? r.prediction : Number(r.prediction))),
      kept.map((r) => String(r.label)),
    );
    return { metrics: { ...m }, count: m.count };
  }
  // Multiclass: one-hot rows over the classes the window predicted; accuracy and macro-F1 need only the predicted class.
  const classes = [...new Set(input.rows.map((r) => String(r.prediction)))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const k = classes.length;
  const probabilities = new Float64Array(input.rows.length * k);
  const predicted = Int32Array.from(input.rows, (r) => index.get(String(r.prediction))!);
  predicted.forEach((p, i) => (probabilities[i * k + p] = 1));
  const m = multiclassMetricsForLabels(probabilities, classes, labels, predicted);
  return { metrics: { accuracy: m.accuracy, macro_f1: m.macro_f1, count: m.count }, count: m.count };
}

/**
 * Performance of a model on a window's labelled predictions, by task (binary: ROC AUC and accuracy..., multiclass:
 * accuracy and macro-F1, regression: RMSE and MAE), judged on the primary metric (or the task's main window metric
 * when the window cannot compute it: multiclass log loss). A breach when the value is worse than `floor`, or
 * degraded from the deployed version's holdout value by more than `tolerance` (lower-is-better metrics: RMSE, MAE,
 * log loss breach upwards). Null when no row has a usable label or the metric is undefined (one class only).
 */
export function windowPerformance(input: WindowPerformanceInput): WindowPerformance | null {
  if (input.rows.length === 0) return null;
  const { metrics, count } = computeMetrics(input);
  if (count === 0) return null;
  const { metrics: known, fallback } = WINDOW_METRICS[input.task];
  const metric = known.includes(input.primaryMetric) ? input.primaryMetric : fallback;
  const value = metrics[metric];
  if (value === undefined || !Number.isFinite(value)) return null;
  const lowerIsBetter = LOWER_IS_BETTER.has(metric);
  const worse = (a: number, b: number): boolean => (lowerIsBetter ? a > b : a < b);
  const base = input.baseline?.[metric];
  const baseline = base !== undefined && Number.isFinite(base) ? base : null;
  let breach: string | null = null;
  if (input.floor !== null && worse(value, input.floor)) {
    breach = `${lowerIsBetter ? 'above ceiling' : 'below floor'} ${input.floor}`;
  } else if (input.tolerance !== null && baseline !== null) {
    const degradation = lowerIsBetter ? value - baseline : baseline - value;
    if (degradation > input.tolerance)
      breach = `${degradation.toFixed(3)} worse than the holdout's ${baseline.toFixed(3)} (tolerance ${input.tolerance})`;
  }
  return {
    metric,
    value,
    floor: input.floor,
    baseline,
    tolerance: input.tolerance,
    lowerIsBetter,
    metrics,
    count,
    breach,
  };
}
