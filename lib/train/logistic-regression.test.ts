import { describe, expect, it } from 'vitest';
import { binaryMetrics } from '../eval/metrics.js';
import { TrainingAbortedError, TrainingDataError, TrainingDivergedError } from './errors.js';
import { LogisticRegressionTrainer, predictProbabilities } from './logistic-regression.js';
import { epochPermutation } from './rng.js';
import { TOY_FEATURES, TOY_LABEL, toyTable } from './toy-table.test-util.js';
import type { TrainerCheckpoint, TrainInput, TrainProgress } from './trainer.js';

const trainer = new LogisticRegressionTrainer();
const hyperparameters = { learningRate: 0.1, epochs: 10, batchSize: 64, l2: 0.001 };
const table = toyTable(2000, 3);
const base: TrainInput = { table, features: TOY_FEATURES, label: TOY_LABEL, hyperparameters, seed: 7 };

describe('epochPermutation', () => {
  it('is a permutation that depends only on (seed, epoch)', () => {
    const p = epochPermutation(100, 7, 3);
    expect([...p].sort((a, b) => a - b)).toEqual([...Array(100).keys()]);
    expect(epochPermutation(100, 7, 3)).toEqual(p);
    expect(epochPermutation(100, 7, 4)).not.toEqual(p);
    expect(epochPermutation(100, 8, 3)).not.toEqual(p);
  });
});

