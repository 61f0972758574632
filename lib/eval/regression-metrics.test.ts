import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PredictionInputError } from './errors.js';
import { regressionMetrics, regressionMetricsForLabels } from './regression-metrics.js';

interface Case {
  name: string;
  predictions: number[];
  truth: number[];
  expected: { rmse: number; mae: number; r2: number; count: number };
}

// Reference values from scikit-learn: test/fixtures/eval/make_multiclass_regression_metrics.py
const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/eval/regression-metrics.json', import.meta.url), 'utf8'),
) as { generator: string; cases: Case[] };

describe('regressionMetrics', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('matches scikit-learn on "%s"', (_name, c) => {
    const actual = regressionMetrics(c.predictions, c.truth);
    for (const [metric, expected] of Object.entries(c.expected)) {
      expect(Math.abs(actual[metric as keyof typeof actual] - expected), metric).toBeLessThanOrEqual(1e-9);
    }
  });

  it('accepts Float32Array predictions, returns NaN for no rows and rejects bad input', () => {
    expect(regressionMetrics(Float32Array.from([1, 2]), [1, 3])).toEqual({
      rmse: Math.sqrt(0.5),
      mae: 0.5,
      r2: 0.5,
      count: 2,
    });
    expect(regressionMetrics([], [])).toMatchObject({ rmse: NaN, count: 0 });
    expect(() => regressionMetrics([1], [1, 2])).toThrow(RangeError);
    expect(() => regressionMetrics([Number.NaN], [1])).toThrow(/prediction 0 is NaN/);
  });
});

describe('regressionMetricsForLabels', () => {
  it('parses decimal labels and skips unlabelled rows', () => {
    const m = regressionMetricsForLabels([1, 99, 3], ['1.5', null, '2.5e0']);
    expect(m).toMatchObject({ count: 2, mae: 0.5, rmse: 0.5 });
  });

  it('rejects a label that is not a number with PredictionInputError naming the label', () => {
    const error = (() => {
      try {
        regressionMetricsForLabels([1, 2], ['1', 'abc'], 'price');
      } catch (e) {
        return e;
      }
      return null;
    })() as PredictionInputError;
    expect(error).toBeInstanceOf(PredictionInputError);
    expect(error.feature).toBe('price');
    expect(error.record).toBe(1);
    expect(error.message).toBe('label "price" of row 1 is "abc", expected a finite number');
    expect(() => regressionMetricsForLabels([1], [' '])).toThrow(PredictionInputError);
  });
});
