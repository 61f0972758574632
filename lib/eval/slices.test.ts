import { describe, expect, it } from 'vitest';
import type { FeatureTable } from '../data/table.js';
import { PredictionInputError } from './errors.js';
import { groupRows, sliceId, sliceMetrics, sliceName } from './slices.js';

const table: FeatureTable = {
  rowCount: 7,
  numeric: { age: Float64Array.from([1, 2, 3, 4, 5, 6, 7]) },
  categorical: {
    plan: ['pro', 'basic', null, 'pro', 'basic', 'pro', null],
    region: ['n', 'n', 'n', 's', 's', 's', 's'],
  },
  label: ['1', '0', '1', null, '1', '0', '0'],
};

describe('groupRows', () => {
  it('groups by value in string order with the missing value last', () => {
    expect(groupRows(table.categorical['plan']!)).toEqual([
      { value: 'basic', rows: [1, 4] },
      { value: 'pro', rows: [0, 3, 5] },
      { value: null, rows: [2, 6] },
    ]);
  });

  it('restricts grouping to the given rows and leaves out values without rows', () => {
    expect(groupRows(table.categorical['plan']!, [0, 1, 3])).toEqual([
      { value: 'basic', rows: [1] },
      { value: 'pro', rows: [0, 3] },
    ]);
  });
});

describe('sliceMetrics', () => {
  it('evaluates every value of each feature, marking slices below minRows as not gated', () => {
    const labelled = [0, 1, 2, 4, 5, 6];
    const seen: number[][] = [];
    const slices = sliceMetrics(table, { features: ['plan', 'region'], minRows: 2, rows: labelled }, (rows) => {
      seen.push([...rows]);
      return { count: rows.length, sum: rows.reduce((a, r) => a + r, 0) };
    });
    expect(slices).toEqual([
      { feature: 'plan', value: 'basic', rows: 2, gated: true, metrics: { count: 2, sum: 5 } },
      { feature: 'plan', value: 'pro', rows: 2, gated: true, metrics: { count: 2, sum: 5 } },
      { feature: 'plan', value: null, rows: 2, gated: true, metrics: { count: 2, sum: 8 } },
      { feature: 'region', value: 'n', rows: 3, gated: true, metrics: { count: 3, sum: 3 } },
      { feature: 'region', value: 's', rows: 3, gated: true, metrics: { count: 3, sum: 15 } },
    ]);
    expect(seen).toHaveLength(5);
    const strict = sliceMetrics(table, { features: ['plan'], minRows: 3 }, (rows) => ({ n: rows.length }));
    expect(strict.map((s) => [s.value, s.rows, s.gated])).toEqual([
      ['basic', 2, false],
      ['pro', 3, true],
      [null, 2, false],
    ]);
  });

  it('rejects a feature that is not a categorical column', () => {
    expect(() => sliceMetrics(table, { features: ['age'], minRows: 1 }, () => ({}))).toThrow(PredictionInputError);
    expect(() => sliceMetrics(table, { features: ['nope'], minRows: 1 }, () => ({}))).toThrow(
      'cannot slice by "nope": the table has no categorical column of it',
    );
  });

  it('names slices and keeps the missing value apart from the string "(missing)"', () => {
    expect(sliceName({ feature: 'plan', value: null })).toBe('plan=(missing)');
    expect(sliceName({ feature: 'plan', value: 'pro' })).toBe('plan=pro');
    expect(sliceId({ feature: 'plan', value: null })).not.toBe(sliceId({ feature: 'plan', value: '(missing)' }));
  });
});
