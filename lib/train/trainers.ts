import { UnknownTrainerError } from './errors.js';
import { logisticRegressionTrainer } from './logistic-regression.js';
import { mlpTrainer } from './mlp.js';
import { ridgeRegressionTrainer } from './ridge-regression.js';
import { softmaxRegressionTrainer } from './softmax-regression.js';
import type { Trainer } from './trainer.js';
import type { CommandTrainerSpec } from '../spec/command-trainer-spec.js';
import { createCommandTrainer } from './command-trainer.js';

const TRAINERS: ReadonlyMap<string, Trainer> = new Map(
  [logisticRegressionTrainer, softmaxRegressionTrainer, ridgeRegressionTrainer, mlpTrainer].map((t) => [
    t.algorithm,
    t,
  ]),
);

/** Algorithm names of the built-in trainers. */
export const KNOWN_ALGORITHMS: readonly string[] = [...TRAINERS.keys()];

/**
 * The built-in trainer of `algorithm` (`logistic_regression`, `softmax_regression`, `ridge_regression`, `mlp`).
 * @throws UnknownTrainerError (named `TrainingError`) naming the algorithm and the known ones.
 */
export function trainerFor(algorithm: string): Trainer {
  const trainer = TRAINERS.get(algorithm);
  if (trainer === undefined) throw new UnknownTrainerError(algorithm, KNOWN_ALGORITHMS);
  return trainer;
}

/**
 * The trainer a spec's `trainer` section asks for: a built-in one, or for `command` an external program.
 * @throws UnknownTrainerError for an unknown algorithm or a `command` without its program.
 */
export function trainerForSpec(trainer: { algorithm: string; command?: CommandTrainerSpec | undefined }): Trainer {
  if (trainer.algorithm !== 'command') return trainerFor(trainer.algorithm);
  if (trainer.command === undefined)
    throw new UnknownTrainerError('command (without trainer.command)', KNOWN_ALGORITHMS);
  return createCommandTrainer(trainer.command);
}
