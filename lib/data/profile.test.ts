import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import {
  binOnEdges,
  OTHER_CATEGORY,
  profileCategorical,
  profileLabel,
  profileNumeric,
  profileTable,
  TOP_K,
} from './profile.js';

interface NumericCase {
  name: string;
  ref: Array<number | null>;
  profile: {
    count: number;
    missing: number;
    min: number;
    max: number;
    mean: number;
    std: number;
    quantiles: Record<string, number>;
    edges: number[];
    counts: number[];
  };
}
const fixtures = JSON.parse(
  readFileSync(new URL('../../test/fixtures/data/drift_fixtures.json', import.meta.url), 'utf8'),
) as { numeric: NumericCase[] };
const toColumn = (values: Array<number | null>): Float64Array => Float64Array.from(values, (v) => v ?? NaN);

describe('profileNumeric (vs numpy)', () => {
  for (const c of fixtures.numeric) {
    it(`matches numpy on ${c.name}`, () => {
      const p = profileNumeric(c.name, toColumn(c.ref));
      expect(p.count).toBe(c.profile.count);
      expect(p.missing).toBe(c.profile.missing);
      expect(p.min).toBe(c.profile.min);
      expect(p.max).toBe(c.profile.max);
      expect(p.mean).toBeCloseTo(c.profile.mean, 6);
      expect(p.std).toBeCloseTo(c.profile.std, 6);
      for (const [k, v] of Object.entries(c.profile.quantiles)) expect(p.quantiles?.[k as 'p01'], k).toBeCloseTo(v, 6);
      expect(p.histogram.edges.length).toBe(c.profile.edges.length);
      p.histogram.edges.forEach((e, i) => expect(e).toBeCloseTo(c.profile.edges[i] ?? NaN, 6));
      expect(p.histogram.counts).toEqual(c.profile.counts);
    });
  }

  it('bins like searchsorted(side=right) with a trailing missing bin', () => {
    expect([...binOnEdges(new Float64Array([-5, 1, 1.5, 2, 3, NaN, 99]), [1, 2, 3])]).toEqual([1, 2, 1, 2, 1]);
  });

  it('handles all-missing and constant columns with JSON-safe output', () => {
    const empty = profileNumeric('x', new Float64Array([NaN, NaN]));
    expect(empty).toEqual({
      name: 'x',
      type: 'numeric',
      count: 0,
      missing: 2,
      min: null,
      max: null,
      mean: null,
      std: null,
      quantiles: null,
      histogram: { edges: [], counts: [0] },
      distinct: 0,
      sample: [],
      values: [],
    });
    const constant = profileNumeric('c', new Float64Array([5, 5, 5]));
    expect(constant.histogram).toEqual({ edges: [5], counts: [0, 3] });
    expect(constant).toMatchObject({ distinct: 1, values: [{ value: 5, count: 3 }], sample: [5, 5, 5] });
    expect(constant.grid).toEqual({ lo: 5, hi: 5, counts: [], over: 3 });
    expect(JSON.parse(JSON.stringify(constant))).toEqual(constant);
  });
});

describe('profileCategorical / profileLabel / profileTable', () => {
  it('keeps the top K categories by count and pools the rest', () => {
    const values: Array<string | null> = [];
    const kinds = TOP_K + 5;
    for (let k = 0; k < kinds; k++) for (let j = 0; j <= k; j++) values.push(`c${String(k).padStart(3, '0')}`);
    values.push(null, null);
    const p = profileCategorical('city', values);
    expect(p.top).toHaveLength(TOP_K);
    expect(p.top[0]).toEqual({ value: `c${kinds - 1}`, count: kinds });
    expect(p.top[TOP_K - 1]).toEqual({ value: 'c005', count: 6 });
    expect(p.other).toBe(1 + 2 + 3 + 4 + 5);
    expect(p).toMatchObject({ count: values.length - 2, missing: 2, distinct: kinds });
    expect(OTHER_CATEGORY).toBe('__other__');
  });

  it('breaks count ties by value', () => {
    expect(profileCategorical('x', ['b', 'a', 'c', 'a', 'b']).top).toEqual([
      { value: 'a', count: 2 },
      { value: 'b', count: 2 },
      { value: 'c', count: 1 },
    ]);
  });

  it('profiles labels and whole tables in spec order', () => {
    expect(profileLabel('y', ['1', '0', '0', null])).toEqual({
      name: 'y',
      count: 3,
      missing: 1,
      classes: [
        { value: '0', count: 2 },
        { value: '1', count: 1 },
      ],
      other: 0,
    });
    const features: FeatureSpec[] = [
      { name: 'b', type: 'categorical', constraints: { nullable: true, maxMissingRate: 0.3 } },
      { name: 'a', type: 'numeric', constraints: { nullable: true, maxMissingRate: 0.3 } },
    ];
    const p = profileTable(
      { rowCount: 2, numeric: { a: new Float64Array([1, 2]) }, categorical: { b: ['x', null] }, label: ['1', '0'] },
      features,
      'y',
    );
    expect(p.version).toBe(1);
    expect(p.rows).toBe(2);
    expect(p.features.map((f) => [f.name, f.type])).toEqual([
      ['b', 'categorical'],
      ['a', 'numeric'],
    ]);
    expect(p.label?.classes).toHaveLength(2);
    expect(profileTable({ rowCount: 1, numeric: {}, categorical: {}, label: null }, features, 'y').label).toBeNull();
  });
});
