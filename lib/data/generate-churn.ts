import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createRng, type Rng } from '../random.js';
import { datasetSha256 } from './read-dataset.js';
import type { FeatureRecord } from './table.js';

/**
 * Seeded synthetic customer-churn data matching `examples/churn/pipeline.yaml`.
 *
 * Features depend on each other (contract drives tenure, plan drives charges and usage); the label is drawn
 * from a logistic model that is linear in the features as a logistic regression sees them (numeric values
 * plus one-hot categories), so such a model reaches a ROC-AUC near 0.8. Missing values: `data_usage_gb`
 * about 8%, `region` about 3%.
 *
 * `drift` (0..1) moves the population (shorter tenure, higher charges, more premium plans and monthly
 * contracts, more support calls) and the concept (support calls and premium plans weigh more, contract and
 * tenure less), so a model retrained on drifted data beats one trained before the drift.
 *
 * The two kinds of change can also be had apart, for monitoring scenarios:
 *  - `covariateShift` (0..1) moves the population exactly as `drift` does, while the label still follows the
 *    reference relationship P(y|x): the features drift, a model trained before the shift stays right;
 *  - `conceptDrift` (0..1) keeps the population (the same features for the same seed) and moves the label
 *    towards a different relationship: long-tenure, long-contract customers now leave (a competitor targets them)
 *    and support calls no longer matter, so a model trained before it ranks customers badly.
 */

/** Plans, regions and contracts exactly as the example spec lists them. */
export const CHURN_PLANS = ['basic', 'standard', 'premium'] as const;
export const CHURN_REGIONS = ['north', 'south', 'east', 'west'] as const;
export const CHURN_CONTRACTS = ['monthly', 'annual', 'two_year'] as const;
/** Column order of the generated CSV (features in spec order, then the label). */
export const CHURN_COLUMNS = [
  'tenure_months',
  'monthly_charges',
  'support_calls',
  'data_usage_gb',
  'plan',
  'region',
  'contract',
  'churned',
] as const;
/** The label column. */
export const CHURN_LABEL = 'churned';

export type ChurnPlan = (typeof CHURN_PLANS)[number];
export type ChurnRegion = (typeof CHURN_REGIONS)[number];
export type ChurnContract = (typeof CHURN_CONTRACTS)[number];

/** One generated customer. Missing values are `null`. */
export interface ChurnRecord {
  tenure_months: number;
  monthly_charges: number;
  support_calls: number;
  data_usage_gb: number | null;
  plan: ChurnPlan;
  region: ChurnRegion | null;
  contract: ChurnContract;
  churned: '0' | '1';
}

/** Options of the generators. */
export interface ChurnOptions {
  rows: number;
  seed: number;
  /**
   * 0 (default) = the reference population; 1 = fully drifted, features and label relationship both. Values
   * outside are clamped.
   */
  drift?: number;
  /**
   * Covariate shift only (0..1, clamped): the features move as with `drift`, the label keeps the reference
   * relationship (or `drift`'s, when both are given). Overrides `drift` for the features.
   */
  covariateShift?: number;
  /**
   * Concept drift only (0..1, clamped): features as without it, the label relationship moves towards a different
   * one (other coefficients; see the module comment). Combines with the other options.
   */
  conceptDrift?: number;
}

function pick<T>(rng: Rng, values: readonly T[], weights: readonly number[]): T {
  let total = 0;
  for (const w of weights) total += w;
  let u = rng.next() * total;
  for (let i = 0; i < values.length; i++) {
    u -= weights[i] ?? 0;
    if (u < 0) return values[i] as T;
  }
  return values[values.length - 1] as T;
}

/** Poisson variate (Knuth; fine for the small rates used here). */
function poisson(rng: Rng, lambda: number): number {
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}

const round = (x: number, digits: number): number => Math.round(x * 10 ** digits) / 10 ** digits;
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

const TENURE_MEAN: Record<ChurnContract, number> = { monthly: 14, annual: 32, two_year: 50 };
const PLAN_CHARGE: Record<ChurnPlan, number> = { basic: 35, standard: 65, premium: 100 };
const USAGE_MEDIAN: Record<ChurnPlan, number> = { basic: 4, standard: 12, premium: 30 };
const REGION_WEIGHTS = [0.3, 0.25, 0.25, 0.2];

/** The changed relationship of `conceptDrift` (the logit at `conceptDrift: 1`). */
function driftedConceptLogit(r: Omit<ChurnRecord, 'churned'>, usage: number): number {
  return (
    -1.2 +
    0.035 * (r.tenure_months - 25) -
    0.01 * (r.monthly_charges - 65) -
    0.05 * r.support_calls +
    (r.contract === 'monthly' ? -0.9 : r.contract === 'annual' ? 0.3 : 1.0) +
    (r.plan === 'basic' ? 0.3 : r.plan === 'standard' ? 0 : -0.4) +
    0.02 * (usage - 10) +
    (r.region === 'south' ? -0.2 : r.region === 'east' ? 0.2 : 0)
  );
}

