// Test-only helper: a tiny seeded churn-like table (no dependency on lib/data generators).
import type { FeatureTable } from '../data/table.js';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { mulberry32 } from './rng.js';

const nullable = { nullable: true, maxMissingRate: 0.3 };

/** Features of {@link toyTable}. */
export const TOY_FEATURES: FeatureSpec[] = [
  { name: 'tenure_months', type: 'numeric', constraints: nullable },
  { name: 'monthly_charges', type: 'numeric', constraints: nullable },
  { name: 'support_calls', type: 'numeric', constraints: nullable },
  { name: 'plan', type: 'categorical', constraints: nullable },
  { name: 'region', type: 'categorical', constraints: { ...nullable, values: ['north', 'south', 'east', 'west'] } },
  { name: 'contract', type: 'categorical', constraints: nullable },
  { name: 'age', type: 'numeric', constraints: nullable },
];

export const TOY_LABEL = { name: 'churned', task: 'binary' as const, positive: 'yes' };

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** `rows` rows; `missingRate` of numeric/categorical values missing; `unknownRate` of plans outside training's set. */
export function toyTable(
  rows: number,
  seed = 1,
  options: { missingRate?: number; unknownRate?: number } = {},
): FeatureTable {
  const r = mulberry32(seed);
  const miss = options.missingRate ?? 0.05;
  const unknown = options.unknownRate ?? 0;
  const num = (f: () => number): number => (r() < miss ? Number.NaN : f());
  const tenure = new Float64Array(rows);
  const charges = new Float64Array(rows);
  const calls = new Float64Array(rows);
  const age = new Float64Array(rows);
  const plan: Array<string | null> = [];
  const region: Array<string | null> = [];
  const contract: Array<string | null> = [];
  const label: Array<string | null> = [];
  for (let i = 0; i < rows; i++) {
    tenure[i] = num(() => Math.floor(r() * 72));
    charges[i] = num(() => 20 + r() * 100);
    calls[i] = num(() => Math.floor(r() * 10));
    age[i] = num(() => 18 + Math.floor(r() * 60));
    const p = r() < unknown ? 'enterprise' : r() < miss ? null : pick(r, ['basic', 'standard', 'premium']);
    plan.push(p);
    region.push(r() < miss ? null : pick(r, ['north', 'south', 'east', 'west']));
    contract.push(r() < miss ? null : pick(r, ['monthly', 'annual']));
    const t = Number.isNaN(tenure[i]!) ? 36 : tenure[i]!;
    const c = Number.isNaN(charges[i]!) ? 70 : charges[i]!;
    const z =
      -0.5 -
      0.05 * (t - 36) +
      0.02 * (c - 70) +
      0.3 * (Number.isNaN(calls[i]!) ? 4.5 : calls[i]! - 4.5) +
      (p === 'basic' ? 0.6 : p === 'premium' ? -0.6 : 0) +
      (contract[i] === 'monthly' ? 0.8 : -0.4);
    label.push(r() < 1 / (1 + Math.exp(-z)) ? 'yes' : 'no');
  }
  return {
    rowCount: rows,
    numeric: { tenure_months: tenure, monthly_charges: charges, support_calls: calls, age },
    categorical: { plan, region, contract },
    label,
  };
}
