import type { FeatureTable } from '../data/table.js';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { TrainingDataError } from './errors.js';

/** Standardisation of one numeric feature: missing (NaN) becomes `mean`, then `(x - mean) / std`. */
export interface NumericColumn {
  name: string;
  /** Mean of the finite training values (0 when there were none). */
  mean: number;
  /** Population standard deviation of the finite training values; 1 when it was 0 or undefined. */
  std: number;
}

/** One-hot encoding of one categorical feature; a value outside `categories` (or missing) encodes as all zeros. */
export interface CategoricalColumn {
  name: string;
  /** Category order = column order in the design matrix. Never contains `""` (the missing marker). */
  categories: string[];
}

/**
 * Preprocessing learned on a training split. JSON-shaped (stored in checkpoints and model metadata).
 *
 * Design-matrix layout (row-major): first the numeric features in spec order (one column each),
 * then each categorical feature's one-hot block in spec order. The ONNX export builds the same layout.
 */
export interface Preprocessor {
  format: 'mlops.preprocessor/v1';
  numeric: NumericColumn[];
  categorical: CategoricalColumn[];
  /** Number of design-matrix columns. */
  width: number;
}

/** Whether a categorical value counts as missing: `null`, `undefined` or the empty string. */
export function isMissingCategory(value: string | null | undefined): value is null | undefined | '' {
  return value === null || value === undefined || value === '';
}

function numericColumn(table: FeatureTable, name: string): Float64Array {
  const column = table.numeric[name];
  if (column === undefined) throw new TrainingDataError(`the table has no numeric column "${name}"`);
  if (column.length !== table.rowCount) {
    throw new TrainingDataError(`numeric column "${name}" has ${column.length} values for ${table.rowCount} rows`);
  }
  return column;
}

function categoricalColumn(table: FeatureTable, name: string): Array<string | null> {
  const column = table.categorical[name];
  if (column === undefined) throw new TrainingDataError(`the table has no categorical column "${name}"`);
  if (column.length !== table.rowCount) {
    throw new TrainingDataError(`categorical column "${name}" has ${column.length} values for ${table.rowCount} rows`);
  }
  return column;
}

function fitNumeric(name: string, values: Float64Array): NumericColumn {
  let sum = 0;
  let count = 0;
  for (const v of values) {
    if (Number.isFinite(v)) {
      sum += v;
      count++;
    }
  }
  const mean = count > 0 ? sum / count : 0;
  let squares = 0;
  for (const v of values) {
    if (Number.isFinite(v)) squares += (v - mean) * (v - mean);
  }
  const std = count > 0 ? Math.sqrt(squares / count) : 0;
  return { name, mean, std: std > 0 && Number.isFinite(std) ? std : 1 };
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function fitCategorical(
  name: string,
  values: Array<string | null>,
  known: readonly string[] | undefined,
): CategoricalColumn {
  if (known !== undefined) {
    return { name, categories: [...new Set(known)].filter((c) => !isMissingCategory(c)) };
  }
  const seen = new Set<string>();
  for (const v of values) if (!isMissingCategory(v)) seen.add(v);
  return { name, categories: [...seen].sort(byCodeUnit) };
}

/**
 * Learns the preprocessing of `features` on `table` (the training split): numeric mean/std over the finite values,
 * categorical categories from `constraints.values` when the spec lists them, otherwise the sorted distinct values seen.
 * @throws TrainingDataError when a feature's column is absent or has the wrong length, or the design matrix would be empty.
 */
export function fitPreprocessor(table: FeatureTable, features: readonly FeatureSpec[]): Preprocessor {
  const numeric: NumericColumn[] = [];
  const categorical: CategoricalColumn[] = [];
  for (const feature of features) {
    if (feature.type === 'numeric') {
      numeric.push(fitNumeric(feature.name, numericColumn(table, feature.name)));
    } else {
      const known = feature.constraints.values;
      categorical.push(fitCategorical(feature.name, categoricalColumn(table, feature.name), known));
    }
  }
  const width = numeric.length + categorical.reduce((n, c) => n + c.categories.length, 0);
  if (width === 0) {
    throw new TrainingDataError('no usable feature: every categorical feature is missing in all training rows');
  }
  return { format: 'mlops.preprocessor/v1', numeric, categorical, width };
}

/** Names of the design-matrix columns: `tenure`, `plan=basic`, ... (for reports and debugging). */
export function columnNames(pre: Preprocessor): string[] {
  return [
    ...pre.numeric.map((c) => c.name),
    ...pre.categorical.flatMap((c) => c.categories.map((cat) => `${c.name}=${cat}`)),
  ];
}

/**
 * Applies `pre` to every row of `table` and returns the row-major design matrix (`rowCount x pre.width`).
 * NaN numeric values become 0 (the standardised mean); missing or unknown categories become all-zero blocks.
 * @throws TrainingDataError when a column the preprocessor needs is absent or has the wrong length.
 */
export function transform(pre: Preprocessor, table: FeatureTable): Float64Array {
  const rows = table.rowCount;
  const width = pre.width;
  const out = new Float64Array(rows * width);
  let offset = 0;
  for (const col of pre.numeric) {
    const values = numericColumn(table, col.name);
    for (let r = 0; r < rows; r++) {
      const v = values[r]!;
      out[r * width + offset] = Number.isNaN(v) ? 0 : (v - col.mean) / col.std;
    }
    offset++;
  }
  for (const col of pre.categorical) {
    const values = categoricalColumn(table, col.name);
    const index = new Map(col.categories.map((c, i) => [c, i]));
    for (let r = 0; r < rows; r++) {
      const v = values[r];
      const i = isMissingCategory(v) ? undefined : index.get(v);
      if (i !== undefined) out[r * width + offset + i] = 1;
    }
    offset += col.categories.length;
  }
  return out;
}
