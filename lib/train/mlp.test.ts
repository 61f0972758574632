import { describe, expect, it } from 'vitest';
import { TrainingDataError, TrainingDivergedError } from './errors.js';
import { MlpTrainer } from './mlp.js';
import { predictDense } from './network-trainer.js';
import { trainerContract } from './trainer-contract.test-util.js';
import { TOY_FEATURES, TOY_LABEL, toyTable } from './toy-table.test-util.js';
import {
  TOY_MULTICLASS_LABEL,
  TOY_REGRESSION_LABEL,
  toyMulticlassTable,
  toyRegressionTable,
} from './toy-tasks.test-util.js';
import type { TrainerCheckpoint, TrainInput, TrainProgress } from './trainer.js';

const trainer = new MlpTrainer();
const hyperparameters = { learningRate: 0.1, epochs: 5, batchSize: 64, l2: 0.0001 };
const binary: TrainInput = {
  table: toyTable(1200, 3),
  features: TOY_FEATURES,
  label: TOY_LABEL,
  hyperparameters,
  seed: 7,
};
const multiclass: TrainInput = { ...binary, table: toyMulticlassTable(1200, 3), label: TOY_MULTICLASS_LABEL };
const regression: TrainInput = { ...binary, table: toyRegressionTable(1200, 3), label: TOY_REGRESSION_LABEL };
const adam = { ...hyperparameters, optimizer: 'adam' as const, learningRate: 0.01, hiddenLayers: [16, 8] };

