import { describe, expect, it } from 'vitest';
import { ModelFormatError } from './errors.js';
import { binaryMetricsForLabels } from './metrics.js';
import { multiclassMetricsForLabels } from './multiclass-metrics.js';
import { evaluateTask } from './task-metrics.js';

const labels = ['a', 'b', null, 'c', 'a'];

describe('evaluateTask', () => {
  it('computes binary metrics on all rows or a subset', () => {
    const predictions = { scores: Float32Array.from([0.9, 0.2, 0.5, 0.4, 0.6]), labels: [] };
    const input = { task: 'binary' as const, predictions, labels, positive: 'a' };
    expect(evaluateTask(input)).toEqual({ metrics: { ...binaryMetricsForLabels(predictions.scores, labels, 'a') } });
    expect(evaluateTask(input, [0, 1]).metrics).toMatchObject({ count: 2, accuracy: 1, roc_auc: 1 });
  });

  it('computes multiclass metrics with per-class details by class value, using the model label output', () => {
    const probabilities = Float32Array.from([
      0.8, 0.1, 0.1, 0.2, 0.7, 0.1, 0.3, 0.3, 0.4, 0.1, 0.1, 0.8, 0.2, 0.5, 0.3,
    ]);
    const classIndices = Int32Array.from([0, 1, 2, 2, 1]);
    const predictions = { scores: new Float32Array(5), labels: [], probabilities, classIndices };
    const input = { task: 'multiclass' as const, predictions, labels, positive: '', classes: ['a', 'b', 'c'] };
    const all = evaluateTask(input);
    const reference = multiclassMetricsForLabels(probabilities, ['a', 'b', 'c'], labels, classIndices);
    expect(all.metrics).toEqual({
      accuracy: reference.accuracy,
      macro_f1: reference.macro_f1,
      log_loss: reference.log_loss,
      count: 4,
    });
    expect(all.metrics['accuracy']).toBe(0.75);
    expect(all.perClass?.map((c) => [c.class, c.support])).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 1],
    ]);
    expect(all.confusion).toEqual(reference.confusion);
    const subset = evaluateTask(input, [3, 4]);
    expect(subset.metrics).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(subset.metrics['log_loss']).toBeCloseTo(-(Math.log(0.8) + Math.log(0.2)) / 2, 6);
    expect(() => evaluateTask({ ...input, classes: undefined })).toThrow(ModelFormatError);
  });

  it('computes regression metrics from the predicted values', () => {
    const values = Float32Array.from([1, 2, 3, 4, 5]);
    const predictions = { scores: values, labels: [], values };
    const truth = ['1', '2', null, '5', '5'];
    const input = { task: 'regression' as const, predictions, labels: truth, positive: '', labelName: 'price' };
    expect(evaluateTask(input).metrics).toEqual({ rmse: 0.5, mae: 0.25, r2: expect.any(Number) as number, count: 4 });
    expect(evaluateTask(input, [3]).metrics).toMatchObject({ mae: 1, count: 1 });
    expect(() => evaluateTask({ ...input, labels: ['x', null, null, null, null] })).toThrow(/label "price" of row 0/);
  });
});
