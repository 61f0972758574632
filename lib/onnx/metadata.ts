import { onnx } from './graph.js';

/** Keys of the `metadata_props` this project writes into every exported model. */
export const MetadataKeys = {
  /** JSON array of the pipeline spec's feature specs (one graph input per feature, same names). */
  features: 'mlops.features',
  /** JSON {@link ModelLabel}. */
  label: 'mlops.label',
  /** Training algorithm, e.g. `logistic_regression`. */
  algorithm: 'mlops.algorithm',
  /** Version of this metadata layout (currently "1"); not the registry's model version, unknown at training time. */
  version: 'mlops.version',
  /** JSON of training facts (hyperparameters, seed, epochs, rows); informational. */
  training: 'mlops.training',
} as const;

/** Current value of `mlops.version`. */
export const METADATA_VERSION = '1';

/**
 * The label a model predicts, as stored in `mlops.label`.
 *
 * Graph outputs by task: binary: `probability` float[N,1] and `label` int64[N] (1 = `positive`, 0 = `negative`);
 * multiclass: `probabilities` float[N,K] and `label` int64[N] (index into `classes`); regression: `prediction`
 * float[N,1].
 */
export interface ModelLabel {
  name: string;
  task: 'binary' | 'multiclass' | 'regression';
  /** Label value of the positive class (graph output `label` = 1); `""` for multiclass and regression. */
  positive: string;
  /** Label value reported for the negative class (graph output `label` = 0); `""` for multiclass and regression. */
  negative: string;
  /**
   * Multiclass only: the K class values, sorted ascending by UTF-16 code units; class i is `classes[i]` (column i
   * of `probabilities`, `label` = i). Absent for binary and regression models.
   */
  classes?: string[];
}

/**
 * Decodes ONNX model bytes and returns their `metadata_props`.
 * @throws Error when the bytes are not a protobuf-encoded ModelProto with a graph.
 */
export function readModelMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  if (model.graph === null || model.graph === undefined) throw new Error('the message has no graph');
  const out: Record<string, string> = {};
  for (const entry of model.metadataProps) {
    if (typeof entry.key === 'string') out[entry.key] = entry.value ?? '';
  }
  return out;
}
