/** Datasets of the e2e tests: toy multiclass/regression data, and the features of the generated churn data. */
import { writeFile } from 'node:fs/promises';
import type { Rng } from '../../lib/random.js';

export const COLORS = ['red', 'green', 'blue'] as const;

/** Features of the generated datasets. */
export const TOY_FEATURES = [
  { name: 'x1', type: 'numeric' },
  { name: 'x2', type: 'numeric', constraints: { maxMissingRate: 0.2 } },
  { name: 'x3', type: 'numeric', constraints: { min: 0, max: 10 } },
  { name: 'color', type: 'categorical', constraints: { values: [...COLORS] } },
];

/** One toy record. */
export interface ToyRecord {
  x1: number;
  x2: number | null;
  x3: number;
  color: (typeof COLORS)[number];
}

const COLOR_SHIFT: Record<ToyRecord['color'], number> = { red: -1, green: 0, blue: 1 };

/** The noiseless regression target. */
export const regressionMean = (r: ToyRecord): number =>
  50 + 8 * r.x1 - 5 * (r.x2 ?? 0) + 2 * r.x3 + 6 * COLOR_SHIFT[r.color];

/** The multiclass class of a noisy linear score: low / mid / high. */
export function multiclassOf(r: ToyRecord, noise: number): 'low' | 'mid' | 'high' {
  const s = 1.5 * r.x1 - (r.x2 ?? 0) + 0.8 * COLOR_SHIFT[r.color] + noise;
  return s < -0.9 ? 'low' : s < 0.9 ? 'mid' : 'high';
}

/** A random toy record. */
export function toyRecord(rng: Rng): ToyRecord {
  return {
    x1: rng.normal(),
    x2: rng.bernoulli(0.05) ? null : rng.normal(),
    x3: rng.next() * 10,
    color: COLORS[rng.int(COLORS.length)]!,
  };
}

/** Writes `rows` toy records with the label `labelOf` gives as CSV (x1,x2,x3,color,<label>). */
export async function writeToyCsv(
  file: string,
  rows: number,
  rng: Rng,
  labelName: string,
  labelOf: (r: ToyRecord, rng: Rng) => string,
): Promise<void> {
  const lines = [`x1,x2,x3,color,${labelName}`];
  for (let i = 0; i < rows; i++) {
    const r = toyRecord(rng);
    const fmt = (v: number): string => v.toFixed(4);
    lines.push(`${fmt(r.x1)},${r.x2 === null ? '' : fmt(r.x2)},${fmt(r.x3)},${r.color},${labelOf(r, rng)}`);
  }
  await writeFile(file, `${lines.join('\n')}\n`);
}

/** Features of the churn data `lib/data/generate-churn.ts` writes. */
export const CHURN_FEATURES = [
  { name: 'tenure_months', type: 'numeric' },
  { name: 'monthly_charges', type: 'numeric' },
  { name: 'support_calls', type: 'numeric' },
  { name: 'data_usage_gb', type: 'numeric' },
  { name: 'plan', type: 'categorical', constraints: { values: ['basic', 'standard', 'premium'] } },
  { name: 'region', type: 'categorical', constraints: { values: ['north', 'south', 'east', 'west'] } },
  { name: 'contract', type: 'categorical', constraints: { values: ['monthly', 'annual', 'two_year'] } },
];
