/** Order statistics on typed arrays (NaN = missing). */
import { sortedNonNaN } from './sort-float64.js';

/** The non-NaN values of `values`, sorted ascending, in a new Float64Array (radix-sorted, see `sort-float64.ts`). */
export const sortedFinite = sortedNonNaN;

/**
 * Quantile `q` (0..1) of ascending `sorted` values with linear interpolation between order statistics
 * (numpy's default `method="linear"`, Hyndman-Fan type 7). NaN for an empty array.
 */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/**
 * Number of `edges` (ascending) that are ≤ `value` (numpy `searchsorted(edges, value, side="right")`):
 * the index of the half-open bin [edges[k-1], edges[k]) that holds `value`, with bins 0 and edges.length
 * reaching to -inf and +inf.
 */
export function binIndex(edges: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Mean and population standard deviation (ddof 0) of the non-NaN values; NaN when there are none. */
export function meanStd(values: Float64Array): { count: number; mean: number; std: number } {
  let count = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    count++;
    const delta = v - mean;
    mean += delta / count;
    m2 += delta * (v - mean);
  }
  if (count === 0) return { count, mean: NaN, std: NaN };
  return { count, mean, std: Math.sqrt(m2 / count) };
}
