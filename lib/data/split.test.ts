import { describe, expect, it } from 'vitest';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { generateChurn, toCsv } from './generate-churn.js';
import { readDataset } from './read-dataset.js';
import {
  readRecords,
  recordsToTable,
  splitTable,
  stratifiesByLabel,
  tableToCsv,
  tableToRecords,
  takeRows,
} from './split.js';
import type { FeatureTable } from './table.js';

const features: FeatureSpec[] = [
  { name: 'tenure_months', type: 'numeric', constraints: { min: 0, max: 120, nullable: true, maxMissingRate: 0.3 } },
  { name: 'monthly_charges', type: 'numeric', constraints: { nullable: true, maxMissingRate: 0.3 } },
  { name: 'support_calls', type: 'numeric', constraints: { nullable: true, maxMissingRate: 0.3 } },
  { name: 'data_usage_gb', type: 'numeric', constraints: { nullable: true, maxMissingRate: 0.2 } },
  { name: 'plan', type: 'categorical', constraints: { nullable: true, maxMissingRate: 0.3 } },
  { name: 'region', type: 'categorical', constraints: { nullable: true, maxMissingRate: 0.3 } },
  { name: 'contract', type: 'categorical', constraints: { nullable: true, maxMissingRate: 0.3 } },
];
const churnTable = (rows: number, seed: number): FeatureTable =>
  readDataset(new TextEncoder().encode(toCsv(generateChurn({ rows, seed }))), {
    format: 'csv',
    features,
    labelName: 'churned',
  }).table;
const positives = (labels: ReadonlyArray<string | null> | null): number =>
  (labels ?? []).filter((v) => v === '1').length;

describe('splitTable', () => {
  const table = churnTable(1000, 4);

  it('is deterministic for a seed and changes with the seed', () => {
    const a = splitTable(table, { holdoutFraction: 0.2, seed: 42 });
    const b = splitTable(table, { holdoutFraction: 0.2, seed: 42 });
    const c = splitTable(table, { holdoutFraction: 0.2, seed: 43 });
    expect([...a.holdoutRows]).toEqual([...b.holdoutRows]);
    expect([...a.holdoutRows]).not.toEqual([...c.holdoutRows]);
    expect(tableToCsv(a.train, features, 'churned')).toBe(tableToCsv(b.train, features, 'churned'));
  });

  it('partitions the rows, ascending, with the requested fraction and stratified classes', () => {
    const { train, holdout, trainRows, holdoutRows } = splitTable(table, { holdoutFraction: 0.2, seed: 1 });
    expect(train.rowCount + holdout.rowCount).toBe(1000);
    expect(holdout.rowCount).toBeGreaterThanOrEqual(199);
    expect(holdout.rowCount).toBeLessThanOrEqual(201);
    const all = [...trainRows, ...holdoutRows].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...holdoutRows]).toEqual([...holdoutRows].sort((x, y) => x - y));
    expect(positives(holdout.label)).toBe(Math.round(positives(table.label) * 0.2));
    const i = holdoutRows[0] as number;
    expect(holdout.numeric.tenure_months?.[0]).toBe(table.numeric.tenure_months?.[i]);
    expect(holdout.categorical.plan?.[0]).toBe(table.categorical.plan?.[i]);
    expect(holdout.label?.[0]).toBe(table.label?.[i]);
  });

  it('splits unlabelled tables and keeps both parts non-empty on tiny inputs', () => {
    const unlabelled = { ...takeRows(table, [0, 1, 2]), label: null };
    const { train, holdout } = splitTable(unlabelled, { holdoutFraction: 0.1, seed: 3 });
    expect([train.rowCount, holdout.rowCount]).toEqual([2, 1]);
    expect(holdout.label).toBeNull();
    expect(() => splitTable(table, { holdoutFraction: 1, seed: 1 })).toThrow(RangeError);
  });
});

