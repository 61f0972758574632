import { TrainingDataError } from './errors.js';
import { trainNetwork } from './network-trainer.js';
import type { Trainer, TrainInput, TrainResult } from './trainer.js';

const ALGORITHM = 'mlp';

/** Hidden layers when the spec sets none. */
export const DEFAULT_HIDDEN_LAYERS: readonly number[] = [32];

/**
 * Multi-layer perceptron for every task: the design matrix, 1 or 2 fully connected ReLU hidden layers
 * (`hiddenLayers`, default [32]), and a sigmoid (binary), softmax (multiclass) or identity (regression) output.
 * Trained by mini-batch SGD (default; `optimizer: adam` for Adam, which usually wants learningRate ~0.01) on mean log
 * loss / cross entropy / squared error + l2/2 * |W|^2 (biases not penalised). Regression targets are standardised
 * for training; the exported model predicts in label units.
 *
 * Weights start He-uniform from a generator seeded by `seed`; epoch e visits the rows in an order seeded by
 * `(seed, e)`. With a validation table, training stops after `patience` (default 5) epochs without a lower
 * validation loss and the model of the best epoch is returned; without one, all epochs run. The checkpoint holds
 * the parameters, Adam's moments and the early-stopping state, so resuming from it is bit-identical.
 *
 * Refuses (TrainingDataError) one-class or > 100-class labels, non-numeric regression labels, and a table with no
 * more labelled rows than model inputs (design-matrix columns + the bias), whatever `l2`.
 */
export class MlpTrainer implements Trainer {
  readonly algorithm = ALGORITHM;

  async train(input: TrainInput): Promise<TrainResult> {
    const hidden = input.hyperparameters.hiddenLayers ?? DEFAULT_HIDDEN_LAYERS;
    if (hidden.length < 1 || hidden.length > 2 || !hidden.every((h) => Number.isInteger(h) && h >= 1 && h <= 4096)) {
      throw new TrainingDataError(
        `mlp: trainer.hyperparameters.hiddenLayers must list 1 or 2 layer sizes in 1..4096, not ${JSON.stringify(hidden)}`,
      );
    }
    return trainNetwork({ algorithm: ALGORITHM, hidden, earlyStopping: true }, input);
  }
}

/** The MLP trainer. */
export const mlpTrainer: Trainer = new MlpTrainer();
