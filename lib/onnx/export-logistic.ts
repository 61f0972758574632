import type { FeatureSpec } from '../spec/pipeline-spec.js';
import type { Preprocessor } from '../train/preprocess.js';
import { ElemType, floatAttr, GraphBuilder, intAttr } from './graph.js';
import { METADATA_VERSION, MetadataKeys, type ModelLabel } from './metadata.js';
import { addPreprocessing, checkFeaturesMatch, EXPORT_OPSETS, OnnxExportError } from './preprocess-graph.js';

export { OnnxExportError } from './preprocess-graph.js';

/** Opsets of the exported graph. */
export const LOGISTIC_OPSETS = EXPORT_OPSETS;

/** Names of the graph outputs. */
export const OutputNames = { probability: 'probability', label: 'label' } as const;

/** What {@link exportLogisticRegression} needs. */
export interface LogisticExportInput {
  preprocessor: Preprocessor;
  /** One weight per design-matrix column (numeric first, then one-hot blocks; see {@link Preprocessor}). */
  weights: ArrayLike<number>;
  bias: number;
  /** The spec's features: one graph input per feature, in this order, named exactly like the feature. */
  features: readonly FeatureSpec[];
  label: ModelLabel;
  /** Informational JSON stored as `mlops.training` (must itself be deterministic). */
  training?: unknown;
  /** Probability at or above which `label` is 1 (default 0.5). */
  threshold?: number | undefined;
}

function checkConsistent(input: LogisticExportInput): void {
  checkFeaturesMatch(input.features, input.preprocessor, [OutputNames.probability, OutputNames.label]);
  if (input.weights.length !== input.preprocessor.width) {
    throw new OnnxExportError(
      `ONNX export: ${input.weights.length} weights for a design matrix of ${input.preprocessor.width} columns`,
    );
  }
}

/**
 * Exports a fitted logistic regression and its preprocessing as an ONNX model (ai.onnx 17 + ai.onnx.ml 3).
 *
 * Inputs: one per feature, named like it: numeric `tensor(float)[N,1]` (NaN = missing), categorical
 * `tensor(string)[N,1]` (`""` = missing). Numeric inputs are concatenated, NaN replaced by the training mean
 * (`Where(IsNaN(x), mean, x)`), then standardised `(x - mean) / std`; each categorical goes through
 * `ai.onnx.ml.OneHotEncoder(zeros=1)` (unknown/missing = all zeros) and `Flatten`. The blocks are concatenated
 * in design-matrix order, then `Gemm(x, W, b)` and `Sigmoid`.
 * Outputs: `probability` `tensor(float)[N,1]` (positive class) and `label` `tensor(int64)[N]` (1 when p >= threshold).
 * The bytes are a pure function of the arguments (no timestamps).
 */
export function exportLogisticRegression(input: LogisticExportInput): Uint8Array {
  checkConsistent(input);
  const pre = input.preprocessor;
  const g = new GraphBuilder();
  const design = addPreprocessing(g, pre, input.features);
  const weights = g.floatConstant('coefficients', [pre.width, 1], input.weights);
  const bias = g.floatConstant('intercept', [1], [input.bias]);
  const logit = g.node('Gemm', [design, weights, bias], {
    hint: 'logit',
    attributes: [floatAttr('alpha', 1), floatAttr('beta', 1)],
  });
  g.node('Sigmoid', [logit], { output: OutputNames.probability });
  const threshold = g.floatConstant('threshold', [], [input.threshold ?? 0.5]);
  const positive = g.node('GreaterOrEqual', [OutputNames.probability, threshold], { hint: 'is_positive' });
  const asInt = g.node('Cast', [positive], { hint: 'label_2d', attributes: [intAttr('to', ElemType.INT64)] });
  const flat = g.int64Constant('label_shape', [1], [-1]);
  g.node('Reshape', [asInt, flat], { output: OutputNames.label });
  g.output(OutputNames.probability, ElemType.FLOAT, ['N', 1]);
  g.output(OutputNames.label, ElemType.INT64, ['N']);

  const metadata: Record<string, string> = {
    [MetadataKeys.features]: JSON.stringify(input.features),
    [MetadataKeys.label]: JSON.stringify(input.label),
    [MetadataKeys.algorithm]: 'logistic_regression',
    [MetadataKeys.version]: METADATA_VERSION,
  };
  if (input.training !== undefined) metadata[MetadataKeys.training] = JSON.stringify(input.training);
  return g.encode({
    graphName: 'logistic_regression',
    opsets: LOGISTIC_OPSETS,
    metadata,
    producerName: 'temporal-mlops',
    producerVersion: METADATA_VERSION,
    docString: `binary logistic regression predicting ${input.label.name} == ${JSON.stringify(input.label.positive)}`,
  });
}