describe('stratifiesByLabel', () => {
  it('stratifies class labels but not continuous (regression) ones', () => {
    expect(stratifiesByLabel('binary')).toBe(true);
    expect(stratifiesByLabel('multiclass')).toBe(true);
    expect(stratifiesByLabel('regression')).toBe(false);
  });

  it('gives a regression label the requested holdout fraction (stratifying would hold out one row)', () => {
    const n = 1000;
    const table: FeatureTable = {
      rowCount: n,
      numeric: { x: Float64Array.from({ length: n }, (_, i) => i) },
      categorical: {},
      label: Array.from({ length: n }, (_, i) => (i * 1.37 + 0.001).toFixed(3)),
    };
    expect(splitTable(table, { holdoutFraction: 0.25, seed: 7 }).holdout.rowCount).toBe(1);
    const split = splitTable(table, { holdoutFraction: 0.25, seed: 7, stratify: stratifiesByLabel('regression') });
    expect(split.holdout.rowCount).toBe(250);
    expect(split.train.rowCount).toBe(750);
  });
});

/** A table without its dictionary codes (a fast path the reader adds), to compare with hand-built tables. */
function withoutCodes(t: FeatureTable): FeatureTable {
  const { categoricalCodes: _codes, ...rest } = t;
  return rest;
}

describe('records and CSV helpers', () => {
  const table = churnTable(50, 8);

  it('round-trips table -> records -> table', () => {
    const records = tableToRecords(table, features, 'churned');
    expect(Object.keys(records[0] ?? {})).toEqual([...features.map((f) => f.name), 'churned']);
    expect(records.some((r) => r.data_usage_gb === null)).toBe(true);
    expect(recordsToTable(records, features, 'churned')).toEqual(table);
    const unlabelled = recordsToTable(tableToRecords(table, features), features);
    expect(unlabelled.label).toBeNull();
    expect(unlabelled.numeric).toEqual(table.numeric);
  });

  it('round-trips table -> CSV -> table, quoting where needed', () => {
    const odd: FeatureTable = {
      ...takeRows(table, [0, 1]),
      categorical: { ...takeRows(table, [0, 1]).categorical, plan: ['a,b', 'say "x"\nok'] },
    };
    const text = tableToCsv(odd, features, 'churned');
    expect(text.split('\n')[0]).toBe(
      'tenure_months,monthly_charges,support_calls,data_usage_gb,plan,region,contract,churned',
    );
    expect(
      withoutCodes(
        readDataset(new TextEncoder().encode(text), { format: 'csv', features, labelName: 'churned' }).table,
      ),
    ).toEqual(odd);
    expect(
      readDataset(new TextEncoder().encode(tableToCsv(table, features, 'churned')), {
        format: 'csv',
        features,
        labelName: 'churned',
      }).table,
    ).toEqual(table);
  });

  it("writes the generator's CSV byte for byte after a read", () => {
    const text = toCsv(generateChurn({ rows: 500, seed: 12 }));
    const read = readDataset(new TextEncoder().encode(text), { format: 'csv', features, labelName: 'churned' });
    expect(tableToCsv(read.table, features, 'churned')).toBe(text);
  });

  it('coerces serving records and reports bad values', () => {
    const { table: t, issues } = readRecords(
      [
        { tenure_months: '12', plan: 'basic', extra: 1 },
        { tenure_months: 'abc', monthly_charges: null, plan: 3 },
        { tenure_months: Infinity },
      ],
      features,
    );
    expect([...(t.numeric.tenure_months ?? [])].map((v) => (Number.isNaN(v) ? null : v))).toEqual([12, null, null]);
    expect(t.categorical.plan).toEqual(['basic', '3', null]);
    expect(issues.map((i) => [i.code, i.column, i.examples])).toEqual([
      ['invalid_number', 'tenure_months', [{ row: 2, value: 'abc' }]],
      ['non_finite_number', 'tenure_months', [{ row: 3, value: 'Infinity' }]],
    ]);
  });
});
