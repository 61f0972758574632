import { describe, expect, it } from 'vitest';
import { generateTraffic } from '../data/generate-churn.js';
import { profileTable, type DatasetProfile } from '../data/profile.js';
import { recordsToTable } from '../data/records.js';
import { loadSpecFile } from '../spec/load-spec.js';
import { computeDrift } from './drift.js';
import { autoMethod } from './drift-methods.js';

describe('computeDrift with Evidently-style defaults (auto)', async () => {
  const spec = await loadSpecFile(new URL('../../examples/churn/pipeline.yaml', import.meta.url).pathname);
  const table = (rows: number, seed: number, drift = 0) =>
    recordsToTable(generateTraffic({ rows, seed, drift }).records, spec.features);
  const large = profileTable(table(20_000, 1), spec.features);
  const small = profileTable(table(800, 1), spec.features);
  const methods = (p: DatasetProfile) => Object.fromEntries(p.features.map((f) => [f.name, autoMethod(f)]));

  it('picks Wasserstein / Jensen-Shannon above 1000 reference rows and KS / chi-square up to it', () => {
    expect(methods(large)).toEqual({
      tenure_months: 'wasserstein',
      monthly_charges: 'wasserstein',
      support_calls: 'wasserstein',
      data_usage_gb: 'wasserstein',
      plan: 'jensenshannon',
      region: 'jensenshannon',
      contract: 'jensenshannon',
    });
    expect(methods(small)).toMatchObject({ tenure_months: 'ks', plan: 'chisquare' });
  });

  it('tests numeric columns with at most 5 distinct values like categories', () => {
    const features = [{ name: 'n', type: 'numeric' as const, constraints: { nullable: true, maxMissingRate: 0.3 } }];
    const few = Float64Array.from({ length: 3000 }, (_, i) => i % 3);
    const profile = profileTable({ rowCount: few.length, numeric: { n: few }, categorical: {}, label: null }, features);
    expect(autoMethod(profile.features[0]!)).toBe('jensenshannon');
    const shifted = Float64Array.from({ length: 1000 }, (_, i) => (i % 4 === 0 ? 7 : i % 2));
    const report = computeDrift(
      profile,
      { rowCount: shifted.length, numeric: { n: shifted }, categorical: {}, label: null },
      { driftShare: 0.5 },
    );
    expect(report.features[0]).toMatchObject({ method: 'jensenshannon', drifted: true });
  });

  for (const [name, profile] of [
    ['large', large],
    ['small', small],
  ] as const) {
    it(`stays quiet on a fresh sample and catches the drifted variant (${name} reference)`, () => {
      const stable = computeDrift(profile, table(3000, 2), { driftShare: 0.5 });
      // Tests at p < 0.05 flag ~5% of stable columns by design (as in Evidently); distances flag none here.
      expect(stable.datasetDrift, stable.summary).toBe(false);
      if (name === 'large') expect(stable.driftedCount, stable.summary).toBe(0);
      const drifted = computeDrift(profile, table(3000, 3, 1), { driftShare: 0.5 });
      expect(drifted.datasetDrift, drifted.summary).toBe(true);
      const byName = Object.fromEntries(drifted.features.map((f) => [f.name, f]));
      for (const f of ['tenure_months', 'monthly_charges', 'plan']) expect(byName[f]?.drifted, f).toBe(true);
      expect(byName.region?.drifted).toBe(false);
      expect(drifted.summary).toMatch(/^drift: \d\/7 features \(\w+ (wasserstein|jensenshannon|ks|chisquare)/);
      expect(JSON.parse(JSON.stringify(drifted))).toEqual(drifted);
    });
  }

  it('applies per-column method and threshold overrides', () => {
    const report = computeDrift(large, table(3000, 3, 1), {
      driftShare: 0.5,
      columns: {
        tenure_months: { method: 'psi', threshold: 50 },
        plan: { threshold: 0.99 },
        region: { method: 'psi' },
      },
    });
    const byName = Object.fromEntries(report.features.map((f) => [f.name, f]));
    expect(byName.tenure_months).toMatchObject({ method: 'psi', threshold: 50, drifted: false });
    expect(byName.plan).toMatchObject({ method: 'jensenshannon', threshold: 0.99, drifted: false });
    expect(byName.region).toMatchObject({ method: 'psi', threshold: 0.2 });
    expect(byName.monthly_charges).toMatchObject({ method: 'wasserstein', threshold: 0.1, drifted: true });
  });

  it('an explicit global method takes its threshold; KS gives a p-value and its statistic', () => {
    const report = computeDrift(large, table(3000, 3, 1), { method: 'ks', threshold: 0.001, driftShare: 0.5 });
    const tenure = report.features.find((f) => f.name === 'tenure_months');
    expect(tenure).toMatchObject({ method: 'ks', threshold: 0.001, drifted: true });
    expect(tenure?.score).toBeLessThan(0.001);
    expect(tenure?.statistic).toBeGreaterThan(0.05);
    // KS cannot score a categorical column: it falls back to auto's choice.
    expect(report.features.find((f) => f.name === 'plan')?.method).toBe('jensenshannon');
  });

  it('flags a column that goes missing, whatever the method', () => {
    const records = generateTraffic({ rows: 500, seed: 4 }).records.map((r) => ({ ...r, monthly_charges: null }));
    const report = computeDrift(large, recordsToTable(records, spec.features), { driftShare: 0.5 });
    expect(report.features.find((f) => f.name === 'monthly_charges')).toMatchObject({
      method: 'wasserstein',
      drifted: true,
      missingJump: true,
      curMissingRate: 1,
    });
    expect(report.summary).toContain('monthly_charges missing 0%->100%');
  });

  it('falls back to PSI for profiles written before grids and samples existed', () => {
    const old: DatasetProfile = {
      ...large,
      features: large.features.map((f) => {
        if (f.type !== 'numeric') return f;
        const { grid: _g, sample: _s, distinct: _d, values: _v, ...rest } = f;
        return rest;
      }),
    };
    const report = computeDrift(old, table(3000, 3, 1), { driftShare: 0.5 });
    expect(report.features.find((f) => f.name === 'tenure_months')?.method).toBe('psi');
    expect(report.features.find((f) => f.name === 'plan')?.method).toBe('jensenshannon');
  });
});
