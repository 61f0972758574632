import type { FeatureSpec } from '../spec/pipeline-spec.js';
import type { Preprocessor } from '../train/preprocess.js';
import { ElemType, floatAttr, GraphBuilder, intAttr } from './graph.js';
import { METADATA_VERSION, MetadataKeys, type ModelLabel } from './metadata.js';
import { addPreprocessing, checkFeaturesMatch, EXPORT_OPSETS, OnnxExportError } from './preprocess-graph.js';

/** Names of the graph outputs of {@link exportDenseModel}, by task (see {@link ModelLabel}). */
export const DenseOutputNames = {
  probability: 'probability',
  probabilities: 'probabilities',
  label: 'label',
  prediction: 'prediction',
} as const;

/** One fully connected layer: `z = a . weights + bias`. */
export interface DenseLayer {
  inputs: number;
  outputs: number;
  /** Row-major `[inputs][outputs]` (weight of input i to output j at `i * outputs + j`). */
  weights: ArrayLike<number>;
  /** One per output. */
  bias: ArrayLike<number>;
}

/** What {@link exportDenseModel} needs. */
export interface DenseExportInput {
  /** Stored as `mlops.algorithm` and used as the graph name, e.g. `mlp`. */
  algorithm: string;
  preprocessor: Preprocessor;
  /** The spec's features: one graph input per feature, in this order, named exactly like the feature. */
  features: readonly FeatureSpec[];
  /** Its `task` picks the output head; multiclass needs `classes`. */
  label: ModelLabel;
  /** The layers in order; every layer but the last is followed by ReLU. The first takes the design matrix. */
  layers: readonly DenseLayer[];
  /** Informational JSON stored as `mlops.training` (must itself be deterministic). */
  training?: unknown;
  /** Binary only: probability at or above which `label` is 1 (default 0.5). */
  threshold?: number | undefined;
}

/** Outputs the last layer must have for `label`. */
function headWidth(label: ModelLabel): number {
  if (label.task !== 'multiclass') return 1;
  const k = label.classes?.length ?? 0;
  if (k < 2) throw new OnnxExportError(`ONNX export: a multiclass label needs at least 2 classes, got ${k}`);
  return k;
}

function outputNames(task: ModelLabel['task']): string[] {
  if (task === 'binary') return [DenseOutputNames.probability, DenseOutputNames.label];
  if (task === 'multiclass') return [DenseOutputNames.probabilities, DenseOutputNames.label];
  return [DenseOutputNames.prediction];
}

function checkConsistent(input: DenseExportInput): void {
  checkFeaturesMatch(input.features, input.preprocessor, outputNames(input.label.task));
  if (input.layers.length === 0) throw new OnnxExportError('ONNX export: the model has no layer');
  let width = input.preprocessor.width;
  input.layers.forEach((layer, i) => {
    if (layer.inputs !== width) {
      throw new OnnxExportError(
        `ONNX export: layer ${i + 1} takes ${layer.inputs} inputs, the one before gives ${width}`,
      );
    }
    if (layer.weights.length !== layer.inputs * layer.outputs || layer.bias.length !== layer.outputs) {
      throw new OnnxExportError(
        `ONNX export: layer ${i + 1} has ${layer.weights.length} weights and ${layer.bias.length} biases ` +
          `for ${layer.inputs} x ${layer.outputs}`,
      );
    }
    width = layer.outputs;
  });
  const expected = headWidth(input.label);
  if (width !== expected) {
    throw new OnnxExportError(
      `ONNX export: the last layer has ${width} outputs; a ${input.label.task} head needs ${expected}`,
    );
  }
}

