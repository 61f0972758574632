import * as ort from 'onnxruntime-node';
import { z } from 'zod';
import type { FeatureRecord, FeatureTable } from '../data/table.js';
import { MetadataKeys, readModelMetadata } from '../onnx/metadata.js';
import { type FeatureSpec, featureSpecSchema } from '../spec/pipeline-spec.js';
import { FeatureMismatchError, ModelFormatError, PredictionInputError } from './errors.js';
import {
  checkModelOutputs,
  decodeOutputs,
  emptyPredictions,
  labelSchema,
  type OnnxModelLabel,
  type Predictions,
} from './model-outputs.js';

export type { OnnxModelLabel, Predictions } from './model-outputs.js';

/** A loaded ONNX model of this project, ready to score. */
export interface OnnxModel {
  /** Feature specs from the `mlops.features` metadata (graph input order). */
  readonly features: readonly FeatureSpec[];
  /** The `mlops.label` metadata; its `task` decides the outputs required and the predictions returned. */
  readonly label: OnnxModelLabel;
  readonly algorithm: string;
  /** All `metadata_props`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Graph input names with their ONNX element type (`float32`, `string`, ...). */
  readonly inputs: ReadonlyArray<{ name: string; type: string }>;
  /** Scores every row of a table (numeric NaN and categorical null = missing); see {@link Predictions}. */
  predictTable(table: FeatureTable): Promise<Predictions>;
  /** Scores raw records: numeric `number | null | undefined`, categorical `string | null | undefined`. */
  predictRecords(records: readonly FeatureRecord[]): Promise<Predictions>;
  /** Releases the onnxruntime session; the model cannot score afterwards. */
  close(): Promise<void>;
}

const expectedType = (f: FeatureSpec): string => (f.type === 'numeric' ? 'float32' : 'string');
const describe = (f: FeatureSpec): string => `${f.type} (${expectedType(f)})`;

