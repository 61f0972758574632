import { describe, expect, it } from 'vitest';
import { lineageHyperparameters, trainerSchema, trainerTaskProblem } from '../spec/trainer-spec.js';
import { UnknownTrainerError } from './errors.js';
import { TOY_FEATURES, TOY_LABEL, toyTable } from './toy-table.test-util.js';
import { trainingFingerprint } from './trainer.js';
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
