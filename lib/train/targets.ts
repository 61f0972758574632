import type { FeatureTable } from '../data/table.js';
import type { ModelLabel } from '../onnx/metadata.js';
import { TrainingDataError } from './errors.js';
import {
  binaryTargets,
  binaryValidation,
  multiclassTargets,
  multiclassValidation,
  regressionTargets,
} from './labels.js';
import type { Head } from './network.js';
import { type Preprocessor, transform } from './preprocess.js';
import type { TrainInput } from './trainer.js';

/** Labelled rows of a table with their design matrix and targets (0/1, class index, or standardised value). */
export interface LabelledRows {
  x: Float64Array;
  rows: Uint32Array;
  y: Float64Array;
}

/**
 * The training targets of any task, ready for a dense network: rows, targets, the head and its width, the
 * {@link ModelLabel} to export, and for regression the target standardisation (`(y - mean) / std`).
 */
export interface Targets {
  rows: Uint32Array;
  y: Float64Array;
  head: Head;
  outputs: number;
  label: ModelLabel;
  /** Regression: targets are trained standardised; `mean` 0 and `std` 1 otherwise. */
  mean: number;
  std: number;
  /** Binary: positive share; multiclass: share of the most frequent class; regression: 0. */
  positiveRate: number;
  /** Rows of `validation` under `pre`, with targets encoded like the training ones. */
  validation(pre: Preprocessor, table: FeatureTable): LabelledRows;
}

/**
 * Reads the label column of `input.table` for `input.label.task`.
 * @throws TrainingDataError for a missing label column, one class, over 100 classes or a non-numeric regression label.
 */
export function targetsFor(input: TrainInput): Targets {
  const { name, task, positive } = input.label;
  if (task === 'binary') {
    const { rows, y, negative } = binaryTargets(input.table.label, positive);
    return {
      rows,
      y,
      head: 'sigmoid',
      outputs: 1,
      label: { name, task, positive, negative },
      mean: 0,
      std: 1,
      positiveRate: y.reduce((a, b) => a + b, 0) / rows.length,
      validation: (pre, table) => binaryValidation(pre, table, positive),
    };
  }
  if (task === 'multiclass') {
    const { rows, y, classes, counts } = multiclassTargets(input.table.label, name);
    return {
      rows,
      y,
      head: 'softmax',
      outputs: classes.length,
      label: { name, task, positive: '', negative: '', classes },
      mean: 0,
      std: 1,
      positiveRate: Math.max(...counts) / rows.length,
      validation: (pre, table) => multiclassValidation(pre, table, classes),
    };
  }
  const { rows, y: raw } = regressionTargets(input.table.label, name);
  let mean = 0;
  for (const v of raw) mean += v;
  mean /= raw.length;
  let squares = 0;
  for (const v of raw) squares += (v - mean) * (v - mean);
  const spread = Math.sqrt(squares / raw.length);
  const std = spread > 0 && Number.isFinite(spread) ? spread : 1;
  if (!Number.isFinite(mean)) {
    throw new TrainingDataError(`regression label "${name}" is too large to average (values near +-1.8e308)`);
  }
  return {
    rows,
    y: raw.map((v) => (v - mean) / std),
    head: 'identity',
    outputs: 1,
    label: { name, task, positive: '', negative: '' },
    mean,
    std,
    positiveRate: 0,
    validation: (pre, table) => {
      const v = regressionTargets(table.label, name, 'validation');
      return { x: transform(pre, table), rows: v.rows, y: v.y.map((t) => (t - mean) / std) };
    },
  };
}

/**
 * Refuses a fit with no more labelled training rows than model inputs: the design-matrix columns (numeric features
 * plus one-hot categories) and the bias. With `rows <= inputs` a linear model can fit every training row exactly
 * (and a network memorise them), whatever `l2`, so the trained model would say nothing about new data. Applies to
 * every built-in trainer.
 * @throws TrainingDataError naming both counts and the ways out.
 */
export function checkEnoughRows(algorithm: string, pre: Preprocessor, rows: number): void {
  const inputs = pre.width + 1;
  if (rows > inputs) return;
  const numeric = pre.numeric.length;
  const oneHot = pre.width - numeric;
  throw new TrainingDataError(
    `${algorithm}: ${rows} training rows for ${inputs} model inputs (${numeric} numeric + ${oneHot} one-hot columns ` +
      `+ the bias): collect more rows or drop features (each category of a categorical feature is one input); ` +
      `training needs more rows than model inputs`,
  );
}
