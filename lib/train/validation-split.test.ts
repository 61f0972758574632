import { describe, expect, it } from 'vitest';
import { trainerSchema } from '../spec/trainer-spec.js';
import { mlpTrainer } from './mlp.js';
import { TOY_FEATURES, TOY_LABEL, toyTable } from './toy-table.test-util.js';
import { carveValidation, validationFraction, validationMetrics } from './validation-split.js';

const parseTrainer = (raw: unknown): ReturnType<typeof trainerSchema.parse> => trainerSchema.parse(raw);
const tuning = { maxParallel: 2, search: 'random' as const, space: { l2: { values: [0, 0.01] } } };

describe('validation split', () => {
  it('is used only when the spec asks for it', () => {
    const split = { holdoutFraction: 0.2, seed: 1 };
    const mlp = parseTrainer({ algorithm: 'mlp' });
    const mlpPatience = parseTrainer({ algorithm: 'mlp', hyperparameters: { patience: 4 } });
    const logistic = parseTrainer({ algorithm: 'logistic_regression', hyperparameters: { patience: 4 } });
    expect(validationFraction({ split, trainer: mlp })).toBeNull();
    expect(validationFraction({ split, trainer: logistic })).toBeNull();
    expect(validationFraction({ split, trainer: mlpPatience })).toBe(0.2);
    expect(validationFraction({ split: { ...split, validation: 0.1 }, trainer: mlp })).toBe(0.1);
    expect(validationFraction({ split, trainer: mlp, tuning })).toBe(0.2);
    expect(validationFraction({ split: { ...split, validation: 0.3 }, trainer: mlp, tuning })).toBe(0.3);
  });

  it('carves a deterministic, stratified, disjoint validation part out of the training split', () => {
    const table = toyTable(1000, 3);
    const a = carveValidation(table, { fraction: 0.2, seed: 42, task: 'binary' });
    expect(a.train.rowCount + a.validation.rowCount).toBe(1000);
    expect(a.validation.rowCount).toBeGreaterThanOrEqual(199);
    expect(a.validation.rowCount).toBeLessThanOrEqual(201);
    expect(carveValidation(table, { fraction: 0.2, seed: 42, task: 'binary' })).toEqual(a);
    expect(carveValidation(table, { fraction: 0.2, seed: 43, task: 'binary' }).validation).not.toEqual(a.validation);
    const rate = (labels: ReadonlyArray<string | null>): number =>
      labels.filter((l) => l === 'yes').length / labels.length;
    expect(Math.abs(rate(a.validation.label!) - rate(table.label!))).toBeLessThan(0.01);
  });

  it('feeds MLP early stopping and scores the exported model on the validation rows', async () => {
    const { train, validation } = carveValidation(toyTable(1500, 4), { fraction: 0.2, seed: 7, task: 'binary' });
    const result = await mlpTrainer.train({
      table: train,
      validation,
      features: TOY_FEATURES,
      label: TOY_LABEL,
      hyperparameters: { learningRate: 0.05, epochs: 200, batchSize: 64, l2: 0, patience: 3, optimizer: 'adam' },
      seed: 7,
    });
    expect(result.metadata.epochs).toBeLessThan(200);
    const metrics = await validationMetrics(result.onnx, validation, TOY_LABEL, { epochs: 1, learningRate: 0.05 });
    expect(Object.keys(metrics)).toEqual(
      expect.arrayContaining(['validation_log_loss', 'validation_roc_auc', 'validation_accuracy', 'validation_rows']),
    );
    expect(metrics['validation_rows']).toBe(validation.rowCount);
    // The trainer's own validation loss (float64) and onnxruntime's (float32) agree closely.
    expect(metrics['validation_log_loss']).toBeCloseTo(result.metrics['val_log_loss']!, 3);
    expect(metrics['validation_roc_auc']).toBeGreaterThan(0.6);
  });
});
