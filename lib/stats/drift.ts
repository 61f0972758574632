import {
  numericReferenceCounts,
  type CategoricalProfile,
  type DatasetProfile,
  type NumericProfile,
} from '../data/profile.js';
import type { CategoricalCodes, FeatureTable } from '../data/table.js';
import {
  isDrift,
  isTest,
  resolveDrift,
  type ColumnDriftSetting,
  type DriftMethod,
  type DriftMethodSetting,
} from './drift-methods.js';
import { chiSquareHomogeneity, jensenShannonDistance, ksStatistic, psi } from './distances.js';
import { kolmogorovSf, ksTwoSample } from './ks-test.js';
import { binNumeric, gridNumeric, numericBinPlan, type NumericBinPlan } from './numeric-binning.js';
import { sortedFinite } from './summary.js';
import {
  clipValue,
  describeUnseen,
  UNSEEN_EXAMPLES,
  unseenExamples,
  type UnseenCategories,
} from './unseen-categories.js';
import { wassersteinOnGrid } from './wasserstein.js';

export {
  PSI_EPSILON,
  psi,
  jensenShannonDistance,
  ksStatistic,
  chiSquareHomogeneity,
  chiSquareGoodnessOfFit,
  type ChiSquareResult,
} from './distances.js';
export { chiSquareSf, chiSquareCdf, regularizedGammaP, regularizedGammaQ, lnGamma } from './gamma.js';

/**
 * Dataset drift of current data (a window of serving traffic, or a new training set) against a reference
 * {@link DatasetProfile}, column by column with the method `resolveDrift` picks (Evidently's defaults under
 * `auto`; see drift-methods.ts), then dataset drift when at least `driftShare` of the columns drift.
 *
 * PSI is reported as well (`psi`) for every column but those scored with Wasserstein: numeric columns binned on the reference histogram
 * edges, categorical ones on the reference's top categories plus `__other__`, both with a bin for missing values.
 * The other methods ignore missing values (as Evidently does); missing rates are reported on both sides.
 *
 * Categorical values outside the reference's categories are pooled into `__other__` for the scores and reported
 * per column (`unseen`: count, share, examples) and in the summary. KS against a reference bigger than its stored
 * sample (`REFERENCE_SAMPLE_SIZE` evenly spaced order statistics): the statistic D comes from that sample, the
 * p-value from the real reference size (`count`), not from the sample's 1000.
 */

/** Drift of one feature. JSON-shaped. */
export interface FeatureDrift {
  name: string;
  type: 'numeric' | 'categorical';
  method: DriftMethod;
  /** The method's score: a p-value for `ks` and `chisquare`, a distance otherwise. */
  score: number;
  threshold: number;
  drifted: boolean;
  /** PSI against the reference histogram, when computed (every method but Wasserstein, whose hot path skips it). */
  psi?: number;
  /** The test statistic (KS D, chi-square), for the tests. */
  statistic?: number;
  /**
   * The missing rate rose by more than {@link MISSING_RATE_JUMP}: drift whatever the method says (the methods
   * other than PSI look only at the values that are there).
   */
  missingJump?: true;
  refMissingRate: number;
  curMissingRate: number;
  /**
   * Categorical features: current values outside the reference profile's categories (pooled into `__other__` for
   * the scores); absent when there are none. See {@link UnseenCategories}.
   */
  unseen?: UnseenCategories;
}

/** Drift of a whole window. JSON-shaped. */
export interface DriftReport {
  /** Rows in the current data. */
  rows: number;
  features: FeatureDrift[];
  driftedCount: number;
  /** driftedCount / features.length. */
  share: number;
  /** `share >= driftShare`. */
  datasetDrift: boolean;
  /** The global method setting (`auto` or one method). */
  method: DriftMethodSetting;
  driftShare: number;
  /** One human line, e.g. "drift: 3/7 features (plan js 0.31, tenure_months wasserstein 0.44)". */
  summary: string;
}

/** Options of {@link computeDrift}: the spec's drift settings. */
export interface DriftOptions {
  /** Method for every column (default `auto`). */
  method?: DriftMethodSetting | undefined;
  /** Threshold of an explicit `method` (each method's default otherwise). */
  threshold?: number | undefined;
  driftShare: number;
  /** Per-column overrides by feature name. */
  columns?: Readonly<Record<string, ColumnDriftSetting>> | undefined;
}

