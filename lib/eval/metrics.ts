/**
 * Binary classification metrics from positive-class scores and true labels (scikit-learn conventions:
 * predicted positive iff score >= threshold; precision/recall/f1 are 0 when undefined (zero_division=0);
 * log loss on scores clipped to [1e-15, 1 - 1e-15]; ROC AUC rank-based with ties counted half).
 */
export type BinaryMetrics = {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  /** NaN when only one class is present (undefined). */
  roc_auc: number;
  log_loss: number;
  /** Rows evaluated. */
  count: number;
  /** Rows whose true label is positive. */
  positives: number;
};

/** Clipping bound of {@link binaryMetrics}' log loss. */
export const LOG_LOSS_EPS = 1e-15;

/**
 * ROC AUC as the Mann-Whitney statistic with average ranks for tied scores (equal to the trapezoidal ROC area).
 * NaN when either class is absent.
 */
export function rocAuc(scores: ArrayLike<number>, truth: ArrayLike<number | boolean>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && scores[order[end]!] === scores[order[start]!]) end++;
    const averageRank = (start + 1 + end) / 2; // ranks are 1-based: start+1 .. end
    for (let k = start; k < end; k++) {
      if (Number(truth[order[k]!]) === 1) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/**
 * Computes {@link BinaryMetrics}. `truth[i]` is 1/true for the positive class, 0/false otherwise.
 * @throws RangeError when the lengths differ or a score is not a number in [0, 1].
 */
export function binaryMetrics(
  scores: ArrayLike<number>,
  truth: ArrayLike<number | boolean>,
  threshold = 0.5,
): BinaryMetrics {
  const n = scores.length;
  if (truth.length !== n) throw new RangeError(`${n} scores but ${truth.length} labels`);
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const s = scores[i]!;
    if (!(s >= 0 && s <= 1)) throw new RangeError(`score ${i} is ${s}, expected a probability in [0, 1]`);
    const positive = Number(truth[i]) === 1;
    const predicted = s >= threshold;
    if (positive && predicted) tp++;
    else if (positive) fn++;
    else if (predicted) fp++;
    else tn++;
    const p = Math.min(Math.max(s, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    loss -= positive ? Math.log(p) : Math.log(1 - p);
  }
  const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
  const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
  return {
    accuracy: n > 0 ? (tp + tn) / n : Number.NaN,
    precision,
    recall,
    f1: tp > 0 ? (2 * tp) / (2 * tp + fp + fn) : 0,
    roc_auc: rocAuc(scores, truth),
    log_loss: n > 0 ? loss / n : Number.NaN,
    count: n,
    positives: tp + fn,
  };
}

/**
 * Metrics of scores against raw label values: positive iff `label === positive`; rows whose label is null are skipped.
 */
export function binaryMetricsForLabels(
  scores: ArrayLike<number>,
  labels: ReadonlyArray<string | null>,
  positive: string,
  threshold = 0.5,
): BinaryMetrics {
  if (labels.length !== scores.length) throw new RangeError(`${scores.length} scores but ${labels.length} labels`);
  const kept: number[] = [];
  const truth: number[] = [];
  labels.forEach((label, i) => {
    if (label === null) return;
    kept.push(scores[i]!);
    truth.push(label === positive ? 1 : 0);
  });
  return binaryMetrics(kept, truth, threshold);
}
