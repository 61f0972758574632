import type { FeatureTable } from '../data/table.js';
import { exportLogisticRegression } from '../onnx/export-logistic.js';
import type { ModelLabel } from '../onnx/metadata.js';
import { TrainingDataError, TrainingDivergedError } from './errors.js';
import { binaryTargets, binaryValidation } from './labels.js';
import { columnNames, fitPreprocessor, type Preprocessor, transform } from './preprocess.js';
import { epochPermutation } from './rng.js';
import {
  throwIfAborted,
  trainingFingerprint,
  type Trainer,
  type TrainerCheckpoint,
  type TrainInput,
  type TrainResult,
  yieldToEventLoop,
} from './trainer.js';

/** A fitted logistic regression: `p = sigmoid(bias + weights . transform(pre, row))`. */
export interface LogisticModel {
  preprocessor: Preprocessor;
  weights: ArrayLike<number>;
  bias: number;
}

const ALGORITHM = 'logistic_regression';

/** Numerically stable logistic function. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** `log(1 + exp(z))` without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** `bias + w . x[row]` for a row-major design matrix of `width` columns. */
function logit(x: Float64Array, row: number, width: number, w: Float64Array, bias: number): number {
  let z = bias;
  const base = row * width;
  for (let j = 0; j < width; j++) z += w[j]! * x[base + j]!;
  return z;
}

/** Mean log loss (no L2 term) of the given rows. */
function meanLogLoss(
  x: Float64Array,
  rows: Uint32Array,
  y: Float64Array,
  width: number,
  w: Float64Array,
  b: number,
): number {
  let total = 0;
  for (let k = 0; k < rows.length; k++) {
    const z = logit(x, rows[k]!, width, w, b);
    total += softplus(z) - y[k]! * z;
  }
  return rows.length > 0 ? total / rows.length : 0;
}

/** Positive-class probabilities of every row of `table` under `model` (float64; the reference for the ONNX export). */
export function predictProbabilities(model: LogisticModel, table: FeatureTable): Float64Array {
  const x = transform(model.preprocessor, table);
  const w = Float64Array.from(model.weights);
  const out = new Float64Array(table.rowCount);
  for (let r = 0; r < table.rowCount; r++) out[r] = sigmoid(logit(x, r, model.preprocessor.width, w, model.bias));
  return out;
}

function checkpointProblem(c: TrainerCheckpoint, fingerprint: string, epochs: number): string | null {
  if (c.format !== 'mlops.trainer-checkpoint/v1' || c.algorithm !== ALGORITHM)
    return `unsupported checkpoint ${c.format}/${c.algorithm}`;
  if (c.fingerprint !== fingerprint) return 'checkpoint was written for other data, features or hyperparameters';
  if (!Number.isInteger(c.epoch) || c.epoch < 0 || c.epoch > epochs)
    return `checkpoint epoch ${c.epoch} is outside 0..${epochs}`;
  if (c.weights.length !== c.preprocessor.width) return 'checkpoint weights do not match its preprocessor';
  return null;
}

interface EpochData {
  x: Float64Array;
  rows: Uint32Array;
  y: Float64Array;
  order: Uint32Array;
  width: number;
  /** Updated in place. */
  w: Float64Array;
  grad: Float64Array;
  learningRate: number;
  l2: number;
  batchSize: number;
  signal: AbortSignal | undefined;
  epoch: number;
}

/** One epoch of mini-batch SGD over `order` (kept synchronous and monomorphic so V8 optimises it); returns the new bias. */
function sgdEpoch(d: EpochData, bias: number): number {
  const { x, rows, y, order, width, w, grad, learningRate, l2, batchSize } = d;
  const n = order.length;
  for (let begin = 0; begin < n; begin += batchSize) {
    throwIfAborted(d.signal, d.epoch);
    const end = Math.min(begin + batchSize, n);
    grad.fill(0);
    let gradBias = 0;
    for (let k = begin; k < end; k++) {
      const i = order[k]!;
      const base = rows[i]! * width;
      let z = bias;
      for (let j = 0; j < width; j++) z += w[j]! * x[base + j]!;
      const err = sigmoid(z) - y[i]!;
      for (let j = 0; j < width; j++) grad[j]! += err * x[base + j]!;
      gradBias += err;
    }
    const m = end - begin;
    for (let j = 0; j < width; j++) w[j] = w[j]! - learningRate * (grad[j]! / m + l2 * w[j]!);
    bias -= (learningRate * gradBias) / m;
  }
  return bias;
}

