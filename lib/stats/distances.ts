import { chiSquareSf } from './gamma.js';

/** Distribution distances and tests used by drift monitoring. Inputs are counts or probabilities per bin. */

/** Probability substituted for an empty bin in {@link psi}. */
export const PSI_EPSILON = 1e-4;

function total(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return s;
}

/**
 * Population stability index of `current` against `reference`, both counts (or weights) over the same bins:
 * Σ (c_i − r_i) · ln(c_i / r_i) on proportions, where an empty bin's proportion becomes {@link PSI_EPSILON}
 * (no renormalisation). 0 when either side has no mass. Rule of thumb: < 0.1 stable, 0.1–0.2 moderate,
 * > 0.2 significant shift.
 */
export function psi(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  if (reference.length !== current.length)
    throw new RangeError(`psi: ${reference.length} reference bins but ${current.length} current bins`);
  const rt = total(reference);
  const ct = total(current);
  if (!(rt > 0) || !(ct > 0)) return 0;
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = (reference[i] as number) / rt || PSI_EPSILON;
    const c = (current[i] as number) / ct || PSI_EPSILON;
    sum += (c - r) * Math.log(c / r);
  }
  return sum;
}

/**
 * Jensen-Shannon distance (the square root of the JS divergence) between two distributions given as counts
 * or probabilities over the same bins; each is normalised first. Natural log by default (scipy's
 * `jensenshannon` convention): 0 for equal distributions, at most sqrt(ln 2); with `base` 2 at most 1.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>, base?: number): number {
  if (p.length !== q.length) throw new RangeError(`jensenShannonDistance: ${p.length} vs ${q.length} bins`);
  const pt = total(p);
  const qt = total(q);
  if (!(pt > 0) || !(qt > 0)) return NaN;
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const a = (p[i] as number) / pt;
    const b = (q[i] as number) / qt;
    const m = (a + b) / 2;
    if (a > 0) js += a * Math.log(a / m);
    if (b > 0) js += b * Math.log(b / m);
  }
  js /= 2;
  if (base !== undefined) js /= Math.log(base);
  return Math.sqrt(Math.max(0, js));
}

/**
 * Two-sample Kolmogorov-Smirnov statistic: the largest distance between the two empirical CDFs
 * (scipy `ks_2samp(a, b).statistic`). Both inputs must be sorted ascending without NaN
 * (see `sortedFinite`). NaN when a sample is empty.
 */
export function ksStatistic(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): number {
  const n = sortedA.length;
  const m = sortedB.length;
  if (n === 0 || m === 0) return NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const a = sortedA[i] as number;
    const b = sortedB[j] as number;
    const v = a <= b ? a : b;
    while (i < n && (sortedA[i] as number) <= v) i++;
    while (j < m && (sortedB[j] as number) <= v) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  return d;
}

/** Result of a chi-square test. */
export interface ChiSquareResult {
  statistic: number;
  dof: number;
  pValue: number;
}

/**
 * Chi-square test of homogeneity on the 2×k contingency table of reference vs current category counts
 * (scipy `chi2_contingency([ref, cur], correction=False)`). Categories empty on both sides are dropped;
 * with fewer than two categories left the result is statistic 0, dof 0, p-value 1.
 */
export function chiSquareHomogeneity(reference: ArrayLike<number>, current: ArrayLike<number>): ChiSquareResult {
  if (reference.length !== current.length)
    throw new RangeError(`chiSquareHomogeneity: ${reference.length} vs ${current.length} categories`);
  const rt = total(reference);
  const ct = total(current);
  const n = rt + ct;
  let k = 0;
  let stat = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = reference[i] as number;
    const c = current[i] as number;
    const col = r + c;
    if (col === 0) continue;
    k++;
    const er = (rt * col) / n;
    const ec = (ct * col) / n;
    if (er > 0) stat += (r - er) ** 2 / er;
    if (ec > 0) stat += (c - ec) ** 2 / ec;
  }
  if (k < 2 || rt === 0 || ct === 0) return { statistic: 0, dof: 0, pValue: 1 };
  const dof = k - 1;
  return { statistic: stat, dof, pValue: chiSquareSf(stat, dof) };
}

/**
 * Chi-square goodness-of-fit of `observed` counts against `expected` proportions or counts (rescaled to the
 * observed total; scipy `chisquare(observed, expected_scaled)`). Bins with zero expected mass are skipped
 * (their observations too).
 */
export function chiSquareGoodnessOfFit(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  if (observed.length !== expected.length)
    throw new RangeError(`chiSquareGoodnessOfFit: ${observed.length} vs ${expected.length} bins`);
  let ot = 0;
  let et = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i] as number;
    if (e > 0) {
      ot += observed[i] as number;
      et += e;
    }
  }
  let stat = 0;
  let k = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = ((expected[i] as number) / et) * ot;
    if (!(e > 0)) continue;
    k++;
    stat += ((observed[i] as number) - e) ** 2 / e;
  }
  if (k < 2) return { statistic: 0, dof: 0, pValue: 1 };
  return { statistic: stat, dof: k - 1, pValue: chiSquareSf(stat, k - 1) };
}
