/**
 * A dataset in columnar form, typed by the pipeline spec's features.
 * Numeric columns are Float64Array with NaN for a missing value; categorical columns hold strings or null.
 */
export interface FeatureTable {
  rowCount: number;
  numeric: Record<string, Float64Array>;
  categorical: Record<string, Array<string | null>>;
  /**
   * The same categorical columns dictionary-encoded, when the reader could (at most 10,000 distinct values): a
   * fast path for statistics. Only valid for the arrays in `categorical` as built; code that derives a table with
   * changed categorical values must not copy it.
   */
  categoricalCodes?: Record<string, CategoricalCodes>;
  /** Raw label values as strings (null = missing); null when the table has no label column (serving traffic). */
  label: Array<string | null> | null;
}

/** One raw record as received by serving or read from JSONL: feature name to value. */
export type FeatureRecord = Record<string, unknown>;

/** A dictionary-encoded categorical column: `codes[i]` indexes `dictionary`, -1 = missing. */
export interface CategoricalCodes {
  codes: Int32Array;
  dictionary: string[];
}
