import { z } from 'zod';
import { durationSchema } from './duration.js';

/** The spec's `trainer` section. */
export const trainerSchema = z.strictObject({
  algorithm: z.enum(['logistic_regression']),
  hyperparameters: z
    .strictObject({
      learningRate: z.number().positive().max(10).default(0.1),
      epochs: z.number().int().min(1).max(10_000).default(30),
      batchSize: z.number().int().min(1).max(1_000_000).default(256),
      l2: z.number().min(0).max(100).default(0.0001),
    })
    .default({ learningRate: 0.1, epochs: 30, batchSize: 256, l2: 0.0001 }),
  resources: z.enum(['cpu', 'gpu']).default('cpu'),
  /** When `resources: gpu` and no GPU worker starts the task in time: run on CPU instead, or fail. */
  gpuFallback: z.enum(['cpu', 'fail']).default('cpu'),
  /** How long training may wait for a GPU worker to pick it up. */
  gpuScheduleToStartTimeout: durationSchema.default('60s'),
});

/** Why `trainer` cannot learn a label of `task` (e.g. a binary-only algorithm on a regression label), or null. */
export function trainerTaskProblem(
  trainer: z.output<typeof trainerSchema>,
  task: 'binary' | 'multiclass' | 'regression',
): string | null {
  if (task !== 'binary' && trainer.algorithm === 'logistic_regression')
    return `"logistic_regression" trains binary tasks only, but label.task is "${task}"`;
  return null;
}
