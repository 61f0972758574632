import { z } from 'zod';
import { LOWER_IS_BETTER, METRICS_BY_TASK } from './evaluation-spec.js';
import { trainerSchema } from './trainer-spec.js';

/** Most trials of one search (each is an activity in the pipeline's history). */
export const MAX_TRIALS = 1000;
/** Most grid points a grid search may span (the sampler draws from them inside the workflow). */
export const MAX_GRID_POINTS = 100_000;

/** A hyperparameter's candidate values, tried as listed (grid) or drawn uniformly (random). */
const valuesSchema = z.strictObject({
  values: z.array(z.unknown()).min(1, 'expected at least one value'),
});

/** A numeric range, drawn uniformly on its scale (`log`: uniform in log space, Optuna's `log=True`). */
const rangeSchema = z
  .strictObject({
    min: z.number(),
    max: z.number(),
    scale: z.enum(['linear', 'log']).default('linear'),
    type: z.enum(['float', 'int']).default('float'),
  })
  .superRefine((r, ctx) => {
    if (!(r.min < r.max)) ctx.addIssue({ code: 'custom', path: ['max'], message: `max must be > min (${r.min})` });
    if (r.scale === 'log' && !(r.min > 0))
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'a log scale needs min > 0' });
    if (r.type === 'int' && !(Number.isInteger(r.min) && Number.isInteger(r.max)))
      ctx.addIssue({ code: 'custom', path: ['min'], message: 'an int range needs integer min and max' });
  });

/** One dimension of the search space. */
export const searchDimensionSchema = z.union([valuesSchema, rangeSchema]);

/**
 * The spec's optional `tuning` section: hyperparameter search over `space`, `trials` training runs (at most
 * `maxParallel` at once), the best by `metric` on the validation split continues to evaluation. Nothing here has a
 * default that depends on the rest of the spec; {@link resolveTuning} fills in `metric`, `direction` and `seed`.
 */
export const tuningSchema = z.strictObject({
  /** Number of trials (grid search: at most the number of grid points; default: all of them). */
  trials: z.number().int().min(1).max(MAX_TRIALS).optional(),
  /** Trials training at the same time (bounded concurrency). */
  maxParallel: z.number().int().min(1).max(64).default(2),
  /** Validation metric to optimise (default log_loss for classification, rmse for regression). */
  metric: z.string().optional(),
  /** Default: minimize for log_loss, rmse, mae; maximize otherwise. */
  direction: z.enum(['minimize', 'maximize']).optional(),
  search: z.enum(['random', 'grid']).default('random'),
  /** Seed of the sampler (default: `split.seed`). */
  seed: z.number().int().optional(),
  /** Per hyperparameter of `trainer.hyperparameters`: `{ values: [...] }` or `{ min, max, scale, type }`. */
  space: z.record(z.string(), searchDimensionSchema).refine((s) => Object.keys(s).length > 0, {
    message: 'expected at least one hyperparameter to search',
  }),
});

export type TuningSpec = z.output<typeof tuningSchema>;
export type SearchDimension = z.output<typeof searchDimensionSchema>;

/** A tuning section with every default applied (what the workflow and the sampler use). JSON-shaped. */
export interface ResolvedTuning {
  trials: number;
  maxParallel: number;
  metric: string;
  direction: 'minimize' | 'maximize';
  search: 'random' | 'grid';
  seed: number;
  space: Record<string, SearchDimension>;
}

/** Default validation metric of a task. */
export function defaultTuningMetric(task: 'binary' | 'multiclass' | 'regression'): string {
  return task === 'regression' ? 'rmse' : 'log_loss';
}

/** Number of grid points of a space (product of the `values` lengths; ranges count as 0: not griddable). */
export function gridSize(space: Record<string, SearchDimension>): number {
  let n = 1;
  for (const dim of Object.values(space)) n *= 'values' in dim ? dim.values.length : 0;
  return n;
}

