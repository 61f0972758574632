/**
 * First Wasserstein (earth mover's) distance between one-dimensional distributions: the area between their
 * CDFs, ∫ |F(x) − G(x)| dx (scipy `wasserstein_distance(u, v)`).
 */

/** Exact distance between two ascending, NaN-free samples. NaN when a sample is empty. */
export function wassersteinDistance(sortedU: ArrayLike<number>, sortedV: ArrayLike<number>): number {
  const n = sortedU.length;
  const m = sortedV.length;
  if (n === 0 || m === 0) return NaN;
  let i = 0;
  let j = 0;
  let area = 0;
  let prev = Math.min(sortedU[0] as number, sortedV[0] as number);
  while (i < n || j < m) {
    const u = i < n ? (sortedU[i] as number) : Infinity;
    const v = j < m ? (sortedV[j] as number) : Infinity;
    const x = u <= v ? u : v;
    // Between the previous breakpoint and x both CDFs are constant.
    area += Math.abs(i / n - j / m) * (x - prev);
    while (i < n && (sortedU[i] as number) === x) i++;
    while (j < m && (sortedV[j] as number) === x) j++;
    prev = x;
  }
  return area;
}

/**
 * Counts of values on a uniform grid of cells over [lo, hi): cell c holds `lo + c·w <= x < lo + (c+1)·w`
 * (as computed by `floor((x − lo) · cells / (hi − lo))`), with the values below `lo` and at or above `hi` kept
 * as counts and sums (so their contribution to the distance is exact).
 */
export interface GridCounts {
  lo: number;
  hi: number;
  cells: ArrayLike<number>;
  under: number;
  underSum: number;
  over: number;
  overSum: number;
}

/** ∫ over a cell of width w of |d(t)| where d is linear from d0 to d1. */
function cellArea(w: number, d0: number, d1: number): number {
  if ((d0 >= 0 && d1 >= 0) || (d0 <= 0 && d1 <= 0)) return (w * (Math.abs(d0) + Math.abs(d1))) / 2;
  return (w * (d0 * d0 + d1 * d1)) / (2 * (Math.abs(d0) + Math.abs(d1)));
}

/**
 * Distance between a reference and a current distribution given as {@link GridCounts} on the SAME grid, where
 * the reference has no values below `lo` (`lo` is its minimum). Inside a cell both CDFs are taken as linear;
 * the tails beyond the grid are exact. The approximation error is at most one cell width times the mass the
 * two distributions share cell by cell, and is far smaller for smooth distributions. NaN when either side is
 * empty.
 */
export function wassersteinOnGrid(reference: GridCounts, current: GridCounts): number {
  const cells = reference.cells.length;
  if (current.cells.length !== cells || current.lo !== reference.lo || current.hi !== reference.hi)
    throw new RangeError('wassersteinOnGrid: the two sides are not on the same grid');
  let n = reference.under + reference.over;
  let m = current.under + current.over;
  for (let c = 0; c < cells; c++) {
    n += reference.cells[c] as number;
    m += current.cells[c] as number;
  }
  if (n === 0 || m === 0) return NaN;
  const { lo, hi } = reference;
  const w = cells > 0 ? (hi - lo) / cells : 0;
  // Below lo only the current side has mass: ∫ G = Σ (lo − v) / m. Above hi the reference CDF is 1 (it has at
  // most point mass at hi): ∫ (1 − G) = Σ (v − hi) / m.
  let area = (current.under * lo - current.underSum) / m + (current.overSum - current.over * hi) / m;
  // Reference mass below lo (only possible when the grid was not built on it) is treated as sitting at lo.
  let f = reference.under / n;
  let g = current.under / m;
  for (let c = 0; c < cells; c++) {
    const f1 = f + (reference.cells[c] as number) / n;
    const g1 = g + (current.cells[c] as number) / m;
    area += cellArea(w, f - g, f1 - g1);
    f = f1;
    g = g1;
  }
  return area;
}
