import { describe, expect, it } from 'vitest';
import { generateTraffic } from './generate-churn.js';
import { profileTable } from './profile.js';
import { recordsToTable } from './records.js';
import { readDataset } from './read-dataset.js';
import { computeDrift } from '../stats/drift.js';
import type { FeatureSpec } from '../spec/pipeline-spec.js';

const features: FeatureSpec[] = [
  { name: 'plan', type: 'categorical', constraints: { nullable: true, maxMissingRate: 0.3 } },
  { name: 'n', type: 'numeric', constraints: { nullable: true, maxMissingRate: 0.3 } },
];

describe('dictionary codes of categorical columns', () => {
  it('encode every row consistently with the string column, -1 for missing', () => {
    const csv = 'plan,n\nbasic,1\n premium ,2\n,3\nNA,4\nbasic,5\n';
    const { table } = readDataset(new TextEncoder().encode(csv), { format: 'csv', features, source: 't.csv' });
    const codes = table.categoricalCodes?.plan;
    expect(table.categorical.plan).toEqual(['basic', 'premium', null, null, 'basic']);
    expect(codes?.dictionary).toEqual(['basic', 'premium']);
    expect([...(codes?.codes ?? [])]).toEqual([0, 1, -1, -1, 0]);
  });

  it('give computeDrift the same answer as the string path', async () => {
    const { loadSpecFile } = await import('../spec/load-spec.js');
    const spec = await loadSpecFile(new URL('../../examples/churn/pipeline.yaml', import.meta.url).pathname);
    const profile = profileTable(
      recordsToTable(generateTraffic({ rows: 5000, seed: 1 }).records, spec.features),
      spec.features,
    );
    const current = recordsToTable(generateTraffic({ rows: 3003, seed: 5, drift: 0.5 }).records, spec.features);
    expect(Object.keys(current.categoricalCodes ?? {})).toEqual(['plan', 'region', 'contract']);
    const fast = computeDrift(profile, current, { driftShare: 0.5 });
    const { categoricalCodes: _codes, ...plain } = current;
    const slow = computeDrift(profile, plain, { driftShare: 0.5 });
    expect(fast).toEqual(slow);
  });

  it('refuse codes outside the dictionary instead of dropping them from the counts', () => {
    const csv = 'plan,n\nbasic,1\npremium,2\nbasic,3\n';
    const { table } = readDataset(new TextEncoder().encode(csv), { format: 'csv', features, source: 't.csv' });
    const profile = profileTable(table, features);
    const codes = table.categoricalCodes?.plan;
    if (codes === undefined) throw new Error('no codes');
    const broken = { ...table, categoricalCodes: { plan: { ...codes, codes: Int32Array.from([0, 2, 1]) } } };
    expect(() => computeDrift(profile, broken, { driftShare: 0.5 })).toThrow(/1 categorical code\(s\) outside/);
  });
});