/**
 * Binary logistic regression by mini-batch SGD with L2 (loss = mean log loss + l2/2 * |w|^2, bias not penalised).
 * Weights start at zero; epoch e visits the rows in an order seeded by `(seed, e)` only, so a run resumed from
 * the checkpoint after epoch k ends with exactly the weights (and ONNX bytes) of an uninterrupted run.
 */
export class LogisticRegressionTrainer implements Trainer {
  readonly algorithm = ALGORITHM;

  async train(input: TrainInput): Promise<TrainResult> {
    if (input.label.task !== 'binary') {
      throw new TrainingDataError(`logistic_regression trains binary tasks only, not "${input.label.task}"`);
    }
    const { learningRate, epochs, batchSize, l2 } = input.hyperparameters;
    const { rows, y, negative } = binaryTargets(input.table.label, input.label.positive);
    const fingerprint = trainingFingerprint(ALGORITHM, input);

    let start = 0;
    let checkpointIgnored: string | null = null;
    let pre: Preprocessor;
    let w: Float64Array;
    let bias = 0;
    const lossHistory: number[] = [];
    const restored = input.checkpoint ?? null;
    const problem = restored === null ? null : checkpointProblem(restored, fingerprint, epochs);
    if (restored !== null && problem === null) {
      start = restored.epoch;
      pre = restored.preprocessor;
      w = Float64Array.from(restored.weights);
      bias = restored.bias;
      lossHistory.push(...restored.lossHistory);
    } else {
      checkpointIgnored = problem;
      pre = fitPreprocessor(input.table, input.features);
      w = new Float64Array(pre.width);
    }

    const width = pre.width;
    const x = transform(pre, input.table);
    const validation =
      input.validation === undefined ? null : binaryValidation(pre, input.validation, input.label.positive);
    const grad = new Float64Array(width);
    const n = rows.length;
    let valLoss: number | undefined;

    for (let epoch = start; epoch < epochs; epoch++) {
      const order = epochPermutation(n, input.seed, epoch);
      bias = sgdEpoch(
        { x, rows, y, order, width, w, grad, learningRate, l2, batchSize, signal: input.signal, epoch },
        bias,
      );
      const loss = meanLogLoss(x, rows, y, width, w, bias);
      if (!Number.isFinite(loss) || !Number.isFinite(bias) || !w.every(Number.isFinite)) {
        throw new TrainingDivergedError(epoch, learningRate);
      }
      lossHistory.push(loss);
      valLoss =
        validation === null ? undefined : meanLogLoss(validation.x, validation.rows, validation.y, width, w, bias);
      await input.onProgress?.(
        valLoss === undefined ? { epoch: epoch + 1, epochs, loss } : { epoch: epoch + 1, epochs, loss, valLoss },
      );
      await input.onCheckpoint?.({
        format: 'mlops.trainer-checkpoint/v1',
        algorithm: ALGORITHM,
        epoch: epoch + 1,
        epochs,
        fingerprint,
        preprocessor: pre,
        weights: Array.from(w),
        bias,
        lossHistory: [...lossHistory],
      });
      await yieldToEventLoop();
    }

    const label: ModelLabel = {
      name: input.label.name,
      task: input.label.task,
      positive: input.label.positive,
      negative,
    };
    const positives = y.reduce((a, b) => a + b, 0);
    const trainLoss = lossHistory.at(-1) ?? meanLogLoss(x, rows, y, width, w, bias);
    const metrics: Record<string, number> = {
      train_log_loss: trainLoss,
      train_rows: n,
      train_positive_rate: positives / n,
    };
    if (validation !== null) {
      metrics.val_log_loss = valLoss ?? meanLogLoss(validation.x, validation.rows, validation.y, width, w, bias);
    }
    const features = input.features.map((f) => structuredClone(f));
    const onnx = exportLogisticRegression({
      preprocessor: pre,
      weights: w,
      bias,
      features,
      label,
      training: { hyperparameters: input.hyperparameters, seed: input.seed, epochs, trainRows: n },
    });
    return {
      onnx,
      metrics,
      metadata: {
        algorithm: ALGORITHM,
        features,
        label,
        hyperparameters: { ...input.hyperparameters },
        seed: input.seed,
        preprocessor: pre,
        weights: Array.from(w),
        bias,
        columns: columnNames(pre),
        trainRows: n,
        positiveRate: positives / n,
        epochs,
        lossHistory,
      },
      epochsRun: epochs - start,
      resumedFromEpoch: start,
      checkpointIgnored,
    };
  }
}

/** The logistic-regression trainer. */
export const logisticRegressionTrainer: Trainer = new LogisticRegressionTrainer();
