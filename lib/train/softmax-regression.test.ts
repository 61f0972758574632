import { describe, expect, it } from 'vitest';
import { TrainingDataError, TrainingDivergedError } from './errors.js';
import { predictDense } from './network-trainer.js';
import { SoftmaxRegressionTrainer } from './softmax-regression.js';
import { trainerContract } from './trainer-contract.test-util.js';
import { TOY_FEATURES, TOY_LABEL } from './toy-table.test-util.js';
import { TOY_MULTICLASS_LABEL, toyMulticlassTable } from './toy-tasks.test-util.js';
import type { TrainInput } from './trainer.js';

const trainer = new SoftmaxRegressionTrainer();
const hyperparameters = { learningRate: 0.1, epochs: 6, batchSize: 64, l2: 0.001 };
const table = toyMulticlassTable(1500, 3);
const base: TrainInput = { table, features: TOY_FEATURES, label: TOY_MULTICLASS_LABEL, hyperparameters, seed: 7 };

describe('SoftmaxRegressionTrainer', () => {
  trainerContract(trainer, base, { epochs: 6, resumeAt: 2 });

  it('learns the classes (sorted) better than the majority class, with validation loss', async () => {
    const result = await trainer.train({
      ...base,
      hyperparameters: { ...hyperparameters, epochs: 20 },
      validation: toyMulticlassTable(500, 4),
    });
    expect(result.metadata.label).toEqual({
      name: 'segment',
      task: 'multiclass',
      positive: '',
      negative: '',
      classes: ['high', 'low', 'mid'],
    });
    expect(result.metrics.train_classes).toBe(3);
    expect(result.metrics.val_log_loss).toBeGreaterThan(0);
    expect(Object.keys(result.metadata.parameters!)).toEqual(['W1', 'b1']);
    expect(result.metadata.parameters!.W1).toHaveLength(result.metadata.preprocessor.width * 3);

    const holdout = toyMulticlassTable(1000, 5);
    const p = predictDense(result.metadata, holdout);
    let correct = 0;
    const counts = new Map<string, number>();
    for (let r = 0; r < holdout.rowCount; r++) {
      const row = Array.from(p.subarray(r * 3, r * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      const label = holdout.label![r]!;
      counts.set(label, (counts.get(label) ?? 0) + 1);
      if (['high', 'low', 'mid'][row.indexOf(Math.max(...row))] === label) correct++;
    }
    const majority = Math.max(...counts.values());
    expect(correct).toBeGreaterThan(majority + 100);
  });

  it('other seeds shuffle differently', async () => {
    const a = await trainer.train(base);
    const b = await trainer.train({ ...base, seed: 8 });
    expect(b.metadata.parameters).not.toEqual(a.metadata.parameters);
  });

  it('rejects a non-multiclass task, one class, more than 100 classes, and fewer rows than inputs', async () => {
    await expect(trainer.train({ ...base, label: TOY_LABEL })).rejects.toThrow(/multiclass tasks only/);
    const oneClass = { ...table, label: table.label!.map(() => 'mid') };
    await expect(trainer.train({ ...base, table: oneClass })).rejects.toThrow(TrainingDataError);
    await expect(trainer.train({ ...base, table: oneClass })).rejects.toThrow(
      /at least 2 classes, but label "segment" has only the value "mid"/,
    );
    const ids = { ...table, label: table.label!.map((_, i) => `customer-${i % 150}`) };
    await expect(trainer.train({ ...base, table: ids })).rejects.toThrow(
      /label "segment" has 150 distinct values .*at most 100 classes/,
    );
    const tiny = toyMulticlassTable(8, 3);
    tiny.label = tiny.label!.map((_, i) => (i % 2 === 0 ? 'a' : 'b'));
    const noL2 = { ...base, table: tiny, hyperparameters: { ...hyperparameters, l2: 0 } };
    await expect(trainer.train(noL2)).rejects.toThrow(
      /8 training rows for \d+ model inputs \(4 numeric \+ \d+ one-hot/,
    );
    // A penalty does not make up for the missing rows.
    await expect(trainer.train({ ...noL2, hyperparameters: { ...hyperparameters, l2: 0.01 } })).rejects.toThrow(
      TrainingDataError,
    );
  });

  it('reports divergence instead of exporting NaN weights', async () => {
    const huge = toyMulticlassTable(200, 9);
    huge.numeric.tenure_months = huge.numeric.tenure_months!.map((v, i) => (i === 0 ? 1e300 : v));
    await expect(
      trainer.train({ ...base, table: huge, hyperparameters: { ...hyperparameters, learningRate: 10, l2: 100 } }),
    ).rejects.toBeInstanceOf(TrainingDivergedError);
  });
});
