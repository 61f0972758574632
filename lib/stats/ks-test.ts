import { ksStatistic } from './distances.js';

/**
 * Two-sample Kolmogorov-Smirnov test, two-sided, as scipy's `ks_2samp(a, b)` (method "auto") computes it:
 * the exact null distribution when both samples have at most {@link KS_EXACT_MAX_N} values, otherwise the
 * asymptotic one (the one-sample Kolmogorov distribution of the effective size `round(n·m/(n+m))`).
 */

/** Largest sample size for which the exact p-value is computed (scipy's `MAX_AUTO_N`). */
export const KS_EXACT_MAX_N = 10_000;

/** Result of {@link ksTwoSample}. */
export interface KsResult {
  statistic: number;
  pValue: number;
  method: 'exact' | 'asymp';
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** P(D_{n,n} >= h/n) for equal sample sizes (scipy `_compute_prob_outside_square`). */
function probOutsideSquare(n: number, h: number): number {
  let p = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    p = p1 * (1 - p);
  }
  return 2 * p;
}

/**
 * Share of lattice paths from (0,0) to (m,n) staying strictly inside |x/m − y/n| < h/lcm(m,n)
 * (scipy's `_compute_prob_inside_method`, with its rescaling to keep the counts in range). O(m·n) time.
 */
function probInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const a = new Float64Array(Math.min(2 * maxj + 2, n + 1) + 2);
  const next = new Float64Array(a.length);
  a.fill(1, minj, maxj);
  let exponent = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 0;
    curlen = maxj - minj;
    // Cumulative sum of the previous column's window shifted to the new one.
    let s = 0;
    for (let k = 0; k < curlen; k++) {
      const src = minj - lastminj + k;
      s += src >= 0 && src < a.length ? (a[src] as number) : 0;
      next[k] = s;
    }
    a.fill(0);
    a.set(next.subarray(0, curlen));
    if (lastlen > curlen) a.fill(0, curlen, Math.min(a.length, curlen + (lastlen - curlen)));
    const right = a[curlen - 1] as number;
    if (right > 2 ** 700) {
      for (let k = 0; k < curlen; k++) a[k] = (a[k] as number) * 2 ** -700;
      exponent += 700;
    }
  }
  let value = a[maxj - minj - 1] as number;
  // Divide by binom(m + n, n), rescaling as we go.
  for (let i = 1; i <= n; i++) {
    value = (value * i) / (m + i);
    if (value !== 0 && value < 2 ** -128) {
      const e = Math.floor(Math.log2(value));
      value *= 2 ** -e;
      exponent += e;
    }
  }
  return ldexp(value, exponent);
}

/** value · 2^exponent without overflowing the intermediate power. */
function ldexp(value: number, exponent: number): number {
  let v = value;
  let e = exponent;
  while (e > 1000) {
    v *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    v *= 2 ** -1000;
    e += 1000;
  }
  return v * 2 ** e;
}

/** One-sided Smirnov survival P(D+_n >= x), exact (Birnbaum-Tingey series, summed in log space). */
export function smirnovSf(n: number, x: number): number {
  if (!(x > 0)) return 1;
  if (x >= 1) return 0;
  let sum = 0;
  let lnBinom = 0; // ln C(n, j), updated incrementally
  const last = Math.floor(n * (1 - x) + 1e-12);
  for (let j = 0; j <= last; j++) {
    if (j > 0) lnBinom += Math.log((n - j + 1) / j);
    const a = 1 - x - j / n;
    const b = x + j / n;
    if (a <= 0 && n - j > 0) continue;
    sum += Math.exp(lnBinom + (n - j > 0 ? (n - j) * Math.log(a) : 0) + (j - 1) * Math.log(b));
  }
  return Math.min(1, Math.max(0, x * sum));
}

