import { z } from 'zod';
import { driftColumnsSchema, driftMethodSchema } from './drift-spec.js';
import { durationSchema } from './duration.js';

/**
 * The spec's `monitoring` section. Drift: `driftMethod` (default `auto`: Evidently's choice per column) with
 * `driftThreshold` for an explicit method, `driftColumns` overrides per feature, and `driftShare` of drifting
 * columns for dataset drift. A spec that sets `driftThreshold` without `driftMethod` means PSI (the only method
 * before `driftMethod` existed).
 */
export const monitoringSchema = z
  .strictObject({
    window: durationSchema.default('5m'),
    driftMethod: driftMethodSchema.optional(),
    /** Threshold of `driftMethod` when it is not `auto` (a p-value for ks/chisquare, a distance otherwise). */
    driftThreshold: z.number().positive().optional(),
    /** Per-feature method and/or threshold. */
    driftColumns: driftColumnsSchema.default({}),
    /** Fraction of features that must drift for dataset drift. */
    driftShare: z.number().gt(0).max(1).default(0.5),
    /**
     * Bound on the primary metric over labelled traffic: a floor, or a ceiling for lower-is-better metrics (RMSE,
     * MAE, log loss).
     */
    performanceFloor: z.number().optional(),
    /**
     * Largest degradation of the primary metric on labelled traffic from the deployed version's holdout value, in
     * metric units (e.g. 0.05 AUC, or 2.0 RMSE); beyond it the window is `degraded`.
     */
    performanceTolerance: z.number().min(0).optional(),
    /**
     * Largest share of predict requests of the deployed version that may fail in a window (over at least 20
     * requests); beyond it the window is `degraded`. By default only server errors (5xx) count.
     */
    maxErrorRate: z.number().min(0).max(1).optional(),
    /** What `maxErrorRate` counts: `server` errors (5xx, the default) or `all` (bad requests, 4xx, too). */
    errorRateCounts: z.enum(['server', 'all']).optional(),
    /** Fewest predictions in a window before drift is judged. */
    minSamples: z.number().int().min(1).default(200),
    /** Consecutive breached windows before the controller is signalled (hysteresis). */
    consecutiveBreaches: z.number().int().min(1).default(1),
    /**
     * After a signal, windows before the same deployed version may signal again (a new version resets it). Absent
     * in specs written before it existed: 10.
     */
    cooldownWindows: z.number().int().min(0).max(100_000).optional(),
  })
  .transform(({ driftMethod, ...m }) => ({
    ...m,
    driftMethod: driftMethod ?? (m.driftThreshold !== undefined ? ('psi' as const) : ('auto' as const)),
  }))
  .superRefine((m, ctx) => {
    if (m.driftMethod === 'auto' && m.driftThreshold !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['driftThreshold'],
        message: 'driftThreshold needs an explicit driftMethod (under "auto" each method uses its own default)',
      });
  });
