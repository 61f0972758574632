import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { binaryMetrics, binaryMetricsForLabels, rocAuc } from './metrics.js';

interface Case {
  name: string;
  scores: number[];
  truth: number[];
  expected: Record<string, number>;
}

// Reference values from scikit-learn: test/fixtures/eval/make_binary_metrics.py
const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/eval/binary-metrics.json', import.meta.url), 'utf8'),
) as { generator: string; cases: Case[] };

describe('binaryMetrics', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('matches scikit-learn on "%s"', (_name, c) => {
    const actual = binaryMetrics(c.scores, c.truth);
    for (const [metric, expected] of Object.entries(c.expected)) {
      expect(Math.abs(actual[metric as keyof typeof actual] - expected), metric).toBeLessThanOrEqual(1e-9);
    }
  });

  it('accepts Float32Array scores and boolean truth', () => {
    const m = binaryMetrics(Float32Array.from([0.9, 0.1, 0.6]), [true, false, false]);
    expect(m).toMatchObject({ accuracy: 2 / 3, precision: 0.5, recall: 1, count: 3, positives: 1, roc_auc: 1 });
  });

  it('reports NaN ROC AUC when only one class is present, and rejects bad input', () => {
    expect(binaryMetrics([0.2, 0.7], [1, 1]).roc_auc).toBeNaN();
    expect(rocAuc([], [])).toBeNaN();
    expect(() => binaryMetrics([0.2], [1, 0])).toThrow(RangeError);
    expect(() => binaryMetrics([Number.NaN], [1])).toThrow(/expected a probability/);
    expect(() => binaryMetrics([1.5], [1])).toThrow(RangeError);
  });

  it('maps raw labels to the positive class and skips unlabelled rows', () => {
    const m = binaryMetricsForLabels([0.9, 0.8, 0.2, 0.1], ['yes', null, 'no', 'yes'], 'yes');
    expect(m.count).toBe(3);
    expect(m.positives).toBe(2);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
    expect(m.roc_auc).toBe(0.5);
  });
});