/** Adds the `label` output of a binary head: `Reshape(Cast(probability >= threshold), [-1])`. */
function binaryLabel(g: GraphBuilder, threshold: number): void {
  const t = g.floatConstant('threshold', [], [threshold]);
  const positive = g.node('GreaterOrEqual', [DenseOutputNames.probability, t], { hint: 'is_positive' });
  const asInt = g.node('Cast', [positive], { hint: 'label_2d', attributes: [intAttr('to', ElemType.INT64)] });
  const flat = g.int64Constant('label_shape', [1], [-1]);
  g.node('Reshape', [asInt, flat], { output: DenseOutputNames.label });
  g.output(DenseOutputNames.probability, ElemType.FLOAT, ['N', 1]);
  g.output(DenseOutputNames.label, ElemType.INT64, ['N']);
}

/**
 * Exports a fitted dense model (linear model or ReLU multi-layer perceptron) with its preprocessing as an ONNX model
 * (ai.onnx 17 + ai.onnx.ml 3). Inputs and preprocessing are those of the logistic export (see
 * `addPreprocessing`); then one `Gemm` per layer with `Relu` between layers, and a head by `label.task`:
 * - binary: `Sigmoid` -> `probability` float[N,1]; `label` int64[N] = 1 when probability >= threshold;
 * - multiclass: `Softmax(axis=1)` -> `probabilities` float[N,K]; `label` int64[N] = `ArgMax` (first maximum), an
 *   index into `label.classes`;
 * - regression: the last `Gemm` -> `prediction` float[N,1].
 * The bytes are a pure function of the arguments (no timestamps).
 * @throws OnnxExportError when layers, features and label do not fit together.
 */
export function exportDenseModel(input: DenseExportInput): Uint8Array {
  checkConsistent(input);
  const task = input.label.task;
  const g = new GraphBuilder();
  let x = addPreprocessing(g, input.preprocessor, input.features);
  input.layers.forEach((layer, i) => {
    const last = i === input.layers.length - 1;
    const w = g.floatConstant(`layer${i + 1}_weights`, [layer.inputs, layer.outputs], layer.weights);
    const b = g.floatConstant(`layer${i + 1}_bias`, [layer.outputs], layer.bias);
    const z = g.node('Gemm', [x, w, b], {
      ...(last && task === 'regression' ? { output: DenseOutputNames.prediction } : { hint: `layer${i + 1}_z` }),
      attributes: [floatAttr('alpha', 1), floatAttr('beta', 1)],
    });
    x = last ? z : g.node('Relu', [z], { hint: `layer${i + 1}_relu` });
  });
  if (task === 'binary') {
    g.node('Sigmoid', [x], { output: DenseOutputNames.probability });
    binaryLabel(g, input.threshold ?? 0.5);
  } else if (task === 'multiclass') {
    g.node('Softmax', [x], { output: DenseOutputNames.probabilities, attributes: [intAttr('axis', 1)] });
    g.node('ArgMax', [DenseOutputNames.probabilities], {
      output: DenseOutputNames.label,
      attributes: [intAttr('axis', 1), intAttr('keepdims', 0)],
    });
    g.output(DenseOutputNames.probabilities, ElemType.FLOAT, ['N', headWidth(input.label)]);
    g.output(DenseOutputNames.label, ElemType.INT64, ['N']);
  } else {
    g.output(DenseOutputNames.prediction, ElemType.FLOAT, ['N', 1]);
  }

  const metadata: Record<string, string> = {
    [MetadataKeys.features]: JSON.stringify(input.features),
    [MetadataKeys.label]: JSON.stringify(input.label),
    [MetadataKeys.algorithm]: input.algorithm,
    [MetadataKeys.version]: METADATA_VERSION,
  };
  if (input.training !== undefined) metadata[MetadataKeys.training] = JSON.stringify(input.training);
  const what =
    task === 'binary'
      ? `${input.label.name} == ${JSON.stringify(input.label.positive)}`
      : task === 'multiclass'
        ? `${input.label.name} (${headWidth(input.label)} classes)`
        : `${input.label.name} (regression)`;
  return g.encode({
    graphName: input.algorithm,
    opsets: EXPORT_OPSETS,
    metadata,
    producerName: 'temporal-mlops',
    producerVersion: METADATA_VERSION,
    docString: `${input.algorithm} (${input.layers.length} layer(s)) predicting ${what}`,
  });
}
