/** What a predict response carries per task: label and score always, class probabilities or the value on top. */
import { describe, expect, it } from 'vitest';
import type { OnnxModelLabel } from '../../lib/eval/onnx-model.js';
import { servedPredictions } from '../../serving/prediction-response.js';

const binary: OnnxModelLabel = { name: 'churned', task: 'binary', positive: '1', negative: '0' };
const multiclass: OnnxModelLabel = {
  name: 'species',
  task: 'multiclass',
  positive: '',
  negative: '',
  classes: ['a', 'b', '__proto__'],
};
const regression: OnnxModelLabel = { name: 'price', task: 'regression', positive: '', negative: '' };

describe('servedPredictions', () => {
  it('binary: the label and the positive-class probability, nothing else', () => {
    const served = servedPredictions({ scores: Float32Array.of(0.25, 0.75), labels: ['0', '1'] }, binary, 2);
    expect(served).toEqual([
      { label: '0', score: 0.25 },
      { label: '1', score: 0.75 },
    ]);
  });

  it('multiclass: the predicted class, its probability and every class probability by value', () => {
    const probabilities = Float32Array.of(0.5, 0.25, 0.25, 0, 0.25, 0.75);
    const served = servedPredictions(
      {
        scores: Float32Array.of(0.5, 0.75),
        labels: ['a', '__proto__'],
        probabilities,
        classIndices: Int32Array.of(0, 2),
      },
      multiclass,
      2,
    );
    expect(served[0]).toEqual({ label: 'a', score: 0.5, probabilities: { a: 0.5, b: 0.25, ['__proto__']: 0.25 } });
    expect(Object.keys(served[1]!.probabilities!)).toEqual(['a', 'b', '__proto__']);
    expect(served[1]!.probabilities!['__proto__']).toBe(0.75);
    expect(JSON.parse(JSON.stringify(served[1]))).toEqual({
      label: '__proto__',
      score: 0.75,
      probabilities: { a: 0, b: 0.25, ['__proto__']: 0.75 },
    });
  });

  it('regression: the value as a number (and as the label string and score)', () => {
    const values = Float32Array.of(3.5, -12.25);
    const served = servedPredictions({ scores: values, labels: ['3.5', '-12.25'], values }, regression, 2);
    expect(served).toEqual([
      { label: '3.5', score: 3.5, value: 3.5 },
      { label: '-12.25', score: -12.25, value: -12.25 },
    ]);
  });

  it('refuses predictions that do not cover every record', () => {
    expect(() => servedPredictions({ scores: Float32Array.of(0.5), labels: ['1'] }, binary, 2)).toThrow(
      /1 labels and 1 scores for 2 records/,
    );
    expect(() =>
      servedPredictions(
        { scores: Float32Array.of(0.5), labels: ['a'], probabilities: Float32Array.of(0.5, 0.5) },
        multiclass,
        1,
      ),
    ).toThrow(/2 class probabilities for 1 records of 3 classes/);
  });
});
