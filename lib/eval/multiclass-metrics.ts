import { LOG_LOSS_EPS } from './metrics.js';

/** Precision, recall and f1 of one class (one-vs-rest; 0 when undefined, zero_division=0) and its true count. */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true class is this one. */
  support: number;
}

/**
 * Multiclass metrics, scikit-learn conventions: predicted class = argmax of the row's probabilities (first index
 * on ties) unless predictions are given; per-class values and the confusion matrix cover every class index;
 * `macro_f1` averages f1 over the classes present in the truth or the predictions (scikit-learn's default labels);
 * log loss on the true class's probability clipped to [1e-15, 1 - 1e-15].
 */
export interface MulticlassMetrics {
  accuracy: number;
  macro_f1: number;
  log_loss: number;
  /** Rows evaluated. */
  count: number;
  /** Indexed by class. */
  perClass: ClassMetrics[];
  /** `confusion[t][p]`: rows of true class `t` predicted as `p`. */
  confusion: number[][];
}

/** Index of each row's largest probability (first index on ties) of a row-major N×K matrix. */
export function argmaxRows(probabilities: ArrayLike<number>, classCount: number): Int32Array {
  const n = Math.floor(probabilities.length / classCount);
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    let bestP = probabilities[r * classCount]!;
    for (let k = 1; k < classCount; k++) {
      const p = probabilities[r * classCount + k]!;
      if (p > bestP) [best, bestP] = [k, p];
    }
    out[r] = best;
  }
  return out;
}

/**
 * Computes {@link MulticlassMetrics} from a row-major N×K probability matrix and true class indices in [0, K).
 * @throws RangeError when the shapes differ, a class index is out of range, or a probability is not in [0, 1].
 */
export function multiclassMetrics(
  probabilities: ArrayLike<number>,
  classCount: number,
  truth: ArrayLike<number>,
  predicted: ArrayLike<number> = argmaxRows(probabilities, classCount),
): MulticlassMetrics {
  const k = classCount;
  const n = truth.length;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`class count ${k}: expected a positive integer`);
  if (probabilities.length !== n * k)
    throw new RangeError(`${probabilities.length} probabilities for ${n} rows of ${k} classes`);
  if (predicted.length !== n) throw new RangeError(`${predicted.length} predictions for ${n} rows`);
  const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  let correct = 0;
  let loss = 0;
  for (let r = 0; r < n; r++) {
    const t = truth[r]!;
    const p = predicted[r]!;
    if (!(Number.isInteger(t) && t >= 0 && t < k))
      throw new RangeError(`truth ${r} is ${t}, expected a class in [0, ${k})`);
    if (!(Number.isInteger(p) && p >= 0 && p < k))
      throw new RangeError(`prediction ${r} is ${p}, expected a class in [0, ${k})`);
    for (let c = 0; c < k; c++) {
      const v = probabilities[r * k + c]!;
      if (!(v >= 0 && v <= 1)) throw new RangeError(`probability [${r}, ${c}] is ${v}, expected a value in [0, 1]`);
    }
    confusion[t]![p]!++;
    if (t === p) correct++;
    const q = Math.min(Math.max(probabilities[r * k + t]!, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    loss -= Math.log(q);
  }
  const perClass: ClassMetrics[] = [];
  let f1Sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    const predictedCount = confusion.reduce((a, row) => a + row[c]!, 0);
    const f1 = tp > 0 ? (2 * tp) / (support + predictedCount) : 0;
    perClass.push({
      precision: predictedCount > 0 ? tp / predictedCount : 0,
      recall: support > 0 ? tp / support : 0,
      f1,
      support,
    });
    if (support + predictedCount > 0) {
      present++;
      f1Sum += f1;
    }
  }
  return {
    accuracy: n > 0 ? correct / n : Number.NaN,
    macro_f1: present > 0 ? f1Sum / present : Number.NaN,
    log_loss: n > 0 ? loss / n : Number.NaN,
    count: n,
    perClass,
    confusion,
  };
}

/** {@link MulticlassMetrics} against raw label values, with the class values the indices stand for. */
export interface MulticlassLabelMetrics extends MulticlassMetrics {
  /**
   * Class values by index: the model's classes, then true label values the model does not know (given probability
   * 0, so they count as errors and at the clipped log loss).
   */
  classes: string[];
}

/**
 * Metrics of a row-major N×K probability matrix against raw label values (`classes[i]` is class i). Rows whose
 * label is null are skipped; label values outside `classes` are appended as extra classes the model never predicts.
 * `predicted` (class indices, e.g. the model's `label` output) defaults to each row's argmax.
 */
export function multiclassMetricsForLabels(
  probabilities: ArrayLike<number>,
  classes: readonly string[],
  labels: ReadonlyArray<string | null>,
  predicted?: ArrayLike<number>,
): MulticlassLabelMetrics {
  const k = classes.length;
  if (probabilities.length !== labels.length * k)
    throw new RangeError(`${probabilities.length} probabilities for ${labels.length} rows of ${k} classes`);
  const index = new Map(classes.map((c, i) => [c, i]));
  const all = [...classes];
  const rows: number[] = [];
  const truth: number[] = [];
  labels.forEach((label, r) => {
    if (label === null) return;
    let t = index.get(label);
    if (t === undefined) {
      t = all.length;
      index.set(label, t);
      all.push(label);
    }
    rows.push(r);
    truth.push(t);
  });
  const width = all.length;
  const p = new Float64Array(rows.length * width);
  rows.forEach((r, i) => {
    for (let c = 0; c < k; c++) p[i * width + c] = probabilities[r * k + c]!;
  });
  const pred = predicted === undefined ? argmaxRows(p, width) : Int32Array.from(rows, (r) => predicted[r]!);
  return { ...multiclassMetrics(p, width, truth, pred), classes: all };
}
