/** Unseen categories in drift results, and the KS p-value of a reference bigger than its stored sample. */
import { describe, expect, it } from 'vitest';
import { profileTable } from '../data/profile.js';
import { readDataset } from '../data/read-dataset.js';
import { recordsToTable } from '../data/records.js';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { computeDrift, kolmogorovSf, ksStatistic, ksTwoSample } from './drift.js';
import { sortedFinite } from './summary.js';

const features: FeatureSpec[] = [
  { name: 'plan', type: 'categorical', constraints: { nullable: true, maxMissingRate: 0.3 } },
  { name: 'x', type: 'numeric', constraints: { nullable: true, maxMissingRate: 0.3 } },
];

/** Deterministic standard-normal-ish values (inverse CDF of evenly spaced quantiles, shuffled by a stride). */
function normals(n: number, shift: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const u = (((i * 7919) % n) + 0.5) / n;
    // Logistic approximation of the normal quantile: fine for a test distribution.
    out.push(Math.log(u / (1 - u)) / 1.702 + shift);
  }
  return out;
}

describe('unseen categories', () => {
  const reference = recordsToTable(
    Array.from({ length: 200 }, (_, i) => ({ plan: i % 2 ? 'basic' : 'standard', x: i })),
    features,
  );
  const profile = profileTable(reference, features);
  const plans: string[] = Array.from({ length: 100 }, (_, i) =>
    i < 85 ? (i % 2 ? 'basic' : 'standard') : i < 95 ? 'gold' : 'platinum',
  );
  plans[0] = '';

  it('reports their count, share and examples, from strings and from dictionary codes alike', () => {
    const fromRecords = recordsToTable(
      plans.map((plan, i) => ({ plan: plan === '' ? null : plan, x: i })),
      features,
    );
    const csv = `plan,x\n${plans.map((p, i) => `${p},${i}`).join('\n')}\n`;
    const fromCsv = readDataset(new TextEncoder().encode(csv), { format: 'csv', features }).table;
    expect(fromCsv.categoricalCodes?.['plan']).toBeDefined();
    for (const current of [fromRecords, fromCsv]) {
      const report = computeDrift(profile, current, { method: 'psi', driftShare: 0.5 });
      const plan = report.features.find((f) => f.name === 'plan');
      expect(plan?.unseen).toEqual({ count: 15, share: 15 / 99, examples: ['gold', 'platinum'] });
      expect(report.features.find((f) => f.name === 'x')?.unseen).toBeUndefined();
      expect(report.summary).toContain('; unseen categories: plan 15.2% of values ("gold", "platinum")');
      expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    }
  });

  it('says nothing when every value is known, and flags a pooled reference', () => {
    const same = recordsToTable(
      Array.from({ length: 50 }, (_, i) => ({ plan: i % 2 ? 'basic' : 'standard', x: i })),
      features,
    );
    const quiet = computeDrift(profile, same, { method: 'psi', driftShare: 0.5 });
    expect(quiet.features.find((f) => f.name === 'plan')?.unseen).toBeUndefined();
    expect(quiet.summary).not.toContain('unseen');
    const pooled = {
      ...profile,
      features: profile.features.map((f) => (f.type === 'categorical' ? { ...f, other: 3 } : f)),
    };
    const current = recordsToTable(
      [
        { plan: 'gold', x: 1 },
        { plan: 'basic', x: 2 },
      ],
      features,
    );
    const flagged = computeDrift(pooled, current, { method: 'psi', driftShare: 0.5 });
    expect(flagged.features.find((f) => f.name === 'plan')?.unseen).toEqual({
      count: 1,
      share: 0.5,
      examples: ['gold'],
      referencePooled: true,
    });
    expect(flagged.summary).toContain('plan 50.0% of values (not in the reference top categories: "gold")');
  });
});

describe('KS against a reference bigger than its stored sample', () => {
  it('takes D from the 1000-value sample and the p-value from the real reference size', () => {
    const reference = recordsToTable(
      normals(20_000, 0).map((x) => ({ plan: 'basic', x })),
      features,
    );
    const profile = profileTable(reference, features);
    const xProfile = profile.features.find((f) => f.name === 'x');
    expect(xProfile?.type === 'numeric' ? xProfile.sample?.length : 0).toBe(1000);
    const curValues = normals(3000, 0.08);
    const current = recordsToTable(
      curValues.map((x) => ({ plan: 'basic', x })),
      features,
    );
    const report = computeDrift(profile, current, { driftShare: 0.5, columns: { x: { method: 'ks' } } });
    const x = report.features.find((f) => f.name === 'x');
    const sample = xProfile?.type === 'numeric' ? (xProfile.sample ?? []) : [];
    const sorted = sortedFinite(Float64Array.from(curValues));
    const d = ksStatistic(sample, sorted);
    expect(x?.statistic).toBe(d);
    expect(x?.score).toBeCloseTo(kolmogorovSf(Math.round((20_000 * 3000) / 23_000), d), 12);
    // With n = 1000 the same shift would look much less significant.
    const asSample = ksTwoSample(sample, sorted).pValue;
    expect(x?.score).toBeLessThan(asSample / 2);
    expect(x?.drifted).toBe(true);
  });
});
