import { nextYieldAt, sumRowsYielding, throwIfAborted, unitsPerClockCheck, yieldToEventLoop } from './trainer.js';
import { deriveSeed, mulberry32 } from './rng.js';

/**
 * Output head of a dense network: `sigmoid` (binary, log loss), `softmax` (multiclass, cross entropy) or `identity`
 * (regression, squared error). With these losses the output-layer error is always `output - target`.
 */
export type Head = 'sigmoid' | 'softmax' | 'identity';

/**
 * Shape of a dense network and where its parameters lie in one flat Float64Array: per layer k, the weights
 * `W{k+1}` (row-major `[sizes[k]][sizes[k+1]]`) at `wOffset[k]`, then the biases `b{k+1}` at `bOffset[k]`.
 * Hidden layers use ReLU.
 */
export interface Layout {
  /** Layer widths: design-matrix width, hidden sizes, outputs. */
  sizes: number[];
  head: Head;
  wOffset: number[];
  bOffset: number[];
  /** Number of parameters. */
  total: number;
}

/** The layout of a network with `inputs` inputs, the given hidden layers and `outputs` outputs. */
export function networkLayout(inputs: number, hidden: readonly number[], outputs: number, head: Head): Layout {
  const sizes = [inputs, ...hidden, outputs];
  const wOffset: number[] = [];
  const bOffset: number[] = [];
  let total = 0;
  for (let k = 0; k + 1 < sizes.length; k++) {
    wOffset.push(total);
    total += sizes[k]! * sizes[k + 1]!;
    bOffset.push(total);
    total += sizes[k + 1]!;
  }
  return { sizes, head, wOffset, bOffset, total };
}

/**
 * Initial parameters: all zero for a linear model (no hidden layer; the loss is convex), otherwise He-uniform
 * weights `U(-sqrt(6 / fanIn), sqrt(6 / fanIn))` from a generator seeded by `seed` only, and zero biases.
 */
export function initParameters(layout: Layout, seed: number): Float64Array {
  const p = new Float64Array(layout.total);
  if (layout.sizes.length <= 2) return p;
  const next = mulberry32(deriveSeed(seed, 0x6d6c70));
  for (let k = 0; k + 1 < layout.sizes.length; k++) {
    const fanIn = layout.sizes[k]!;
    const limit = Math.sqrt(6 / fanIn);
    const end = layout.bOffset[k]!;
    for (let i = layout.wOffset[k]!; i < end; i++) p[i] = (2 * next() - 1) * limit;
  }
  return p;
}

/** Per-layer activation and error buffers for one row. */
export function rowBuffers(layout: Layout): { acts: Float64Array[]; deltas: Float64Array[] } {
  return {
    acts: layout.sizes.map((n) => new Float64Array(n)),
    deltas: layout.sizes.map((n) => new Float64Array(n)),
  };
}

/** Forward pass of design-matrix row `row`; leaves the last layer's pre-activations (logits) in `acts.at(-1)`. */
export function forward(l: Layout, p: Float64Array, x: Float64Array, row: number, acts: Float64Array[]): Float64Array {
  const first = acts[0]!;
  const base = row * l.sizes[0]!;
  for (let i = 0; i < first.length; i++) first[i] = x[base + i]!;
  const layers = l.sizes.length - 1;
  for (let k = 0; k < layers; k++) {
    const input = acts[k]!;
    const out = acts[k + 1]!;
    const nIn = input.length;
    const nOut = out.length;
    const w = l.wOffset[k]!;
    const b = l.bOffset[k]!;
    for (let j = 0; j < nOut; j++) out[j] = p[b + j]!;
    for (let i = 0; i < nIn; i++) {
      const a = input[i]!;
      if (a === 0) continue;
      const wi = w + i * nOut;
      for (let j = 0; j < nOut; j++) out[j]! += a * p[wi + j]!;
    }
    if (k + 1 < layers) for (let j = 0; j < nOut; j++) if (!(out[j]! > 0)) out[j] = 0;
  }
  return acts[layers]!;
}

