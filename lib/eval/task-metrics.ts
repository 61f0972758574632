import { ModelFormatError } from './errors.js';
import { binaryMetricsForLabels } from './metrics.js';
import type { ModelTask, Predictions } from './model-outputs.js';
import { type ClassMetrics, multiclassMetricsForLabels } from './multiclass-metrics.js';
import { regressionMetricsForLabels } from './regression-metrics.js';

/** A model's predictions on a table with the table's true labels, for {@link evaluateTask}. */
export interface TaskMetricsInput {
  task: ModelTask;
  predictions: Predictions;
  /** Raw true label values of the table's rows (null = unlabelled, skipped). */
  labels: ReadonlyArray<string | null>;
  /** Binary: the label value that counts as positive. */
  positive: string;
  /** Multiclass: class value of each probability column (the model's `mlops.label` classes). */
  classes?: readonly string[] | undefined;
  /** Name of the label column, for error messages. */
  labelName?: string;
}

/** Metrics of a task on some rows. JSON-shaped. */
export interface TaskEvaluation {
  /**
   * Scalar metrics. Binary: accuracy, precision, recall, f1, roc_auc, log_loss, count, positives;
   * multiclass: accuracy, macro_f1, log_loss, count; regression: rmse, mae, r2, count.
   */
  metrics: Record<string, number>;
  /** Multiclass: per-class precision, recall, f1 and support, by class value. */
  perClass?: Array<{ class: string } & ClassMetrics>;
  /** Multiclass: `confusion[t][p]`, rows of true class `perClass[t]` predicted as `perClass[p]`. */
  confusion?: number[][];
}

function pick<T>(values: ArrayLike<T>, rows: readonly number[] | undefined): T[] {
  return rows === undefined ? Array.from(values) : rows.map((r) => values[r]!);
}

function pickRows(matrix: Float32Array, width: number, rows: readonly number[] | undefined): Float32Array {
  if (rows === undefined) return matrix;
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(matrix.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

/**
 * Metrics of a model's predictions by its task, on every row or only `rows` (indices into the table), scikit-learn
 * conventions (see {@link binaryMetricsForLabels}, {@link multiclassMetricsForLabels},
 * {@link regressionMetricsForLabels}).
 * @throws ModelFormatError when multiclass predictions lack probabilities or the model has no classes.
 */
export function evaluateTask(input: TaskMetricsInput, rows?: readonly number[]): TaskEvaluation {
  const { predictions: p } = input;
  const labels = pick(input.labels, rows);
  if (input.task === 'binary') {
    return { metrics: { ...binaryMetricsForLabels(pick(p.scores, rows), labels, input.positive) } };
  }
  if (input.task === 'regression') {
    const values = pick(p.values ?? p.scores, rows);
    return { metrics: { ...regressionMetricsForLabels(values, labels, input.labelName) } };
  }
  const classes = input.classes;
  if (classes === undefined || p.probabilities === undefined)
    throw new ModelFormatError('multiclass evaluation needs the model classes and class probabilities');
  const predicted = p.classIndices === undefined ? undefined : pick(p.classIndices, rows);
  const m = multiclassMetricsForLabels(pickRows(p.probabilities, classes.length, rows), classes, labels, predicted);
  return {
    metrics: { accuracy: m.accuracy, macro_f1: m.macro_f1, log_loss: m.log_loss, count: m.count },
    perClass: m.perClass.map((c, i) => ({ class: m.classes[i]!, ...c })),
    confusion: m.confusion,
  };
}
