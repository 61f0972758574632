import { createHash } from 'node:crypto';
import type { FeatureTable } from '../data/table.js';
import type { ModelLabel } from '../onnx/metadata.js';
import type { FeatureSpec, PipelineSpec, Task } from '../spec/pipeline-spec.js';
import { TrainingAbortedError } from './errors.js';
import type { Preprocessor } from './preprocess.js';

/** The label to learn (the spec's `label` block). For binary tasks a row is positive iff its value === `positive`. */
export interface LabelSpec {
  name: string;
  task: Task;
  positive: string;
}

/** Trainer hyperparameters (the spec's `trainer.hyperparameters`, defaults applied). */
export type Hyperparameters = PipelineSpec['trainer']['hyperparameters'];

/** Progress after one epoch. */
export interface TrainProgress {
  /** Epochs completed so far (1-based: 1 after the first epoch), counting epochs restored from a checkpoint. */
  epoch: number;
  /** Total epochs of the run. */
  epochs: number;
  /** Training loss (without the L2 term) after this epoch: log loss, or mean squared error for regression. */
  loss: number;
  /** The same loss on `validation`, when a validation table was given. */
  valLoss?: number;
}

/**
 * Resumable training state, JSON-shaped (safe as heartbeat details or an artifact).
 * Doubles survive `JSON.stringify`/`JSON.parse` exactly, so resuming reproduces an uninterrupted run bit for bit.
 */
export interface TrainerCheckpoint {
  format: 'mlops.trainer-checkpoint/v1';
  algorithm: string;
  /** Epochs completed; training resumes with the next one. */
  epoch: number;
  /** Total epochs of the run that wrote it. */
  epochs: number;
  /** Hash of (algorithm, features, label, hyperparameters, seed, training data); a checkpoint is used only when it matches. */
  fingerprint: string;
  preprocessor: Preprocessor;
  /** One weight per design-matrix column (see {@link Preprocessor}); empty when the model lives in `state`. */
  weights: number[];
  bias: number;
  /** Training loss after each completed epoch. */
  lossHistory: number[];
  /**
   * Further named arrays of trainers other than logistic regression (layer parameters, optimiser moments,
   * early-stopping bookkeeping); absent in logistic-regression checkpoints.
   */
  state?: Record<string, number[]>;
}

/** What {@link Trainer.train} needs. */
export interface TrainInput {
  /** Training split (rows with a missing label are skipped). */
  table: FeatureTable;
  features: readonly FeatureSpec[];
  label: LabelSpec;
  hyperparameters: Hyperparameters;
  seed: number;
  /**
   * Optional validation table: its loss is reported per epoch and as `val_log_loss` (`val_mse` for regression);
   * `mlp` also stops early on it (and then includes it in the checkpoint fingerprint).
   */
  validation?: FeatureTable | undefined;
  /** Called (and awaited) at the end of every epoch, before `onCheckpoint`. */
  onProgress?: ((p: TrainProgress) => void | Promise<void>) | undefined;
  /** A checkpoint to resume from; ignored (training restarts) when its fingerprint does not match this input. */
  checkpoint?: TrainerCheckpoint | null | undefined;
  /** Called (and awaited) at the end of every epoch, including the last, with the state after that epoch. */
  onCheckpoint?: ((c: TrainerCheckpoint) => Promise<void>) | undefined;
  /**
   * `command` trainer only: a packed checkpoint of an external program (see lib/train/command-checkpoint.ts) to
   * restore into the program's `resumeFrom`; ignored (training restarts) when it belongs to another run.
   */
  commandCheckpoint?: Uint8Array | null | undefined;
  /**
   * `command` trainer only: called (and awaited) with every checkpoint the program announces, packed, after it was
   * written completely. Throwing stops the program and fails training with that error.
   */
  onCommandCheckpoint?: ((c: { epoch: number; epochs: number; bytes: Uint8Array }) => Promise<void>) | undefined;
  /**
   * Checked before every mini-batch (and at every turn a trainer gives the event loop within an epoch); when
   * aborted, training throws {@link TrainingAbortedError}.
   */
  signal?: AbortSignal | undefined;
}

/** JSON-shaped description of a trained model (stored beside it and in its ONNX metadata). */
export interface TrainedModelMetadata {
  algorithm: string;
  features: FeatureSpec[];
  label: ModelLabel;
  hyperparameters: Hyperparameters;
  seed: number;
  preprocessor: Preprocessor;
  /**
   * Fitted weights, one per design-matrix column (float64; the ONNX model holds them as float32), for the linear
   * single-output models (logistic and ridge regression); empty for the others, whose model is in `parameters`.
   */
  weights: number[];
  bias: number;
  /**
   * Layer parameters of the dense models (`softmax_regression`, `ridge_regression`, `mlp`): `W1`, `b1`, `W2`, ...
   * (`Wk` row-major `[inputs][outputs]`), in label units; absent for logistic regression.
   */
  parameters?: Record<string, number[]>;
  /** Design-matrix column names, e.g. `tenure`, `plan=basic`. */
  columns: string[];
  trainRows: number;
  /** Binary: share of positive rows; multiclass: share of the most frequent class; regression: 0. */
  positiveRate: number;
  /** Epochs of the returned model (for `mlp` with early stopping: the epoch of the best validation loss). */
  epochs: number;
  lossHistory: number[];
}

