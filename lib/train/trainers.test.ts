import { afterEach, describe, expect, it } from 'vitest';
import type { FeatureTable } from '../data/table.js';
import { lineageHyperparameters, trainerSchema, trainerTaskProblem } from '../spec/trainer-spec.js';
import { TrainingDataError, UnknownTrainerError } from './errors.js';
import { TOY_FEATURES, TOY_LABEL, toyTable } from './toy-table.test-util.js';
import {
  TOY_MULTICLASS_LABEL,
  TOY_REGRESSION_LABEL,
  toyMulticlassTable,
  toyRegressionTable,
} from './toy-tasks.test-util.js';
import { trainingFingerprint, type TrainInput, yieldPolicy } from './trainer.js';
import { KNOWN_ALGORITHMS, trainerFor } from './trainers.js';

describe('trainerFor', () => {
  it('returns the built-in trainers by algorithm', () => {
    expect(KNOWN_ALGORITHMS).toEqual(['logistic_regression', 'softmax_regression', 'ridge_regression', 'mlp']);
    for (const algorithm of KNOWN_ALGORITHMS) expect(trainerFor(algorithm).algorithm).toBe(algorithm);
  });

  it('names the unknown algorithm and the known ones, as a permanent TrainingError', () => {
    let error: unknown = null;
    try {
      trainerFor('xgboost');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownTrainerError);
    expect((error as Error).name).toBe('TrainingError');
    expect((error as Error).message).toBe(
      'unknown trainer algorithm "xgboost"; known: "logistic_regression", "softmax_regression", "ridge_regression", "mlp"',
    );
  });
});

describe('trainer spec', () => {
  it('keeps the old defaults and adds hiddenLayers, optimizer and patience without defaults', () => {
    const old = trainerSchema.parse({ algorithm: 'logistic_regression' });
    expect(old.hyperparameters).toEqual({ learningRate: 0.1, epochs: 30, batchSize: 256, l2: 0.0001 });
    const mlp = trainerSchema.parse({
      algorithm: 'mlp',
      hyperparameters: { hiddenLayers: [64, 32], optimizer: 'adam', patience: 3, learningRate: 0.01 },
    });
    expect(mlp.hyperparameters).toMatchObject({ hiddenLayers: [64, 32], optimizer: 'adam', patience: 3, epochs: 30 });
    for (const bad of [{ hiddenLayers: [] }, { hiddenLayers: [8, 8, 8] }, { hiddenLayers: [0] }, { hiddenLayers: [5000] }, { optimizer: 'rmsprop' }, { patience: 0 }]) {
      expect(trainerSchema.safeParse({ algorithm: 'mlp', hyperparameters: bad }).success).toBe(false);
    } // prettier-ignore
  });

  it('rejects algorithm/task combinations that cannot train', () => {
    const spec = (algorithm: string) => trainerSchema.parse({ algorithm });
    expect(trainerTaskProblem(spec('logistic_regression'), 'binary')).toBeNull();
    expect(trainerTaskProblem(spec('softmax_regression'), 'multiclass')).toBeNull();
    expect(trainerTaskProblem(spec('ridge_regression'), 'regression')).toBeNull();
    for (const task of ['binary', 'multiclass', 'regression'] as const) {
      expect(trainerTaskProblem(spec('mlp'), task)).toBeNull();
    }
    expect(trainerTaskProblem(spec('logistic_regression'), 'regression')).toBe(
      '"logistic_regression" trains binary tasks only, but label.task is "regression"; ' +
        'use "ridge_regression" or "mlp" for regression labels',
    );
    expect(trainerTaskProblem(spec('softmax_regression'), 'binary')).toMatch(
      /"softmax_regression" trains multiclass tasks only, but label.task is "binary"; use "logistic_regression" or "mlp"/,
    );
    expect(trainerTaskProblem(spec('ridge_regression'), 'multiclass')).toMatch(/trains regression tasks only/);
  });

  it('flattens hyperparameters for registry lineage', () => {
    const base = { learningRate: 0.1, epochs: 30, batchSize: 256, l2: 0.0001 };
    expect(lineageHyperparameters(base)).toEqual(base);
    expect(lineageHyperparameters({ ...base, hiddenLayers: [64, 32], optimizer: 'adam' })).toEqual({
      ...base,
      hiddenLayers: '64,32',
      optimizer: 'adam',
    });
  });
});

