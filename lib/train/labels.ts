import type { FeatureTable } from '../data/table.js';
import { TrainingDataError } from './errors.js';
import { type Preprocessor, transform } from './preprocess.js';

/** Rows with a label, their 0/1 targets and the label values of both classes. */
export function binaryTargets(
  labels: ReadonlyArray<string | null> | null,
  positive: string,
): {
  rows: Uint32Array;
  y: Float64Array;
  negative: string;
} {
  if (labels === null) throw new TrainingDataError('the training table has no label column');
  const rows: number[] = [];
  const counts = new Map<string, number>();
  for (let r = 0; r < labels.length; r++) {
    const v = labels[r];
    if (v === null || v === undefined) continue;
    rows.push(r);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const y = Float64Array.from(rows, (r) => (labels[r] === positive ? 1 : 0));
  // The most frequent other value names the negative class (ties: smallest string, for determinism).
  let negative: string | null = null;
  let best = 0;
  for (const [value, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (value !== positive && n > best) [negative, best] = [value, n];
  }
  if (!counts.has(positive) || negative === null) {
    const seen = [...counts.keys()].slice(0, 5).map((v) => JSON.stringify(v));
    throw new TrainingDataError(
      `binary training needs both classes: label values seen [${seen.join(', ')}], positive is ${JSON.stringify(positive)}`,
    );
  }
  return { rows: Uint32Array.from(rows), y, negative };
}

/** Design matrix, labelled rows and 0/1 targets of a validation table under a fitted preprocessor. */
export function binaryValidation(
  pre: Preprocessor,
  table: FeatureTable,
  positive: string,
): { x: Float64Array; rows: Uint32Array; y: Float64Array } {
  if (table.label === null) throw new TrainingDataError('the validation table has no label column');
  const labels = table.label;
  const rows = Uint32Array.from(labels.flatMap((v, r) => (v === null ? [] : [r])));
  return { x: transform(pre, table), rows, y: Float64Array.from(rows, (r) => (labels[r] === positive ? 1 : 0)) };
}

/** Most classes a multiclass label may have. */
export const MAX_CLASSES = 100;

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Rows with a label, their class indices (as floats) into `classes` (the distinct values sorted by UTF-16 code
 * units) and the row count per class.
 * @throws TrainingDataError without a label column, with fewer than 2 or more than {@link MAX_CLASSES} classes.
 */
export function multiclassTargets(
  labels: ReadonlyArray<string | null> | null,
  name: string,
): { rows: Uint32Array; y: Float64Array; classes: string[]; counts: number[] } {
  if (labels === null) throw new TrainingDataError('the training table has no label column');
  const rows: number[] = [];
  const seen = new Set<string>();
  for (let r = 0; r < labels.length; r++) {
    const v = labels[r];
    if (v === null || v === undefined) continue;
    rows.push(r);
    seen.add(v);
  }
  const classes = [...seen].sort(byCodeUnit);
  if (classes.length < 2) {
    throw new TrainingDataError(
      `multiclass training needs at least 2 classes, but label "${name}" has ` +
        (classes.length === 0 ? 'no labelled row' : `only the value ${JSON.stringify(classes[0])}`),
    );
  }
  if (classes.length > MAX_CLASSES) {
    const sample = classes.slice(0, 5).map((c) => JSON.stringify(c));
    throw new TrainingDataError(
      `label "${name}" has ${classes.length} distinct values (${sample.join(', ')}, ...); multiclass training ` +
        `supports at most ${MAX_CLASSES} classes (is it an identifier or a continuous value?)`,
    );
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = Float64Array.from(rows, (r) => index.get(labels[r]!)!);
  const counts = classes.map(() => 0);
  for (const c of y) counts[c]!++;
  return { rows: Uint32Array.from(rows), y, classes, counts };
}

/** Design matrix, rows and class indices of a validation table; rows whose class training never saw are skipped. */
export function multiclassValidation(
  pre: Preprocessor,
  table: FeatureTable,
  classes: readonly string[],
): { x: Float64Array; rows: Uint32Array; y: Float64Array } {
  if (table.label === null) throw new TrainingDataError('the validation table has no label column');
  const labels = table.label;
  const index = new Map(classes.map((c, i) => [c, i]));
  const rows = Uint32Array.from(labels.flatMap((v, r) => (v !== null && index.has(v) ? [r] : [])));
  return { x: transform(pre, table), rows, y: Float64Array.from(rows, (r) => index.get(labels[r]!)!) };
}

/**
 * Rows with a label and their numeric values.
 * @throws TrainingDataError naming the first row whose label is not a finite number, or when no row has a label.
 */
export function regressionTargets(
  labels: ReadonlyArray<string | null> | null,
  name: string,
  which = 'training',
): { rows: Uint32Array; y: Float64Array } {
  if (labels === null) throw new TrainingDataError(`the ${which} table has no label column`);
  const rows: number[] = [];
  const y: number[] = [];
  for (let r = 0; r < labels.length; r++) {
    const v = labels[r];
    if (v === null || v === undefined) continue;
    const n = v.trim() === '' ? Number.NaN : Number(v);
    if (!Number.isFinite(n)) {
      throw new TrainingDataError(
        `regression label "${name}" must be a finite number, but ${which} row ${r + 1} ` +
          `(1-based, header not counted) has ${JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}...` : v)}`,
      );
    }
    rows.push(r);
    y.push(n);
  }
  if (rows.length === 0 && which === 'training') {
    throw new TrainingDataError(`regression label "${name}" has no value in the training table`);
  }
  return { rows: Uint32Array.from(rows), y: Float64Array.from(y) };
}