/** Numerically stable logistic function. */
function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Writes the head's output of `z` (probability, class probabilities or the value) into `out` at `offset`. */
export function applyHead(head: Head, z: Float64Array, out: Float64Array, offset: number): void {
  if (head === 'sigmoid') out[offset] = sigmoid(z[0]!);
  else if (head === 'identity') out[offset] = z[0]!;
  else {
    let max = -Infinity;
    for (let j = 0; j < z.length; j++) max = Math.max(max, z[j]!);
    let sum = 0;
    for (let j = 0; j < z.length; j++) sum += Math.exp(z[j]! - max);
    for (let j = 0; j < z.length; j++) out[offset + j] = Math.exp(z[j]! - max) / sum;
  }
}

/** Loss of one row with logits `z` and target `t` (0/1, class index, or value): log loss or squared error. */
export function rowLoss(head: Head, z: Float64Array, t: number): number {
  if (head === 'sigmoid') {
    const v = z[0]!;
    return (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v))) - t * v;
  }
  if (head === 'identity') return (z[0]! - t) * (z[0]! - t);
  let max = -Infinity;
  for (let j = 0; j < z.length; j++) max = Math.max(max, z[j]!);
  let sum = 0;
  for (let j = 0; j < z.length; j++) sum += Math.exp(z[j]! - max);
  return max + Math.log(sum) - z[t]!;
}

/**
 * Mean loss over `rows` of `x` with targets `y` (no L2 term), yielding to the event loop on long inputs (the sum
 * runs in the same order either way).
 */
export async function meanLoss(
  l: Layout,
  p: Float64Array,
  x: Float64Array,
  rows: Uint32Array,
  y: Float64Array,
): Promise<number> {
  const { acts } = rowBuffers(l);
  const total = await sumRowsYielding(rows.length, l.total, (from, to, sum) => {
    for (let k = from; k < to; k++) sum += rowLoss(l.head, forward(l, p, x, rows[k]!, acts), y[k]!);
    return sum;
  });
  return rows.length > 0 ? total / rows.length : 0;
}

/** Adds the gradient of row `row`'s loss (target `t`) to `grad`; `acts` must hold that row's forward pass. */
function backward(
  l: Layout,
  p: Float64Array,
  t: number,
  acts: Float64Array[],
  deltas: Float64Array[],
  grad: Float64Array,
): void {
  const layers = l.sizes.length - 1;
  const top = deltas[layers]!;
  applyHead(l.head, acts[layers]!, top, 0);
  if (l.head === 'softmax') top[t]! -= 1;
  else top[0]! -= t;
  for (let k = layers - 1; k >= 0; k--) {
    const input = acts[k]!;
    const d = deltas[k + 1]!;
    const nIn = input.length;
    const nOut = d.length;
    const w = l.wOffset[k]!;
    const b = l.bOffset[k]!;
    for (let j = 0; j < nOut; j++) grad[b + j]! += d[j]!;
    const below = k > 0 ? deltas[k]! : null;
    for (let i = 0; i < nIn; i++) {
      const a = input[i]!;
      const wi = w + i * nOut;
      if (a !== 0) for (let j = 0; j < nOut; j++) grad[wi + j]! += a * d[j]!;
      if (below !== null) {
        let s = 0;
        if (a > 0) for (let j = 0; j < nOut; j++) s += p[wi + j]! * d[j]!;
        below[i] = s;
      }
    }
  }
}

/** Mini-batch optimiser state: plain SGD, or Adam (beta1 0.9, beta2 0.999, epsilon 1e-8) with its moments. */
export interface OptimizerState {
  kind: 'sgd' | 'adam';
  m: Float64Array;
  v: Float64Array;
  /** Adam steps taken so far. */
  step: number;
}

