import { createHash } from 'node:crypto';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import type { DataIssue } from './errors.js';
import type { ByteRanges } from './byte-ranges.js';
import { readParquetColumns } from './read-parquet.js';
import { createTextReader, finishTable } from './read-text.js';
import type { FeatureTable } from './table.js';

/** File formats a pipeline spec may name. */
export type DatasetFormat = 'csv' | 'jsonl' | 'parquet';

/** Options of {@link readDataset}. */
export interface ReadDatasetOptions {
  format: DatasetFormat;
  /** The spec's features: they decide which columns are read and how they are typed. */
  features: readonly FeatureSpec[];
  /** The label column; omit for unlabelled data (serving traffic), then `table.label` is null. */
  labelName?: string;
  /** Name of the source (URI or file name) used in messages. */
  source?: string;
  /**
   * Longest CSV record or JSONL line, in bytes (default `MAX_RECORD_BYTES`, 64 MiB); a longer one is a
   * `DatasetError` naming its line.
   */
  maxRecordBytes?: number;
}

/** What {@link readDataset} returns. */
export interface ReadDatasetResult {
  table: FeatureTable;
  /** Problems found while reading (aggregated per code and column); pass them to `validateDataset`. */
  issues: DataIssue[];
  /**
   * The 1-based source record number of each table row, or null when row i is record i+1 (no record dropped).
   * Records are counted after the header, blank lines excluded.
   */
  sourceRows: Uint32Array | null;
  /** Column names as found in the file (CSV header; JSONL: keys in first-seen order; Parquet: top-level columns). */
  columns: string[];
}

/**
 * Parses dataset bytes into a {@link FeatureTable} typed by the spec.
 *
 * Policy: problems that leave usable rows are returned as `issues` (never thrown): missing spec/label columns
 * (filled as missing), duplicate or extra header names, ragged CSV rows and bad JSONL lines (dropped; see
 * `sourceRows`), and bad cells (stored as missing, see `columns.ts`). A `DatasetError` is thrown only
 * when nothing usable can be read: empty file, header without rows, no usable row, CSV syntax errors such as
 * an unclosed quote (with the line), a CSV record or JSONL line longer than `maxRecordBytes`, and a Parquet file that is corrupt, truncated, has no rows or uses an
 * unsupported codec ("not a valid Parquet file: ...").
 *
 * Column names match the spec's after Unicode NFC normalization (a header written in NFD matches an NFC spec
 * name); a spec column that is missing while a found name differs only by case, spaces or normalization is
 * reported with a "did you mean" hint.
 *
 * CSV: header row required; UTF-8 BOM stripped; fields trimmed; quoted fields may hold delimiters, quotes
 * ("") and newlines; blank lines skipped. JSONL: one JSON object per line; blank lines skipped; a key that
 * appears twice in one line is a `duplicate_column` issue (error for a spec column, whose cell is then missing). Parquet: flat
 * top-level columns, typed as in `read-parquet.ts`; row numbers in issues are 1-based file rows.
 *
 * Any format can also be read chunk by chunk with the same result: see `readDatasetStream`.
 */
export function readDataset(bytes: Uint8Array, options: ReadDatasetOptions): ReadDatasetResult {
  if (options.format === 'parquet') return readParquetDataset(bytes, options);
  const reader = createTextReader(options.format, options);
  reader.push(bytes);
  return reader.end();
}

/**
 * A Parquet dataset from its bytes in memory or from byte ranges of a file (`fileRanges`: memory is then the table
 * plus one column chunk at a time). Same result and errors as {@link readDataset} with `format: 'parquet'`.
 */
export function readParquetDataset(input: Uint8Array | ByteRanges, options: ReadDatasetOptions): ReadDatasetResult {
  const source = options.source ?? '<dataset>';
  const { builder, columns } = readParquetColumns(input, options.features, options.labelName, source);
  return finishTable(builder, columns, source);
}

/** Hex sha256 of the dataset bytes: the dataset version pinned by `dataset.version`. */
export function datasetSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Hex sha256 identifying the table schema: feature names, types and order, plus the label name. Constraints
 * and category lists do not count (they change validation, not the layout of the data).
 */
export function schemaFingerprint(features: readonly FeatureSpec[], labelName: string | null | undefined): string {
  const canonical = JSON.stringify({ features: features.map((f) => [f.name, f.type]), label: labelName ?? null });
  return createHash('sha256').update(canonical).digest('hex');
}
