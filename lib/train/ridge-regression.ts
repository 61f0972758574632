import { exportDenseModel } from '../onnx/export-dense.js';
import type { ModelLabel } from '../onnx/metadata.js';
import { TrainingDataError, TrainingDivergedError } from './errors.js';
import { regressionTargets } from './labels.js';
import { columnNames, fitPreprocessor, type Preprocessor, transform } from './preprocess.js';
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

const ALGORITHM = 'ridge_regression';

/** Mean squared error of `bias + x . w` against `y` over `rows`, yielding to the event loop on long inputs. */
async function mse(
  x: Float64Array,
  rows: Uint32Array,
  y: Float64Array,
  w: Float64Array,
  bias: number,
): Promise<number> {
  const width = w.length;
  const total = await sumRowsYielding(rows.length, width, (from, to, sum) => {
    for (let k = from; k < to; k++) {
      const base = rows[k]! * width;
      let z = bias;
      for (let j = 0; j < width; j++) z += w[j]! * x[base + j]!;
      sum += (z - y[k]!) * (z - y[k]!);
    }
    return sum;
  });
  return rows.length > 0 ? total / rows.length : 0;
}

/** Yields to the event loop (then checks `signal`) once the clock has passed `yieldAt`; returns the next deadline. */
async function turn(yieldAt: number, signal: AbortSignal | undefined): Promise<number> {
  if (performance.now() < yieldAt) return yieldAt;
  await yieldToEventLoop();
  throwIfAborted(signal, 0);
  return nextYieldAt();
}

/**
 * Solves the ridge normal equations `(Xc'Xc / n + l2 I) w = Xc'(y - mean y) / n` (Xc: design matrix with centred
 * columns, so the bias is not penalised) by Cholesky; `bias = mean y - mean x . w`. Rows are accumulated in order,
 * so the result is a pure function of the inputs. Building X'X (every few rows) and the factorisation (every column)
 * yield to the event loop about every 200 ms, without changing the arithmetic.
 */
async function solve(
  x: Float64Array,
  rows: Uint32Array,
  y: Float64Array,
  width: number,
  l2: number,
  signal: AbortSignal | undefined,
): Promise<{ w: Float64Array; bias: number }> {
  const n = rows.length;
  const a = new Float64Array(width * width);
  const rhs = new Float64Array(width);
  const xMean = new Float64Array(width);
  let yMean = 0;
  const nonzero = new Uint32Array(width);
  // A row costs up to width (width + 3) / 2 multiply-adds (fewer when one-hot zeros are skipped).
  const checkEvery = unitsPerClockCheck((width * (width + 3)) / 2);
  let yieldAt = nextYieldAt();
  for (let k = 0; k < n; k++) {
    if (k % checkEvery === 0) {
      throwIfAborted(signal, 0);
      yieldAt = await turn(yieldAt, signal);
    }
    const base = rows[k]! * width;
    let count = 0;
    for (let j = 0; j < width; j++) if (x[base + j] !== 0) nonzero[count++] = j;
    const yk = y[k]!;
    yMean += yk;
    for (let p = 0; p < count; p++) {
      const i = nonzero[p]!;
      const xi = x[base + i]!;
      xMean[i]! += xi;
      rhs[i]! += xi * yk;
      for (let q = 0; q <= p; q++) a[i * width + nonzero[q]!]! += xi * x[base + nonzero[q]!]!;
    }
  }
  yMean /= n;
  for (let i = 0; i < width; i++) xMean[i] = xMean[i]! / n;
  // Centre and scale (lower triangle, i >= j), then add the ridge.
  for (let i = 0; i < width; i++) {
    rhs[i] = (rhs[i]! - n * xMean[i]! * yMean) / n;
    for (let j = 0; j <= i; j++) a[i * width + j] = (a[i * width + j]! - n * xMean[i]! * xMean[j]!) / n;
    a[i * width + i]! += l2;
  }
  throwIfAborted(signal, 0);
  // In-place Cholesky a = L L' (lower triangle), then L z = rhs, L' w = z.
  for (let j = 0; j < width; j++) {
    yieldAt = await turn(yieldAt, signal);
    let d = a[j * width + j]!;
    for (let k = 0; k < j; k++) d -= a[j * width + k]! * a[j * width + k]!;
    if (!(d > 1e-12)) {
      throw new TrainingDataError(
        `ridge_regression: the design matrix is singular (column ${j + 1} is constant or a combination of others, ` +
          `e.g. a one-hot block that is never missing); set trainer.hyperparameters.l2 > 0 (now ${l2})`,
      );
    }
    const root = Math.sqrt(d);
    a[j * width + j] = root;
    for (let i = j + 1; i < width; i++) {
      let s = a[i * width + j]!;
      for (let k = 0; k < j; k++) s -= a[i * width + k]! * a[j * width + k]!;
      a[i * width + j] = s / root;
    }
  }
  const w = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    let s = rhs[i]!;
    for (let k = 0; k < i; k++) s -= a[i * width + k]! * w[k]!;
    w[i] = s / a[i * width + i]!;
  }
  for (let i = width - 1; i >= 0; i--) {
    let s = w[i]!;
    for (let k = i + 1; k < width; k++) s -= a[k * width + i]! * w[k]!;
    w[i] = s / a[i * width + i]!;
  }
  let bias = yMean;
  for (let i = 0; i < width; i++) bias -= xMean[i]! * w[i]!;
  return { w, bias };
}

