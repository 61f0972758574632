import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FeatureTable } from '../data/table.js';
import { LogisticRegressionTrainer, predictProbabilities } from '../train/logistic-regression.js';
import { TOY_FEATURES, TOY_LABEL, toyTable } from '../train/toy-table.test-util.js';
import type { TrainResult } from '../train/trainer.js';
import { exportLogisticRegression, OnnxExportError } from './export-logistic.js';
import { onnx } from './graph.js';
import { MetadataKeys, readModelMetadata } from './metadata.js';

const hyperparameters = { learningRate: 0.1, epochs: 8, batchSize: 64, l2: 0.001 };
let trained: TrainResult;

beforeAll(async () => {
  trained = await new LogisticRegressionTrainer().train({
    table: toyTable(3000, 21),
    features: TOY_FEATURES,
    label: TOY_LABEL,
    hyperparameters,
    seed: 5,
  });
});

function feeds(table: FeatureTable): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const f of TOY_FEATURES) {
    out[f.name] =
      f.type === 'numeric'
        ? new ort.Tensor('float32', Float32Array.from(table.numeric[f.name]!), [table.rowCount, 1])
        : new ort.Tensor(
            'string',
            table.categorical[f.name]!.map((v) => v ?? ''),
            [table.rowCount, 1],
          );
  }
  return out;
}

describe('exportLogisticRegression', () => {
  it('runs in onnxruntime and matches the trainer within 1e-5 (missing numerics, missing and unknown categories)', async () => {
    const table = toyTable(1500, 99, { missingRate: 0.25, unknownRate: 0.15 });
    table.categorical.region![0] = 'atlantis';
    table.categorical.contract![1] = '';
    expect(table.categorical.plan!.filter((p) => p === 'enterprise').length).toBeGreaterThan(100);
    expect(table.numeric.age!.filter(Number.isNaN).length).toBeGreaterThan(200);

    const session = await ort.InferenceSession.create(trained.onnx);
    try {
      expect(session.inputNames).toEqual(TOY_FEATURES.map((f) => f.name));
      expect(session.outputNames).toEqual(['probability', 'label']);
      const out = await session.run(feeds(table));
      expect(out.probability!.dims).toEqual([1500, 1]);
      expect(out.label!.dims).toEqual([1500]);
      const onnxP = out.probability!.data as Float32Array;
      const labels = out.label!.data as BigInt64Array;
      const reference = predictProbabilities(trained.metadata, table);
      let worst = 0;
      for (let i = 0; i < table.rowCount; i++) {
        worst = Math.max(worst, Math.abs(onnxP[i]! - reference[i]!));
        expect(labels[i]).toBe(onnxP[i]! >= 0.5 ? 1n : 0n);
      }
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await session.release();
    }
  });

  it('writes the mlops metadata and the documented graph', () => {
    const meta = readModelMetadata(trained.onnx);
    expect(JSON.parse(meta[MetadataKeys.features]!)).toEqual(TOY_FEATURES);
    expect(JSON.parse(meta[MetadataKeys.label]!)).toEqual({ ...TOY_LABEL, negative: 'no' });
    expect(meta[MetadataKeys.algorithm]).toBe('logistic_regression');
    expect(meta[MetadataKeys.version]).toBe('1');
    expect(JSON.parse(meta[MetadataKeys.training]!)).toMatchObject({ seed: 5, epochs: 8, trainRows: 3000 });

    const model = onnx.ModelProto.decode(trained.onnx);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([
      ['', 17],
      ['ai.onnx.ml', 3],
    ]);
    const ops = (model.graph?.node ?? []).map((n) => n.opType);
    expect(ops).toEqual([
      'Concat', 'IsNaN', 'Where', 'Sub', 'Div',
      'OneHotEncoder', 'Flatten', 'OneHotEncoder', 'Flatten', 'OneHotEncoder', 'Flatten',
      'Concat', 'Gemm', 'Sigmoid', 'GreaterOrEqual', 'Cast', 'Reshape',
    ]); // prettier-ignore
  });

  it('is deterministic: the same weights always encode to the same bytes', () => {
    const input = {
      preprocessor: trained.metadata.preprocessor,
      weights: trained.metadata.weights,
      bias: trained.metadata.bias,
      features: TOY_FEATURES,
      label: trained.metadata.label,
    };
    const a = exportLogisticRegression(input);
    const b = exportLogisticRegression(structuredClone(input));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const c = exportLogisticRegression({ ...input, bias: input.bias + 0.5 });
    expect(Buffer.from(c).equals(Buffer.from(a))).toBe(false);
  });

  it('handles a single numeric feature and a categorical without categories', async () => {
    const c = { nullable: true, maxMissingRate: 0.3 };
    const features = [
      { name: 'x', type: 'numeric' as const, constraints: c },
      { name: 'empty', type: 'categorical' as const, constraints: c },
    ];
    const bytes = exportLogisticRegression({
      preprocessor: {
        format: 'mlops.preprocessor/v1',
        numeric: [{ name: 'x', mean: 1, std: 2 }],
        categorical: [{ name: 'empty', categories: [] }],
        width: 1,
      },
      weights: [2],
      bias: -1,
      features,
      label: { name: 'y', task: 'binary', positive: '1', negative: '0' },
    });
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    try {
      const out = await session.run({
        x: new ort.Tensor('float32', Float32Array.from([1, 3, NaN]), [3, 1]),
        empty: new ort.Tensor('string', ['a', '', 'b'], [3, 1]),
      });
      const p = Array.from(out.probability!.data as Float32Array);
      const expected = [-1, 1, -1].map((z) => 1 / (1 + Math.exp(-z)));
      p.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    } finally {
      await session.release();
    }
  });

  it('refuses features that clash with output names or do not match the preprocessor', () => {
    const base = {
      preprocessor: trained.metadata.preprocessor,
      weights: trained.metadata.weights,
      bias: 0,
      label: trained.metadata.label,
    };
    const renamed = TOY_FEATURES.map((f, i) => (i === 0 ? { ...f, name: 'label' } : f));
    expect(() => exportLogisticRegression({ ...base, features: renamed })).toThrow(OnnxExportError);
    expect(() => exportLogisticRegression({ ...base, features: TOY_FEATURES.slice(1) })).toThrow(
      /do not match the preprocessor/,
    );
    expect(() => exportLogisticRegression({ ...base, features: TOY_FEATURES, weights: [1] })).toThrow(/1 weights/);
  });
});
