import { z } from 'zod';
import { DRIFT_METHODS } from '../stats/drift-methods.js';

/** Spec pieces shared by `monitoring` (drift of serving traffic) and `validation.skew` (skew of new data). */

/** `auto` (Evidently's per-column defaults) or one method for every column. */
export const driftMethodSchema = z.enum(['auto', ...DRIFT_METHODS]);

/** Per-column override: method and/or threshold (a p-value for ks/chisquare, a distance otherwise). */
export const columnDriftSchema = z
  .strictObject({
    method: driftMethodSchema.optional(),
    threshold: z.number().positive().optional(),
  })
  .refine((c) => c.method !== undefined || c.threshold !== undefined, 'expected "method" and/or "threshold"');

/** Overrides by feature name. */
export const driftColumnsSchema = z.record(z.string().min(1), columnDriftSchema);
