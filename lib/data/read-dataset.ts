import { createHash } from 'node:crypto';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { TableBuilder, type ColumnSlot } from './columns.js';
import { mapColumns } from './column-map.js';
import { forEachCsvRecord } from './csv-records.js';
import { DatasetError, IssueCollector, type DataIssue } from './errors.js';
import { readParquetColumns } from './read-parquet.js';
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
 * `sourceRows`), and bad cells (stored as missing, see `columns.ts`). A {@link DatasetError} is thrown only
 * when nothing usable can be read: empty file, header without rows, no usable row, CSV syntax errors such as
 * an unclosed quote (with the line), and a Parquet file that is corrupt, truncated, has no rows or uses an
 * unsupported codec ("not a valid Parquet file: ...").
 *
 * CSV: header row required; UTF-8 BOM stripped; fields trimmed; quoted fields may hold delimiters, quotes
 * ("") and newlines; blank lines skipped. JSONL: one JSON object per line; blank lines skipped. Parquet: flat
 * top-level columns, typed as in `read-parquet.ts`; row numbers in issues are 1-based file rows.
 */
export function readDataset(bytes: Uint8Array, options: ReadDatasetOptions): ReadDatasetResult {
  const source = options.source ?? '<dataset>';
  switch (options.format) {
    case 'csv':
      return readCsv(bytes, options, source);
    case 'jsonl':
      return readJsonl(bytes, options, source);
    case 'parquet': {
      const { builder, columns } = readParquetColumns(bytes, options.features, options.labelName, source);
      return finish(builder, columns, source);
    }
  }
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

/** Keeps messages short when a header is one enormous line. */
function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

function estimateRows(bytes: Uint8Array): number {
  let lines = 1;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++;
  return lines;
}

function finish(builder: TableBuilder, columns: string[], source: string): ReadDatasetResult {
  const issues = builder.issues.list();
  if (builder.rowCount === 0) {
    const firstError = issues.find((i) => i.severity === 'error');
    throw new DatasetError(source, `no usable rows${firstError ? `: ${firstError.message}` : ''}`);
  }
  const { table, sourceRows } = builder.build();
  return { table, issues, sourceRows, columns };
}

function readCsv(bytes: Uint8Array, options: ReadDatasetOptions, source: string): ReadDatasetResult {
  const builder = new TableBuilder(
    options.features,
    options.labelName,
    new IssueCollector(),
    source,
    estimateRows(bytes),
  );
  let header: string[] | null = null;
  let slots: Array<ColumnSlot | undefined> = [];
  let recordNo = 0;
  forEachCsvRecord(bytes, source, (record, lineOf) => {
    if (header === null) {
      header = record;
      slots = mapColumns(record, builder, options.features, options.labelName, source);
      return;
    }
    if (record.length === 1 && record[0] === '') return; // whitespace-only line
    recordNo++;
    if (record.length !== header.length) {
      const at = recordNo;
      const expected = header.length;
      builder.issues.add(
        'error',
        'ragged_row',
        undefined,
        at,
        `${record.length} fields`,
        () =>
          `${source}: row ${at} (line ${lineOf()}) has ${record.length} fields but the header has ${expected}; the row is skipped`,
      );
      return;
    }
    const row = builder.addRow(recordNo);
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (slot !== undefined) builder.set(slot, row, record[i]);
    }
  });
  const found = header as string[] | null;
  if (found === null) throw new DatasetError(source, 'the file is empty (expected a header row)');
  if (recordNo === 0)
    throw new DatasetError(source, `the file has a header but no data rows (header: ${clip(found.join(', '))})`);
  return finish(builder, found, source);
}

function readJsonl(bytes: Uint8Array, options: ReadDatasetOptions, source: string): ReadDatasetResult {
  const text = new TextDecoder('utf-8').decode(bytes);
  const builder = new TableBuilder(
    options.features,
    options.labelName,
    new IssueCollector(),
    source,
    estimateRows(bytes),
  );
  const columns: string[] = [];
  const slotByName = new Map<string, ColumnSlot | undefined>();
  let recordNo = 0;
  let lineNo = 0;
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.slice(start, end).trim();
    start = end + 1;
    lineNo++;
    if (line.length === 0) continue;
    recordNo++;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      const at = lineNo;
      builder.issues.add(
        'error',
        'invalid_json',
        undefined,
        recordNo,
        line.slice(0, 60),
        () => `${source}: line ${at}: invalid JSON (${reason}); the line is skipped`,
      );
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      const at = lineNo;
      builder.issues.add(
        'error',
        'invalid_record',
        undefined,
        recordNo,
        line.slice(0, 60),
        () => `${source}: line ${at}: expected a JSON object; the line is skipped`,
      );
      continue;
    }
    const row = builder.addRow(recordNo);
    const obj = value as Record<string, unknown>;
    for (const key in obj) {
      let slot = slotByName.get(key);
      if (slot === undefined && !slotByName.has(key)) {
        slot = builder.slotOf(key, options.labelName);
        slotByName.set(key, slot);
        columns.push(key);
      }
      if (slot !== undefined) builder.set(slot, row, obj[key]);
    }
  }
  if (recordNo === 0) throw new DatasetError(source, 'the file is empty (no JSON lines)');
  mapColumns(columns, builder, options.features, options.labelName, source);
  return finish(builder, columns, source);
}