function checkpointProblem(c: TrainerCheckpoint, fingerprint: string): string | null {
  if (c.format !== 'mlops.trainer-checkpoint/v1' || c.algorithm !== ALGORITHM)
    return `unsupported checkpoint ${c.format}/${c.algorithm}`;
  if (c.fingerprint !== fingerprint) return 'checkpoint was written for other data, features or hyperparameters';
  if (c.epoch !== 1) return `checkpoint epoch ${c.epoch} is not 1`;
  if (c.weights.length !== c.preprocessor.width) return 'checkpoint weights do not match its preprocessor';
  return null;
}

/**
 * Linear regression with L2 (ridge) in closed form: minimises mean squared error / 2 + l2/2 * |w|^2 on the
 * standardised/one-hot design matrix (bias not penalised), exactly and deterministically. There is one "epoch" (the
 * solve): `onProgress` and `onCheckpoint` are called once with `epochs: 1`, and `learningRate`, `epochs`, `batchSize`
 * and `optimizer` do not apply. It refuses (TrainingDataError) a table with no more labelled rows than model inputs
 * (see {@link checkEnoughRows}) and, with `l2 = 0`, a singular design matrix.
 */
export class RidgeRegressionTrainer implements Trainer {
  readonly algorithm = ALGORITHM;

  async train(input: TrainInput): Promise<TrainResult> {
    if (input.label.task !== 'regression') {
      throw new TrainingDataError(`ridge_regression trains regression tasks only, not "${input.label.task}"`);
    }
    const { l2, learningRate } = input.hyperparameters;
    const { rows, y } = regressionTargets(input.table.label, input.label.name);
    const n = rows.length;
    const fingerprint = trainingFingerprint(ALGORITHM, input);
    throwIfAborted(input.signal, 0);

    const restored = input.checkpoint ?? null;
    const problem = restored === null ? null : checkpointProblem(restored, fingerprint);
    const resumed = restored !== null && problem === null;
    const pre: Preprocessor = resumed ? restored.preprocessor : fitPreprocessor(input.table, input.features);
    checkEnoughRows(ALGORITHM, pre, n);
    const x = transform(pre, input.table);
    let w: Float64Array;
    let bias: number;
    if (resumed) [w, bias] = [Float64Array.from(restored.weights), restored.bias];
    else ({ w, bias } = await solve(x, rows, y, pre.width, l2, input.signal));

    const loss = await mse(x, rows, y, w, bias);
    if (!Number.isFinite(loss) || !Number.isFinite(bias) || !w.every(Number.isFinite)) {
      throw new TrainingDivergedError(0, learningRate, 'check the features and label for extreme values');
    }
    let valLoss: number | undefined;
    if (input.validation !== undefined) {
      const v = regressionTargets(input.validation.label, input.label.name, 'validation');
      valLoss = await mse(transform(pre, input.validation), v.rows, v.y, w, bias);
    }
    const lossHistory = [loss];
    if (!resumed) {
      await input.onProgress?.(
        valLoss === undefined ? { epoch: 1, epochs: 1, loss } : { epoch: 1, epochs: 1, loss, valLoss },
      );
      const weights = Array.from(w);
      const common = { format: 'mlops.trainer-checkpoint/v1', algorithm: ALGORITHM, epoch: 1, epochs: 1 } as const;
      await input.onCheckpoint?.({ ...common, fingerprint, preprocessor: pre, weights, bias, lossHistory: [loss] });
    }

    const label: ModelLabel = { name: input.label.name, task: 'regression', positive: '', negative: '' };
    const metrics: Record<string, number> = { train_mse: loss, train_rmse: Math.sqrt(loss), train_rows: n };
    if (valLoss !== undefined) Object.assign(metrics, { val_mse: valLoss, val_rmse: Math.sqrt(valLoss) });
    const features = input.features.map((f) => structuredClone(f));
    const onnx = exportDenseModel({
      algorithm: ALGORITHM,
      preprocessor: pre,
      features,
      label,
      layers: [{ inputs: pre.width, outputs: 1, weights: w, bias: [bias] }],
      training: { hyperparameters: input.hyperparameters, seed: input.seed, epochs: 1, trainRows: n },
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
        parameters: { W1: Array.from(w), b1: [bias] },
        columns: columnNames(pre),
        trainRows: n,
        positiveRate: 0,
        epochs: 1,
        lossHistory,
      },
      epochsRun: resumed ? 0 : 1,
      resumedFromEpoch: resumed ? 1 : 0,
      checkpointIgnored: problem,
    };
  }
}

/** The ridge-regression trainer. */
export const ridgeRegressionTrainer: Trainer = new RidgeRegressionTrainer();
