import { z } from 'zod';
import { featureSpecSchema, type FeatureSpec } from '../lib/spec/pipeline-spec.js';
import type { FeatureRecord } from '../lib/data/table.js';
import { describeValue, toRequestIssues, type RequestIssue } from './request-issues.js';

/** Most records one predict request may carry. */
export const MAX_RECORDS_PER_REQUEST = 1000;

/** Validates one raw record and fills missing nullable features with `null`. */
export type RecordSchema = z.ZodType<FeatureRecord>;

/** Result of validating a predict body. */
export type PredictBodyResult = { ok: true; records: FeatureRecord[] } | { ok: false; issues: RequestIssue[] };

/**
 * Parses the feature schema a registry `DeployedModel` carries (`features`: the pipeline spec's features) into
 * validated {@link FeatureSpec}s with defaults applied. Throws with a readable message when it is malformed.
 */
export function parseFeatureSpecs(features: unknown): FeatureSpec[] {
  const result = z.array(featureSpecSchema).min(1).safeParse(features);
  if (!result.success) {
    const first = toRequestIssues(result.error.issues, ['features'])[0];
    throw new Error(
      `deployed model has an invalid feature schema: ${first ? `${first.path}: ${first.message}` : 'unknown problem'}`,
    );
  }
  return result.data;
}

function valueSchema(feature: FeatureSpec): z.ZodType<unknown> {
  const expected = feature.type === 'numeric' ? 'number' : 'string';
  const nullable = feature.constraints.nullable;
  const message = (iss: { input: unknown }): string => {
    if (iss.input === undefined) return `required ${feature.type} feature is missing (not nullable)`;
    if (iss.input === null) return `expected ${expected}, found null (feature is not nullable)`;
    if (typeof iss.input === 'number' && !Number.isFinite(iss.input))
      return `expected finite number, found ${describeValue(iss.input)}`;
    return `expected ${expected}${nullable ? ' or null' : ''}, found ${describeValue(iss.input)}`;
  };
  const base = feature.type === 'numeric' ? z.number({ error: message }) : z.string({ error: message });
  // Missing and null are the same thing for a nullable feature: the model sees a missing value.
  return nullable ? base.nullish().transform((v) => v ?? null) : base;
}

/**
 * Builds the per-record validator of a model: numeric features accept finite numbers, categorical features
 * strings; `null` (or omission) only where the feature is nullable; unknown fields are rejected.
 */
export function buildRecordSchema(features: readonly FeatureSpec[]): RecordSchema {
  const shape: Record<string, z.ZodType<unknown>> = {};
  for (const feature of features) shape[feature.name] = valueSchema(feature);
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'invalid_type' ? `expected an object of features, found ${describeValue(iss.input)}` : undefined,
  });
}

const envelopeSchema = z.strictObject(
  {
    records: z
      .array(z.unknown(), {
        error: (iss) =>
          iss.input === undefined
            ? 'required: an array of 1 to 1000 feature records'
            : `expected an array of records, found ${describeValue(iss.input)}`,
      })
      .min(1, { error: 'expected 1 to 1000 records, found 0' })
      .max(MAX_RECORDS_PER_REQUEST, {
        error: (iss) => `expected at most ${MAX_RECORDS_PER_REQUEST} records, found ${(iss.input as unknown[]).length}`,
      }),
  },
  {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? `expected a JSON object with "records", found ${describeValue(iss.input)}`
        : undefined,
  },
);

/**
 * Validates a predict body `{ records: [...] }` against a model's record schema. Every invalid field of every
 * record is reported (paths like `records[3].tenure_months`), not just the first.
 */
export function parsePredictBody(body: unknown, recordSchema: RecordSchema): PredictBodyResult {
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) return { ok: false, issues: toRequestIssues(envelope.error.issues) };
  const records: FeatureRecord[] = [];
  const issues: RequestIssue[] = [];
  envelope.data.records.forEach((raw, i) => {
    const parsed = recordSchema.safeParse(raw);
    if (parsed.success) records.push(parsed.data);
    else issues.push(...toRequestIssues(parsed.error.issues, ['records', i]));
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, records };
}