/** Result of {@link Trainer.train}. */
export interface TrainResult {
  /** The exported ONNX model (deterministic bytes). */
  onnx: Uint8Array;
  /**
   * Training metrics: `train_log_loss`, `train_rows`, `train_positive_rate`, and `val_log_loss` with validation
   * (binary); multiclass: `train_log_loss`, `train_rows`, `train_classes` (and `val_log_loss`); regression:
   * `train_mse`, `train_rmse`, `train_rows` (and `val_mse`, `val_rmse`).
   */
  metrics: Record<string, number>;
  metadata: TrainedModelMetadata;
  /** Epochs actually run by this call. */
  epochsRun: number;
  /** Epochs restored from the checkpoint (0 when starting fresh). */
  resumedFromEpoch: number;
  /** Why a given checkpoint was not used, or null. */
  checkpointIgnored: string | null;
}

/** A training algorithm. Pure domain code: the Temporal activity wires heartbeats to `onProgress`/`onCheckpoint`. */
export interface Trainer {
  readonly algorithm: string;
  train(input: TrainInput): Promise<TrainResult>;
}

/** Throws {@link TrainingAbortedError} when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined, completedEpochs: number): void {
  if (signal?.aborted === true) throw new TrainingAbortedError(completedEpochs, signal.reason);
}

/** Lets pending I/O callbacks (heartbeats, cancellation) run. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * How the built-in trainers share the event loop within an epoch, so heartbeats and cancellation get through on
 * large tables: after about `workPerCheck` values of work they read the clock, and once `intervalMs` have passed
 * since their last turn they {@link yieldToEventLoop} (and check the abort signal). Results never depend on it (the
 * arithmetic and its order stay the same); tests lower both to make every check yield.
 */
export const yieldPolicy = { intervalMs: 200, workPerCheck: 1 << 16 };

/** Units of work (mini-batches, rows) between two clock reads, for units that touch about `cost` values each. */
export function unitsPerClockCheck(cost: number): number {
  return Math.max(1, Math.ceil(yieldPolicy.workPerCheck / Math.max(1, cost)));
}

/** When the work that starts now should next give the event loop a turn (a `performance.now()` time). */
export function nextYieldAt(): number {
  return performance.now() + yieldPolicy.intervalMs;
}

/**
 * Computes a sum over rows `0..n` as `sum(from, to, total)` on consecutive row ranges (each adds its rows to `total`
 * and returns it), yielding to the event loop between ranges about every {@link yieldPolicy} `intervalMs`. The
 * ranges carry one running total, so the result is bit-identical to a single loop over all rows.
 */
export async function sumRowsYielding(
  n: number,
  rowCost: number,
  sum: (from: number, to: number, total: number) => number,
): Promise<number> {
  const chunk = unitsPerClockCheck(rowCost);
  let total = 0;
  let yieldAt = nextYieldAt();
  for (let from = 0; from < n; from += chunk) {
    total = sum(from, Math.min(from + chunk, n), total);
    if (from + chunk < n && performance.now() >= yieldAt) {
      await yieldToEventLoop();
      yieldAt = nextYieldAt();
    }
  }
  return total;
}

/**
 * Fingerprint of a training run: sha256 over the algorithm, features, label, hyperparameters, seed and the
 * feature and label columns of the table. Two inputs with the same fingerprint train identically.
 */
export function trainingFingerprint(algorithm: string, input: TrainInput): string {
  const hash = createHash('sha256');
  const { learningRate, epochs, batchSize, l2, hiddenLayers, optimizer, patience } = input.hyperparameters;
  // The newer hyperparameters count only when set, so fingerprints of older configurations stay as they were.
  const extra = {
    ...(hiddenLayers === undefined ? {} : { hiddenLayers }),
    ...(optimizer === undefined ? {} : { optimizer }),
    ...(patience === undefined ? {} : { patience }),
  };
  hash.update(
    JSON.stringify({
      algorithm,
      features: input.features,
      label: { name: input.label.name, task: input.label.task, positive: input.label.positive },
      hyperparameters: { learningRate, epochs, batchSize, l2, ...extra },
      seed: input.seed,
      rows: input.table.rowCount,
    }),
  );
  for (const feature of input.features) {
    hash.update(`\0${feature.type}:${feature.name}\0`);
    if (feature.type === 'numeric') {
      const column = input.table.numeric[feature.name];
      if (column !== undefined) hash.update(new Uint8Array(column.buffer, column.byteOffset, column.byteLength));
    } else {
      hash.update(JSON.stringify(input.table.categorical[feature.name] ?? null));
    }
  }
  hash.update(JSON.stringify(input.table.label));
  return hash.digest('hex');
}
