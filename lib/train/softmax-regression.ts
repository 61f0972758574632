import { TrainingDataError } from './errors.js';
import { trainNetwork } from './network-trainer.js';
import type { Trainer, TrainInput, TrainResult } from './trainer.js';

const ALGORITHM = 'softmax_regression';

/**
 * Multiclass (multinomial) logistic regression: `p = softmax(b + x . W)` over the K classes of the label (sorted
 * ascending), by mini-batch SGD (or Adam with `optimizer: adam`) on mean cross entropy + l2/2 * |W|^2 (biases not
 * penalised). Weights start at zero; epoch e visits the rows in an order seeded by `(seed, e)` only, so a run resumed
 * from any epoch's checkpoint ends with exactly the parameters (and ONNX bytes) of an uninterrupted run.
 * `hiddenLayers` and `patience` do not apply and are ignored.
 *
 * Refuses (TrainingDataError) a label with fewer than 2 or more than 100 classes, and a table with no more labelled
 * rows than model inputs (design-matrix columns + the bias), whatever `l2`.
 */
export class SoftmaxRegressionTrainer implements Trainer {
  readonly algorithm = ALGORITHM;

  async train(input: TrainInput): Promise<TrainResult> {
    if (input.label.task !== 'multiclass') {
      throw new TrainingDataError(`softmax_regression trains multiclass tasks only, not "${input.label.task}"`);
    }
    return trainNetwork({ algorithm: ALGORITHM, hidden: [], earlyStopping: false }, input);
  }
}

/** The softmax-regression trainer. */
export const softmaxRegressionTrainer: Trainer = new SoftmaxRegressionTrainer();