const rate = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);

/** Rise of a column's missing rate (absolute) over the reference's that counts as drift by itself. */
export const MISSING_RATE_JUMP = 0.2;

/** Binning plans are pure functions of the profile: built once per profile object, reused for every window. */
const plans = new WeakMap<NumericProfile, NumericBinPlan>();

function planOf(profile: NumericProfile): NumericBinPlan {
  let plan = plans.get(profile);
  if (plan === undefined) {
    const grid = profile.grid;
    plan = grid
      ? numericBinPlan(grid.lo, grid.hi, grid.counts.length, profile.histogram.edges)
      : numericBinPlan(NaN, NaN, 0, profile.histogram.edges);
    plans.set(profile, plan);
  }
  return plan;
}

interface Scored {
  score: number;
  unseen?: UnseenCategories;
  /** PSI, when the method computed the coarse bins (all but Wasserstein). */
  psi?: number;
  statistic?: number;
  curMissing: number;
}

/** Counts of the reference's few values (ascending) plus one bin for any other value. */
function countFewValues(values: Float64Array, known: ReadonlyArray<{ value: number }>): Float64Array {
  const counts = new Float64Array(known.length + 1);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v !== v) continue;
    let k = 0;
    while (k < known.length && (known[k] as { value: number }).value !== v) k++;
    counts[k] = (counts[k] as number) + 1;
  }
  return counts;
}

function numericDrift(profile: NumericProfile, values: Float64Array, method: DriftMethod): Scored {
  if (method === 'wasserstein' && profile.grid) {
    // The hot path: grid counts only (PSI is not needed to decide).
    const counts = gridNumeric(values, planOf(profile));
    const g = profile.grid;
    const reference = {
      lo: g.lo,
      hi: g.hi,
      cells: g.counts,
      under: 0,
      underSum: 0,
      over: g.over,
      overSum: g.over * g.hi,
    };
    const score = wassersteinOnGrid(reference, counts.grid) / Math.max(profile.std ?? 0, 0.001);
    return { score, curMissing: counts.missing };
  }
  const counts = binNumeric(values, planOf(profile));
  const psiScore = psi(numericReferenceCounts(profile), [...counts.bins, counts.missing]);
  const scored: Scored = { score: NaN, psi: psiScore, curMissing: counts.missing };
  if (method === 'psi') scored.score = psiScore;
  else if (method === 'ks' && profile.sample) {
    const current = sortedFinite(values);
    if (profile.count > profile.sample.length && current.length > 0) {
      // The profile keeps REFERENCE_SAMPLE_SIZE evenly spaced order statistics of a bigger reference: D comes from
      // that sample (an approximation of the reference's CDF), the p-value from the real reference size.
      const d = ksStatistic(profile.sample, current);
      const n = profile.count;
      const m = current.length;
      scored.score = kolmogorovSf(Math.round((n * m) / (n + m)), d);
      scored.statistic = d;
    } else {
      const ks = ksTwoSample(profile.sample, current);
      scored.score = ks.pValue;
      scored.statistic = ks.statistic;
    }
  } else if (profile.values) {
    const reference = [...profile.values.map((v) => v.count), 0];
    const cur = countFewValues(values, profile.values);
    if (method === 'chisquare') {
      const chi = chiSquareHomogeneity(reference, cur);
      scored.score = chi.pValue;
      scored.statistic = chi.statistic;
    } else scored.score = jensenShannonDistance(reference, cur);
  }
  return scored;
}

/**
 * Adds the bin counts of dictionary codes (-1 = missing, else an index into the dictionary of `binOf.length`
 * entries, as the readers build them) to `out`. The codes themselves are counted first (slot code + 1, so missing
 * is slot 0), in four interleaved lanes so rows of the same category in a row do not wait on each other's
 * increment; the per-code counts are then folded into bins through `binOf`, once per distinct code. Returns the
 * per-code counts (slot code + 1).
 */
