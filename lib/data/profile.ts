import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { binNumeric, GRID_CELLS, numericBinPlan } from '../stats/numeric-binning.js';
import { binIndex, meanStd, quantileSorted, sortedFinite } from '../stats/summary.js';
import type { FeatureTable } from './table.js';

/**
 * Reference profiles of a dataset (the training split): what drift monitoring compares serving traffic with.
 * JSON-shaped: no Maps, no Infinity (histogram edges store only the inner cut points), `null` for undefined
 * statistics.
 */

/** Profile format version. */
export const PROFILE_VERSION = 1;
/** Categories kept per categorical feature; the rest are pooled as {@link OTHER_CATEGORY}. */
export const TOP_K = 100;
/** Name of the pooled bucket of categories outside the top K (and, in drift, of unseen ones). */
export const OTHER_CATEGORY = '__other__';
/** Histogram bins requested per numeric feature (fewer when quantiles tie). */
export const HISTOGRAM_BINS = 10;
/** Reference values kept per numeric feature for two-sample tests (all of them up to this many). */
export const REFERENCE_SAMPLE_SIZE = 1000;
/** Numeric features with at most this many distinct values also keep their value counts (tested like categories). */
export const FEW_DISTINCT_VALUES = 5;

/** Quantiles of the non-missing values (numpy linear interpolation). */
export interface Quantiles {
  p01: number;
  p05: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
}

/**
 * Histogram on fixed edges: `edges` are the ascending inner cut points (deduplicated deciles of the reference);
 * bin 0 is (-inf, edges[0]), bin k is [edges[k-1], edges[k]), the last bin is [edges[last], +inf).
 * `counts.length === edges.length + 1`; missing values are counted in the profile's `missing`.
 */
export interface Histogram {
  edges: number[];
  counts: number[];
}

export interface NumericProfile {
  name: string;
  type: 'numeric';
  /** Non-missing values. */
  count: number;
  missing: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Population standard deviation (ddof 0). */
  std: number | null;
  quantiles: Quantiles | null;
  histogram: Histogram;
  /** Distinct non-missing values. Absent in profiles written before drift methods other than PSI existed. */
  distinct?: number;
  /**
   * Counts on a uniform grid over [min, max) ({@link GRID_CELLS} cells; values equal to max in `over`), binned
   * by `binNumeric`: what the Wasserstein distance of a current window is computed against. Absent when the
   * column had no values, and in older profiles.
   */
  grid?: { lo: number; hi: number; counts: number[]; over: number };
  /**
   * Ascending reference values for two-sample tests (KS): all of them when there are at most
   * {@link REFERENCE_SAMPLE_SIZE}, otherwise that many evenly spaced order statistics.
   */
  sample?: number[];
  /** Value counts, by value ascending, when there are at most {@link FEW_DISTINCT_VALUES} distinct values. */
  values?: Array<{ value: number; count: number }>;
}

/** A category and how often it occurs. */
export interface CategoryCount {
  value: string;
  count: number;
}

export interface CategoricalProfile {
  name: string;
  type: 'categorical';
  count: number;
  missing: number;
  /** Distinct non-missing values. */
  distinct: number;
  /** The {@link TOP_K} most frequent values, by count descending then value ascending. */
  top: CategoryCount[];
  /** Occurrences of all other values (the {@link OTHER_CATEGORY} bucket). */
  other: number;
}

export type FeatureProfile = NumericProfile | CategoricalProfile;

/** Distribution of the label values. */
export interface LabelProfile {
  name: string;
  count: number;
  missing: number;
  /** Classes by count descending (top {@link TOP_K}); `other` pools the rest. */
  classes: CategoryCount[];
  other: number;
}

