import { profileNumeric, type NumericProfile } from '../data/profile.js';
import { computeDrift } from './drift.js';
import type { DriftMethod } from './drift-methods.js';

/**
 * Prediction drift: the distribution of a model's outputs on served traffic against their distribution on the
 * holdout at evaluation time (Evidently's "prediction drift"). The output is the number serving logs as the score:
 * the positive-class probability (binary), the predicted class's probability (multiclass) or the predicted value
 * (regression). The method is chosen like any numeric column's (`auto`).
 */

/** Drift of the model outputs in one window. JSON-shaped. */
export interface PredictionDrift {
  method: DriftMethod;
  score: number;
  threshold: number;
  drifted: boolean;
}

/** The reference profile of model outputs, stored with the evaluation evidence. */
export function predictionProfile(scores: ArrayLike<number>): NumericProfile {
  return profileNumeric('prediction', Float64Array.from(scores));
}

/** Drift of `scores` (served outputs; NaN = none) against a {@link predictionProfile}. */
export function predictionDrift(reference: NumericProfile, scores: ArrayLike<number>): PredictionDrift {
  const values = Float64Array.from(scores);
  const report = computeDrift(
    { version: 1, rows: reference.count + reference.missing, features: [reference], label: null },
    { rowCount: values.length, numeric: { [reference.name]: values }, categorical: {}, label: null },
    { driftShare: 1 },
  );
  const f = report.features[0];
  if (f === undefined) throw new Error('predictionDrift: no feature scored');
  return { method: f.method, score: f.score, threshold: f.threshold, drifted: f.drifted };
}