function countCodes(codes: Int32Array, binOf: Int32Array, missingBin: number, out: Float64Array): Float64Array {
  const slots = binOf.length + 1;
  const lanes = new Uint32Array(slots * 4);
  const n = codes.length;
  const quads = n - (n % 4);
  for (let i = 0; i < quads; i += 4) {
    const a = ((codes[i] as number) + 1) << 2;
    const b = (((codes[i + 1] as number) + 1) << 2) + 1;
    const c = (((codes[i + 2] as number) + 1) << 2) + 2;
    const d = (((codes[i + 3] as number) + 1) << 2) + 3;
    lanes[a] = (lanes[a] as number) + 1;
    lanes[b] = (lanes[b] as number) + 1;
    lanes[c] = (lanes[c] as number) + 1;
    lanes[d] = (lanes[d] as number) + 1;
  }
  for (let i = quads; i < n; i++) {
    const a = ((codes[i] as number) + 1) << 2;
    lanes[a] = (lanes[a] as number) + 1;
  }
  let counted = 0;
  const perSlot = new Float64Array(slots);
  for (let slot = 0; slot < slots; slot++) {
    const k = slot << 2;
    const count = (lanes[k] as number) + (lanes[k + 1] as number) + (lanes[k + 2] as number) + (lanes[k + 3] as number);
    perSlot[slot] = count;
    counted += count;
    if (count === 0) continue;
    const bin = slot === 0 ? missingBin : (binOf[slot - 1] as number);
    out[bin] = (out[bin] as number) + count;
  }
  // A code outside [-1, dictionary size) lands outside `lanes` and is dropped by the typed array: refuse a wrong count.
  if (counted !== n)
    throw new RangeError(`${n - counted} categorical code(s) outside the dictionary of ${binOf.length}`);
  return perSlot;
}

function categoricalDrift(
  profile: CategoricalProfile,
  values: ReadonlyArray<string | null>,
  codes: CategoricalCodes | undefined,
  method: DriftMethod,
): Scored {
  const index = new Map<string, number>();
  profile.top.forEach((c, i) => index.set(c.value, i));
  const otherBin = profile.top.length;
  const missingBin = otherBin + 1;
  const reference = [...profile.top.map((c) => c.count), profile.other, profile.missing];
  const current = new Float64Array(missingBin + 1);
  let unseen: () => string[] = () => unseenExamples(values, index);
  if (codes !== undefined && codes.codes.length === values.length) {
    // Dictionary-encoded column: one lookup per distinct value, then a pass over the Int32Array.
    const binOf = Int32Array.from(codes.dictionary, (v) => (v === '' ? missingBin : (index.get(v) ?? otherBin)));
    const perSlot = countCodes(codes.codes, binOf, missingBin, current);
    unseen = () =>
      codes.dictionary
        .filter((v, c) => binOf[c] === otherBin && (perSlot[c + 1] as number) > 0)
        .slice(0, UNSEEN_EXAMPLES)
        .map(clipValue);
  } else {
    for (const v of values) {
      const k = v === null || v === '' ? missingBin : (index.get(v) ?? otherBin);
      current[k] = (current[k] as number) + 1;
    }
  }
  const psiScore = psi(reference, current);
  const scored: Scored = { score: NaN, psi: psiScore, curMissing: current[missingBin] as number };
  const unseenCount = current[otherBin] as number;
  if (unseenCount > 0) {
    const present = values.length - (current[missingBin] as number);
    scored.unseen = {
      count: unseenCount,
      share: present > 0 ? unseenCount / present : 0,
      examples: unseen(),
      ...(profile.other > 0 ? { referencePooled: true as const } : {}),
    };
  }
  const ref = reference.slice(0, missingBin);
  const cur = current.subarray(0, missingBin);
  if (method === 'psi') scored.score = psiScore;
  else if (method === 'chisquare') {
    const chi = chiSquareHomogeneity(ref, cur);
    scored.score = chi.pValue;
    scored.statistic = chi.statistic;
  } else scored.score = jensenShannonDistance(ref, cur);
  return scored;
}

function describe(f: FeatureDrift): string {
  if (f.missingJump === true && !isDrift(f.method, f.score, f.threshold))
    return `${f.name} missing ${Math.round(f.refMissingRate * 100)}%->${Math.round(f.curMissingRate * 100)}%`;
  return isTest(f.method)
    ? `${f.name} ${f.method} p=${f.score < 0.001 ? f.score.toExponential(1) : f.score.toFixed(3)}`
    : `${f.name} ${f.method} ${f.score.toFixed(2)}`;
}

