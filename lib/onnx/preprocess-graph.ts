import type { FeatureSpec } from '../spec/pipeline-spec.js';
import type { Preprocessor } from '../train/preprocess.js';
import { ElemType, type GraphBuilder, intAttr, ML_DOMAIN, stringsAttr } from './graph.js';

/** Opsets of every exported graph (ai.onnx 17 + ai.onnx.ml 3). */
export const EXPORT_OPSETS = { '': 17, [ML_DOMAIN]: 3 } as const;

/** The model cannot be exported as given (inconsistent weights/features, or a feature named like an output). Permanent. */
export class OnnxExportError extends Error {
  override readonly name = 'OnnxExportError';
}

/**
 * Checks that `features` can be graph inputs next to `outputs` (no clash with an output or the internal `mlops::`
 * prefix) and that they are exactly the preprocessor's features (numeric first, then categorical, each in spec order).
 * @throws OnnxExportError naming the offending feature or both lists.
 */
export function checkFeaturesMatch(
  features: readonly FeatureSpec[],
  pre: Preprocessor,
  outputs: readonly string[],
): void {
  for (const f of features) {
    if (outputs.includes(f.name) || f.name.startsWith('mlops::')) {
      throw new OnnxExportError(
        `ONNX export: feature "${f.name}" clashes with a model output or internal name; rename the feature`,
      );
    }
  }
  const expected = [
    ...pre.numeric.map((c) => `numeric:${c.name}`),
    ...pre.categorical.map((c) => `categorical:${c.name}`),
  ];
  const numeric = features.filter((f) => f.type === 'numeric').map((f) => `numeric:${f.name}`);
  const categorical = features.filter((f) => f.type === 'categorical').map((f) => `categorical:${f.name}`);
  const given = [...numeric, ...categorical];
  if (expected.join('\n') !== given.join('\n')) {
    throw new OnnxExportError(
      `ONNX export: features [${given.join(', ')}] do not match the preprocessor [${expected.join(', ')}]`,
    );
  }
}

/**
 * Declares one graph input per feature (numeric `float[N,1]`, categorical `string[N,1]`, named like the feature) and
 * adds the preprocessing of `pre`; returns the name of the design matrix `float[N, pre.width]`.
 *
 * Numeric inputs are concatenated, NaN replaced by the training mean (`Where(IsNaN(x), mean, x)`), then standardised
 * `(x - mean) / std`; each categorical goes through `ai.onnx.ml.OneHotEncoder(zeros=1)` (unknown/missing = all
 * zeros) and `Flatten`. The blocks are concatenated in design-matrix order (see {@link Preprocessor}).
 */
export function addPreprocessing(g: GraphBuilder, pre: Preprocessor, features: readonly FeatureSpec[]): string {
  for (const f of features) g.input(f.name, f.type === 'numeric' ? ElemType.FLOAT : ElemType.STRING, ['N', 1]);

  const blocks: string[] = [];
  if (pre.numeric.length > 0) {
    const k = pre.numeric.length;
    const names = pre.numeric.map((c) => c.name);
    const x = k === 1 ? names[0]! : g.node('Concat', names, { hint: 'numeric_raw', attributes: [intAttr('axis', 1)] });
    const mean = g.floatConstant(
      'numeric_mean',
      [k],
      pre.numeric.map((c) => c.mean),
    );
    const std = g.floatConstant(
      'numeric_std',
      [k],
      pre.numeric.map((c) => c.std),
    );
    const missing = g.node('IsNaN', [x], { hint: 'numeric_missing' });
    const imputed = g.node('Where', [missing, mean, x], { hint: 'numeric_imputed' });
    const centered = g.node('Sub', [imputed, mean], { hint: 'numeric_centered' });
    blocks.push(g.node('Div', [centered, std], { hint: 'numeric_scaled' }));
  }
  for (const col of pre.categorical) {
    if (col.categories.length === 0) continue;
    const onehot = g.node('OneHotEncoder', [col.name], {
      hint: `${col.name}__onehot3d`,
      domain: ML_DOMAIN,
      attributes: [stringsAttr('cats_strings', col.categories), intAttr('zeros', 1)],
    });
    blocks.push(g.node('Flatten', [onehot], { hint: `${col.name}__onehot`, attributes: [intAttr('axis', 1)] }));
  }
  return blocks.length === 1
    ? blocks[0]!
    : g.node('Concat', blocks, { hint: 'design', attributes: [intAttr('axis', 1)] });
}
