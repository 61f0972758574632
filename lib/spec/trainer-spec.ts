import { z } from 'zod';
import { commandTrainerSchema } from './command-trainer-spec.js';
import { durationSchema } from './duration.js';

/** The built-in training algorithms. */
export const ALGORITHMS = ['logistic_regression', 'softmax_regression', 'ridge_regression', 'mlp', 'command'] as const;

/**
 * The spec's `trainer` section.
 *
 * The hyperparameters added with the multiclass/regression trainers (`hiddenLayers`, `optimizer`, `patience`) have
 * no schema default, so existing specs validate to the same value (and spec hash); the trainers apply their defaults:
 * `hiddenLayers` [32], `optimizer` "sgd", `patience` 5.
 */
export const trainerSchema = z.strictObject({
  algorithm: z.enum(ALGORITHMS),
  hyperparameters: z
    .strictObject({
      learningRate: z.number().positive().max(10).default(0.1),
      epochs: z.number().int().min(1).max(10_000).default(30),
      batchSize: z.number().int().min(1).max(1_000_000).default(256),
      l2: z.number().min(0).max(100).default(0.0001),
      /** `mlp` only: sizes of the 1 or 2 ReLU hidden layers (default [32]). */
      hiddenLayers: z.array(z.number().int().min(1).max(4096)).min(1).max(2).optional(),
      /** Mini-batch optimiser of the SGD-trained algorithms (default "sgd"); Adam usually wants learningRate ~0.01. */
      optimizer: z.enum(['sgd', 'adam']).optional(),
      /** `mlp` only: early stopping after this many epochs without a better validation loss (default 5). */
      patience: z.number().int().min(1).max(10_000).optional(),
    })
    .default({ learningRate: 0.1, epochs: 30, batchSize: 256, l2: 0.0001 }),
  /** `command` only: the external program that trains the model (see lib/train/command-trainer.ts). */
  command: commandTrainerSchema.optional(),
  resources: z.enum(['cpu', 'gpu']).default('cpu'),
  /** When `resources: gpu` and no GPU worker starts the task in time: run on CPU instead, or fail. */
  gpuFallback: z.enum(['cpu', 'fail']).default('cpu'),
  /** How long training may wait for a GPU worker to pick it up. */
  gpuScheduleToStartTimeout: durationSchema.default('60s'),
});

/** The tasks each algorithm can learn. */
const TASKS: Record<(typeof ALGORITHMS)[number], ReadonlyArray<'binary' | 'multiclass' | 'regression'>> = {
  logistic_regression: ['binary'],
  softmax_regression: ['multiclass'],
  ridge_regression: ['regression'],
  mlp: ['binary', 'multiclass', 'regression'],
  command: ['binary'],
};

/** Why `trainer` cannot learn a label of `task` (e.g. a binary-only algorithm on a regression label), or null. */
export function trainerTaskProblem(
  trainer: z.output<typeof trainerSchema>,
  task: 'binary' | 'multiclass' | 'regression',
): string | null {
  if (trainer.algorithm === 'command' && trainer.command === undefined)
    return '"command" needs a trainer.command block with the program to run (argv)';
  if (trainer.algorithm !== 'command' && trainer.command !== undefined)
    return `trainer.command is only used with algorithm "command", not "${trainer.algorithm}"`;
  const tasks = TASKS[trainer.algorithm];
  if (tasks.includes(task)) return null;
  const fits = ALGORITHMS.filter((a) => TASKS[a].includes(task)).map((a) => `"${a}"`);
  if (tasks.length === 1)
    return (
      `"${trainer.algorithm}" trains ${tasks[0]} tasks only, but label.task is "${task}"; ` +
      `use ${fits.join(' or ')} for ${task} labels`
    );
  return `"${trainer.algorithm}" cannot train ${task} tasks; use ${fits.join(' or ')}`;
}

/**
 * The hyperparameters as flat lineage values for the model registry (`Record<string, number | string | boolean>`):
 * arrays are joined with "," (`hiddenLayers` [64, 32] -> "64,32"), unset optional ones are left out.
 */
export function lineageHyperparameters(
  hyperparameters: z.output<typeof trainerSchema>['hyperparameters'],
): Record<string, number | string | boolean> {
  const out: Record<string, number | string | boolean> = {};
  for (const [key, value] of Object.entries(hyperparameters)) {
    if (Array.isArray(value)) out[key] = value.join(',');
    else if (value !== undefined) out[key] = value;
  }
  return out;
}