/** Applies the defaults that depend on the rest of the spec (task, split seed). */
export function resolveTuning(
  tuning: TuningSpec,
  task: 'binary' | 'multiclass' | 'regression',
  splitSeed: number,
): ResolvedTuning {
  const metric = tuning.metric ?? defaultTuningMetric(task);
  return {
    trials: tuning.trials ?? (tuning.search === 'grid' ? gridSize(tuning.space) : 10),
    maxParallel: tuning.maxParallel,
    metric,
    direction: tuning.direction ?? (LOWER_IS_BETTER.has(metric) ? 'minimize' : 'maximize'),
    search: tuning.search,
    seed: tuning.seed ?? splitSeed,
    space: tuning.space,
  };
}

/** Hyperparameters that only take integers. */
const INTEGER_HYPERPARAMETERS: ReadonlySet<string> = new Set(['epochs', 'batchSize', 'patience']);

/** The zod schema of each trainer hyperparameter, by name. */
const hyperparameterShape = trainerSchema.shape.hyperparameters.unwrap().shape as Record<string, z.ZodType>;

/** A problem of the tuning section, with its path inside `tuning`. */
export interface TuningProblem {
  path: Array<string | number>;
  message: string;
}

function firstMessage(result: z.ZodSafeParseResult<unknown>): string {
  return result.success ? '' : (result.error.issues[0]?.message ?? 'invalid value');
}

/**
 * Checks a tuning section against the trainer's hyperparameter schema and the task: every hyperparameter of
 * `space` must exist, every listed value and both ends of every range must be allowed for it, integer
 * hyperparameters need `type: int` ranges, grid search needs `values` everywhere and at most as many trials as
 * grid points, and `metric` must be a validation metric of the task.
 */
export function tuningProblems(tuning: TuningSpec, task: 'binary' | 'multiclass' | 'regression'): TuningProblem[] {
  const problems: TuningProblem[] = [];
  const known = Object.keys(hyperparameterShape);
  for (const [name, dim] of Object.entries(tuning.space)) {
    const schema = hyperparameterShape[name];
    const at = ['space', name];
    if (schema === undefined) {
      problems.push({ path: at, message: `"${name}" is not a trainer hyperparameter; use one of ${known.join(', ')}` });
      continue;
    }
    if ('values' in dim) {
      dim.values.forEach((v, i) => {
        const result = schema.safeParse(v);
        if (!result.success || v === undefined || v === null)
          problems.push({ path: [...at, 'values', i], message: `not a valid ${name}: ${firstMessage(result)}` });
      });
      continue;
    }
    for (const end of ['min', 'max'] as const) {
      const result = schema.safeParse(dim[end]);
      if (!result.success)
        problems.push({ path: [...at, end], message: `outside the allowed range of ${name}: ${firstMessage(result)}` });
    }
    if (INTEGER_HYPERPARAMETERS.has(name) && dim.type !== 'int')
      problems.push({ path: [...at, 'type'], message: `${name} takes integers; use type: int` });
    if (tuning.search === 'grid')
      problems.push({ path: at, message: 'grid search needs a list of values ({ values: [...] }), not a range' });
  }
  const grid = gridSize(tuning.space);
  if (tuning.search === 'grid' && grid > 0 && tuning.trials !== undefined && tuning.trials > grid)
    problems.push({ path: ['trials'], message: `grid search has ${grid} grid point(s), fewer than ${tuning.trials}` });
  // Every trial is an activity in the pipeline's history, and the sampler enumerates the grid inside the workflow.
  if (tuning.search === 'grid' && tuning.trials === undefined && grid > MAX_TRIALS)
    problems.push({
      path: ['trials'],
      message: `grid search has ${grid} grid points, more than ${MAX_TRIALS} trials: set trials to sample some of them`,
    });
  if (tuning.search === 'grid' && grid > MAX_GRID_POINTS)
    problems.push({ path: ['space'], message: `grid search has ${grid} grid points; at most ${MAX_GRID_POINTS}` });
  // The task's evaluation metrics, computed on the validation split.
  const metrics: readonly string[] = METRICS_BY_TASK[task];
  if (tuning.metric !== undefined && !metrics.includes(tuning.metric))
    problems.push({
      path: ['metric'],
      message: `"${tuning.metric}" is not a ${task} validation metric; use one of ${metrics.map((m) => `"${m}"`).join(', ')}`,
    });
  return problems;
}
