import type { ColumnSlot } from './columns.js';
import { mapColumns, SpecColumns } from './column-map.js';
import { DatasetError, MAX_RECORD_BYTES, recordTooLong } from './errors.js';
import { duplicateKeys } from './json-keys.js';
import type { ReadDatasetOptions, ReadDatasetResult } from './read-dataset.js';
import type { TextDatasetReader } from './read-text.js';
import { finishTable, TableReader } from './table-reader.js';
import { clip } from '../clip.js';

/** JSONL bytes are decoded at most this many at a time (a whole file in one string could pass V8's limit). */
const DECODE_BYTES = 16 << 20;

/**
 * The JSONL table reader: one JSON object per line, lines of any length up to `maxRecordBytes`, a key repeated in
 * one line reported as `duplicate_column` (see `readDataset`).
 */
export class JsonlTableReader extends TableReader implements TextDatasetReader {
  private readonly decoder = new TextDecoder('utf-8');
  /** Text of the current line received so far (it may span many chunks), and its length. */
  private parts: string[] = [];
  private partsLength = 0;
  private readonly columns: string[] = [];
  private readonly slotByName = new Map<string, ColumnSlot | undefined>();
  private specColumns: SpecColumns | null = null;
  private recordNo = 0;
  private lineNo = 0;
  private readonly maxLine: number;

  constructor(options: ReadDatasetOptions, source: string, totalBytes: number | undefined) {
    super(options, source, totalBytes);
    this.maxLine = options.maxRecordBytes ?? MAX_RECORD_BYTES;
  }

  push(bytes: Uint8Array): void {
    this.sample(bytes);
    for (let at = 0; at < bytes.length; at += DECODE_BYTES) {
      const part = at === 0 && bytes.length <= DECODE_BYTES ? bytes : bytes.subarray(at, at + DECODE_BYTES);
      this.feed(this.decoder.decode(part, { stream: true }));
    }
  }

  end(): ReadDatasetResult {
    this.feed(this.decoder.decode());
    if (this.parts.length > 0) this.line(this.parts.join(''));
    this.parts = [];
    this.partsLength = 0;
    if (this.recordNo === 0) throw new DatasetError(this.source, 'the file is empty (no JSON lines)');
    const { builder, columns, options } = this;
    mapColumns(columns, builder, options.features, options.labelName, this.source);
    return finishTable(builder, columns, this.source);
  }

  /**
   * Splits decoded text into lines; the text after the last newline waits for the next chunk. Lines are measured
   * in UTF-16 units (never more than their UTF-8 bytes), so a line over the limit is refused before it is joined.
   */
  private feed(text: string): void {
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      if (this.partsLength + end - start > this.maxLine) throw this.tooLong();
      const piece = text.slice(start, end);
      start = end + 1;
      if (this.parts.length === 0) this.line(piece);
      else {
        this.parts.push(piece);
        const line = this.parts.join('');
        this.parts = [];
        this.partsLength = 0;
        this.line(line);
      }
    }
    if (start < text.length) {
      if (this.partsLength + text.length - start > this.maxLine) throw this.tooLong();
      this.parts.push(text.slice(start));
      this.partsLength += text.length - start;
    }
  }

  private tooLong(): DatasetError {
    return recordTooLong(this.source, this.lineNo + 1, this.maxLine);
  }

  private line(text: string): void {
    const builder = this.builder;
    const line = text.trim();
    const lineNo = ++this.lineNo;
    if (line.length === 0) return;
    const recordNo = ++this.recordNo;
    const { source } = this;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      builder.issues.add(
        'error',
        'invalid_json',
        undefined,
        recordNo,
        line.slice(0, 60),
        () => `${source}: line ${lineNo}: invalid JSON (${reason}); the line is skipped`,
      );
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      builder.issues.add(
        'error',
        'invalid_record',
        undefined,
        recordNo,
        line.slice(0, 60),
        () => `${source}: line ${lineNo}: expected a JSON object; the line is skipped`,
      );
      return;
    }
    const row = builder.addRow(recordNo);
    const obj = value as Record<string, unknown>;
    let keys = 0;
    for (const key in obj) {
      keys++;
      let slot = this.slotByName.get(key);
      if (slot === undefined && !this.slotByName.has(key)) {
        this.specColumns ??= new SpecColumns(builder, this.options.features, this.options.labelName);
        slot = this.specColumns.slotFor(key);
        this.slotByName.set(key, slot);
        this.columns.push(key);
      }
      if (slot !== undefined) builder.set(slot, row, obj[key]);
    }
    // Each key in the text is followed by a colon: as many colons as parsed keys means no key was repeated (the
    // common case, one native scan); otherwise the line's top-level keys are counted exactly.
    if (countColons(line, keys) > keys) {
      for (const key of duplicateKeys(line)) this.duplicateKey(key, row, recordNo, lineNo);
    }
  }

  /** A key repeated in one line: JSON.parse kept the last value; the cell is made missing and reported. */
  private duplicateKey(key: string, row: number, recordNo: number, lineNo: number): void {
    const slot = this.slotByName.get(key);
    const builder = this.builder;
    if (slot !== undefined) builder.set(slot, row, null);
    const { source } = this;
    const name = clip(key, 80);
    builder.issues.add(
      slot !== undefined ? 'error' : 'warning',
      'duplicate_column',
      key,
      recordNo,
      `line ${lineNo}`,
      () =>
        `${source}: line ${lineNo}: key "${name}" appears more than once in the object` +
        (slot !== undefined ? '; the value is treated as missing' : ''),
    );
  }
}

/** Colons in `text`, counting stops once past `limit`. */
function countColons(text: string, limit: number): number {
  let n = 0;
  for (let i = text.indexOf(':'); i !== -1 && n <= limit; i = text.indexOf(':', i + 1)) n++;
  return n;
}