/** What {@link runEpoch} needs; `p` and `opt` are updated in place. */
export interface EpochInput {
  layout: Layout;
  p: Float64Array;
  opt: OptimizerState;
  x: Float64Array;
  rows: Uint32Array;
  y: Float64Array;
  order: Uint32Array;
  learningRate: number;
  l2: number;
  batchSize: number;
  signal: AbortSignal | undefined;
  epoch: number;
}

/** Scratch buffers of one epoch, and the position in `order` of its next mini-batch. */
interface EpochCursor {
  grad: Float64Array;
  acts: Float64Array[];
  deltas: Float64Array[];
  next: number;
}

/**
 * Mini-batches of an epoch from `c.next` until the end of the epoch or, read every few mini-batches, the clock
 * passes `yieldAt`; leaves the position of the next mini-batch in `c.next`.
 */
function epochSlice(e: EpochInput, c: EpochCursor, yieldAt: number): void {
  const { layout: l, p, opt, x, rows, y, order, learningRate, l2, batchSize } = e;
  const { grad, acts, deltas } = c;
  const n = order.length;
  const checkEvery = unitsPerClockCheck(batchSize * 3 * l.total);
  let batches = 0;
  let begin = c.next;
  for (; begin < n; begin += batchSize) {
    if (++batches > checkEvery) {
      if (performance.now() >= yieldAt) break;
      batches = 1;
    }
    throwIfAborted(e.signal, e.epoch);
    const end = Math.min(begin + batchSize, n);
    grad.fill(0);
    for (let k = begin; k < end; k++) {
      const i = order[k]!;
      forward(l, p, x, rows[i]!, acts);
      backward(l, p, y[i]!, acts, deltas, grad);
    }
    const m = end - begin;
    if (opt.kind === 'adam') opt.step++;
    const c1 = 1 - Math.pow(0.9, opt.step);
    const c2 = 1 - Math.pow(0.999, opt.step);
    for (let k = 0; k < l.wOffset.length; k++) {
      const bEnd = k + 1 < l.wOffset.length ? l.wOffset[k + 1]! : l.total;
      for (let i = l.wOffset[k]!; i < bEnd; i++) {
        const g = grad[i]! / m + (i < l.bOffset[k]! ? l2 * p[i]! : 0);
        if (opt.kind === 'sgd') p[i] = p[i]! - learningRate * g;
        else {
          const mi = (opt.m[i] = 0.9 * opt.m[i]! + 0.1 * g);
          const vi = (opt.v[i] = 0.999 * opt.v[i]! + 0.001 * g * g);
          p[i] = p[i]! - (learningRate * (mi / c1)) / (Math.sqrt(vi / c2) + 1e-8);
        }
      }
    }
  }
  c.next = begin;
}

/**
 * One epoch of mini-batch gradient descent over `order` on mean loss + `l2`/2 * |W|^2 (biases not penalised).
 * Checks `signal` before every mini-batch, and yields to the event loop about every 200 ms (`yieldPolicy` in
 * trainer.ts) without changing the arithmetic or its order.
 */
export async function runEpoch(e: EpochInput): Promise<void> {
  const c: EpochCursor = { grad: new Float64Array(e.layout.total), ...rowBuffers(e.layout), next: 0 };
  for (;;) {
    epochSlice(e, c, nextYieldAt());
    if (c.next >= e.order.length) return;
    await yieldToEventLoop();
  }
}

/** Head outputs of every row of `x` (`n x sizes.at(-1)`, row-major). */
export function predictRows(l: Layout, p: Float64Array, x: Float64Array, n: number): Float64Array {
  const outputs = l.sizes.at(-1)!;
  const out = new Float64Array(n * outputs);
  const { acts } = rowBuffers(l);
  for (let r = 0; r < n; r++) applyHead(l.head, forward(l, p, x, r, acts), out, r * outputs);
  return out;
}
