import { PredictionInputError } from './errors.js';

/**
 * Regression metrics, scikit-learn conventions: `rmse` = root_mean_squared_error, `mae` = mean_absolute_error,
 * `r2` = r2_score with force_finite (a constant truth gives 1 for a perfect prediction, else 0).
 */
export type RegressionMetrics = {
  rmse: number;
  mae: number;
  r2: number;
  /** Rows evaluated. */
  count: number;
};

/**
 * Computes {@link RegressionMetrics}; NaN metrics for no rows.
 * @throws RangeError when the lengths differ or a value is not finite.
 */
export function regressionMetrics(predictions: ArrayLike<number>, truth: ArrayLike<number>): RegressionMetrics {
  const n = truth.length;
  if (predictions.length !== n) throw new RangeError(`${predictions.length} predictions but ${n} labels`);
  if (n === 0) return { rmse: Number.NaN, mae: Number.NaN, r2: Number.NaN, count: 0 };
  let mean = 0;
  for (let i = 0; i < n; i++) {
    const t = truth[i]!;
    const p = predictions[i]!;
    if (!Number.isFinite(t)) throw new RangeError(`label ${i} is ${t}, expected a finite number`);
    if (!Number.isFinite(p)) throw new RangeError(`prediction ${i} is ${p}, expected a finite number`);
    mean += t;
  }
  mean /= n;
  let squared = 0;
  let absolute = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const t = truth[i]!;
    const e = t - predictions[i]!;
    squared += e * e;
    absolute += Math.abs(e);
    total += (t - mean) * (t - mean);
  }
  let r2: number;
  if (total !== 0) r2 = 1 - squared / total;
  else r2 = squared === 0 ? 1 : 0;
  return { rmse: Math.sqrt(squared / n), mae: absolute / n, r2, count: n };
}

/**
 * Metrics of predictions against raw label values (decimal strings); rows whose label is null are skipped.
 * @throws PredictionInputError naming `labelName` when a label is not a finite number.
 */
export function regressionMetricsForLabels(
  predictions: ArrayLike<number>,
  labels: ReadonlyArray<string | null>,
  labelName = 'label',
): RegressionMetrics {
  if (labels.length !== predictions.length)
    throw new RangeError(`${predictions.length} predictions but ${labels.length} labels`);
  const kept: number[] = [];
  const truth: number[] = [];
  labels.forEach((label, i) => {
    if (label === null) return;
    const value = label.trim() === '' ? Number.NaN : Number(label);
    if (!Number.isFinite(value))
      throw new PredictionInputError(
        labelName,
        `label "${labelName}" of row ${i} is ${JSON.stringify(label.slice(0, 80))}, expected a finite number`,
        i,
      );
    kept.push(predictions[i]!);
    truth.push(value);
  });
  return regressionMetrics(kept, truth);
}
