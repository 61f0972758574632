import type { OnnxModelLabel, Predictions } from '../lib/eval/onnx-model.js';

/** One scored record in a predict response, without its id. */
export interface ServedPrediction {
  /**
   * The predicted label value: the class (binary, multiclass), or the predicted value as the shortest decimal string
   * of the model's float32 output (regression).
   */
  label: string;
  /**
   * Binary: probability of the positive class. Multiclass: probability of the predicted class. Regression: the
   * predicted value (same as `value`).
   */
  score: number;
  /** Multiclass only: the probability of every class, keyed by class value (they sum to 1). */
  probabilities?: Record<string, number>;
  /** Regression only: the predicted value, in the label's units. */
  value?: number;
}

/**
 * Turns a batch's {@link Predictions} into the per-record predictions serving answers with, by the model's task:
 * every record gets `label` and `score`; multiclass adds `probabilities` per class, regression `value`.
 * @throws Error when the predictions do not have one entry per record (or, multiclass, K per record).
 */
export function servedPredictions(predictions: Predictions, label: OnnxModelLabel, n: number): ServedPrediction[] {
  const { scores, labels } = predictions;
  if (scores.length !== n || labels.length !== n)
    throw new Error(`model returned ${labels.length} labels and ${scores.length} scores for ${n} records`);
  const base = (i: number): ServedPrediction => ({ label: labels[i] ?? '', score: scores[i] ?? Number.NaN });
  if (label.task === 'regression') {
    const values = predictions.values ?? scores;
    return Array.from({ length: n }, (_, i) => ({ ...base(i), value: values[i] ?? Number.NaN }));
  }
  if (label.task === 'multiclass') {
    const classes = label.classes ?? [];
    const k = classes.length;
    const probs = predictions.probabilities;
    if (probs === undefined || probs.length !== n * k)
      throw new Error(`model returned ${probs?.length ?? 0} class probabilities for ${n} records of ${k} classes`);
    return Array.from({ length: n }, (_, i) => {
      // fromEntries defines own properties, so even a class named "__proto__" is kept.
      const probabilities = Object.fromEntries(classes.map((c, j) => [c, probs[i * k + j] ?? Number.NaN]));
      return { ...base(i), probabilities };
    });
  }
  return Array.from({ length: n }, (_, i) => base(i));
}
