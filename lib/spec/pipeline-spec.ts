import { z } from 'zod';
import { alertsSchema } from './alerts-spec.js';
import { deploymentSchema } from './deployment-spec.js';
import { durationSchema } from './duration.js';
import { evaluationProblems, evaluationSchema, type metricNameSchema } from './evaluation-spec.js';

export { metricNameSchema } from './evaluation-spec.js';
import { monitoringSchema } from './monitoring-spec.js';
import { trainerSchema, trainerTaskProblem } from './trainer-spec.js';
import { tuningProblems, tuningSchema } from './tuning-spec.js';
import { validationSchema } from './validation-spec.js';
import { normalizeName } from './column-name.js';

/** Name rule shared by models and features: safe in workflow IDs, file paths and SQL identifiers we build. */
const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'expected lower-case letters, digits, "_" or "-", starting with a letter (max 63)');

/**
 * A feature or label column name: any text but without leading or trailing whitespace (the CSV reader trims header
 * names, so such a name could never be found). Names match the data's after Unicode NFC normalization.
 */
const columnName = z
  .string()
  .min(1)
  .refine((name) => name === name.trim(), {
    message: 'column names cannot start or end with whitespace (dataset headers are trimmed, so it would never match)',
  });

const numericConstraints = z.strictObject({
  min: z.number().optional(),
  max: z.number().optional(),
  /** Missing values allowed at all (default true). */
  nullable: z.boolean().default(true),
  /** Largest tolerated fraction of missing values before the validation gate fails (default 0.3). */
  maxMissingRate: z.number().min(0).max(1).default(0.3),
});

const categoricalConstraints = z.strictObject({
  /** The known categories; values outside are anomalies. */
  values: z.array(z.string()).min(1).optional(),
  nullable: z.boolean().default(true),
  maxMissingRate: z.number().min(0).max(1).default(0.3),
});

export const featureSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({
    name: columnName,
    type: z.literal('numeric'),
    constraints: numericConstraints.default({ nullable: true, maxMissingRate: 0.3 }),
  }),
  z.strictObject({
    name: columnName,
    type: z.literal('categorical'),
    constraints: categoricalConstraints.default({ nullable: true, maxMissingRate: 0.3 }),
  }),
]);

export const taskSchema = z.enum(['binary', 'multiclass', 'regression']);

const datasetSchema = z.strictObject({
  uri: z.string().regex(/^(file|s3):\/\/.+/, 'expected a "file://" or "s3://" URI'),
  format: z.enum(['csv', 'jsonl', 'parquet']),
  /** Pin the pipeline to one dataset version (sha256 of the file's bytes). */
  version: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'expected a sha256 hex digest')
    .optional(),
});

const retrainingSchema = z.strictObject({
  /**
   * After a run ends, automatic triggers (drift, performance, schedule) wait this long before the next run, so a
   * persisting breach cannot cause a retrain storm. Manual and new-data triggers are never held.
   */
  cooldown: durationSchema.default('10m'),
});

const scheduleSchema = z.union([
  z.strictObject({ cron: z.string().min(9, 'expected a cron expression such as "0 3 * * *"') }),
  z.strictObject({ every: durationSchema }),
]);

const splitSchema = z.strictObject({
  holdoutFraction: z.number().gt(0).lt(1).default(0.2),
  seed: z.number().int().default(42),
  /**
   * Fraction of the training split held out for validation (MLP early stopping, `tuning`'s metric). No default here,
   * so specs without it keep their hash; with `tuning` and no value, 0.2 is used (see lib/train/validation-split.ts).
   */
  validation: z.number().gt(0).lt(1).optional(),
});

export const pipelineSpecSchema = z
  .strictObject({
    apiVersion: z.literal('mlops/v1'),
    model: identifier,
    description: z.string().optional(),
    dataset: datasetSchema,
    features: z.array(featureSpecSchema).min(1),
    label: z.strictObject({
      name: columnName,
      task: taskSchema,
      /** For binary tasks: the label value that counts as positive (default "1"). */
      positive: z.string().default('1'),
    }),
    validation: validationSchema.prefault({}),
    split: splitSchema.default({ holdoutFraction: 0.2, seed: 42 }),
    trainer: trainerSchema,
    evaluation: evaluationSchema,
    deployment: deploymentSchema.default({ strategy: 'replace', readyTimeout: '60s' }),
    monitoring: monitoringSchema.prefault({}),
    retraining: retrainingSchema.default({ cooldown: '10m' }),
    schedule: scheduleSchema.optional(),
    alerts: alertsSchema.prefault({}),
    /** Hyperparameter search (see lib/spec/tuning-spec.ts); absent: one training run with `trainer.hyperparameters`. */
    tuning: tuningSchema.optional(),
  })
  .superRefine((spec, ctx) => {
    const seen = new Map<string, number>();
    // Names are compared as the reader matches them (NFC): two spellings of one name would read the same column.
    const nfc = normalizeName;
    spec.features.forEach((f, i) => {
      const prev = seen.get(nfc(f.name));
      if (prev !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['features', i, 'name'],
          message: `duplicate feature name "${f.name}" (also features[${prev}])`,
        });
      }
      seen.set(nfc(f.name), i);
      if (nfc(f.name) === nfc(spec.label.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['features', i, 'name'],
          message: `feature "${f.name}" is also the label`,
        });
      }
    });
    const types = new Map(spec.features.map((f) => [f.name, f.type]));
    const columnSections = [
      ['monitoring', 'driftColumns', spec.monitoring.driftColumns],
      ['validation', 'skew', 'columns', spec.validation.skew.columns],
    ] as const;
    for (const section of columnSections) {
      const columns = section[section.length - 1] as Record<string, { method?: string | undefined }>;
      const path = section.slice(0, -1) as string[];
      for (const [name, setting] of Object.entries(columns)) {
        const type = types.get(name);
        if (type === undefined)
          ctx.addIssue({ code: 'custom', path: [...path, name], message: `"${name}" is not a feature of this spec` });
        else if (type === 'categorical' && (setting.method === 'ks' || setting.method === 'wasserstein'))
          ctx.addIssue({
            code: 'custom',
            path: [...path, name, 'method'],
            message: `"${setting.method}" needs a numeric feature, but "${name}" is categorical`,
          });
      }
    }
    for (const p of evaluationProblems(spec.evaluation, spec.label.task, spec.features))
      ctx.addIssue({ code: 'custom', path: ['evaluation', ...p.path], message: p.message });
    const trainerProblem = trainerTaskProblem(spec.trainer, spec.label.task);
    if (trainerProblem !== null) {
      ctx.addIssue({ code: 'custom', path: ['trainer', 'algorithm'], message: trainerProblem });
    }
    if (spec.tuning !== undefined)
      for (const p of tuningProblems(spec.tuning, spec.label.task))
        ctx.addIssue({ code: 'custom', path: ['tuning', ...p.path], message: p.message });
  });

/** A validated pipeline spec (defaults applied). JSON-shaped: safe as a workflow argument. */
export type PipelineSpec = z.output<typeof pipelineSpecSchema>;
export type FeatureSpec = z.output<typeof featureSpecSchema>;
export type MetricName = z.output<typeof metricNameSchema>;
export type Task = z.output<typeof taskSchema>;

export { LOWER_IS_BETTER } from './evaluation-spec.js';