/** Pelz-Good asymptotic survival of the two-sided one-sample KS statistic (scipy `_kolmogn_PelzGood`, sf). */
function pelzGoodSf(n: number, x: number): number {
  const PI2 = Math.PI ** 2;
  const PI4 = PI2 ** 2;
  const PI6 = PI2 ** 3;
  const SQRT2PI = Math.sqrt(2 * Math.PI);
  const z = Math.sqrt(n) * x;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z6 = z4 * z2;
  const qlog = -PI2 / 8 / z2;
  if (qlog < -708) return 1;
  let q = Math.exp(qlog);
  const k1a = -z2;
  const k1b = PI2 / 4;
  const k2a = 6 * z6 + 2 * z4;
  const k2b = ((2 * z4 - 5 * z2) * PI2) / 4;
  const k2c = (PI4 * (1 - 2 * z2)) / 16;
  const k3d = (PI6 * (5 - 30 * z2)) / 64;
  const k3c = (PI4 * (-60 * z2 + 212 * z4)) / 16;
  const k3b = (PI2 * (135 * z4 - 96 * z6)) / 4;
  const k3a = -30 * z6 - 90 * z ** 8;
  const k = [0, 0, 0, 0];
  const maxk = Math.ceil((16 * z) / Math.PI);
  for (let i = maxk; i > 0; i--) {
    const m = 2 * i - 1;
    const m2 = m * m;
    const qpower = q ** (8 * i);
    const coeffs = [1, k1a + k1b * m2, k2a + k2b * m2 + k2c * m2 * m2, k3a + k3b * m2 + k3c * m2 * m2 + k3d * m2 ** 3];
    for (let t = 0; t < 4; t++) k[t] = (k[t] as number) * qpower + (coeffs[t] as number);
  }
  const div = [z, 6 * z4, 72 * z ** 7, 6480 * z ** 10];
  for (let t = 0; t < 4; t++) k[t] = ((k[t] as number) * q * SQRT2PI) / (div[t] as number);
  q = Math.exp(-PI2 / 2 / z2);
  let k2extra = 0;
  let k3extra = 0;
  const sqrt3z = Math.sqrt(3) * z;
  for (let i = maxk; i > 0; i--) {
    const qp = q ** (i * i);
    k2extra += i * i * qp;
    k3extra += (sqrt3z + Math.PI * i) * (sqrt3z - Math.PI * i) * i * i * qp;
  }
  k[2] = (k[2] as number) + (k2extra * PI2 * SQRT2PI) / (-36 * z ** 3);
  k[3] = (k[3] as number) + (k3extra * PI2 * SQRT2PI) / (216 * z6);
  let cdf = 0;
  for (let t = 0; t < 4; t++) cdf += (k[t] as number) / n ** (t / 2);
  return Math.min(1, Math.max(0, 1 - cdf));
}

/**
 * Survival P(D_n >= x) of the two-sided one-sample KS statistic (scipy `kstwo.sf`), following scipy's case
 * split; Pelz-Good stands in for the Durbin-matrix and Pomeranz algorithms scipy uses when n·x² is small
 * (absolute difference below 1e-4 for n >= 100).
 */
export function kolmogorovSf(n: number, x: number): number {
  if (x >= 1) return 0;
  if (x <= 0) return 1;
  const t = n * x;
  if (t <= 1) {
    if (t <= 0.5) return 1;
    let lnP = 0;
    for (let i = 1; i <= n; i++) lnP += Math.log(i / n);
    return 1 - Math.exp(lnP + n * Math.log(2 * t - 1));
  }
  if (t >= n - 1) return 2 * (1 - x) ** n;
  if (x >= 0.5) return Math.min(1, 2 * smirnovSf(n, x));
  const nx2 = t * x;
  if (nx2 >= 370) return 0;
  if (nx2 >= 2.2) return Math.min(1, 2 * smirnovSf(n, x));
  return pelzGoodSf(n, x);
}

/**
 * Two-sample KS test of two ascending, NaN-free samples (see `sortedFinite`). NaN statistic and p-value when
 * a sample is empty.
 */
export function ksTwoSample(sortedA: ArrayLike<number>, sortedB: ArrayLike<number>): KsResult {
  const n1 = sortedA.length;
  const n2 = sortedB.length;
  const d = ksStatistic(sortedA, sortedB);
  if (n1 === 0 || n2 === 0) return { statistic: NaN, pValue: NaN, method: 'exact' };
  if (Math.max(n1, n2) <= KS_EXACT_MAX_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = Math.round(d * lcm);
    const dq = h / lcm;
    if (h === 0) return { statistic: dq, pValue: 1, method: 'exact' };
    const p = n1 === n2 ? probOutsideSquare(n1, h) : 1 - probInside(n1, n2, g, h);
    if (p >= 0 && p <= 1) return { statistic: dq, pValue: p, method: 'exact' };
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = Math.round((m * n) / (m + n));
  return { statistic: d, pValue: kolmogorovSf(en, d), method: 'asymp' };
}
