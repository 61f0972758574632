import { describe, expect, it } from 'vitest';
import type { FeatureTable } from '../data/table.js';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { TrainingDataError } from './errors.js';
import { columnNames, fitPreprocessor, transform } from './preprocess.js';

const c = { nullable: true, maxMissingRate: 0.3 };
const features: FeatureSpec[] = [
  { name: 'a', type: 'numeric', constraints: c },
  { name: 'color', type: 'categorical', constraints: c },
  { name: 'b', type: 'numeric', constraints: c },
  { name: 'size', type: 'categorical', constraints: { ...c, values: ['S', 'M', 'L'] } },
];

const table: FeatureTable = {
  rowCount: 4,
  numeric: { a: Float64Array.from([1, 2, NaN, 3]), b: Float64Array.from([5, 5, 5, NaN]) },
  categorical: { color: ['red', null, 'blue', 'red'], size: ['M', 'XL', null, ''] },
  label: null,
};

describe('fitPreprocessor', () => {
  it('learns mean/std over present values, std 0 -> 1, sorted categories or the spec values', () => {
    const pre = fitPreprocessor(table, features);
    expect(pre.numeric).toEqual([
      { name: 'a', mean: 2, std: Math.sqrt(2 / 3) },
      { name: 'b', mean: 5, std: 1 },
    ]);
    expect(pre.categorical).toEqual([
      { name: 'color', categories: ['blue', 'red'] },
      { name: 'size', categories: ['S', 'M', 'L'] },
    ]);
    expect(pre.width).toBe(2 + 2 + 3);
    expect(columnNames(pre)).toEqual(['a', 'b', 'color=blue', 'color=red', 'size=S', 'size=M', 'size=L']);
    expect(JSON.parse(JSON.stringify(pre))).toEqual(pre);
  });

  it('fails clearly on a missing column', () => {
    const { a: _a, ...numeric } = table.numeric;
    expect(() => fitPreprocessor({ ...table, numeric }, features)).toThrow(TrainingDataError);
    expect(() => fitPreprocessor({ ...table, numeric }, features)).toThrow(/no numeric column "a"/);
  });

  it('rejects an empty design matrix', () => {
    const only: FeatureSpec[] = [{ name: 'color', type: 'categorical', constraints: c }];
    expect(() => fitPreprocessor({ ...table, categorical: { color: [null, null, '', null] } }, only)).toThrow(
      /no usable feature/,
    );
  });
});

describe('transform', () => {
  it('imputes, standardises and one-hot encodes (unknown/missing = zeros), row-major', () => {
    const pre = fitPreprocessor(table, features);
    const x = transform(pre, table);
    const s = Math.sqrt(2 / 3);
    // prettier-ignore
    const expected = [
      -1 / s, 0, 0, 1, 0, 1, 0,
      0, 0, 0, 0, 0, 0, 0,
      0, 0, 1, 0, 0, 0, 0,
      1 / s, 0, 0, 1, 0, 0, 0,
    ];
    expect(x).toBeInstanceOf(Float64Array);
    expect(Array.from(x)).toHaveLength(expected.length);
    Array.from(x).forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 12));
  });

  it('applies the training parameters to new data', () => {
    const pre = fitPreprocessor(table, features);
    const other: FeatureTable = {
      rowCount: 1,
      numeric: { a: Float64Array.from([4]), b: Float64Array.from([7]) },
      categorical: { color: ['green'], size: ['L'] },
      label: null,
    };
    expect(Array.from(transform(pre, other))).toEqual([2 / Math.sqrt(2 / 3), 2, 0, 0, 0, 0, 1]);
  });
});
