import { createRng, permutation } from '../random.js';
import type { FeatureTable } from './table.js';

export { readRecords, recordsToTable, tableToRecords, tableToCsv } from './records.js';

/** Options of {@link splitTable}: the spec's `split` section plus stratification. */
export interface SplitOptions {
  /** Fraction of rows held out (0 < f < 1). */
  holdoutFraction: number;
  seed: number;
  /**
   * Keep the label's class proportions in both parts (default true; ignored when the table has no label). Turn it
   * off for continuous labels (see {@link stratifiesByLabel}).
   */
  stratify?: boolean;
}

/**
 * Whether the pipeline stratifies the train/holdout split by the label of a `task`: yes for class labels (binary,
 * multiclass); no for regression labels, whose values are nearly all distinct: each would be a class of one row, of
 * which round(1 × fraction) = 0 go to the holdout, leaving a one-row holdout.
 */
export function stratifiesByLabel(task: 'binary' | 'multiclass' | 'regression'): boolean {
  return task !== 'regression';
}

/** The two parts of a split; row indices refer to the input table and are ascending. */
export interface SplitResult {
  train: FeatureTable;
  holdout: FeatureTable;
  trainRows: Uint32Array;
  holdoutRows: Uint32Array;
}

/** A new table with the given rows of `table`, in the given order. */
export function takeRows(table: FeatureTable, rows: ArrayLike<number>): FeatureTable {
  const n = rows.length;
  const numeric: Record<string, Float64Array> = {};
  for (const [name, col] of Object.entries(table.numeric)) {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = col[rows[i] as number] as number;
    numeric[name] = out;
  }
  const pick = (col: ReadonlyArray<string | null>): Array<string | null> => {
    const out = new Array<string | null>(n);
    for (let i = 0; i < n; i++) out[i] = col[rows[i] as number] ?? null;
    return out;
  };
  const categorical: Record<string, Array<string | null>> = {};
  for (const [name, col] of Object.entries(table.categorical)) categorical[name] = pick(col);
  return { rowCount: n, numeric, categorical, label: table.label === null ? null : pick(table.label) };
}

/**
 * Seeded, deterministic train/holdout split: the same table, fraction and seed always give the same rows.
 * Stratified by label value (classes in sorted order, missing labels as their own class): each class puts
 * round(size × fraction) rows in the holdout, chosen by a seeded permutation (`lib/random.ts`). With two or
 * more rows both parts get at least one row.
 */
export function splitTable(table: FeatureTable, options: SplitOptions): SplitResult {
  const { holdoutFraction, seed } = options;
  if (!(holdoutFraction > 0 && holdoutFraction < 1))
    throw new RangeError(`holdoutFraction must be in (0, 1), got ${holdoutFraction}`);
  const n = table.rowCount;
  const rng = createRng(seed);
  const inHoldout = new Uint8Array(n);
  const groups = new Map<string, number[]>();
  const label = options.stratify === false ? null : table.label;
  if (label === null)
    groups.set(
      '',
      Array.from({ length: n }, (_, i) => i),
    );
  else {
    for (let i = 0; i < n; i++) {
      const key = label[i] === null || label[i] === undefined ? '\u0000missing' : `v:${label[i]}`;
      let g = groups.get(key);
      if (g === undefined) groups.set(key, (g = []));
      g.push(i);
    }
  }
  let holdoutCount = 0;
  for (const key of [...groups.keys()].sort()) {
    const members = groups.get(key) as number[];
    const take = Math.round(members.length * holdoutFraction);
    const order = permutation(members.length, rng);
    for (let k = 0; k < take; k++) inHoldout[members[order[k] as number] as number] = 1;
    holdoutCount += take;
  }
  if (n >= 2 && (holdoutCount === 0 || holdoutCount === n)) {
    const want = holdoutCount === 0 ? 1 : 0;
    const order = permutation(n, rng);
    for (const i of order) {
      if (inHoldout[i] !== want) {
        inHoldout[i] = want;
        holdoutCount += want === 1 ? 1 : -1;
        break;
      }
    }
  }
  const trainRows = new Uint32Array(n - holdoutCount);
  const holdoutRows = new Uint32Array(holdoutCount);
  let t = 0;
  let h = 0;
  for (let i = 0; i < n; i++) {
    if (inHoldout[i] === 1) holdoutRows[h++] = i;
    else trainRows[t++] = i;
  }
  return { train: takeRows(table, trainRows), holdout: takeRows(table, holdoutRows), trainRows, holdoutRows };
}
