import type { FeatureTable } from '../data/table.js';
import { exportLogisticRegression } from '../onnx/export-logistic.js';
import type { ModelLabel } from '../onnx/metadata.js';
import { TrainingDataError, TrainingDivergedError } from './errors.js';
import { binaryTargets, binaryValidation } from './labels.js';
import { columnNames, fitPreprocessor, type Preprocessor, transform } from './preprocess.js';
import { epochPermutation } from './rng.js';
import { checkEnoughRows } from './targets.js';
import {
  nextYieldAt,
  sumRowsYielding,
  throwIfAborted,
  trainingFingerprint,
  type Trainer,
  type TrainerCheckpoint,
  type TrainInput,
  type TrainResult,
  unitsPerClockCheck,
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

/** Mean log loss (no L2 term) of the given rows, yielding to the event loop on long inputs. */
async function meanLogLoss(
  x: Float64Array,
  rows: Uint32Array,
  y: Float64Array,
  width: number,
  w: Float64Array,
  b: number,
): Promise<number> {
  const total = await sumRowsYielding(rows.length, width, (from, to, sum) => {
    for (let k = from; k < to; k++) {
      const z = logit(x, rows[k]!, width, w, b);
      sum += softplus(z) - y[k]! * z;
    }
    return sum;
  });
  return rows.length > 0 ? total / rows.length : 0;
}

/** Adds the log loss of rows `from..to` of a {@link trainingMatrix} to `total`. */
function trainingLogLossSum(
  xy: Float64Array,
  from: number,
  to: number,
  width: number,
  w: Float64Array,
  b: number,
  total: number,
): number {
  const stride = width + 1;
  for (let k = from; k < to; k++) {
    const base = k * stride;
    let z = b;
    for (let j = 0; j < width; j++) z += w[j]! * xy[base + j]!;
    total += softplus(z) - xy[base + width]! * z;
  }
  return total;
}

/**
 * Mean log loss (no L2 term) of every row of a {@link trainingMatrix} (`width` features then the target per row),
 * yielding to the event loop on long inputs. The same arithmetic, in the same order, as {@link meanLogLoss} over the
 * labelled rows.
 */
async function trainingLogLoss(
  xy: Float64Array,
  n: number,
  width: number,
  w: Float64Array,
  b: number,
): Promise<number> {
  const total = await sumRowsYielding(n, width, (from, to, sum) => trainingLogLossSum(xy, from, to, width, w, b, sum));
  return n > 0 ? total / n : 0;
}

/** Design-matrix values (8 MiB) transformed per call when building the {@link trainingMatrix}. */
const TRANSFORM_CHUNK_VALUES = 1 << 20;

/** Rows `begin..end` of the columns `pre` reads (views of numeric columns; copies of the string arrays). */
function rowSlice(pre: Preprocessor, table: FeatureTable, begin: number, end: number): FeatureTable {
  const numeric: Record<string, Float64Array> = {};
  const categorical: Record<string, Array<string | null>> = {};
  for (const c of pre.numeric) numeric[c.name] = table.numeric[c.name]!.subarray(begin, end);
  for (const c of pre.categorical) categorical[c.name] = table.categorical[c.name]!.slice(begin, end);
  return { rowCount: end - begin, numeric, categorical, label: null };
}

/**
 * The labelled training rows as one row-major matrix of `width + 1` columns: row k holds the design-matrix row of
 * table row `rows[k]` followed by its 0/1 target `y[k]`. SGD visits the rows in a shuffled order, so keeping a row's
 * features and target in one contiguous block (without the `rows[]` indirection) saves two of the three cache and
 * TLB misses per visited row; the values, and so the arithmetic and every weight, are those of `transform`.
 * The table is transformed in chunks of rows, so a full-size design matrix is never held beside this one; between
 * chunks it yields to the event loop about every 200 ms (`yieldPolicy` in trainer.ts).
 */
async function trainingMatrix(
  pre: Preprocessor,
  table: FeatureTable,
  rows: Uint32Array,
  y: Float64Array,
): Promise<Float64Array> {
  const width = pre.width;
  const stride = width + 1;
  const out = new Float64Array(rows.length * stride);
  const n = table.rowCount;
  let ascending = true;
  for (let k = 1; k < rows.length && ascending; k++) ascending = rows[k]! > rows[k - 1]!;
  const chunkable =
    ascending &&
    pre.numeric.every((c) => table.numeric[c.name]?.length === n) &&
    pre.categorical.every((c) => table.categorical[c.name]?.length === n);
  // Not chunkable: the whole table at once (`transform` reports a missing or short column as before).
  const chunkRows = chunkable ? Math.max(1, Math.floor(TRANSFORM_CHUNK_VALUES / width)) : n;
  let k = 0;
  let yieldAt = nextYieldAt();
  for (let begin = 0; begin < n && k < rows.length; begin += chunkRows) {
    if (performance.now() >= yieldAt) {
      await yieldToEventLoop();
      yieldAt = nextYieldAt();
    }
    const end = Math.min(begin + chunkRows, n);
    const x = chunkable ? transform(pre, rowSlice(pre, table, begin, end)) : transform(pre, table);
    for (; k < rows.length && (!chunkable || rows[k]! < end); k++) {
      const src = (rows[k]! - begin) * width;
      const dst = k * stride;
      for (let j = 0; j < width; j++) out[dst + j] = x[src + j]!;
      out[dst + width] = y[k]!;
    }
  }
  return out;
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
  /** The {@link trainingMatrix}: `width` features then the target, per labelled row. */
  xy: Float64Array;
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
  /** Updated by {@link sgdSlice}. */
  bias: number;
  /** Position in `order` of the epoch's next mini-batch; updated by {@link sgdSlice}. */
  next: number;
}

/** Rows of a mini-batch whose memory {@link sgdSlice} requests together before stepping through them. */
const PREFETCH_ROWS = 64;
/** Receives the sums of the prefetching loads so the compiler keeps them; never read. */
const PREFETCH_SINK = new Float64Array(1);

/**
 * Mini-batch SGD over `order` from position `d.next` until the end of the epoch or, read every few mini-batches,
 * the clock passes `yieldAt` (kept synchronous and monomorphic so V8 optimises it). Leaves the new bias and the
 * position of the next mini-batch in `d`; the slices of an epoch do exactly the arithmetic of one loop.
 */
function sgdSlice(d: EpochData, yieldAt: number): void {
  const { xy, order, width, w, grad, learningRate, l2, batchSize } = d;
  const stride = width + 1;
  const n = order.length;
  const checkEvery = unitsPerClockCheck(batchSize * stride);
  let bias = d.bias;
  let touched = 0;
  let batches = 0;
  let begin = d.next;
  for (; begin < n; begin += batchSize) {
    if (++batches > checkEvery) {
      if (performance.now() >= yieldAt) break;
      batches = 1;
    }
    throwIfAborted(d.signal, d.epoch);
    const end = Math.min(begin + batchSize, n);
    grad.fill(0);
    let gradBias = 0;
    for (let block = begin; block < end; block += PREFETCH_ROWS) {
      const blockEnd = Math.min(block + PREFETCH_ROWS, end);
      // Prefetch: the rows come in shuffled order, so each is a cache (and TLB) miss. Loading one value per
      // 64-byte cache line (8 float64s) of every row of the block first, in loads that do not depend on each other,
      // has the CPU fetch the block's rows together rather than one at a time as the dependent steps below reach
      // them. The loaded values are not used: the arithmetic (and so every weight) is unchanged.
      for (let k = block; k < blockEnd; k++) {
        const base = order[k]! * stride;
        for (let j = 0; j < width; j += 8) touched += xy[base + j]!;
        touched += xy[base + width]!;
      }
      for (let k = block; k < blockEnd; k++) {
        const base = order[k]! * stride;
        let z = bias;
        for (let j = 0; j < width; j++) z += w[j]! * xy[base + j]!;
        const err = sigmoid(z) - xy[base + width]!;
        for (let j = 0; j < width; j++) grad[j]! += err * xy[base + j]!;
        gradBias += err;
      }
    }
    const m = end - begin;
    for (let j = 0; j < width; j++) w[j] = w[j]! - learningRate * (grad[j]! / m + l2 * w[j]!);
    bias -= (learningRate * gradBias) / m;
  }
  PREFETCH_SINK[0] = touched;
  d.bias = bias;
  d.next = begin;
}

/**
 * Binary logistic regression by mini-batch SGD with L2 (loss = mean log loss + l2/2 * |w|^2, bias not penalised).
 * Weights start at zero; epoch e visits the rows in an order seeded by `(seed, e)` only, so a run resumed from
 * the checkpoint after epoch k ends with exactly the weights (and ONNX bytes) of an uninterrupted run. Within an
 * epoch it yields to the event loop about every 200 ms (`yieldPolicy` in trainer.ts).
 *
 * Refuses (TrainingDataError) a table with no more labelled rows than model inputs (see {@link checkEnoughRows}).
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
    const n = rows.length;
    checkEnoughRows(ALGORITHM, pre, n);
    const xy = await trainingMatrix(pre, input.table, rows, y);
    const validation =
      input.validation === undefined ? null : binaryValidation(pre, input.validation, input.label.positive);
    const grad = new Float64Array(width);
    let valLoss: number | undefined;
    const { signal } = input;
    const d: EpochData = {
      xy,
      order: new Uint32Array(0),
      width,
      w,
      grad,
      learningRate,
      l2,
      batchSize,
      signal,
      epoch: 0,
      bias,
      next: 0,
    };

    for (let epoch = start; epoch < epochs; epoch++) {
      d.order = epochPermutation(n, input.seed, epoch);
      d.epoch = epoch;
      d.next = 0;
      for (;;) {
        sgdSlice(d, nextYieldAt());
        if (d.next >= n) break;
        await yieldToEventLoop();
      }
      bias = d.bias;
      const loss = await trainingLogLoss(xy, n, width, w, bias);
      if (!Number.isFinite(loss) || !Number.isFinite(bias) || !w.every(Number.isFinite)) {
        throw new TrainingDivergedError(epoch, learningRate);
      }
      lossHistory.push(loss);
      valLoss =
        validation === null
          ? undefined
          : await meanLogLoss(validation.x, validation.rows, validation.y, width, w, bias);
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
    const trainLoss = lossHistory.at(-1) ?? (await trainingLogLoss(xy, n, width, w, bias));
    const metrics: Record<string, number> = {
      train_log_loss: trainLoss,
      train_rows: n,
      train_positive_rate: positives / n,
    };
    if (validation !== null) {
      metrics.val_log_loss =
        valLoss ?? (await meanLogLoss(validation.x, validation.rows, validation.y, width, w, bias));
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
