import { describe, expect, it } from 'vitest';
import type { FeatureSpec, PipelineSpec } from '../spec/pipeline-spec.js';
import { generateChurn, toCsv } from './generate-churn.js';
import { readDataset } from './read-dataset.js';
import type { FeatureTable } from './table.js';
import { topProblems, validateDataset, type ValidationReport } from './validate.js';

const features: FeatureSpec[] = [
  { name: 'age', type: 'numeric', constraints: { min: 0, max: 120, nullable: true, maxMissingRate: 0.2 } },
  { name: 'score', type: 'numeric', constraints: { nullable: false, maxMissingRate: 0.3 } },
  {
    name: 'city',
    type: 'categorical',
    constraints: { values: ['paris', 'rome'], nullable: true, maxMissingRate: 0.3 },
  },
];
const spec: Pick<PipelineSpec, 'features' | 'label'> = {
  features,
  label: { name: 'y', task: 'binary', positive: '1' },
};

/** 100 clean rows, then the caller's tweaks. */
function table(
  mutate: (t: { age: Float64Array; score: Float64Array; city: Array<string | null>; y: Array<string | null> }) => void,
): FeatureTable {
  const n = 100;
  const t = {
    age: Float64Array.from({ length: n }, (_, i) => 20 + (i % 50)),
    score: Float64Array.from({ length: n }, (_, i) => i / 10),
    city: Array.from({ length: n }, (_, i): string | null => (i % 2 ? 'paris' : 'rome')),
    y: Array.from({ length: n }, (_, i): string | null => (i % 3 ? '0' : '1')),
  };
  mutate(t);
  return { rowCount: n, numeric: { age: t.age, score: t.score }, categorical: { city: t.city }, label: t.y };
}
const byCode = (r: ValidationReport, code: string, column?: string) =>
  r.anomalies.find((a) => a.code === code && (column === undefined || a.column === column));

