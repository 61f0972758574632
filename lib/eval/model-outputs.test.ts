import { describe, expect, it } from 'vitest';
import { ElemType, GraphBuilder, intAttr } from '../onnx/graph.js';
import { ModelFormatError } from './errors.js';
import { decodeOutputs, formatFloat32 } from './model-outputs.js';
import { loadOnnxModel } from './onnx-model.js';

const FEATURES = [
  { name: 'a', type: 'numeric' },
  { name: 'b', type: 'numeric' },
];
const W = [1, -1, 0.5, 2, 0, -0.5]; // [2, 3]: logits = [a, b] · W + bias
const BIAS = [0, 0.25, -0.25];
const CLASSES = ['cat', 'dog', 'emu'];

function encode(g: GraphBuilder, label: Record<string, unknown>): Uint8Array {
  return g.encode({
    graphName: 'test',
    opsets: { '': 17 },
    metadata: {
      'mlops.features': JSON.stringify(FEATURES),
      'mlops.label': JSON.stringify(label),
      'mlops.algorithm': 'hand_built',
    },
    producerName: 'test',
    producerVersion: '0',
  });
}

/** Softmax over a Gemm of the features `a`, `b` (3 classes), plus ArgMax as `label` (unless `label` is false). */
function multiclassModel(options: { classes?: string[]; label?: boolean; width?: number } = {}): Uint8Array {
  const g = new GraphBuilder();
  g.input('a', ElemType.FLOAT, ['N', 1]);
  g.input('b', ElemType.FLOAT, ['N', 1]);
  const x = g.node('Concat', ['a', 'b'], { attributes: [intAttr('axis', 1)] });
  const w = g.floatConstant('w', [2, 3], W);
  const bias = g.floatConstant('bias', [3], BIAS);
  const logits = g.node('Gemm', [x, w, bias]);
  g.node('Softmax', [logits], { output: 'probabilities', attributes: [intAttr('axis', 1)] });
  g.output('probabilities', ElemType.FLOAT, ['N', options.width ?? 3]);
  if (options.label !== false) {
    g.node('ArgMax', ['probabilities'], { output: 'label', attributes: [intAttr('axis', 1), intAttr('keepdims', 0)] });
    g.output('label', ElemType.INT64, ['N']);
  }
  return encode(g, { name: 'species', task: 'multiclass', classes: options.classes ?? CLASSES });
}

/** prediction = 2a + b (regression). */
function regressionModel(outputName = 'prediction'): Uint8Array {
  const g = new GraphBuilder();
  g.input('a', ElemType.FLOAT, ['N', 1]);
  g.input('b', ElemType.FLOAT, ['N', 1]);
  const twice = g.node('Add', ['a', 'a']);
  g.node('Add', [twice, 'b'], { output: outputName });
  g.output(outputName, ElemType.FLOAT, ['N', 1]);
  return encode(g, { name: 'price', task: 'regression' });
}

function softmaxReference(a: number, b: number): number[] {
  const logits = [0, 1, 2].map((k) => a * W[k]! + b * W[3 + k]! + BIAS[k]!);
  const max = Math.max(...logits);
  const e = logits.map((z) => Math.exp(z - max));
  const sum = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / sum);
}

const ROWS = [
  { a: 1, b: 0 },
  { a: 0, b: 1 },
  { a: -2, b: 0.5 },
  { a: 0.1, b: -3 },
];

