// Test-only helpers: multiclass and regression variants of the toy table (same features, other labels).
import type { FeatureTable } from '../data/table.js';
import { mulberry32 } from './rng.js';
import { toyTable } from './toy-table.test-util.js';

export const TOY_MULTICLASS_LABEL = { name: 'segment', task: 'multiclass' as const, positive: '1' };
export const TOY_REGRESSION_LABEL = { name: 'spend', task: 'regression' as const, positive: '1' };

const value = (v: number | undefined, fallback: number): number => (v === undefined || Number.isNaN(v) ? fallback : v);

/** The toy table with a 3-class label (`high`, `low`, `mid`) that depends on tenure, charges and plan. */
export function toyMulticlassTable(rows: number, seed = 1, options: Parameters<typeof toyTable>[2] = {}): FeatureTable {
  const table = toyTable(rows, seed, options);
  const r = mulberry32(seed + 1000);
  const label = Array.from({ length: rows }, (_, i) => {
    const tenure = value(table.numeric.tenure_months![i], 36);
    const charges = value(table.numeric.monthly_charges![i], 70);
    const plan = table.categorical.plan![i];
    const scores = [
      0.04 * (charges - 70) + (plan === 'premium' ? 1.5 : 0),
      -0.05 * (tenure - 36) + (plan === 'basic' ? 1.5 : 0),
      0.3 + 0.0005 * (tenure - 36) * (charges - 70),
    ].map((s) => s - Math.log(-Math.log(r() * 0.999 + 0.0005)));
    const best = scores.indexOf(Math.max(...scores));
    return ['high', 'low', 'mid'][best]!;
  });
  return { ...table, label };
}

/** The toy table with a numeric label `spend` (linear in most features, non-linear in age, noisy), as strings. */
export function toyRegressionTable(rows: number, seed = 1, options: Parameters<typeof toyTable>[2] = {}): FeatureTable {
  const table = toyTable(rows, seed, options);
  const r = mulberry32(seed + 2000);
  const label = Array.from({ length: rows }, (_, i) => {
    const tenure = value(table.numeric.tenure_months![i], 36);
    const charges = value(table.numeric.monthly_charges![i], 70);
    const age = value(table.numeric.age![i], 47);
    const plan = table.categorical.plan![i];
    const noise = (r() + r() + r() - 1.5) * 4;
    const y =
      500 +
      2 * tenure +
      3 * charges +
      (plan === 'premium' ? 40 : plan === 'basic' ? -30 : 0) +
      30 * Math.sin(age / 8) +
      noise;
    return String(y);
  });
  return { ...table, label };
}