describe('validateDataset', () => {
  it('passes clean data with a one-line summary', () => {
    const r = validateDataset(
      table(() => {}),
      spec,
    );
    expect(r).toMatchObject({
      rows: 100,
      errors: 0,
      warnings: 0,
      anomalies: [],
      passed: true,
      summary: '100 rows, 0 errors, 0 warnings',
    });
    expect(r.columns.map((c) => c.name)).toEqual(['age', 'score', 'city', 'y']);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it('warns about a few out-of-range values and unknown categories, with example rows', () => {
    const r = validateDataset(
      table((t) => {
        t.age[4] = -1;
        t.age[9] = 130;
        t.city[7] = 'london';
      }),
      spec,
    );
    expect(r.passed).toBe(true);
    expect(byCode(r, 'out_of_range', 'age')).toMatchObject({
      severity: 'warning',
      count: 2,
      examples: [
        { row: 5, value: '-1' },
        { row: 10, value: '130' },
      ],
    });
    expect(byCode(r, 'out_of_range', 'age')?.message).toBe(
      'column "age": 2 values (2.0%) outside [0, 120], e.g. row 5: "-1", row 10: "130"',
    );
    expect(byCode(r, 'unknown_category', 'city')).toMatchObject({
      severity: 'warning',
      count: 1,
      examples: [{ row: 8, value: 'london' }],
    });
    expect(r.summary).toBe('100 rows, 0 errors, 2 warnings: age out of range 2.0%; city unknown categories 1.0%');
  });

  it('turns range/category problems into errors above 5% of rows', () => {
    const r = validateDataset(
      table((t) => t.city.fill('berlin', 0, 6)),
      spec,
    );
    expect(byCode(r, 'unknown_category', 'city')?.severity).toBe('error');
    expect(r.passed).toBe(false);
  });

  it('checks missing rates, non-nullable columns and the 5% missing warning', () => {
    const r = validateDataset(
      table((t) => {
        t.age.fill(NaN, 0, 25);
        t.score[3] = NaN;
        t.city.fill(null, 0, 8);
      }),
      spec,
    );
    expect(byCode(r, 'missing_rate_exceeded', 'age')).toMatchObject({ severity: 'error', count: 25 });
    expect(byCode(r, 'missing_rate_exceeded', 'age')?.message).toBe(
      'column "age" is missing in 25.0% of rows, above maxMissingRate 20.0% (rows 1, 2, 3, 4, 5, ...)',
    );
    expect(byCode(r, 'not_nullable', 'score')).toMatchObject({
      severity: 'error',
      count: 1,
      examples: [{ row: 4, value: '' }],
    });
    expect(byCode(r, 'high_missing_rate', 'city')).toMatchObject({ severity: 'warning', count: 8 });
    expect(r.columns.find((c) => c.name === 'age')).toEqual({
      name: 'age',
      type: 'numeric',
      missing: 25,
      missingRate: 0.25,
    });
  });

  it('fails on too few rows and label problems', () => {
    const small: FeatureTable = {
      rowCount: 3,
      numeric: { age: new Float64Array(3), score: new Float64Array(3) },
      categorical: { city: ['rome', 'rome', 'rome'] },
      label: ['1', '1', null],
    };
    const r = validateDataset(small, spec);
    expect(r.anomalies.map((a) => a.code)).toEqual(['too_few_rows', 'label_missing', 'label_constant']);
    expect(byCode(r, 'label_constant')?.message).toBe('label "y" is constant: every row is "1"');
    expect(byCode(r, 'label_missing')?.examples).toEqual([{ row: 3, value: '' }]);

    const three = validateDataset(
      table((t) => (t.y[10] = 'maybe')),
      spec,
    );
    expect(byCode(three, 'invalid_label')).toMatchObject({
      severity: 'error',
      count: 1,
      examples: [{ row: 11, value: 'maybe' }],
    });
    const yesNo = validateDataset(
      table((t) => t.y.forEach((_, i) => (t.y[i] = i % 2 ? 'yes' : 'no'))),
      spec,
    );
    expect(byCode(yesNo, 'label_positive_missing')?.message).toContain('positive class "1" (label.positive) not found');
    const noLabel = validateDataset({ ...table(() => {}), label: null }, spec);
    expect(byCode(noLabel, 'missing_label_column')?.severity).toBe('error');
  });

  it('names columns and rows for a bad CSV, using the reader issues and source rows', () => {
    const lines = toCsv(generateChurn({ rows: 80, seed: 1 }))
      .trimEnd()
      .split('\n');
    lines[3] = lines[3]?.replace(/^\d+,/, 'twelve,') ?? '';
    lines[6] = '1,2,3';
    lines[10] = lines[10]?.replace(/,(basic|standard|premium),/, ',gold,') ?? '';
    lines[12] = lines[12]?.replace(/^\d+,/, '-4,') ?? '';
    const read = readDataset(new TextEncoder().encode(lines.join('\n')), {
      format: 'csv',
      features: spec2.features,
      labelName: 'churned',
      source: 'bad.csv',
    });
    const r = validateDataset(read.table, spec2, { issues: read.issues, sourceRows: read.sourceRows });
    expect(r.passed).toBe(false);
    expect(r.rows).toBe(79);
    expect(byCode(r, 'invalid_number', 'tenure_months')).toMatchObject({
      severity: 'error',
      examples: [{ row: 3, value: 'twelve' }],
    });
    expect(byCode(r, 'ragged_row')?.message).toContain('bad.csv: row 6 (line 7) has 3 fields');
    expect(byCode(r, 'unknown_category', 'plan')).toMatchObject({
      severity: 'warning',
      examples: [{ row: 10, value: 'gold' }],
    });
    expect(byCode(r, 'out_of_range', 'tenure_months')).toMatchObject({ examples: [{ row: 12, value: '-4' }] });
    expect(r.summary).toMatch(/^79 rows, 2 errors, \d warnings?: tenure_months invalid number; file ragged row/);
    expect(topProblems(r, 2)).toEqual([`error: ${r.anomalies[0]?.message}`, `error: ${r.anomalies[1]?.message}`]);
  });
});

describe('validateDataset missing rate with rejected cells', () => {
  it('counts cells the reader rejected as missing, so maxMissingRate holds when type errors are only warnings', () => {
    // 100 rows: "age" is text in 90 of them; invalid_number is downgraded to a warning.
    const lines = ['age,score,city,y'];
    for (let i = 0; i < 100; i++) lines.push(`${i < 90 ? 'old' : 30 + i},${i / 10},paris,${i % 2}`);
    const read = readDataset(new TextEncoder().encode(lines.join('\n')), {
      format: 'csv',
      features,
      labelName: 'y',
      source: 'text.csv',
    });
    expect(read.issues.find((i) => i.code === 'invalid_number')?.count).toBe(90);
    const r = validateDataset(read.table, spec, {
      issues: read.issues,
      sourceRows: read.sourceRows,
      severity: { invalid_number: 'warning' },
    });
    expect(r.passed).toBe(false);
    expect(r.columns.find((c) => c.name === 'age')).toEqual({
      name: 'age',
      type: 'numeric',
      missing: 90,
      missingRate: 0.9,
      rejected: 90,
    });
    const exceeded = byCode(r, 'missing_rate_exceeded', 'age');
    expect(exceeded).toMatchObject({ severity: 'error', count: 90 });
    expect(exceeded?.message).toBe(
      'column "age" is missing in 90.0% of rows, above maxMissingRate 20.0% (rows 1, 2, 3, 4, 5, ...); ' +
        'includes 90 invalid values rejected by the reader',
    );
    expect(r.summary).toContain('age missing 90.0% > 20.0% (90 invalid)');
    // Without rejected cells the column summary has no `rejected`.
    expect(r.columns.find((c) => c.name === 'score')).toEqual({
      name: 'score',
      type: 'numeric',
      missing: 0,
      missingRate: 0,
    });
  });
});

const spec2: Pick<PipelineSpec, 'features' | 'label'> = {
  features: [
    { name: 'tenure_months', type: 'numeric', constraints: { min: 0, max: 120, nullable: true, maxMissingRate: 0.3 } },
    {
      name: 'monthly_charges',
      type: 'numeric',
      constraints: { min: 0, max: 500, nullable: true, maxMissingRate: 0.3 },
    },
    { name: 'support_calls', type: 'numeric', constraints: { min: 0, max: 50, nullable: true, maxMissingRate: 0.3 } },
    { name: 'data_usage_gb', type: 'numeric', constraints: { min: 0, nullable: true, maxMissingRate: 0.2 } },
    {
      name: 'plan',
      type: 'categorical',
      constraints: { values: ['basic', 'standard', 'premium'], nullable: true, maxMissingRate: 0.3 },
    },
    {
      name: 'region',
      type: 'categorical',
      constraints: { values: ['north', 'south', 'east', 'west'], nullable: true, maxMissingRate: 0.3 },
    },
    {
      name: 'contract',
      type: 'categorical',
      constraints: { values: ['monthly', 'annual', 'two_year'], nullable: true, maxMissingRate: 0.3 },
    },
  ],
  label: { name: 'churned', task: 'binary', positive: '1' },
};

describe('validateDataset severity overrides', () => {
  it('applies per-check severities from the spec; fixed checks keep theirs', () => {
    const t = table((c) => {
      c.age[3] = 500; // one out-of-range value: a warning by default
      c.city[4] = 'oslo'; // one unknown category: a warning by default
    });
    const base = validateDataset(t, spec);
    expect(byCode(base, 'out_of_range')?.severity).toBe('warning');
    expect(base.passed).toBe(true);
    const strict = validateDataset(t, spec, { severity: { out_of_range: 'error', unknown_category: 'off' } });
    expect(byCode(strict, 'out_of_range')?.severity).toBe('error');
    expect(byCode(strict, 'unknown_category')).toBeUndefined();
    expect(strict.passed).toBe(false);
    expect(strict.summary).toMatch(/^100 rows, 1 error, 0 warnings: age out of range/);
    const noLabel = table(() => undefined);
    noLabel.label = null;
    const forced = validateDataset(noLabel, spec, { severity: { missing_label_column: 'off' } });
    expect(byCode(forced, 'missing_label_column')?.severity).toBe('error');
  });
});
