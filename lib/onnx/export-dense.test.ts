import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureTable } from '../data/table.js';
import { loadOnnxModel } from '../eval/onnx-model.js';
import { mlpTrainer } from '../train/mlp.js';
import { predictDense } from '../train/network-trainer.js';
import { ridgeRegressionTrainer } from '../train/ridge-regression.js';
import { softmaxRegressionTrainer } from '../train/softmax-regression.js';
import { TOY_FEATURES, TOY_LABEL, toyTable } from '../train/toy-table.test-util.js';
import {
  TOY_MULTICLASS_LABEL,
  TOY_REGRESSION_LABEL,
  toyMulticlassTable,
  toyRegressionTable,
} from '../train/toy-tasks.test-util.js';
import type { Trainer, TrainInput, TrainResult } from '../train/trainer.js';
import { exportDenseModel } from './export-dense.js';
import { onnx } from './graph.js';
import { MetadataKeys, readModelMetadata } from './metadata.js';

const hp = { learningRate: 0.1, epochs: 8, batchSize: 64, l2: 0.001 };
const adam = { ...hp, learningRate: 0.01, optimizer: 'adam' as const };
const opts = { missingRate: 0.25, unknownRate: 0.15 };

/** The regression label rescaled to about [-3, 3], where float32 resolves 1e-5 absolute. */
function unitScale(table: FeatureTable): FeatureTable {
  return { ...table, label: table.label!.map((v) => String((Number(v) - 700) / 100)) };
}

interface Case {
  name: string;
  trainer: Trainer;
  input: TrainInput;
  /** Table to score (missing numerics, missing and unknown categories). */
  scored: FeatureTable;
  outputs: string[];
}

const cases: Case[] = [
  {
    name: 'softmax_regression',
    trainer: softmaxRegressionTrainer,
    input: { table: toyMulticlassTable(3000, 21), features: TOY_FEATURES, label: TOY_MULTICLASS_LABEL, hyperparameters: hp, seed: 5 },
    scored: toyMulticlassTable(1500, 99, opts),
    outputs: ['probabilities', 'label'],
  },
  {
    name: 'ridge_regression',
    trainer: ridgeRegressionTrainer,
    input: { table: toyRegressionTable(3000, 21), features: TOY_FEATURES, label: TOY_REGRESSION_LABEL, hyperparameters: hp, seed: 5 },
    scored: toyRegressionTable(1500, 99, opts),
    outputs: ['prediction'],
  },
  {
    name: 'mlp binary [32]',
    trainer: mlpTrainer,
    input: { table: toyTable(3000, 21), features: TOY_FEATURES, label: TOY_LABEL, hyperparameters: hp, seed: 5 },
    scored: toyTable(1500, 99, opts),
    outputs: ['probability', 'label'],
  },
  {
    name: 'mlp multiclass [24, 12] adam',
    trainer: mlpTrainer,
    input: { table: toyMulticlassTable(3000, 21), features: TOY_FEATURES, label: TOY_MULTICLASS_LABEL, hyperparameters: { ...adam, hiddenLayers: [24, 12] }, seed: 5 },
    scored: toyMulticlassTable(1500, 99, opts),
    outputs: ['probabilities', 'label'],
  },
  {
    name: 'mlp regression [16, 8] adam',
    trainer: mlpTrainer,
    input: { table: toyRegressionTable(3000, 21), features: TOY_FEATURES, label: TOY_REGRESSION_LABEL, hyperparameters: { ...adam, hiddenLayers: [16, 8] }, seed: 5 },
    scored: toyRegressionTable(1500, 99, opts),
    outputs: ['prediction'],
  },
  {
    name: 'ridge_regression unit-scale label',
    trainer: ridgeRegressionTrainer,
    input: { table: unitScale(toyRegressionTable(3000, 21)), features: TOY_FEATURES, label: TOY_REGRESSION_LABEL, hyperparameters: hp, seed: 5 },
    scored: toyRegressionTable(1500, 99, opts),
    outputs: ['prediction'],
  },
]; // prettier-ignore

const trained = new Map<string, TrainResult>();
const worst: Record<string, string> = {};

beforeAll(async () => {
  for (const c of cases) trained.set(c.name, await c.trainer.train(c.input));
});

