import { describe, expect, it } from 'vitest';
import { TrainingDataError, TrainingDivergedError } from './errors.js';
import { predictDense } from './network-trainer.js';
import { transform } from './preprocess.js';
import { RidgeRegressionTrainer } from './ridge-regression.js';
import { trainerContract } from './trainer-contract.test-util.js';
import { TOY_FEATURES, TOY_LABEL } from './toy-table.test-util.js';
import { TOY_REGRESSION_LABEL, toyRegressionTable } from './toy-tasks.test-util.js';
import type { TrainInput } from './trainer.js';

const trainer = new RidgeRegressionTrainer();
const hyperparameters = { learningRate: 0.1, epochs: 30, batchSize: 64, l2: 0.001 };
const table = toyRegressionTable(2000, 3);
const base: TrainInput = { table, features: TOY_FEATURES, label: TOY_REGRESSION_LABEL, hyperparameters, seed: 7 };
const numericOnly = TOY_FEATURES.filter((f) => f.type === 'numeric');

describe('RidgeRegressionTrainer', () => {
  trainerContract(trainer, base, { epochs: 1, resumeAt: 1 });

  it('fits the closed-form optimum: the gradient of the ridge objective vanishes', async () => {
    const result = await trainer.train({ ...base, validation: toyRegressionTable(500, 4) });
    const { weights, bias, preprocessor } = result.metadata;
    expect(result.metadata.label).toEqual({ name: 'spend', task: 'regression', positive: '', negative: '' });
    expect(result.metadata.parameters).toEqual({ W1: weights, b1: [bias] });
    expect(result.metrics.val_rmse).toBeLessThan(25);
    expect(result.metrics.train_rmse).toBeCloseTo(Math.sqrt(result.metrics.train_mse!), 12);

    // d/dw [mean (pred - y)^2 / 2 + l2/2 |w|^2] = X'(pred - y)/n + l2 w = 0 and d/db = mean(pred - y) = 0.
    const predicted = predictDense(result.metadata, table);
    const y = table.label!.map(Number);
    const width = preprocessor.width;
    const x = transform(preprocessor, table);
    const grad = new Float64Array(width);
    let gradBias = 0;
    for (let r = 0; r < table.rowCount; r++) {
      const err = predicted[r]! - y[r]!;
      gradBias += err / table.rowCount;
      for (let j = 0; j < width; j++) grad[j]! += (err * x[r * width + j]!) / table.rowCount;
    }
    for (let j = 0; j < width; j++) expect(Math.abs(grad[j]! + hyperparameters.l2 * weights[j]!)).toBeLessThan(1e-8);
    expect(Math.abs(gradBias)).toBeLessThan(1e-8);
  });

  it('ignores seed, epochs and learning rate (closed form)', async () => {
    const a = await trainer.train(base);
    const b = await trainer.train({ ...base, seed: 8, hyperparameters: { ...hyperparameters, learningRate: 1 } });
    expect(b.metadata.weights).toEqual(a.metadata.weights);
  });

  it('skips unlabelled rows and names the row of a non-numeric label', async () => {
    const labels = [...table.label!];
    labels[0] = null;
    expect((await trainer.train({ ...base, table: { ...table, label: labels } })).metrics.train_rows).toBe(1999);
    labels[41] = 'n/a';
    const bad = trainer.train({ ...base, table: { ...table, label: labels } });
    await expect(bad).rejects.toThrow(TrainingDataError);
    await expect(trainer.train({ ...base, table: { ...table, label: labels } })).rejects.toThrow(
      /regression label "spend" must be a finite number, but training row 42 .* has "n\/a"/,
    );
    labels[41] = 'Infinity';
    await expect(trainer.train({ ...base, table: { ...table, label: labels } })).rejects.toThrow(/row 42/);
    const validation = toyRegressionTable(50, 4);
    validation.label![3] = '';
    await expect(trainer.train({ ...base, validation })).rejects.toThrow(/validation row 4 .* has ""/);
  });

  it('rejects other tasks, singular fits without l2, and fewer rows than inputs', async () => {
    await expect(trainer.train({ ...base, label: TOY_LABEL })).rejects.toThrow(/regression tasks only/);
    const noL2 = { ...hyperparameters, l2: 0 };
    // Without missing categories every one-hot block sums to 1, like the intercept: singular.
    const complete = toyRegressionTable(500, 3, { missingRate: 0 });
    await expect(trainer.train({ ...base, table: complete, hyperparameters: noL2 })).rejects.toThrow(
      /design matrix is singular .* set trainer.hyperparameters.l2 > 0/,
    );
    const ok = await trainer.train({ ...base, table: complete, features: numericOnly, hyperparameters: noL2 });
    expect(ok.metrics.train_rmse).toBeGreaterThan(0);
    const tiny = toyRegressionTable(6, 3);
    await expect(trainer.train({ ...base, table: tiny, hyperparameters: noL2 })).rejects.toThrow(
      /6 training rows for \d+ model inputs .*collect more rows or drop features/,
    );
    await expect(trainer.train({ ...base, table: tiny })).rejects.toThrow(/6 training rows/);
  });

  it('reports an overflowing solution as divergence', async () => {
    const huge = toyRegressionTable(200, 9);
    huge.label = huge.label!.map((v, i) => (i === 0 ? '1e308' : v));
    await expect(trainer.train({ ...base, table: huge })).rejects.toBeInstanceOf(TrainingDivergedError);
  });
});
