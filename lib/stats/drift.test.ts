import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateTraffic } from '../data/generate-churn.js';
import { binOnEdges, numericReferenceCounts, profileNumeric, profileTable } from '../data/profile.js';
import { recordsToTable } from '../data/records.js';
import { loadSpecFile } from '../spec/load-spec.js';
import { sortedFinite } from './summary.js';
import {
  chiSquareCdf,
  chiSquareGoodnessOfFit,
  chiSquareHomogeneity,
  chiSquareSf,
  computeDrift,
  jensenShannonDistance,
  ksStatistic,
  psi,
  regularizedGammaP,
  regularizedGammaQ,
} from './drift.js';

interface Fixtures {
  numeric: Array<{
    name: string;
    ref: Array<number | null>;
    cur: Array<number | null>;
    curCounts: number[];
    psi: number;
    ks: number;
  }>;
  categorical: Array<{
    ref: number[];
    cur: number[];
    psi: number;
    js: number;
    js2: number;
    chi2: { statistic: number; pValue: number; dof: number };
    gof: { statistic: number; pValue: number; dof: number };
  }>;
  chi2Sf: Array<{ x: number; dof: number; sf: number; cdf: number }>;
  gamma: Array<{ a: number; x: number; p: number; q: number }>;
}
const fx = JSON.parse(
  readFileSync(new URL('../../test/fixtures/data/drift_fixtures.json', import.meta.url), 'utf8'),
) as Fixtures;
const TOL = 1e-6;
const column = (values: Array<number | null>): Float64Array => Float64Array.from(values, (v) => v ?? NaN);
/** |actual - expected| within 1e-6, and within 1e-6 relative for tiny tails. */
const close = (actual: number, expected: number, what: string): void => {
  expect(Math.abs(actual - expected), `${what}: ${actual} vs ${expected}`).toBeLessThanOrEqual(
    TOL * Math.max(1, Math.abs(expected)),
  );
  if (expected !== 0 && Math.abs(expected) < 1e-3)
    expect(Math.abs(actual / expected - 1), `${what} relative`).toBeLessThan(1e-6);
};

describe('statistics vs scipy/numpy fixtures', () => {
  for (const c of fx.numeric) {
    it(`numeric PSI and KS: ${c.name}`, () => {
      const profile = profileNumeric(c.name, column(c.ref));
      const cur = binOnEdges(column(c.cur), profile.histogram.edges);
      expect([...cur]).toEqual(c.curCounts);
      close(psi(numericReferenceCounts(profile), cur), c.psi, 'psi');
      close(ksStatistic(sortedFinite(column(c.ref)), sortedFinite(column(c.cur))), c.ks, 'ks');
    });
  }

  fx.categorical.forEach((c, i) => {
    it(`categorical PSI, JS distance, chi-square: case ${i}`, () => {
      close(psi(c.ref, c.cur), c.psi, 'psi');
      close(jensenShannonDistance(c.ref, c.cur), c.js, 'js');
      close(jensenShannonDistance(c.ref, c.cur, 2), c.js2, 'js base 2');
      const chi = chiSquareHomogeneity(c.ref, c.cur);
      expect(chi.dof).toBe(c.chi2.dof);
      close(chi.statistic, c.chi2.statistic, 'chi2 statistic');
      close(chi.pValue, c.chi2.pValue, 'chi2 p');
      const gof = chiSquareGoodnessOfFit(c.cur, c.ref);
      expect(gof.dof).toBe(c.gof.dof);
      close(gof.statistic, c.gof.statistic, 'gof statistic');
      close(gof.pValue, c.gof.pValue, 'gof p');
    });
  });

  it('chi-square CDF and survival function', () => {
    for (const c of fx.chi2Sf) {
      close(chiSquareSf(c.x, c.dof), c.sf, `sf(${c.x}, ${c.dof})`);
      close(chiSquareCdf(c.x, c.dof), c.cdf, `cdf(${c.x}, ${c.dof})`);
    }
  });

  it('regularized incomplete gamma', () => {
    for (const c of fx.gamma) {
      close(regularizedGammaP(c.a, c.x), c.p, `P(${c.a}, ${c.x})`);
      close(regularizedGammaQ(c.a, c.x), c.q, `Q(${c.a}, ${c.x})`);
    }
  });

  it('edge cases', () => {
    expect(psi([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(psi([1, 2], [0, 0])).toBe(0);
    expect(() => psi([1], [1, 2])).toThrow(RangeError);
    expect(ksStatistic([], [1])).toBeNaN();
    expect(ksStatistic([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(ksStatistic([1, 2], [3, 4])).toBe(1);
    expect(jensenShannonDistance([1, 0], [0, 1], 2)).toBeCloseTo(1, 12);
    expect(chiSquareHomogeneity([5, 0], [7, 0])).toEqual({ statistic: 0, dof: 0, pValue: 1 });
    expect(chiSquareSf(0, 3)).toBe(1);
  });
});

describe('computeDrift on churn traffic (PSI)', async () => {
  const spec = await loadSpecFile(new URL('../../examples/churn/pipeline.yaml', import.meta.url).pathname);
  const options = { method: 'psi' as const, threshold: 0.2, driftShare: spec.monitoring.driftShare };
  const reference = generateTraffic({ rows: 20_000, seed: 1 });
  const profile = profileTable(recordsToTable(reference.records, spec.features), spec.features);

  it('does not drift on a second sample of the same distribution', () => {
    const current = recordsToTable(generateTraffic({ rows: 2000, seed: 2 }).records, spec.features);
    const report = computeDrift(profile, current, options);
    expect(report.features.map((f) => f.name)).toEqual(spec.features.map((f) => f.name));
    for (const f of report.features) expect(f.score, f.name).toBeLessThan(0.1);
    expect(report).toMatchObject({ rows: 2000, driftedCount: 0, share: 0, datasetDrift: false });
    expect(report.summary).toBe('no drift: 0/7 features over 2000 rows');
    expect(report.features.every((f) => f.method === 'psi' && f.score === f.psi && f.threshold === 0.2)).toBe(true);
    const usage = report.features.find((f) => f.name === 'data_usage_gb');
    expect(usage?.refMissingRate).toBeCloseTo(0.08, 1);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('drifts on the drifted variant: shifted features score high, region stays put', () => {
    const current = recordsToTable(generateTraffic({ rows: 2000, seed: 3, drift: 1 }).records, spec.features);
    const report = computeDrift(profile, current, options);
    const score = (name: string): number => report.features.find((f) => f.name === name)?.score ?? NaN;
    for (const name of ['tenure_months', 'monthly_charges', 'plan']) expect(score(name), name).toBeGreaterThan(0.2);
    expect(score('region')).toBeLessThan(0.1);
    expect(report.datasetDrift).toBe(true);
    expect(report.share).toBeGreaterThanOrEqual(spec.monitoring.driftShare);
    expect(report.summary).toMatch(/^drift: \d\/7 features \(\w+ psi \d\.\d\d/);
  });

  it('treats a feature that goes missing as drifted, and an empty window as no drift', () => {
    const records = generateTraffic({ rows: 500, seed: 4 }).records.map((r) => ({ ...r, monthly_charges: null }));
    const report = computeDrift(profile, recordsToTable(records, spec.features), options);
    expect(report.features.find((f) => f.name === 'monthly_charges')).toMatchObject({
      drifted: true,
      curMissingRate: 1,
    });
    const empty = computeDrift(profile, recordsToTable([], spec.features), options);
    expect(empty).toMatchObject({ rows: 0, driftedCount: 0, datasetDrift: false });
  });
});