afterAll(() => {
  console.log(`max |ONNX - trainer|: ${JSON.stringify(worst)}`);
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

describe('exportDenseModel', () => {
  it.each(cases)('$name runs in onnxruntime and matches the trainer within 1e-5', async (c) => {
    const result = trained.get(c.name)!;
    const n = c.scored.rowCount;
    c.scored.categorical.region![0] = 'atlantis';
    const session = await ort.InferenceSession.create(result.onnx, { logSeverityLevel: 3 });
    try {
      expect(session.inputNames).toEqual(TOY_FEATURES.map((f) => f.name));
      expect(session.outputNames).toEqual(c.outputs);
      const out = await session.run(feeds(c.scored));
      const reference = predictDense(result.metadata, c.scored);
      const k = reference.length / n;
      const main = out[c.outputs[0]!]!;
      expect(main.type).toBe('float32');
      expect(main.dims).toEqual([n, k]);
      const values = main.data as Float32Array;
      const regression = c.input.label.task === 'regression';
      // Regression values are in label units (hundreds here), where float32 itself resolves only ~1e-5 relative.
      let diff = 0;
      let absolute = 0;
      for (let i = 0; i < reference.length; i++) {
        const d = Math.abs(values[i]! - reference[i]!);
        absolute = Math.max(absolute, d);
        diff = Math.max(diff, regression ? d / Math.max(1, Math.abs(reference[i]!)) : d);
      }
      worst[c.name] = regression
        ? `${absolute.toExponential(2)} (relative ${diff.toExponential(2)})`
        : diff.toExponential(2);
      expect(diff).toBeLessThan(1e-5);
      if (c.outputs[1] === 'label') {
        expect(out.label!.type).toBe('int64');
        expect(out.label!.dims).toEqual([n]);
        const labels = out.label!.data as BigInt64Array;
        for (let r = 0; r < n; r++) {
          const row = Array.from(values.subarray(r * k, r * k + k));
          const expected = k === 1 ? (row[0]! >= 0.5 ? 1 : 0) : row.indexOf(Math.max(...row));
          expect(Number(labels[r])).toBe(expected);
        }
      }
    } finally {
      await session.release();
    }
  });

  it('binary MLP models load and score through lib/eval like logistic ones', async () => {
    const c = cases.find((x) => x.name === 'mlp binary [32]')!;
    const result = trained.get(c.name)!;
    const model = await loadOnnxModel(result.onnx);
    try {
      expect(model.algorithm).toBe('mlp');
      const predictions = await model.predictTable(c.scored);
      const reference = predictDense(result.metadata, c.scored);
      predictions.scores.forEach((s, i) => expect(Math.abs(s - reference[i]!)).toBeLessThan(1e-5));
      expect(new Set(predictions.labels)).toEqual(new Set(['yes', 'no']));
    } finally {
      await model.close();
    }
  });

  it('writes the label contract (classes for multiclass) and the documented graph', () => {
    const multi = trained.get('mlp multiclass [24, 12] adam')!;
    const meta = readModelMetadata(multi.onnx);
    expect(JSON.parse(meta[MetadataKeys.label]!)).toEqual({
      name: 'segment',
      task: 'multiclass',
      positive: '',
      negative: '',
      classes: ['high', 'low', 'mid'],
    });
    expect(meta[MetadataKeys.algorithm]).toBe('mlp');
    expect(JSON.parse(meta[MetadataKeys.training]!)).toMatchObject({ seed: 5, trainRows: 3000 });
    const ops = (onnx.ModelProto.decode(multi.onnx).graph?.node ?? []).map((node) => node.opType);
    expect(ops.slice(11)).toEqual(['Concat', 'Gemm', 'Relu', 'Gemm', 'Relu', 'Gemm', 'Softmax', 'ArgMax']);
    const ridge = onnx.ModelProto.decode(trained.get('ridge_regression')!.onnx);
    expect((ridge.graph?.node ?? []).map((node) => node.opType).slice(-2)).toEqual(['Concat', 'Gemm']);
    expect(JSON.parse(readModelMetadata(trained.get('ridge_regression')!.onnx)[MetadataKeys.label]!)).toEqual({
      name: 'spend',
      task: 'regression',
      positive: '',
      negative: '',
    });
  });

  it('is deterministic and refuses inconsistent layers, labels and feature names', () => {
    const result = trained.get('softmax_regression')!;
    const p = result.metadata.parameters!;
    const width = result.metadata.preprocessor.width;
    const input = {
      algorithm: 'softmax_regression',
      preprocessor: result.metadata.preprocessor,
      features: TOY_FEATURES,
      label: result.metadata.label,
      layers: [{ inputs: width, outputs: 3, weights: p.W1!, bias: p.b1! }],
    };
    const a = exportDenseModel(input);
    expect(Buffer.from(exportDenseModel(structuredClone(input))).equals(Buffer.from(a))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(result.onnx))).toBe(false); // no mlops.training here
    const noClasses = { ...input.label, classes: ['only'] };
    expect(() => exportDenseModel({ ...input, label: noClasses })).toThrow(/at least 2 classes/);
    expect(() => exportDenseModel({ ...input, layers: [{ ...input.layers[0]!, inputs: 3 }] })).toThrow(
      /takes 3 inputs/,
    );
    const clash = TOY_FEATURES.map((f, i) => (i === 0 ? { ...f, name: 'probabilities' } : f));
    expect(() => exportDenseModel({ ...input, features: clash })).toThrow(/clashes with a model output/);
    const regression = { ...input.label, task: 'regression' as const };
    expect(() => exportDenseModel({ ...input, label: regression })).toThrow(/regression head needs 1/);
  });
});
