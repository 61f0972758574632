import { z } from 'zod';
import { driftColumnsSchema, driftMethodSchema } from './drift-spec.js';

/** Anomaly codes whose severity the spec may change (see lib/data/validate.ts and the reader). */
export const CONFIGURABLE_CHECKS = [
  'extra_column',
  'ragged_row',
  'invalid_json',
  'invalid_record',
  'invalid_number',
  'non_finite_number',
  'invalid_value_type',
  'out_of_range',
  'unknown_category',
  'not_nullable',
  'missing_rate_exceeded',
  'high_missing_rate',
  'label_missing',
  'value_skew',
] as const;

/**
 * Checks that always stop the pipeline: without these columns, classes or rows no model can be trained
 * (`too_few_rows` is tuned with `minRows`).
 */
export const FIXED_ERROR_CHECKS = [
  'missing_column',
  'missing_label_column',
  'duplicate_column',
  'invalid_label',
  'label_constant',
  'label_positive_missing',
  'too_few_rows',
] as const;

export const checkSeveritySchema = z.enum(['off', 'warning', 'error']);

/** The spec's `validation` section. */
export const validationSchema = z.strictObject({
  /** Fewer rows fails the gate. */
  minRows: z.number().int().min(1).default(50),
  /**
   * Severity per check, overriding the built-in one: `error` stops the pipeline, `warning` reports and continues,
   * `off` drops the finding. E.g. `{ out_of_range: error, extra_column: off }`.
   */
  severity: z.partialRecord(z.enum(CONFIGURABLE_CHECKS), checkSeveritySchema).default({}),
  /** Value skew of the new dataset against the current champion's training profile. */
  skew: z
    .strictObject({
      /** Method per column (default PSI); `auto` picks as drift monitoring does. */
      method: driftMethodSchema.default('psi'),
      /** Default: 0.25 for PSI, the method's own default otherwise. */
      threshold: z.number().positive().optional(),
      columns: driftColumnsSchema.default({}),
      /** `warning` reports it and continues; `error` stops the pipeline; `off` skips the check. */
      severity: checkSeveritySchema.default('warning'),
    })
    .prefault({}),
});
