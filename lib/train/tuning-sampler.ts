/**
 * Hyperparameter search, the pure part: which trials to run and which one won. Deterministic (seeded with
 * lib/random.ts, no clock, no I/O), so the training pipeline workflow runs it itself and replays it unchanged.
 */
import { createRng, permutation, type Rng } from '../random.js';
import type { ResolvedTuning, SearchDimension } from '../spec/tuning-spec.js';

/** One hyperparameter value of a trial (JSON-shaped; `hiddenLayers` is a list). */
export type HyperparameterValue = number | string | boolean | number[];

/** A planned trial: its 1-based number and the sampled hyperparameters (only those of the search space). */
export interface TrialPlan {
  number: number;
  params: Record<string, HyperparameterValue>;
}

/** Rounds a sampled float to 4 significant digits (readable in summaries and lineage), kept inside [min, max]. */
function roundInRange(x: number, min: number, max: number): number {
  const r = Number(x.toPrecision(4));
  return Math.min(max, Math.max(min, r));
}

function sampleDimension(dim: SearchDimension, rng: Rng): HyperparameterValue {
  if ('values' in dim) return dim.values[rng.int(dim.values.length)] as HyperparameterValue;
  const u = rng.next();
  const { min, max } = dim;
  if (dim.scale === 'log') {
    const x = Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min)));
    return dim.type === 'int' ? Math.min(max, Math.max(min, Math.round(x))) : roundInRange(x, min, max);
  }
  if (dim.type === 'int') return Math.min(max, min + Math.floor(u * (max - min + 1)));
  return roundInRange(min + u * (max - min), min, max);
}

/**
 * The trials of a tuning section, numbered from 1.
 *  - `random`: each trial draws every hyperparameter independently (names in sorted order): a listed value
 *    uniformly, a range uniformly on its scale (`log`: uniform in log space), floats rounded to 4 significant digits.
 *  - `grid`: the cartesian product of the listed values (names in sorted order, the last one varying fastest);
 *    with fewer trials than grid points, a seeded random subset of them.
 * The same section and seed always give the same trials.
 * @throws RangeError for grid search over a range (the spec validation reports it first).
 */
export function sampleTrials(tuning: Pick<ResolvedTuning, 'trials' | 'search' | 'seed' | 'space'>): TrialPlan[] {
  const names = Object.keys(tuning.space).sort();
  const rng = createRng(tuning.seed);
  if (tuning.search === 'random') {
    return Array.from({ length: tuning.trials }, (_, i) => {
      const params: Record<string, HyperparameterValue> = {};
      for (const name of names) params[name] = sampleDimension(tuning.space[name]!, rng);
      return { number: i + 1, params };
    });
  }
  const lists = names.map((name) => {
    const dim = tuning.space[name]!;
    if (!('values' in dim)) throw new RangeError(`grid search needs a list of values for "${name}"`);
    return dim.values as HyperparameterValue[];
  });
  const size = lists.reduce((n, l) => n * l.length, 1);
  const count = Math.min(tuning.trials, size);
  const order = count === size ? Array.from({ length: size }, (_, i) => i) : Array.from(permutation(size, rng));
  return order.slice(0, count).map((index, i) => {
    const params: Record<string, HyperparameterValue> = {};
    let rest = index;
    for (let k = names.length - 1; k >= 0; k--) {
      const list = lists[k]!;
      params[names[k]!] = list[rest % list.length]!;
      rest = Math.floor(rest / list.length);
    }
    return { number: i + 1, params: Object.fromEntries(names.map((n) => [n, params[n]!])) };
  });
}

/** A value as people read it: `0.03`, `64,32`, `adam`. */
function formatValue(v: HyperparameterValue): string {
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}

/** `learningRate=0.03 l2=0.0001`: a trial's hyperparameters for summaries and progress lines. */
export function describeParams(params: Readonly<Record<string, HyperparameterValue>>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(' ');
}

/** `Trial 3/8: learningRate=0.03 l2=0.0001`, the activity summary of a trial. */
export function trialLabel(plan: TrialPlan, trials: number): string {
  return `Trial ${plan.number}/${trials}: ${describeParams(plan.params)}`;
}

/** The base hyperparameters with a trial's sampled ones in place. */
export function trialHyperparameters<H extends object>(
  base: H,
  params: Readonly<Record<string, HyperparameterValue>>,
): H {
  return { ...base, ...params };
}

/** The outcome of a trial, as {@link pickBestTrial} needs it. */
export interface TrialOutcome {
  number: number;
  status: 'succeeded' | 'failed';
  /** The validation metric (null when the trial failed or the metric is missing). */
  value: number | null;
}

/**
 * The best succeeded trial by `direction`; ties go to the lowest trial number; trials without a finite value are
 * skipped. Null when no trial qualifies.
 */
export function pickBestTrial<T extends TrialOutcome>(
  outcomes: readonly T[],
  direction: 'minimize' | 'maximize',
): T | null {
  let best: T | null = null;
  for (const o of [...outcomes].sort((a, b) => a.number - b.number)) {
    if (o.status !== 'succeeded' || o.value === null || !Number.isFinite(o.value)) continue;
    if (best === null) best = o;
    else if (direction === 'minimize' ? o.value < best.value! : o.value > best.value!) best = o;
  }
  return best;
}