/** How far past its threshold a drifted feature is, for ordering the summary (tests and distances alike). */
function severity(f: FeatureDrift): number {
  if (f.missingJump === true) return Infinity;
  if (isTest(f.method)) return f.score > 0 ? Math.log(f.threshold / f.score) : Infinity;
  return f.threshold > 0 ? f.score / f.threshold : f.score;
}

/**
 * Scores every profiled feature of `current` against `profile`. A feature absent from `current` counts as all
 * missing. With zero current rows (or no values left for a method) a feature does not drift (the caller enforces
 * `minSamples`).
 */
export function computeDrift(profile: DatasetProfile, current: FeatureTable, options: DriftOptions): DriftReport {
  const rows = current.rowCount;
  const global = { method: options.method ?? 'auto', threshold: options.threshold };
  const features = profile.features.map((fp): FeatureDrift => {
    const { method, threshold } = resolveDrift(fp, global, options.columns?.[fp.name]);
    const scored =
      fp.type === 'numeric'
        ? numericDrift(fp, current.numeric[fp.name] ?? new Float64Array(rows).fill(NaN), method)
        : categoricalDrift(
            fp,
            current.categorical[fp.name] ?? new Array<string | null>(rows).fill(null),
            current.categorical[fp.name] !== undefined ? current.categoricalCodes?.[fp.name] : undefined,
            method,
          );
    const refMissingRate = rate(fp.missing, fp.count + fp.missing);
    const curMissingRate = rate(scored.curMissing, rows);
    const missingJump = rows > 0 && curMissingRate - refMissingRate > MISSING_RATE_JUMP;
    // No values left to compare (all missing): no evidence from the method itself.
    const score = Number.isFinite(scored.score) ? scored.score : isTest(method) ? 1 : 0;
    return {
      name: fp.name,
      type: fp.type,
      method,
      score,
      threshold,
      drifted: rows > 0 && (missingJump || isDrift(method, score, threshold)),
      ...(scored.psi !== undefined ? { psi: scored.psi } : {}),
      ...(scored.statistic !== undefined && Number.isFinite(scored.statistic) ? { statistic: scored.statistic } : {}),
      ...(missingJump ? { missingJump: true as const } : {}),
      refMissingRate,
      curMissingRate,
      ...(scored.unseen !== undefined ? { unseen: scored.unseen } : {}),
    };
  });
  const drifted = features.filter((f) => f.drifted);
  const share = rate(drifted.length, features.length);
  const datasetDrift = rows > 0 && features.length > 0 && share >= options.driftShare;
  const worst = [...drifted].sort((a, b) => severity(b) - severity(a)).slice(0, 5);
  const withUnseen = features.filter((f) => f.unseen !== undefined);
  const summary =
    `${datasetDrift ? 'drift' : 'no drift'}: ${drifted.length}/${features.length} features` +
    (worst.length > 0 ? ` (${worst.map(describe).join(', ')})` : '') +
    ` over ${rows} rows` +
    (withUnseen.length > 0
      ? `; unseen categories: ${withUnseen
          .slice(0, 3)
          .map((f) => describeUnseen(f.name, f.unseen as UnseenCategories))
          .join('; ')}`
      : '');
  return {
    rows,
    features,
    driftedCount: drifted.length,
    share,
    datasetDrift,
    method: global.method,
    driftShare: options.driftShare,
    summary,
  };
}

export { ksTwoSample, kolmogorovSf, smirnovSf, KS_EXACT_MAX_N, type KsResult } from './ks-test.js';
export { wassersteinDistance, wassersteinOnGrid, type GridCounts } from './wasserstein.js';
export { UNSEEN_EXAMPLES, type UnseenCategories } from './unseen-categories.js';
export {
  DRIFT_METHODS,
  DEFAULT_DRIFT_THRESHOLDS,
  autoMethod,
  resolveDrift,
  type DriftMethod,
  type DriftMethodSetting,
  type ColumnDriftSetting,
} from './drift-methods.js';