describe('trainingFingerprint', () => {
  const input = {
    table: toyTable(500, 3),
    features: TOY_FEATURES,
    label: TOY_LABEL,
    hyperparameters: { learningRate: 0.1, epochs: 30, batchSize: 256, l2: 0.0001 },
    seed: 42,
  };

  it('is unchanged for logistic configurations (recorded before the new hyperparameters existed)', () => {
    const recorded = 'a978c46a952f9feba64935a4bb3bdb2b9c497309b58e5fefcd8cc852ccccd30f';
    expect(trainingFingerprint('logistic_regression', input)).toBe(recorded);
  });

  it('includes the new hyperparameters only when set', () => {
    const plain = trainingFingerprint('mlp', input);
    const set = (extra: object) =>
      trainingFingerprint('mlp', { ...input, hyperparameters: { ...input.hyperparameters, ...extra } });
    expect(set({ patience: 3 })).not.toBe(plain);
    expect(set({ optimizer: 'adam' })).not.toBe(plain);
    expect(set({ hiddenLayers: [8] })).not.toBe(set({ hiddenLayers: [16] }));
  });
});

/** One training input per built-in trainer: `rows` toy rows of a task it learns (labels varied enough to train). */
function inputs(rows: number, features = TOY_FEATURES): Array<[string, TrainInput]> {
  const hyperparameters = { learningRate: 0.05, epochs: 1, batchSize: 8, l2: 0.0001 };
  const common = { features, hyperparameters, seed: 3 };
  const alternate = (t: FeatureTable, a: string, b: string): FeatureTable => ({
    ...t,
    label: t.label!.map((_, i) => (i % 2 === 0 ? a : b)),
  });
  return [
    ['logistic_regression', { ...common, table: alternate(toyTable(rows, 3), 'yes', 'no'), label: TOY_LABEL }],
    ['softmax_regression', { ...common, table: toyMulticlassTable(rows, 3), label: TOY_MULTICLASS_LABEL }],
    ['ridge_regression', { ...common, table: toyRegressionTable(rows, 3), label: TOY_REGRESSION_LABEL }],
    ['mlp', { ...common, table: toyRegressionTable(rows, 3), label: TOY_REGRESSION_LABEL }],
  ];
}

describe('built-in trainers on large tables', () => {
  const defaults = { ...yieldPolicy };
  afterEach(() => void Object.assign(yieldPolicy, defaults));
  /** Makes every clock check yield to the event loop. */
  const yieldAlways = (): void => void Object.assign(yieldPolicy, { intervalMs: 0, workPerCheck: 1 });

  it.each(inputs(400))(
    '%s yields to the event loop within an epoch, with byte-identical results',
    async (algorithm, input) => {
      const plain = await trainerFor(algorithm).train(input);
      yieldAlways();
      let turns = 0;
      let running = true;
      const tick = (): void => void (running && (turns++, setImmediate(tick)));
      setImmediate(tick);
      let turnsBeforeFirstEpoch = 0;
      const sliced = await trainerFor(algorithm).train({
        ...input,
        onProgress: () => void (turnsBeforeFirstEpoch = turns),
      });
      running = false;
      expect(turnsBeforeFirstEpoch).toBeGreaterThan(5);
      expect(Buffer.from(sliced.onnx).equals(Buffer.from(plain.onnx))).toBe(true);
      expect(sliced.metadata).toEqual(plain.metadata);
      expect(sliced.metrics).toEqual(plain.metrics);
    },
  );

  it.each(inputs(400))('%s stops on an abort delivered during its first epoch', async (algorithm, input) => {
    yieldAlways();
    const controller = new AbortController();
    setImmediate(() => controller.abort(new Error('activity cancelled')));
    await expect(trainerFor(algorithm).train({ ...input, signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
      completedEpochs: 0,
    });
  });
});

describe('built-in trainers refuse tables with no more rows than model inputs', () => {
  const numeric = TOY_FEATURES.filter((f) => f.type === 'numeric');

  it.each(inputs(5, numeric))(
    '%s: 5 rows for 5 inputs (4 numeric + the bias), whatever l2',
    async (algorithm, input) => {
      for (const l2 of [0, 0.0001, 1]) {
        const run = trainerFor(algorithm).train({ ...input, hyperparameters: { ...input.hyperparameters, l2 } });
        await expect(run).rejects.toThrow(TrainingDataError);
        await expect(run).rejects.toThrow(
          `${algorithm}: 5 training rows for 5 model inputs (4 numeric + 0 one-hot columns + the bias): ` +
            'collect more rows or drop features',
        );
      }
    },
  );

  it.each(inputs(6, numeric))('%s: trains 6 rows for 5 inputs', async (algorithm, input) => {
    const result = await trainerFor(algorithm).train(input);
    expect(result.metrics.train_rows).toBe(6);
  });

  it.each(inputs(12))('%s: counts the one-hot columns', async (algorithm, input) => {
    await expect(trainerFor(algorithm).train(input)).rejects.toThrow(
      /: 12 training rows for \d+ model inputs \(4 numeric \+ \d+ one-hot columns \+ the bias\): collect more rows/,
    );
  });
});