describe('LogisticRegressionTrainer', () => {
  it('learns a useful model and reports progress and checkpoints every epoch', async () => {
    const progress: TrainProgress[] = [];
    const checkpoints: TrainerCheckpoint[] = [];
    const result = await trainer.train({
      ...base,
      validation: toyTable(500, 4),
      onProgress: (p) => void progress.push(p),
      onCheckpoint: async (c) => void checkpoints.push(c),
    });
    expect(progress.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(progress.every((p) => p.epochs === 10 && p.valLoss !== undefined)).toBe(true);
    expect(progress.at(-1)!.loss).toBeLessThan(progress[0]!.loss + 1e-9);
    expect(checkpoints.map((c) => c.epoch)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(result.epochsRun).toBe(10);
    expect(result.resumedFromEpoch).toBe(0);
    expect(result.metrics.train_log_loss).toBe(progress.at(-1)!.loss);
    expect(result.metrics.val_log_loss).toBe(progress.at(-1)!.valLoss);
    expect(result.metrics.train_rows).toBe(2000);
    expect(result.metadata.label).toEqual({ ...TOY_LABEL, negative: 'no' });
    expect(result.metadata.weights).toHaveLength(result.metadata.preprocessor.width);

    const holdout = toyTable(1000, 5);
    const scores = predictProbabilities(result.metadata, holdout);
    const m = binaryMetrics(
      scores,
      holdout.label!.map((l) => (l === 'yes' ? 1 : 0)),
    );
    expect(m.roc_auc).toBeGreaterThan(0.75);
    expect(m.log_loss).toBeLessThan(0.6);
  });

  it('is deterministic: same seed -> same weights and ONNX bytes; other seed -> other weights', async () => {
    const a = await trainer.train(base);
    const b = await trainer.train(base);
    expect(Buffer.from(b.onnx).equals(Buffer.from(a.onnx))).toBe(true);
    expect(b.metadata.weights).toEqual(a.metadata.weights);
    const c = await trainer.train({ ...base, seed: 8 });
    expect(c.metadata.weights).not.toEqual(a.metadata.weights);
  });

  it('resuming from the epoch-4 checkpoint (through JSON) gives byte-identical results', async () => {
    const full = await trainer.train(base);
    let saved: string | null = null;
    const controller = new AbortController();
    await expect(
      trainer.train({
        ...base,
        signal: controller.signal,
        onCheckpoint: async (c) => {
          saved = JSON.stringify(c);
          if (c.epoch === 4) controller.abort(new Error('worker shutdown'));
        },
      }),
    ).rejects.toBeInstanceOf(TrainingAbortedError);
    const checkpoint = JSON.parse(saved!) as TrainerCheckpoint;
    expect(checkpoint.epoch).toBe(4);

    const epochs: number[] = [];
    const resumed = await trainer.train({ ...base, checkpoint, onProgress: (p) => void epochs.push(p.epoch) });
    expect(resumed.resumedFromEpoch).toBe(4);
    expect(resumed.epochsRun).toBe(6);
    expect(resumed.checkpointIgnored).toBeNull();
    expect(epochs).toEqual([5, 6, 7, 8, 9, 10]);
    expect(resumed.metadata.weights).toEqual(full.metadata.weights);
    expect(resumed.metadata.lossHistory).toEqual(full.metadata.lossHistory);
    expect(Buffer.from(resumed.onnx).equals(Buffer.from(full.onnx))).toBe(true);
  });

  it('resuming from the final checkpoint only exports the model', async () => {
    let last: TrainerCheckpoint | null = null;
    const full = await trainer.train({ ...base, onCheckpoint: async (c) => void (last = c) });
    const again = await trainer.train({ ...base, checkpoint: last });
    expect(again.epochsRun).toBe(0);
    expect(again.resumedFromEpoch).toBe(10);
    expect(again.metrics).toEqual(full.metrics);
    expect(Buffer.from(again.onnx).equals(Buffer.from(full.onnx))).toBe(true);
  });

  it('ignores a checkpoint written for other data or hyperparameters', async () => {
    let checkpoint: TrainerCheckpoint | null = null;
    await trainer.train({
      ...base,
      hyperparameters: { ...hyperparameters, epochs: 2 },
      onCheckpoint: async (c) => void (checkpoint = c),
    });
    const result = await trainer.train({ ...base, checkpoint });
    expect(result.resumedFromEpoch).toBe(0);
    expect(result.epochsRun).toBe(10);
    expect(result.checkpointIgnored).toMatch(/other data, features or hyperparameters/);
  });

  it('stops between mini-batches when the signal aborts, with an AbortError', async () => {
    const controller = new AbortController();
    const pending = trainer.train({
      ...base,
      signal: controller.signal,
      hyperparameters: { ...hyperparameters, epochs: 10_000, batchSize: 1 },
      onProgress: ({ epoch }) => {
        if (epoch === 2) setImmediate(() => controller.abort());
      },
    });
    const error = (await pending.catch((e: unknown) => e)) as TrainingAbortedError;
    expect(error).toBeInstanceOf(TrainingAbortedError);
    expect(error.name).toBe('AbortError');
    expect(error.completedEpochs).toBe(2);

    const aborted = AbortSignal.abort();
    await expect(trainer.train({ ...base, signal: aborted })).rejects.toMatchObject({
      name: 'AbortError',
      completedEpochs: 0,
    });
  });

  it('yields to the event loop every epoch', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    await trainer.train({ ...base, hyperparameters: { ...hyperparameters, epochs: 20 } });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });

  it('skips unlabelled rows and rejects single-class or non-binary data and fewer rows than inputs', async () => {
    const labels = [...table.label!];
    labels[0] = null;
    const result = await trainer.train({ ...base, table: { ...table, label: labels } });
    expect(result.metrics.train_rows).toBe(1999);

    const oneClass = { ...table, label: table.label!.map(() => 'no') };
    await expect(trainer.train({ ...base, table: oneClass })).rejects.toThrow(TrainingDataError);
    await expect(trainer.train({ ...base, table: oneClass })).rejects.toThrow(/needs both classes/);
    await expect(trainer.train({ ...base, table: { ...table, label: null } })).rejects.toThrow(/no label column/);
    await expect(trainer.train({ ...base, label: { ...TOY_LABEL, task: 'regression' } })).rejects.toThrow(
      /binary tasks only/,
    );
    const tiny = { ...toyTable(9, 3), label: Array.from({ length: 9 }, (_, i) => (i % 2 === 0 ? 'yes' : 'no')) };
    await expect(trainer.train({ ...base, table: tiny })).rejects.toThrow(
      /^logistic_regression: 9 training rows for \d+ model inputs \(4 numeric \+ \d+ one-hot columns \+ the bias\)/,
    );
  });

  it('reports divergence instead of exporting NaN weights', async () => {
    const huge = toyTable(200, 9);
    huge.numeric.tenure_months = huge.numeric.tenure_months!.map((v, i) => (i === 0 ? 1e300 : v));
    await expect(
      trainer.train({ ...base, table: huge, hyperparameters: { ...hyperparameters, learningRate: 10, l2: 100 } }),
    ).rejects.toBeInstanceOf(TrainingDivergedError);
  });

  it('trains 10k rows x 7 features (default hyperparameters) well under 2 s', async () => {
    const big = toyTable(10_000, 11);
    const started = performance.now();
    const result = await trainer.train({
      ...base,
      table: big,
      hyperparameters: { learningRate: 0.1, epochs: 30, batchSize: 256, l2: 0.0001 },
    });
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(2000);
    expect(result.metrics.train_log_loss).toBeLessThan(0.6);
  });
});
