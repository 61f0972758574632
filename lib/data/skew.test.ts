import { describe, expect, it } from 'vitest';
import { generateChurn, toCsv } from './generate-churn.js';
import { profileTable } from './profile.js';
import { readDataset } from './read-dataset.js';
import { skewIssues } from './skew.js';
import { validateDataset } from './validate.js';
import { parseSpec } from '../spec/load-spec.js';
import { readFileSync } from 'node:fs';

const spec = parseSpec(readFileSync('examples/churn/pipeline.yaml', 'utf8'));
const table = (seed: number, drift: number) =>
  readDataset(new TextEncoder().encode(toCsv(generateChurn({ rows: 4000, seed, drift }))), {
    format: 'csv',
    features: spec.features,
    labelName: spec.label.name,
  }).table;

describe('value skew against the champion profile', () => {
  const reference = profileTable(table(1, 0), spec.features, spec.label.name);

  it('finds no skew in a new sample of the same population', () => {
    expect(skewIssues(reference, table(2, 0), { threshold: 0.25, severity: 'warning', referenceVersion: 3 })).toEqual(
      [],
    );
  });

  it('names each skewed column with its PSI, at the configured severity', () => {
    const issues = skewIssues(reference, table(2, 1), { threshold: 0.25, severity: 'error', referenceVersion: 3 });
    const columns = issues.map((i) => i.column);
    expect(columns).toEqual(expect.arrayContaining(['tenure_months', 'monthly_charges']));
    expect(issues.every((i) => i.severity === 'error' && i.code === 'value_skew')).toBe(true);
    expect(issues[0]?.message).toMatch(/skewed against the training data of champion v3: PSI \d+\.\d{3} > 0\.25/);
  });

  it('makes the gate warn or fail through validateDataset', () => {
    const drifted = table(2, 1);
    const warn = skewIssues(reference, drifted, { threshold: 0.25, severity: 'warning', referenceVersion: 1 });
    const warned = validateDataset(drifted, spec, { issues: warn });
    expect(warned.passed).toBe(true);
    expect(warned.anomalies.some((a) => a.code === 'value_skew' && a.severity === 'warning')).toBe(true);
    const fail = skewIssues(reference, drifted, { threshold: 0.25, severity: 'error', referenceVersion: 1 });
    expect(validateDataset(drifted, spec, { issues: fail }).passed).toBe(false);
  });
});