/**
 * Draws one customer: `shift` moves the features, `d` the label relationship as `drift` does, `concept` towards
 * {@link driftedConceptLogit}. All three clamped to 0..1.
 */
function drawRecord(rng: Rng, shift: number, d: number, concept: number): ChurnRecord {
  const contract = pick(rng, CHURN_CONTRACTS, [0.5 + 0.2 * shift, 0.3 - 0.1 * shift, 0.2 - 0.1 * shift]);
  const plan = pick(rng, CHURN_PLANS, [0.45 - 0.2 * shift, 0.35, 0.2 + 0.2 * shift]);
  const region = rng.bernoulli(0.03) ? null : pick(rng, CHURN_REGIONS, REGION_WEIGHTS);

  const tenureMean = TENURE_MEAN[contract] * (1 - 0.4 * shift);
  // Gamma(shape 2) as the sum of two exponentials: few brand-new customers, a long right tail.
  const gamma2 = -Math.log(1 - rng.next()) - Math.log(1 - rng.next());
  const tenure = Math.min(120, Math.floor((gamma2 * tenureMean) / 2));

  const planCharge = PLAN_CHARGE[plan];
  const charges = round(clamp(planCharge + 0.12 * tenure + rng.normal(0, 12) + 18 * shift, 10, 500), 2);
  const calls = Math.min(50, poisson(rng, (1.1 + (plan === 'basic' ? 0.5 : 0)) * (1 + 0.6 * shift)));
  const usageMedian = USAGE_MEDIAN[plan];
  const usage = round(Math.exp(Math.log(usageMedian) + rng.normal(0, 0.5)), 1);
  const dataUsage = rng.bernoulli(0.08) ? null : usage;

  const reference =
    -1.0 -
    1.3 * d +
    (-0.045 + 0.025 * d) * tenure +
    0.022 * (charges - 65) +
    (0.35 + 0.45 * d) * calls +
    (contract === 'monthly' ? 0.8 - 0.7 * d : contract === 'annual' ? -0.2 + 0.3 * d : -1.0 + 0.2 * d) +
    (plan === 'basic' ? 0 : plan === 'standard' ? -0.2 : 0.1 + 0.9 * d) -
    0.012 * usage +
    (region === 'south' ? 0.15 : region === 'east' ? -0.1 : 0);
  const features = {
    tenure_months: tenure,
    monthly_charges: charges,
    support_calls: calls,
    data_usage_gb: dataUsage,
    plan,
    region,
    contract,
  };
  // Without concept drift the logit is exactly the reference one (the data of existing callers stays the same).
  const logit = concept > 0 ? (1 - concept) * reference + concept * driftedConceptLogit(features, usage) : reference;
  const churned = rng.next() < 1 / (1 + Math.exp(-logit)) ? '1' : '0';
  return { ...features, churned };
}

/** Generates `rows` labelled customers; equal options give equal records. */
export function generateChurn(options: ChurnOptions): ChurnRecord[] {
  const rng = createRng(options.seed);
  const d = clamp(options.drift ?? 0, 0, 1);
  const shift = clamp(options.covariateShift ?? d, 0, 1);
  const concept = clamp(options.conceptDrift ?? 0, 0, 1);
  const out: ChurnRecord[] = new Array<ChurnRecord>(options.rows);
  for (let i = 0; i < options.rows; i++) out[i] = drawRecord(rng, shift, d, concept);
  return out;
}

/** CSV text (header + one line per record, "\n" line ends, missing values as empty fields). */
export function toCsv(records: readonly ChurnRecord[]): string {
  const lines: string[] = [CHURN_COLUMNS.join(',')];
  for (const r of records) {
    lines.push(
      `${r.tenure_months},${r.monthly_charges},${r.support_calls},${r.data_usage_gb ?? ''},${r.plan},${r.region ?? ''},${r.contract},${r.churned}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Serving traffic: feature records without the label (missing features as `null`, as a predict request
 * carries them), with the true labels kept separately in the same order (for delayed feedback).
 */
export function generateTraffic(options: ChurnOptions): { records: FeatureRecord[]; labels: Array<'0' | '1'> } {
  const rows = generateChurn(options);
  const records: FeatureRecord[] = [];
  const labels: Array<'0' | '1'> = [];
  for (const { churned, ...features } of rows) {
    records.push(features);
    labels.push(churned);
  }
  return { records, labels };
}

/** Writes a generated dataset as CSV (creating parent directories) and returns its size and sha256. */
export async function writeChurnDataset(
  path: string,
  options: ChurnOptions,
): Promise<{ path: string; rows: number; bytes: number; sha256: string }> {
  const bytes = new TextEncoder().encode(toCsv(generateChurn(options)));
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return { path, rows: options.rows, bytes: bytes.byteLength, sha256: datasetSha256(bytes) };
}
