import type { FeatureTable } from '../data/table.js';
import { PredictionInputError } from './errors.js';

/** A slice of a table: the rows whose categorical `feature` equals `value` (null: the value is missing). */
export interface SliceKey {
  feature: string;
  value: string | null;
}

/** Metrics of one slice. JSON-shaped. */
export interface SliceMetrics extends SliceKey {
  /** Rows in the slice (of the rows evaluated, e.g. the labelled ones). */
  rows: number;
  /** `rows >= minRows`: a gate may judge this slice; smaller slices are reported only. */
  gated: boolean;
  metrics: Record<string, number>;
}

/** Human name of a slice: `plan=basic`, or `plan=(missing)`. */
export function sliceName(key: SliceKey): string {
  return `${key.feature}=${key.value === null ? '(missing)' : key.value}`;
}

/** Identity of a slice usable as a map key (distinguishes the missing value from the string "(missing)"). */
export function sliceId(key: SliceKey): string {
  return JSON.stringify([key.feature, key.value]);
}

/**
 * Groups row indices by the value of a categorical column: one group per value (in string order), then the rows
 * where it is missing. `rows` restricts the grouping to those row indices (default: every row).
 */
export function groupRows(
  column: ReadonlyArray<string | null>,
  rows?: ArrayLike<number>,
): Array<{ value: string | null; rows: number[] }> {
  const groups = new Map<string | null, number[]>();
  const visit = (r: number): void => {
    const v = column[r] ?? null;
    let group = groups.get(v);
    if (group === undefined) groups.set(v, (group = []));
    group.push(r);
  };
  if (rows === undefined) for (let r = 0; r < column.length; r++) visit(r);
  else for (let i = 0; i < rows.length; i++) visit(rows[i]!);
  const values = [...groups.keys()].filter((v): v is string => v !== null).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Array<{ value: string | null; rows: number[] }> = values.map((value) => ({
    value,
    rows: groups.get(value)!,
  }));
  const missing = groups.get(null);
  if (missing !== undefined) out.push({ value: null, rows: missing });
  return out;
}

/** What {@link sliceMetrics} needs. */
export interface SliceOptions {
  /** Categorical features of `table` to slice by. */
  features: readonly string[];
  /** Slices with fewer rows are reported with `gated: false`. */
  minRows: number;
  /** Rows to evaluate (e.g. those with a label); default every row. */
  rows?: ArrayLike<number>;
}

/**
 * Metrics of every slice of each named categorical feature: each value present in the table plus the missing
 * value as its own slice. `evaluate` computes the metrics of a set of row indices.
 * @throws PredictionInputError when a feature is not a categorical column of the table.
 */
export function sliceMetrics(
  table: FeatureTable,
  options: SliceOptions,
  evaluate: (rows: readonly number[]) => Record<string, number>,
): SliceMetrics[] {
  const out: SliceMetrics[] = [];
  for (const feature of options.features) {
    const column = table.categorical[feature];
    if (column === undefined)
      throw new PredictionInputError(
        feature,
        `cannot slice by "${feature}": the table has no categorical column of it`,
      );
    for (const group of groupRows(column, options.rows)) {
      out.push({
        feature,
        value: group.value,
        rows: group.rows.length,
        gated: group.rows.length >= options.minRows,
        metrics: evaluate(group.rows),
      });
    }
  }
  return out;
}