describe('MlpTrainer', () => {
  describe('binary, SGD, one hidden layer', () => trainerContract(trainer, binary, { epochs: 5, resumeAt: 2 }));
  describe('multiclass, Adam, two hidden layers', () =>
    trainerContract(trainer, { ...multiclass, hyperparameters: adam }, { epochs: 5, resumeAt: 3 }));
  describe('regression, Adam, two hidden layers', () =>
    trainerContract(trainer, { ...regression, hyperparameters: adam }, { epochs: 5, resumeAt: 1 }));

  it('has the documented layers: hiddenLayers default [32], or as given', async () => {
    const one = await trainer.train(binary);
    const width = one.metadata.preprocessor.width;
    const shapes = (p: Record<string, number[]>) => Object.entries(p).map(([k, v]) => `${k}:${v.length}`);
    expect(shapes(one.metadata.parameters!)).toEqual([`W1:${width * 32}`, 'b1:32', 'W2:32', 'b2:1']);
    const two = await trainer.train({ ...multiclass, hyperparameters: adam });
    expect(shapes(two.metadata.parameters!)).toEqual([`W1:${width * 16}`, 'b1:16', 'W2:128', 'b2:8', 'W3:24', 'b3:3']);
    expect(two.metadata.label.classes).toEqual(['high', 'low', 'mid']);
  });

  it('learns a non-linear regression better than a constant, predicting in label units', async () => {
    const result = await trainer.train({
      ...regression,
      hyperparameters: { ...adam, epochs: 30 },
      validation: toyRegressionTable(400, 4),
    });
    const holdout = toyRegressionTable(500, 5);
    const predicted = predictDense(result.metadata, holdout);
    const y = holdout.label!.map(Number);
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    let sse = 0;
    let sst = 0;
    y.forEach((v, i) => {
      sse += (predicted[i]! - v) ** 2;
      sst += (mean - v) ** 2;
    });
    expect(1 - sse / sst).toBeGreaterThan(0.9);
    expect(result.metrics.val_rmse).toBeCloseTo(Math.sqrt(result.metrics.val_mse!), 12);
  });

  it('stops early after `patience` epochs without a better validation loss and keeps the best epoch', async () => {
    const progress: TrainProgress[] = [];
    const checkpoints: TrainerCheckpoint[] = [];
    const input: TrainInput = {
      ...binary,
      // Tiny training set, huge net, no L2: it overfits quickly.
      table: toyTable(150, 3),
      hyperparameters: { ...adam, epochs: 200, l2: 0, hiddenLayers: [256], patience: 3, batchSize: 16 },
      validation: toyTable(400, 4),
      onProgress: (p) => void progress.push(p),
      onCheckpoint: async (c) => void checkpoints.push(JSON.parse(JSON.stringify(c)) as TrainerCheckpoint),
    };
    const result = await trainer.train(input);
    const losses = progress.map((p) => p.valLoss!);
    const best = losses.indexOf(Math.min(...losses));
    expect(progress.length).toBe(best + 1 + 3);
    expect(result.epochsRun).toBe(progress.length);
    expect(result.metadata.epochs).toBe(best + 1);
    expect(result.metrics.val_log_loss).toBe(losses[best]);
    expect(result.metadata.lossHistory).toHaveLength(progress.length);

    // A checkpoint is only valid with the same validation table (it decides when to stop).
    const other = await trainer.train({
      ...input,
      onProgress: undefined,
      onCheckpoint: undefined,
      checkpoint: checkpoints[1]!,
      validation: toyTable(400, 5),
    });
    expect(other.checkpointIgnored).toMatch(/other data/);

    // Resuming mid-way (before or after the best epoch) or from the stopping checkpoint gives the same model.
    for (const c of [checkpoints[1]!, checkpoints[best]!, checkpoints.at(-1)!]) {
      const resumed = await trainer.train({ ...input, onProgress: undefined, onCheckpoint: undefined, checkpoint: c });
      expect(resumed.checkpointIgnored).toBeNull();
      expect(Buffer.from(resumed.onnx).equals(Buffer.from(result.onnx))).toBe(true);
      expect(resumed.metrics).toEqual(result.metrics);
    }
  });

  it('refuses hidden layer sizes the spec would reject', async () => {
    for (const hiddenLayers of [[], [0], [8, 8, 8], [4097]]) {
      await expect(trainer.train({ ...binary, hyperparameters: { ...hyperparameters, hiddenLayers } })).rejects.toThrow(
        /hiddenLayers must list 1 or 2 layer sizes/,
      );
    }
  });

  it('without a validation table runs all epochs', async () => {
    const result = await trainer.train({ ...binary, hyperparameters: { ...hyperparameters, patience: 1 } });
    expect(result.epochsRun).toBe(5);
    expect(result.metadata.epochs).toBe(5);
  });

  it('rejects one-class labels, too many classes, non-numeric regression labels and too few rows', async () => {
    const oneClass = { ...binary.table, label: binary.table.label!.map(() => 'no') };
    await expect(trainer.train({ ...binary, table: oneClass })).rejects.toThrow(/needs both classes/);
    await expect(trainer.train({ ...multiclass, table: oneClass })).rejects.toThrow(/at least 2 classes/);
    const many = { ...binary.table, label: binary.table.label!.map((_, i) => String(i % 101)) };
    await expect(trainer.train({ ...multiclass, table: many })).rejects.toThrow(/101 distinct values/);
    const words = { ...binary.table, label: binary.table.label!.map((v, i) => (i === 7 ? 'twelve' : '1')) };
    await expect(trainer.train({ ...regression, table: words })).rejects.toThrow(/training row 8 .* "twelve"/);
    const tiny = toyTable(10, 3);
    tiny.label = tiny.label!.map((_, i) => (i % 2 === 0 ? 'yes' : 'no'));
    const noL2 = { ...binary, table: tiny, hyperparameters: { ...hyperparameters, l2: 0 } };
    await expect(trainer.train(noL2)).rejects.toThrow(TrainingDataError);
    await expect(trainer.train(noL2)).rejects.toThrow(/^mlp: 10 training rows for \d+ model inputs/);
    await expect(trainer.train({ ...binary, table: tiny })).rejects.toThrow(/10 training rows/);
  });

  it('reports divergence instead of exporting NaN weights', async () => {
    const huge = toyRegressionTable(200, 9);
    huge.numeric.tenure_months = huge.numeric.tenure_months!.map((v, i) => (i === 0 ? 1e300 : v));
    await expect(
      trainer.train({ ...regression, table: huge, hyperparameters: { ...hyperparameters, learningRate: 10 } }),
    ).rejects.toBeInstanceOf(TrainingDivergedError);
  });
});