export interface DatasetProfile {
  version: typeof PROFILE_VERSION;
  rows: number;
  /** One entry per spec feature, in spec order. */
  features: FeatureProfile[];
  label: LabelProfile | null;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Profile of one numeric column (NaN = missing). */
export function profileNumeric(name: string, values: Float64Array): NumericProfile {
  const sorted = sortedFinite(values);
  const n = sorted.length;
  const { mean, std } = meanStd(sorted);
  const edges: number[] = [];
  for (let k = 1; k < HISTOGRAM_BINS; k++) {
    const e = quantileSorted(sorted, k / HISTOGRAM_BINS);
    if (Number.isFinite(e) && (edges.length === 0 || e > (edges[edges.length - 1] as number))) edges.push(e);
  }
  const counts = new Array<number>(edges.length + 1).fill(0);
  // `sorted` is ascending: walk the bins once instead of a search per value.
  let bin = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i] as number;
    while (bin < edges.length && v >= (edges[bin] as number)) bin++;
    counts[bin] = (counts[bin] as number) + 1;
  }
  const q = (p: number): number => quantileSorted(sorted, p);
  const few: Array<{ value: number; count: number }> = [];
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    const v = sorted[i] as number;
    if (i === 0 || v !== sorted[i - 1]) {
      distinct++;
      if (distinct <= FEW_DISTINCT_VALUES) few.push({ value: v, count: 0 });
    }
    if (distinct <= FEW_DISTINCT_VALUES) (few[few.length - 1] as { count: number }).count++;
  }
  const profile: NumericProfile = {
    name,
    type: 'numeric',
    count: n,
    missing: values.length - n,
    min: n > 0 ? (sorted[0] as number) : null,
    max: n > 0 ? (sorted[n - 1] as number) : null,
    mean: finiteOrNull(mean),
    std: finiteOrNull(std),
    quantiles:
      n > 0
        ? { p01: q(0.01), p05: q(0.05), p25: q(0.25), p50: q(0.5), p75: q(0.75), p95: q(0.95), p99: q(0.99) }
        : null,
    histogram: { edges, counts },
    distinct,
    sample: referenceSample(sorted),
  };
  if (n > 0) {
    const lo = sorted[0] as number;
    const hi = sorted[n - 1] as number;
    const { grid } = binNumeric(sorted, numericBinPlan(lo, hi, GRID_CELLS, []));
    profile.grid = { lo, hi, counts: Array.from(grid.cells), over: grid.over };
  }
  if (distinct <= FEW_DISTINCT_VALUES) profile.values = few;
  return profile;
}

/** All of `sorted` when short, else {@link REFERENCE_SAMPLE_SIZE} evenly spaced order statistics. */
function referenceSample(sorted: Float64Array): number[] {
  const n = sorted.length;
  if (n <= REFERENCE_SAMPLE_SIZE) return Array.from(sorted);
  const out = new Array<number>(REFERENCE_SAMPLE_SIZE);
  for (let i = 0; i < REFERENCE_SAMPLE_SIZE; i++)
    out[i] = sorted[Math.floor(((i + 0.5) * n) / REFERENCE_SAMPLE_SIZE)] as number;
  return out;
}

function countValues(values: ReadonlyArray<string | null>): { counts: Map<string, number>; missing: number } {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const v of values) {
    if (v === null || v === '') missing++;
    else counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return { counts, missing };
}

function topK(counts: Map<string, number>): { top: CategoryCount[]; other: number } {
  const all = [...counts].map(([value, count]) => ({ value, count }));
  all.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  const top = all.slice(0, TOP_K);
  let other = 0;
  for (let i = TOP_K; i < all.length; i++) other += (all[i] as CategoryCount).count;
  return { top, other };
}

/** Profile of one categorical column (null or "" = missing). */
export function profileCategorical(name: string, values: ReadonlyArray<string | null>): CategoricalProfile {
  const { counts, missing } = countValues(values);
  const { top, other } = topK(counts);
  return { name, type: 'categorical', count: values.length - missing, missing, distinct: counts.size, top, other };
}

/** Distribution of label values (null or "" = missing). */
export function profileLabel(name: string, labels: ReadonlyArray<string | null>): LabelProfile {
  const { counts, missing } = countValues(labels);
  const { top, other } = topK(counts);
  return { name, count: labels.length - missing, missing, classes: top, other };
}

/**
 * Profiles every spec feature of `table` (a column absent from the table counts as all missing) and, when
 * `labelName` is given and the table has labels, the label.
 */
export function profileTable(
  table: FeatureTable,
  features: readonly FeatureSpec[],
  labelName?: string,
): DatasetProfile {
  const n = table.rowCount;
  const profiles = features.map((f): FeatureProfile => {
    if (f.type === 'numeric') return profileNumeric(f.name, table.numeric[f.name] ?? new Float64Array(n).fill(NaN));
    return profileCategorical(f.name, table.categorical[f.name] ?? new Array<string | null>(n).fill(null));
  });
  const label = labelName !== undefined && table.label !== null ? profileLabel(labelName, table.label) : null;
  return { version: PROFILE_VERSION, rows: n, features: profiles, label };
}

/** Reference bin counts of a numeric profile: the histogram counts followed by the missing count. */
export function numericReferenceCounts(profile: NumericProfile): number[] {
  return [...profile.histogram.counts, profile.missing];
}

/** Bins `values` on a profile's edges: counts per histogram bin followed by the missing count. */
export function binOnEdges(values: Float64Array, edges: readonly number[]): Float64Array {
  const counts = new Float64Array(edges.length + 2);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    const k = Number.isNaN(v) ? edges.length + 1 : binIndex(edges, v);
    counts[k] = (counts[k] as number) + 1;
  }
  return counts;
}