function parseJson<T>(metadata: Record<string, string>, key: string, schema: z.ZodType<T>): T {
  const raw = metadata[key];
  if (raw === undefined) throw new ModelFormatError(`not a temporal-mlops model: metadata "${key}" is missing`);
  try {
    return schema.parse(JSON.parse(raw));
  } catch (cause) {
    throw new ModelFormatError(`model metadata "${key}" is invalid: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Checks that the model's graph inputs are exactly `features` (same names, numeric = float, categorical = string).
 * @throws FeatureMismatchError naming the first mismatched input.
 */
export function checkModelMatchesFeatures(
  model: Pick<OnnxModel, 'inputs'>,
  features: readonly FeatureSpec[],
  context = 'the model does not match the features',
): void {
  const inputs = new Map(model.inputs.map((i) => [i.name, i.type]));
  for (const f of features) {
    const actual = inputs.get(f.name);
    if (actual !== expectedType(f)) {
      throw new FeatureMismatchError(f.name, describe(f), actual ?? 'absent', context);
    }
  }
  const names = new Set(features.map((f) => f.name));
  for (const input of model.inputs) {
    if (!names.has(input.name)) throw new FeatureMismatchError(input.name, 'absent', input.type, context);
  }
}

function numericValue(value: unknown, feature: string, record: number): number {
  if (value === null || value === undefined) return Number.NaN;
  if (typeof value === 'number') return value;
  throw new PredictionInputError(
    feature,
    `records[${record}].${feature}: expected a number or null, found ${typeof value}`,
    record,
  );
}

function categoricalValue(value: unknown, feature: string, record: number): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  throw new PredictionInputError(
    feature,
    `records[${record}].${feature}: expected a string or null, found ${typeof value}`,
    record,
  );
}

class OrtModel implements OnnxModel {
  readonly inputs: ReadonlyArray<{ name: string; type: string }>;

  constructor(
    private readonly session: ort.InferenceSession,
    readonly features: readonly FeatureSpec[],
    readonly label: OnnxModelLabel,
    readonly algorithm: string,
    readonly metadata: Readonly<Record<string, string>>,
  ) {
    this.inputs = session.inputMetadata.map((m) => ({ name: m.name, type: m.isTensor ? m.type : 'non-tensor' }));
  }

  async predictTable(table: FeatureTable): Promise<Predictions> {
    const n = table.rowCount;
    const feeds: Record<string, ort.Tensor> = {};
    for (const f of this.features) {
      if (f.type === 'numeric') {
        const column = table.numeric[f.name];
        if (column === undefined) throw new PredictionInputError(f.name, `the table has no numeric column "${f.name}"`);
        feeds[f.name] = new ort.Tensor('float32', Float32Array.from(column), [n, 1]);
      } else {
        const column = table.categorical[f.name];
        if (column === undefined)
          throw new PredictionInputError(f.name, `the table has no categorical column "${f.name}"`);
        feeds[f.name] = new ort.Tensor(
          'string',
          column.map((v) => v ?? ''),
          [n, 1],
        );
      }
    }
    return this.run(feeds, n);
  }

  async predictRecords(records: readonly FeatureRecord[]): Promise<Predictions> {
    const n = records.length;
    const feeds: Record<string, ort.Tensor> = {};
    for (const f of this.features) {
      if (f.type === 'numeric') {
        const values = Float32Array.from(records, (r, i) => numericValue(r[f.name], f.name, i));
        feeds[f.name] = new ort.Tensor('float32', values, [n, 1]);
      } else {
        const values = records.map((r, i) => categoricalValue(r[f.name], f.name, i));
        feeds[f.name] = new ort.Tensor('string', values, [n, 1]);
      }
    }
    return this.run(feeds, n);
  }

  private async run(feeds: Record<string, ort.Tensor>, n: number): Promise<Predictions> {
    if (n === 0) return emptyPredictions(this.label.task);
    return decodeOutputs(await this.session.run(feeds), n, this.label);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/**
 * Loads ONNX bytes produced by this project's exporters into an onnxruntime session.
 * @throws ModelFormatError when the bytes are not a valid ONNX model, lack the `mlops.*` metadata, lack the outputs
 *   the label's task requires (binary: `probability` float32 [N,1] and `label` int64 [N]; multiclass: `probabilities`
 *   float32 [N,K] and `label` int64 [N]; regression: `prediction` float32 [N,1]), or (as
 *   {@link FeatureMismatchError}) the graph inputs do not match `mlops.features`.
 */
export async function loadOnnxModel(
  bytes: Uint8Array,
  options: ort.InferenceSession.SessionOptions = {},
): Promise<OnnxModel> {
  let metadata: Record<string, string>;
  try {
    metadata = readModelMetadata(bytes);
  } catch (cause) {
    throw new ModelFormatError(`not a valid ONNX model (${bytes.length} bytes): ${(cause as Error).message}`, {
      cause,
    });
  }
  const features = parseJson(metadata, MetadataKeys.features, z.array(featureSpecSchema).min(1));
  const label = parseJson(metadata, MetadataKeys.label, labelSchema);
  const algorithm = metadata[MetadataKeys.algorithm];
  if (algorithm === undefined)
    throw new ModelFormatError(`not a temporal-mlops model: metadata "${MetadataKeys.algorithm}" is missing`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3, ...options });
  } catch (cause) {
    throw new ModelFormatError(`onnxruntime cannot load the model: ${(cause as Error).message}`, { cause });
  }
  const model = new OrtModel(session, features, label, algorithm, metadata);
  try {
    checkModelMatchesFeatures(model, features, 'the model graph does not match its mlops.features metadata');
    checkModelOutputs(
      session.outputMetadata.map((m) =>
        m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: m.shape } : { name: m.name, isTensor: false },
      ),
      label,
    );
  } catch (error) {
    await session.release();
    throw error;
  }
  return model;
}
