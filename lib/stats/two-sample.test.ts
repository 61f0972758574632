import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kolmogorovSf, ksTwoSample } from './ks-test.js';
import { binNumeric, gridNumeric, numericBinPlan } from './numeric-binning.js';
import { wassersteinDistance, wassersteinOnGrid } from './wasserstein.js';

interface Fixtures {
  twoSample: Array<{
    name: string;
    a: number[];
    b: number[];
    ks: { statistic: number; pValue: number };
    wasserstein: number;
    wassersteinNorm: number;
  }>;
  ksAsymp: Array<{ n1: number; n2: number; statistic: number; pValue: number }>;
  kstwoSf: Array<{ n: number; x: number; sf: number }>;
}

const fixtures = JSON.parse(
  readFileSync(new URL('../../test/fixtures/data/drift_fixtures.json', import.meta.url), 'utf8'),
) as Fixtures;

describe('two-sample KS test (scipy ks_2samp)', () => {
  for (const c of fixtures.twoSample) {
    it(`matches scipy exactly on "${c.name}" (${c.a.length} vs ${c.b.length})`, () => {
      const r = ksTwoSample(c.a, c.b);
      expect(r.method).toBe('exact');
      expect(r.statistic).toBeCloseTo(c.ks.statistic, 12);
      expect(Math.abs(r.pValue - c.ks.pValue)).toBeLessThan(1e-9 + 1e-7 * c.ks.pValue);
    });
  }

  it('uses the asymptotic distribution above 10000 values, like scipy', () => {
    for (const c of fixtures.ksAsymp) {
      const en = Math.round((Math.max(c.n1, c.n2) * Math.min(c.n1, c.n2)) / (c.n1 + c.n2));
      expect(Math.abs(kolmogorovSf(en, c.statistic) - c.pValue), `${c.n1}x${c.n2}`).toBeLessThan(1e-4);
    }
    const big = Float64Array.from({ length: 10_001 }, (_, i) => i / 10_001);
    expect(ksTwoSample(big, Float64Array.from([0.2, 0.4, 0.6])).method).toBe('asymp');
  });

  it('matches kstwo.sf', () => {
    for (const c of fixtures.kstwoSf) {
      const got = kolmogorovSf(c.n, c.x);
      expect(Math.abs(got - c.sf), `n=${c.n} x=${c.x}`).toBeLessThan(1e-4 * Math.max(c.sf, 1e-3));
    }
  });

  it('is NaN on an empty sample and 1 for identical samples', () => {
    expect(ksTwoSample([], [1, 2]).pValue).toBeNaN();
    expect(ksTwoSample([1, 2, 3], [1, 2, 3]).pValue).toBe(1);
  });
});

describe('Wasserstein distance', () => {
  for (const c of fixtures.twoSample) {
    it(`matches scipy wasserstein_distance on "${c.name}"`, () => {
      expect(wassersteinDistance(c.a, c.b)).toBeCloseTo(c.wasserstein, 10);
    });
  }

  it('on the reference grid stays within 1% of the exact distance (normalised by the reference std)', () => {
    for (const c of fixtures.twoSample) {
      const a = Float64Array.from(c.a);
      const lo = c.a[0] as number;
      const hi = c.a[c.a.length - 1] as number;
      const plan = numericBinPlan(lo, hi, 1024, []);
      const ref = binNumeric(a, plan).grid;
      const cur = binNumeric(Float64Array.from(c.b), plan).grid;
      const mean = c.a.reduce((s, v) => s + v, 0) / c.a.length;
      const std = Math.sqrt(c.a.reduce((s, v) => s + (v - mean) ** 2, 0) / c.a.length);
      const approx = wassersteinOnGrid(ref, cur) / Math.max(std, 0.001);
      expect(Math.abs(approx - c.wassersteinNorm), c.name).toBeLessThan(0.01 * c.wassersteinNorm + 1e-3);
    }
  });

  it('is exact beyond the reference range (within a cell inside it) and for a constant reference', () => {
    const plan = numericBinPlan(0, 10, 100, []);
    const ref = binNumeric(Float64Array.from([0, 10]), plan).grid;
    const cur = binNumeric(Float64Array.from([-5, 20]), plan).grid;
    // The reference's value 0 is spread over its cell [0, 0.1): off by at most half a cell times its mass.
    expect(Math.abs(wassersteinOnGrid(ref, cur) - wassersteinDistance([0, 10], [-5, 20]))).toBeLessThan(0.025 + 1e-12);
    const flat = numericBinPlan(3, 3, 100, []);
    const constant = binNumeric(Float64Array.from([3, 3, 3]), flat).grid;
    const shifted = binNumeric(Float64Array.from([1, 5, 3, NaN]), flat).grid;
    expect(wassersteinOnGrid(constant, shifted)).toBeCloseTo(wassersteinDistance([3, 3, 3], [1, 3, 5]), 12);
  });
});

describe('binNumeric', () => {
  it('bins on the edges exactly like searchsorted(side=right), values on an edge included', () => {
    const edges = [1, 2, 2.5, 7];
    const plan = numericBinPlan(0, 10, 16, edges);
    const values = Float64Array.from([-1, 0, 0.999, 1, 1.5, 2, 2.4999, 2.5, 6.99, 7, 9.99, 10, 12, NaN]);
    const counts = binNumeric(values, plan);
    expect([...counts.bins]).toEqual([3, 2, 2, 2, 4]);
    expect(counts.missing).toBe(1);
    expect(counts.grid.under).toBe(1);
    expect(counts.grid.over).toBe(2);
    expect(counts.grid.overSum).toBe(22);
    const total = [...counts.grid.cells].reduce((s, v) => s + v, 0);
    expect(total + counts.grid.under + counts.grid.over + counts.missing).toBe(values.length);
  });

  it('gridNumeric (the Wasserstein hot path) counts exactly like binNumeric, odd lengths included', () => {
    const plan = numericBinPlan(0, 10, 64, [2, 5]);
    for (const length of [0, 1, 2, 7, 1001]) {
      const values = Float64Array.from({ length }, (_, i) => (i % 13 === 0 ? NaN : ((i * 7.31) % 14) - 2));
      const full = binNumeric(values, plan);
      const grid = gridNumeric(values, plan);
      expect(grid.grid).toEqual(full.grid);
      expect(grid.missing).toBe(full.missing);
    }
  });
});
