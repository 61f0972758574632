import { z } from 'zod';

/** Metric names usable as `evaluation.primaryMetric`. */
export const metricNameSchema = z.enum([
  'accuracy',
  'roc_auc',
  'f1',
  'precision',
  'recall',
  'log_loss',
  'macro_f1',
  'rmse',
  'mae',
  'r2',
]);

/** The primary metrics each task's evaluation computes. */
export const METRICS_BY_TASK: Readonly<
  Record<'binary' | 'multiclass' | 'regression', ReadonlyArray<z.output<typeof metricNameSchema>>>
> = {
  binary: ['accuracy', 'roc_auc', 'f1', 'precision', 'recall', 'log_loss'],
  multiclass: ['accuracy', 'macro_f1', 'log_loss'],
  regression: ['rmse', 'mae', 'r2'],
};

/** Metrics where lower is better (a ceiling rather than a floor; minimised by tuning). */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set<z.output<typeof metricNameSchema>>([
  'log_loss',
  'rmse',
  'mae',
]);

/** `evaluation.slices`: metrics per value of categorical features, and the no-regression-on-any-slice gate. */
export const evaluationSlicesSchema = z.strictObject({
  /** Categorical features to slice the holdout by: one slice per value, plus the missing value as its own slice. */
  features: z.array(z.string().min(1)).min(1),
  /** Slices with fewer labelled holdout rows are reported but not gated. */
  minRows: z.number().int().min(1).default(30),
  /**
   * A slice regresses when the candidate's primary metric on it is worse than the champion's by more than this
   * (in the metric's units); any regressing slice of at least `minRows` rows blocks promotion.
   */
  maxRegression: z.number().min(0).default(0.02),
  /** `false`: compute and store the slice metrics without gating on them. */
  gate: z.boolean().default(true),
});

/**
 * The spec's `evaluation` section. Fields added after the first release have no schema default (their defaults
 * are applied where they are used), so existing specs validate to the same value and spec hash.
 */
export const evaluationSchema = z.strictObject({
  primaryMetric: metricNameSchema,
  /** Absolute floor for the primary metric (a ceiling for loss/error metrics). */
  minimum: z.number(),
  /** Required improvement over the current champion on the same holdout, in the metric's units. */
  minImprovement: z.number().min(0).default(0),
  /**
   * Required improvement over the current champion on the same holdout as a fraction of the champion's value
   * (0.01 = 1%; default 0: none). Both this and `minImprovement` must be met.
   */
  minRelativeImprovement: z.number().min(0).optional(),
  /** Slice metrics and the no-regression gate; none by default. */
  slices: evaluationSlicesSchema.optional(),
});

/** A validated `evaluation` section. */
export type EvaluationSpec = z.output<typeof evaluationSchema>;
export type EvaluationSlicesSpec = z.output<typeof evaluationSlicesSchema>;

/** The evaluation settings with every default applied (`minRelativeImprovement` 0, no slices). */
export interface ResolvedEvaluation {
  primaryMetric: z.output<typeof metricNameSchema>;
  minimum: number;
  minImprovement: number;
  minRelativeImprovement: number;
  slices: EvaluationSlicesSpec | null;
}

/**
 * Applies the defaults of `evaluation`, also to a section validated before a field existed (e.g. a spec in the
 * history of a running workflow).
 */
export function resolveEvaluation(evaluation: z.input<typeof evaluationSchema>): ResolvedEvaluation {
  const parsed = evaluationSchema.parse(evaluation);
  return {
    primaryMetric: parsed.primaryMetric,
    minimum: parsed.minimum,
    minImprovement: parsed.minImprovement,
    minRelativeImprovement: parsed.minRelativeImprovement ?? 0,
    slices: parsed.slices ?? null,
  };
}

/** A problem of an `evaluation` section in the context of the whole spec: its path below `evaluation`. */
export interface EvaluationProblem {
  path: Array<string | number>;
  message: string;
}

/**
 * Cross-field checks of `evaluation` against the spec's label task and features (for the pipeline spec's
 * `superRefine`): the primary metric must be one the task computes, and slice features must name distinct
 * categorical features.
 */
export function evaluationProblems(
  evaluation: EvaluationSpec,
  task: 'binary' | 'multiclass' | 'regression',
  features: ReadonlyArray<{ name: string; type: string }>,
): EvaluationProblem[] {
  const problems: EvaluationProblem[] = [];
  const metrics = METRICS_BY_TASK[task];
  if (!metrics.includes(evaluation.primaryMetric)) {
    problems.push({
      path: ['primaryMetric'],
      message: `"${evaluation.primaryMetric}" is not a ${task} metric; use one of ${metrics.map((m) => `"${m}"`).join(', ')}`,
    });
  }
  const types = new Map(features.map((f) => [f.name, f.type]));
  const seen = new Set<string>();
  evaluation.slices?.features.forEach((name, i) => {
    const type = types.get(name);
    const path = ['slices', 'features', i];
    if (seen.has(name)) problems.push({ path, message: `"${name}" is listed twice` });
    else if (type === undefined) problems.push({ path, message: `"${name}" is not a feature of this spec` });
    else if (type !== 'categorical')
      problems.push({ path, message: `"${name}" is ${type}; slices need a categorical feature` });
    seen.add(name);
  });
  return problems;
}
