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