describe('multiclass ONNX models', () => {
  it('returns N×K probabilities, class indices, predicted values and their probabilities', async () => {
    const model = await loadOnnxModel(multiclassModel());
    try {
      expect(model.label).toEqual({
        name: 'species',
        task: 'multiclass',
        positive: '',
        negative: '',
        classes: CLASSES,
      });
      const p = await model.predictRecords(ROWS);
      expect(p.probabilities).toBeInstanceOf(Float32Array);
      expect(p.probabilities).toHaveLength(ROWS.length * 3);
      ROWS.forEach((r, i) => {
        const expected = softmaxReference(r.a, r.b);
        expected.forEach((v, k) => expect(Math.abs(p.probabilities![i * 3 + k]! - v)).toBeLessThan(1e-6));
        const best = expected.indexOf(Math.max(...expected));
        expect(p.classIndices![i]).toBe(best);
        expect(p.labels[i]).toBe(CLASSES[best]);
        expect(p.scores[i]).toBe(p.probabilities![i * 3 + best]);
      });
      const table = await model.predictTable({
        rowCount: ROWS.length,
        numeric: { a: Float64Array.from(ROWS, (r) => r.a), b: Float64Array.from(ROWS, (r) => r.b) },
        categorical: {},
        label: null,
      });
      expect(table).toEqual(p);
      expect(await model.predictRecords([])).toEqual({
        scores: new Float32Array(0),
        labels: [],
        probabilities: new Float32Array(0),
        classIndices: new Int32Array(0),
      });
    } finally {
      await model.close();
    }
  });

  it('rejects models that break the multiclass output contract or lack classes', async () => {
    await expect(loadOnnxModel(multiclassModel({ label: false }))).rejects.toThrow(
      'the multiclass model has no "label" output',
    );
    await expect(loadOnnxModel(multiclassModel({ classes: ['x', 'y', 'z', 'w'] }))).rejects.toThrow(
      'the model\'s "probabilities" output has 3 columns but mlops.label has 4 classes',
    );
    await expect(loadOnnxModel(multiclassModel({ classes: ['x', 'x', 'y'] }))).rejects.toThrow(
      /classes must be distinct/,
    );
    const g = new GraphBuilder();
    g.input('a', ElemType.FLOAT, ['N', 1]);
    g.input('b', ElemType.FLOAT, ['N', 1]);
    g.node('Concat', ['a', 'b'], { output: 'probabilities', attributes: [intAttr('axis', 1)] });
    g.output('probabilities', ElemType.FLOAT, ['N', 2]);
    g.node('Identity', ['a'], { output: 'label' });
    g.output('label', ElemType.FLOAT, ['N', 1]);
    const noClasses = encode(g, { name: 'species', task: 'multiclass' });
    await expect(loadOnnxModel(noClasses)).rejects.toThrow(/mlops.label" is invalid.*required for multiclass/s);
    const floatLabel = encode(g, { name: 'species', task: 'multiclass', classes: ['x', 'y'] });
    await expect(loadOnnxModel(floatLabel)).rejects.toThrow(
      'the multiclass model\'s "label" output is float32, expected int64',
    );
  });
});

describe('regression ONNX models', () => {
  it('returns the predicted values as scores, values and decimal labels', async () => {
    const model = await loadOnnxModel(regressionModel());
    try {
      expect(model.label).toEqual({ name: 'price', task: 'regression', positive: '', negative: '' });
      const p = await model.predictRecords([...ROWS, { a: null, b: 1 }]);
      expect(Array.from(p.values!)).toEqual([...ROWS.map((r) => Math.fround(2 * r.a + r.b)), Number.NaN]);
      expect(p.scores).toBe(p.values);
      expect(p.labels).toEqual(['2', '1', '-3.5', '-2.8', 'NaN']);
      expect(p.probabilities).toBeUndefined();
      expect(await model.predictRecords([])).toEqual({
        scores: new Float32Array(0),
        labels: [],
        values: new Float32Array(0),
      });
    } finally {
      await model.close();
    }
  });

  it('rejects a regression model without a "prediction" output, and a binary label without positive', async () => {
    await expect(loadOnnxModel(regressionModel('value'))).rejects.toThrow(
      'the regression model has no "prediction" output',
    );
    const g = new GraphBuilder();
    g.input('a', ElemType.FLOAT, ['N', 1]);
    g.input('b', ElemType.FLOAT, ['N', 1]);
    g.node('Add', ['a', 'b'], { output: 'prediction' });
    g.output('prediction', ElemType.FLOAT, ['N', 1]);
    await expect(loadOnnxModel(encode(g, { name: 'y', task: 'binary' }))).rejects.toThrow(
      /positive.*required for binary/s,
    );
    await expect(loadOnnxModel(encode(g, { name: 'y', task: 'binary', positive: '1', negative: '0' }))).rejects.toThrow(
      'the binary model has no "probability" output',
    );
  });
});

describe('decodeOutputs', () => {
  const label = { name: 's', task: 'multiclass' as const, positive: '', negative: '', classes: ['x', 'y'] };

  it('rejects class indices out of range and outputs of the wrong size', () => {
    const probabilities = { data: Float32Array.from([0.5, 0.5, 0.2, 0.8]) };
    expect(decodeOutputs({ probabilities, label: { data: BigInt64Array.from([0n, 1n]) } }, 2, label).labels).toEqual([
      'x',
      'y',
    ]);
    expect(() => decodeOutputs({ probabilities, label: { data: BigInt64Array.from([0n, 2n]) } }, 2, label)).toThrow(
      ModelFormatError,
    );
    expect(() => decodeOutputs({ probabilities, label: { data: BigInt64Array.from([0n]) } }, 2, label)).toThrow(
      /"label" has 1 values, expected 2/,
    );
    expect(() => decodeOutputs({ probabilities, label: { data: BigInt64Array.from([0n]) } }, 1, label)).toThrow(
      /"probabilities" has 4 values, expected 2/,
    );
  });
});

describe('formatFloat32', () => {
  it('prints the shortest decimal that reads back as the same float32', () => {
    expect(formatFloat32(Math.fround(3.14))).toBe('3.14');
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(1e20)).toBe('100000000000000000000');
    expect(formatFloat32(Math.fround(123456.789))).toBe('123456.79');
    expect(formatFloat32(Number.NaN)).toBe('NaN');
    for (const v of [Math.fround(1 / 3), Math.fround(-7.123456e-8), Math.fround(16777217)]) {
      expect(Math.fround(Number(formatFloat32(v)))).toBe(v);
    }
  });
});
