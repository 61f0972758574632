import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { argmaxRows, multiclassMetrics, multiclassMetricsForLabels } from './multiclass-metrics.js';

interface Case {
  name: string;
  classCount: number;
  probabilities: number[];
  truth: number[];
  expected: {
    accuracy: number;
    macro_f1: number;
    log_loss: number;
    count: number;
    predicted: number[];
    precision: number[];
    recall: number[];
    f1: number[];
    support: number[];
    confusion: number[][];
  };
}

// Reference values from scikit-learn: test/fixtures/eval/make_multiclass_regression_metrics.py
const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/eval/multiclass-metrics.json', import.meta.url), 'utf8'),
) as { generator: string; cases: Case[] };

const close = (actual: number, expected: number, what: string): void => {
  expect(Math.abs(actual - expected), what).toBeLessThanOrEqual(1e-9);
};

describe('multiclassMetrics', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))('matches scikit-learn on "%s"', (_name, c) => {
    const e = c.expected;
    expect(Array.from(argmaxRows(c.probabilities, c.classCount))).toEqual(e.predicted);
    const m = multiclassMetrics(c.probabilities, c.classCount, c.truth);
    close(m.accuracy, e.accuracy, 'accuracy');
    close(m.macro_f1, e.macro_f1, 'macro_f1');
    close(m.log_loss, e.log_loss, 'log_loss');
    expect(m.count).toBe(e.count);
    expect(m.confusion).toEqual(e.confusion);
    expect(m.perClass).toHaveLength(c.classCount);
    m.perClass.forEach((pc, k) => {
      close(pc.precision, e.precision[k]!, `precision[${k}]`);
      close(pc.recall, e.recall[k]!, `recall[${k}]`);
      close(pc.f1, e.f1[k]!, `f1[${k}]`);
      expect(pc.support, `support[${k}]`).toBe(e.support[k]);
    });
  });

  it('accepts Float32Array probabilities and explicit predictions', () => {
    const p = Float32Array.from([0.9, 0.1, 0.2, 0.8, 0.6, 0.4]);
    const m = multiclassMetrics(p, 2, [0, 1, 1], [0, 1, 1]);
    expect(m.accuracy).toBe(1);
    expect(m.confusion).toEqual([
      [1, 0],
      [0, 2],
    ]);
    expect(m.log_loss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4)) / 3, 6);
  });

  it('returns NaN for no rows and rejects bad input', () => {
    const empty = multiclassMetrics([], 3, []);
    expect(empty.accuracy).toBeNaN();
    expect(empty.macro_f1).toBeNaN();
    expect(empty.confusion).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(() => multiclassMetrics([0.5, 0.5], 2, [0, 1])).toThrow(/2 probabilities for 2 rows of 2 classes/);
    expect(() => multiclassMetrics([0.5, 0.5], 2, [2])).toThrow(/truth 0 is 2/);
    expect(() => multiclassMetrics([0.5, Number.NaN], 2, [0])).toThrow(/probability \[0, 1\] is NaN/);
    expect(() => multiclassMetrics([0.5, 0.5], 2, [0], [5])).toThrow(/prediction 0 is 5/);
  });
});

describe('multiclassMetricsForLabels', () => {
  const classes = ['cat', 'dog', 'emu'];
  const probabilities = [0.7, 0.2, 0.1, 0.1, 0.6, 0.3, 0.2, 0.2, 0.6, 0.5, 0.4, 0.1];

  it('maps label values to class indices and skips unlabelled rows', () => {
    const m = multiclassMetricsForLabels(probabilities, classes, ['cat', null, 'emu', 'dog']);
    expect(m.classes).toEqual(classes);
    expect(m.count).toBe(3);
    expect(m.accuracy).toBeCloseTo(2 / 3, 12);
    expect(m.perClass.map((c) => c.support)).toEqual([1, 1, 1]);
    expect(m.log_loss).toBeCloseTo(-(Math.log(0.7) + Math.log(0.6) + Math.log(0.4)) / 3, 12);
  });

  it('uses given predictions (the model label output) instead of the argmax', () => {
    const m = multiclassMetricsForLabels(probabilities, classes, ['cat', 'dog', 'emu', 'dog'], [0, 1, 2, 1]);
    expect(m.accuracy).toBe(1);
  });

  it('counts labels the model does not know as extra classes that are never predicted', () => {
    const m = multiclassMetricsForLabels(probabilities, classes, ['cat', 'dog', 'yak', 'yak']);
    expect(m.classes).toEqual(['cat', 'dog', 'emu', 'yak']);
    expect(m.accuracy).toBe(0.5);
    expect(m.perClass[3]).toEqual({ precision: 0, recall: 0, f1: 0, support: 2 });
    expect(m.confusion[3]).toEqual([1, 0, 1, 0]);
    expect(m.log_loss).toBeCloseTo((-Math.log(0.7) - Math.log(0.6) - 2 * Math.log(1e-15)) / 4, 9);
    expect(() => multiclassMetricsForLabels([0.5], classes, ['cat'])).toThrow(RangeError);
  });
});
