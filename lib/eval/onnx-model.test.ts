import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElemType, GraphBuilder, onnx } from '../onnx/graph.js';
import { exportLogisticRegression } from '../onnx/export-logistic.js';
import { LogisticRegressionTrainer, predictProbabilities } from '../train/logistic-regression.js';
import { TOY_FEATURES, TOY_LABEL, toyTable } from '../train/toy-table.test-util.js';
import type { TrainResult } from '../train/trainer.js';
import { FeatureMismatchError, ModelFormatError, PredictionInputError } from './errors.js';
import { checkModelMatchesFeatures, loadOnnxModel, type OnnxModel } from './onnx-model.js';

let trained: TrainResult;
let model: OnnxModel;

beforeAll(async () => {
  trained = await new LogisticRegressionTrainer().train({
    table: toyTable(2000, 31),
    features: TOY_FEATURES,
    label: TOY_LABEL,
    hyperparameters: { learningRate: 0.1, epochs: 5, batchSize: 64, l2: 0.001 },
    seed: 1,
  });
  model = await loadOnnxModel(trained.onnx);
});

afterAll(async () => {
  await model.close();
});

describe('loadOnnxModel', () => {
  it('exposes features, label and inputs from the model', () => {
    expect(model.features).toEqual(TOY_FEATURES);
    expect(model.label).toEqual({ ...TOY_LABEL, negative: 'no' });
    expect(model.algorithm).toBe('logistic_regression');
    expect(model.inputs.find((i) => i.name === 'plan')).toEqual({ name: 'plan', type: 'string' });
    expect(model.inputs.find((i) => i.name === 'age')).toEqual({ name: 'age', type: 'float32' });
  });

  it('predictTable matches the trainer and maps labels to class values', async () => {
    const table = toyTable(500, 77, { missingRate: 0.3, unknownRate: 0.2 });
    const { scores, labels } = await model.predictTable(table);
    const reference = predictProbabilities(trained.metadata, table);
    expect(scores).toBeInstanceOf(Float32Array);
    scores.forEach((s, i) => expect(Math.abs(s - reference[i]!)).toBeLessThan(1e-5));
    labels.forEach((l, i) => expect(l).toBe(scores[i]! >= 0.5 ? 'yes' : 'no'));
  });

  it('predictRecords treats null/undefined as missing and agrees with predictTable', async () => {
    const records = [
      {
        tenure_months: 3,
        monthly_charges: 99.5,
        support_calls: 7,
        plan: 'basic',
        region: 'north',
        contract: 'monthly',
        age: 30,
      },
      {
        tenure_months: null,
        monthly_charges: null,
        support_calls: null,
        plan: null,
        region: null,
        contract: null,
        age: null,
      },
      { plan: 'enterprise', region: 'atlantis' },
    ];
    const fromRecords = await model.predictRecords(records);
    const fromTable = await model.predictTable({
      rowCount: 3,
      numeric: {
        tenure_months: Float64Array.from([3, NaN, NaN]),
        monthly_charges: Float64Array.from([99.5, NaN, NaN]),
        support_calls: Float64Array.from([7, NaN, NaN]),
        age: Float64Array.from([30, NaN, NaN]),
      },
      categorical: {
        plan: ['basic', null, 'enterprise'],
        region: ['north', null, 'atlantis'],
        contract: ['monthly', null, null],
      },
      label: null,
    });
    expect(fromRecords).toEqual(fromTable);
    // All-missing rows score the intercept only.
    expect(fromRecords.scores[1]).toBeCloseTo(1 / (1 + Math.exp(-trained.metadata.bias)), 6);
    expect(await model.predictRecords([])).toEqual({ scores: new Float32Array(0), labels: [] });
  });

  it('rejects values of the wrong type and missing columns with PredictionInputError', async () => {
    await expect(model.predictRecords([{ age: '42' }])).rejects.toThrow(PredictionInputError);
    await expect(model.predictRecords([{}, { plan: 3 }])).rejects.toThrow(
      /records\[1\]\.plan: expected a string or null, found number/,
    );
    const { age: _age, ...numeric } = toyTable(3, 1).numeric;
    await expect(model.predictTable({ ...toyTable(3, 1), numeric })).rejects.toMatchObject({ feature: 'age' });
  });

  it('throws ModelFormatError for bytes that are not an ONNX model', async () => {
    await expect(loadOnnxModel(new TextEncoder().encode('definitely not a model'))).rejects.toThrow(ModelFormatError);
    const truncated = trained.onnx.slice(0, trained.onnx.length - 40);
    await expect(loadOnnxModel(truncated)).rejects.toThrow(ModelFormatError);
    const flipped = Uint8Array.from(trained.onnx);
    for (let i = 0; i < flipped.length; i += 7) flipped[i] = flipped[i]! ^ 0xff;
    await expect(loadOnnxModel(flipped)).rejects.toThrow(ModelFormatError);
    await expect(loadOnnxModel(new Uint8Array(0))).rejects.toThrow(ModelFormatError);
  });

  it('throws ModelFormatError for a valid ONNX model without mlops metadata', async () => {
    const g = new GraphBuilder();
    g.input('x', ElemType.FLOAT, ['N', 1]);
    g.node('Sigmoid', ['x'], { output: 'probability' });
    g.output('probability', ElemType.FLOAT, ['N', 1]);
    const bytes = g.encode({
      graphName: 'g',
      opsets: { '': 17 },
      metadata: {},
      producerName: 't',
      producerVersion: '0',
    });
    await expect(loadOnnxModel(bytes)).rejects.toThrow(/metadata "mlops.features" is missing/);
  });

  it('throws FeatureMismatchError when the graph inputs do not match mlops.features', async () => {
    const features = TOY_FEATURES.map((f) => (f.name === 'plan' ? { ...f, type: 'numeric' as const } : f));
    const bytes = exportLogisticRegression({
      preprocessor: trained.metadata.preprocessor,
      weights: trained.metadata.weights,
      bias: 0,
      features: TOY_FEATURES,
      label: trained.metadata.label,
    });
    // Re-encode with metadata claiming `plan` is numeric.
    const decoded = onnx.ModelProto.decode(bytes);
    decoded.metadataProps.find((p) => p.key === 'mlops.features')!.value = JSON.stringify(features);
    const tampered = onnx.ModelProto.encode(decoded).finish();
    const error = (await loadOnnxModel(tampered).catch((e: unknown) => e)) as FeatureMismatchError;
    expect(error).toBeInstanceOf(FeatureMismatchError);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect(error.input).toBe('plan');
  });
});

describe('checkModelMatchesFeatures', () => {
  it('accepts the same features in any order', () => {
    expect(() => checkModelMatchesFeatures(model, [...TOY_FEATURES].reverse())).not.toThrow();
  });

  it('names a missing input, a type mismatch and an extra input', () => {
    const c = { nullable: true, maxMissingRate: 0.3 };
    const extra = [...TOY_FEATURES, { name: 'income', type: 'numeric' as const, constraints: c }];
    expect(() => checkModelMatchesFeatures(model, extra)).toThrow(
      'the model does not match the features: input "income" expected numeric (float32), found absent',
    );
    const retyped = TOY_FEATURES.map((f) =>
      f.name === 'age' ? { name: 'age', type: 'categorical' as const, constraints: c } : f,
    );
    expect(() => checkModelMatchesFeatures(model, retyped)).toThrow(
      /input "age" expected categorical \(string\), found float32/,
    );
    const fewer = TOY_FEATURES.filter((f) => f.name !== 'region');
    expect(() => checkModelMatchesFeatures(model, fewer)).toThrow(/input "region" expected absent, found string/);
  });
});
