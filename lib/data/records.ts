import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { TableBuilder } from './columns.js';
import { IssueCollector, type DataIssue } from './errors.js';
import type { FeatureRecord, FeatureTable } from './table.js';

/** Conversions between {@link FeatureTable} and row records / CSV text. */

/**
 * Columnar table from row records (as serving receives and logs them). Values are coerced like dataset cells
 * (see `columns.ts`): numbers or numeric strings for numeric features, strings for categorical ones; missing
 * keys, `null` and missing tokens are missing; invalid values become missing and are reported in `issues`.
 * Keys outside the spec are ignored. The label is read from `labelName` when given (else `table.label` is null).
 */
export function readRecords(
  records: readonly FeatureRecord[],
  features: readonly FeatureSpec[],
  labelName?: string,
  source = '<records>',
): { table: FeatureTable; issues: DataIssue[] } {
  const builder = new TableBuilder(features, labelName, new IssueCollector(), source, records.length);
  const slots = [...features.map((f) => f.name), ...(labelName !== undefined ? [labelName] : [])].map((name) => {
    const slot = builder.slotOf(name, labelName);
    if (slot === undefined) throw new Error(`unreachable: no slot for ${name}`);
    return slot;
  });
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as FeatureRecord;
    const row = builder.addRow(i + 1);
    for (const slot of slots) {
      if (Object.hasOwn(record, slot.name)) builder.set(slot, row, record[slot.name]);
    }
  }
  return { table: builder.build().table, issues: builder.issues.list() };
}

/** {@link readRecords} without the issues: invalid values silently count as missing (fine for monitoring). */
export function recordsToTable(
  records: readonly FeatureRecord[],
  features: readonly FeatureSpec[],
  labelName?: string,
): FeatureTable {
  return readRecords(records, features, labelName).table;
}

/**
 * Row records from a table: spec features in order (missing values as `null`), plus the label under
 * `labelName` when given and the table has labels.
 */
export function tableToRecords(
  table: FeatureTable,
  features: readonly FeatureSpec[],
  labelName?: string,
): FeatureRecord[] {
  const out: FeatureRecord[] = new Array<FeatureRecord>(table.rowCount);
  const label = labelName !== undefined ? table.label : null;
  for (let i = 0; i < table.rowCount; i++) {
    const record: FeatureRecord = {};
    for (const f of features) {
      if (f.type === 'numeric') {
        const v = table.numeric[f.name]?.[i] ?? NaN;
        record[f.name] = Number.isNaN(v) ? null : v;
      } else {
        record[f.name] = table.categorical[f.name]?.[i] ?? null;
      }
    }
    if (label !== null && labelName !== undefined) record[labelName] = label[i] ?? null;
    out[i] = record;
  }
  return out;
}

const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

function csvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * CSV text of a table (header: features in spec order, then the label when given and present), "\n" line
 * ends, missing values as empty fields, numbers in shortest round-trip form. `readDataset` reads it back to
 * the same table (categories are trimmed and missing tokens such as "NA" read as missing).
 */
export function tableToCsv(table: FeatureTable, features: readonly FeatureSpec[], labelName?: string): string {
  const label = labelName !== undefined ? table.label : null;
  const header = features.map((f) => csvField(f.name));
  if (label !== null && labelName !== undefined) header.push(csvField(labelName));
  const n = table.rowCount;
  const columns: Array<Float64Array | ReadonlyArray<string | null> | undefined> = features.map((f) =>
    f.type === 'numeric' ? table.numeric[f.name] : table.categorical[f.name],
  );
  if (label !== null) columns.push(label);
  const caches = columns.map(() => new Map<string, string>());
  const lines: string[] = new Array<string>(n + 1);
  lines[0] = header.join(',');
  // Render blocks of rows column by column (type-specialised loops, no per-cell closures), then stitch lines.
  for (let from = 0; from < n; from += BLOCK_ROWS) {
    const to = Math.min(n, from + BLOCK_ROWS);
    const rendered = columns.map((col, c) =>
      col instanceof Float64Array
        ? renderNumeric(col, from, to)
        : renderCategorical(col, from, to, caches[c] as Map<string, string>),
    );
    const first = rendered[0] ?? [];
    for (let i = 0; i < to - from; i++) {
      let line = first[i] ?? '';
      for (let c = 1; c < rendered.length; c++) line += `,${(rendered[c] as string[])[i]}`;
      lines[from + i + 1] = line;
    }
  }
  return `${lines.join('\n')}\n`;
}

const BLOCK_ROWS = 65_536;

function renderNumeric(col: Float64Array, from: number, to: number): string[] {
  const out = new Array<string>(to - from);
  for (let i = from; i < to; i++) {
    const v = col[i] as number;
    out[i - from] = Number.isNaN(v) ? '' : String(v);
  }
  return out;
}

function renderCategorical(
  col: ReadonlyArray<string | null> | undefined,
  from: number,
  to: number,
  cache: Map<string, string>,
): string[] {
  const out = new Array<string>(to - from);
  for (let i = from; i < to; i++) {
    const v = col?.[i] ?? null;
    if (v === null) out[i - from] = '';
    else {
      let text = cache.get(v);
      if (text === undefined) {
        text = csvField(v);
        if (cache.size < 10_000) cache.set(v, text);
      }
      out[i - from] = text;
    }
  }
  return out;
}
