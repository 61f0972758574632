import type { Layout, OptimizerState } from './network.js';
import type { Preprocessor } from './preprocess.js';
import type { TrainerCheckpoint } from './trainer.js';

/** The mutable state of a dense-network training run between epochs (all of it goes into checkpoints). */
export interface LoopState {
  /** Current parameters (flat, see {@link Layout}). */
  p: Float64Array;
  opt: OptimizerState;
  /** Early stopping: parameters after the epoch with the lowest validation loss so far, or null. */
  best: Float64Array | null;
  /** 1-based epoch of `best` (0: none yet). */
  bestEpoch: number;
  /** Validation loss of `best` (`Number.MAX_VALUE` before the first; JSON cannot hold Infinity). */
  bestLoss: number;
  /** Epochs since the last improvement. */
  bad: number;
  /** Early stopping ended the run. */
  stopped: boolean;
}

/**
 * The `state` of a dense-network checkpoint: `parameters`, Adam's `adamM`, `adamV` and `adamStep` (Adam only),
 * early stopping's `best` parameters (once there are) and `early` = [bestEpoch, bestLoss, bad, stopped (0/1)].
 */
export function encodeState(s: LoopState): Record<string, number[]> {
  const out: Record<string, number[]> = { parameters: Array.from(s.p) };
  if (s.opt.kind === 'adam') {
    out.adamM = Array.from(s.opt.m);
    out.adamV = Array.from(s.opt.v);
    out.adamStep = [s.opt.step];
  }
  if (s.best !== null) out.best = Array.from(s.best);
  out.early = [s.bestEpoch, s.bestLoss, s.bad, s.stopped ? 1 : 0];
  return out;
}

/** What a checkpoint must match to be resumed from. */
export interface StateExpectations {
  algorithm: string;
  fingerprint: string;
  epochs: number;
  optimizer: 'sgd' | 'adam';
  /** The network layout for a preprocessor of this width. */
  layoutOf: (width: number) => Layout;
}

const sized = (values: unknown, n: number): values is number[] =>
  Array.isArray(values) && values.length === n && values.every((v) => typeof v === 'number');

/**
 * Restores the preprocessor and loop state of a dense-network checkpoint, or says why it cannot be used
 * (other format, algorithm, data/spec fingerprint, or a malformed `state`).
 */
export function decodeState(
  c: TrainerCheckpoint,
  want: StateExpectations,
): { pre: Preprocessor; state: LoopState } | string {
  if (c.format !== 'mlops.trainer-checkpoint/v1' || c.algorithm !== want.algorithm)
    return `unsupported checkpoint ${c.format}/${c.algorithm}`;
  if (c.fingerprint !== want.fingerprint) return 'checkpoint was written for other data, features or hyperparameters';
  if (!Number.isInteger(c.epoch) || c.epoch < 0 || c.epoch > want.epochs)
    return `checkpoint epoch ${c.epoch} is outside 0..${want.epochs}`;
  const st = c.state;
  if (st === undefined || typeof c.preprocessor?.width !== 'number') return 'checkpoint has no network state';
  const total = want.layoutOf(c.preprocessor.width).total;
  if (!sized(st.parameters, total)) return 'checkpoint parameters do not match the network';
  if (!sized(st.early, 4)) return 'checkpoint early-stopping state is malformed';
  const opt: OptimizerState = { kind: want.optimizer, m: new Float64Array(0), v: new Float64Array(0), step: 0 };
  if (want.optimizer === 'adam') {
    if (!sized(st.adamM, total) || !sized(st.adamV, total) || !sized(st.adamStep, 1))
      return 'checkpoint Adam state is malformed';
    [opt.m, opt.v, opt.step] = [Float64Array.from(st.adamM), Float64Array.from(st.adamV), st.adamStep[0]!];
  }
  if (st.best !== undefined && !sized(st.best, total)) return 'checkpoint best parameters do not match the network';
  const [bestEpoch, bestLoss, bad, stopped] = st.early;
  return {
    pre: c.preprocessor,
    state: {
      p: Float64Array.from(st.parameters),
      opt,
      best: st.best === undefined ? null : Float64Array.from(st.best),
      bestEpoch: bestEpoch!,
      bestLoss: bestLoss!,
      bad: bad!,
      stopped: stopped === 1,
    },
  };
}
