import { binIndex } from './summary.js';
import type { GridCounts } from './wasserstein.js';

/**
 * One pass over a numeric column that produces everything drift needs from it: counts on a fine uniform grid
 * (for the Wasserstein distance), counts on the coarse histogram edges (for PSI), and the missing count.
 * The grid cell of a value is one subtraction, one multiplication and one truncation; the coarse bin comes from
 * a per-cell lookup table, with a comparison against the edges only for values in the few cells an edge falls in
 * (or next to). Reference profiles are built with the same function, so both sides bin identically.
 */

/** Cells of the fine grid of a numeric reference profile. */
export const GRID_CELLS = 1024;

/** Precomputed lookup for {@link binNumeric}. Build once per reference profile with {@link numericBinPlan}. */
export interface NumericBinPlan {
  lo: number;
  hi: number;
  cells: number;
  /** cells / (hi − lo); NaN when the grid is empty. */
  scale: number;
  /** Inner histogram cut points, ascending. */
  edges: Float64Array;
  /** Coarse bin of every value in the cell, or -1 when an edge is in or next to the cell (compare per value). */
  cellBin: Int32Array;
}

/** What {@link binNumeric} counted. */
export interface NumericBinCounts {
  grid: GridCounts & { cells: Float64Array };
  /** Counts per coarse bin (`edges.length + 1`), missing values excluded. */
  bins: Float64Array;
  missing: number;
}

/**
 * Plan for a grid of `cells` cells over [lo, hi) and the coarse `edges`. `hi <= lo` (a constant reference) or
 * non-finite bounds give an empty grid: every value is then below `lo` or at/above `hi`.
 */
export function numericBinPlan(lo: number, hi: number, cells: number, edges: readonly number[]): NumericBinPlan {
  const usable = Number.isFinite(lo) && Number.isFinite(hi) && hi > lo && cells > 0;
  const n = usable ? cells : 0;
  const scale = usable ? n / (hi - lo) : NaN;
  const cellBin = new Int32Array(n);
  const edgeArray = Float64Array.from(edges);
  for (let c = 0; c < n; c++) cellBin[c] = binIndex(edgeArray, lo + (c + 0.5) / scale);
  for (const e of edgeArray) {
    const c = Math.floor((e - lo) * scale);
    for (let k = c - 1; k <= c + 1; k++) if (k >= 0 && k < n) cellBin[k] = -1;
  }
  return { lo, hi, cells: n, scale, edges: edgeArray, cellBin };
}

/**
 * The values that fall off the grid: missing ones, and those below `lo` or at/above `hi` with their sums (so the
 * distance's tails are exact). Rare in both passes, so kept out of their inner loops.
 */
class OffGrid {
  missing = 0;
  under = 0;
  underSum = 0;
  over = 0;
  overSum = 0;

  constructor(private readonly lo: number) {}

  add(v: number): void {
    if (v !== v) this.missing++;
    else if (v < this.lo) {
      this.under++;
      this.underSum += v;
    } else {
      this.over++;
      this.overSum += v;
    }
  }

  counts(lo: number, hi: number, cells: Float64Array, bins: Float64Array): NumericBinCounts {
    const { under, underSum, over, overSum, missing } = this;
    return { grid: { lo, hi, cells, under, underSum, over, overSum }, bins, missing };
  }
}

/**
 * Counts `values` (NaN = missing) on the plan's grid only (no coarse bins: `bins` is empty): the hot path of the
 * Wasserstein distance, one increment per value.
 */
export function gridNumeric(values: Float64Array, plan: NumericBinPlan): NumericBinCounts {
  const { lo, hi, cells, scale } = plan;
  // Four interleaved counters per cell (lane = i mod 4, at cell * 4 + lane): consecutive values in the same cell
  // do not wait on each other's increment, and the four lanes of a cell share a cache line.
  const lanes = new Uint32Array(cells * 4);
  const off = new OffGrid(lo);
  const n = values.length;
  const quads = n - (n % 4);
  for (let i = 0; i < quads; i += 4) {
    const t0 = ((values[i] as number) - lo) * scale;
    const t1 = ((values[i + 1] as number) - lo) * scale;
    const t2 = ((values[i + 2] as number) - lo) * scale;
    const t3 = ((values[i + 3] as number) - lo) * scale;
    if (t0 >= 0 && t0 < cells) {
      const k = (t0 | 0) << 2;
      lanes[k] = (lanes[k] as number) + 1;
    } else off.add(values[i] as number);
    if (t1 >= 0 && t1 < cells) {
      const k = ((t1 | 0) << 2) + 1;
      lanes[k] = (lanes[k] as number) + 1;
    } else off.add(values[i + 1] as number);
    if (t2 >= 0 && t2 < cells) {
      const k = ((t2 | 0) << 2) + 2;
      lanes[k] = (lanes[k] as number) + 1;
    } else off.add(values[i + 2] as number);
    if (t3 >= 0 && t3 < cells) {
      const k = ((t3 | 0) << 2) + 3;
      lanes[k] = (lanes[k] as number) + 1;
    } else off.add(values[i + 3] as number);
  }
  for (let i = quads; i < n; i++) {
    const v = values[i] as number;
    const t = (v - lo) * scale;
    if (t >= 0 && t < cells) {
      const k = (t | 0) << 2;
      lanes[k] = (lanes[k] as number) + 1;
    } else off.add(v);
  }
  const fine = new Float64Array(cells);
  for (let c = 0; c < cells; c++) {
    const k = c << 2;
    fine[c] = (lanes[k] as number) + (lanes[k + 1] as number) + (lanes[k + 2] as number) + (lanes[k + 3] as number);
  }
  return off.counts(lo, hi, fine, new Float64Array(0));
}

/** Counts `values` (NaN = missing) on a plan: grid and coarse bins. See the module comment. */
export function binNumeric(values: Float64Array, plan: NumericBinPlan): NumericBinCounts {
  const { lo, hi, cells, scale, edges, cellBin } = plan;
  const fine = new Float64Array(cells);
  const bins = new Float64Array(edges.length + 1);
  const off = new OffGrid(lo);
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    const t = (v - lo) * scale;
    if (t >= 0 && t < cells) {
      const c = t | 0;
      fine[c] = (fine[c] as number) + 1;
      const b = cellBin[c] as number;
      const k = b >= 0 ? b : binIndex(edges, v);
      bins[k] = (bins[k] as number) + 1;
    } else {
      off.add(v);
      if (v === v) {
        const k = binIndex(edges, v);
        bins[k] = (bins[k] as number) + 1;
      }
    }
  }
  return off.counts(lo, hi, fine, bins);
}
