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

/** The spec's `evaluation` section. */
export const evaluationSchema = z.strictObject({
  primaryMetric: metricNameSchema,
  /** Absolute floor for the primary metric (a ceiling for loss/error metrics). */
  minimum: z.number(),
  /** Required improvement over the current champion on the same holdout. */
  minImprovement: z.number().min(0).default(0),
});
