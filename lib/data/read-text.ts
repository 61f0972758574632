import { TableBuilder, type ColumnSlot } from './columns.js';
import { mapColumns } from './column-map.js';
import { CsvRecordReader } from './csv-records.js';
import { DatasetError, IssueCollector } from './errors.js';
import type { ReadDatasetOptions, ReadDatasetResult } from './read-dataset.js';

/**
 * The CSV and JSONL table readers behind `readDataset` (all bytes pushed at once) and `readDatasetStream` (bytes
 * pushed chunk by chunk): one code path, so both give the same table, issues, row numbers and errors.
 * See `readDataset` for the parsing rules.
 */

/** Incremental reader of one text dataset: {@link push} the bytes in order, then {@link end}. */
export interface TextDatasetReader {
  /** Parses what the bytes so far complete; throws {@link DatasetError} on malformed CSV. */
  push(bytes: Uint8Array): void;
  /** Parses the rest and builds the table; throws {@link DatasetError} when nothing usable was read. */
  end(): ReadDatasetResult;
}

/** Extrapolate the row count from a sample only when it is at least this big (else grow as rows come). */
const MIN_SAMPLE_BYTES = 1 << 20;

/**
 * A reader for `format`. `totalBytes` (the dataset size, when known) sizes the columns from the rows in the bytes
 * seen before the first row is stored, so that they need not grow by doubling.
 */
export function createTextReader(
  format: 'csv' | 'jsonl',
  options: ReadDatasetOptions,
  totalBytes?: number,
): TextDatasetReader {
  const source = options.source ?? '<dataset>';
  return format === 'csv'
    ? new CsvTableReader(options, source, totalBytes)
    : new JsonlTableReader(options, source, totalBytes);
}

/** Keeps messages short when a header is one enormous line. */
export function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}

/** The result, or a {@link DatasetError} when no row is usable. */
export function finishTable(builder: TableBuilder, columns: string[], source: string): ReadDatasetResult {
  const issues = builder.issues.list();
  if (builder.rowCount === 0) {
    const firstError = issues.find((i) => i.severity === 'error');
    throw new DatasetError(source, `no usable rows${firstError ? `: ${firstError.message}` : ''}`);
  }
  const { table, sourceRows } = builder.build();
  return { table, issues, sourceRows, columns };
}

/** Counts bytes and lines until the table builder is needed, then creates it with a capacity estimated from them. */
abstract class TableReader {
  private created: TableBuilder | null = null;
  private bytesSeen = 0;
  private linesSeen = 0;

  constructor(
    protected readonly options: ReadDatasetOptions,
    protected readonly source: string,
    private readonly totalBytes: number | undefined,
  ) {}

  protected sample(bytes: Uint8Array): void {
    if (this.created !== null) return;
    this.bytesSeen += bytes.length;
    for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) this.linesSeen++;
  }

  protected get builder(): TableBuilder {
    if (this.created === null) {
      let rows = this.linesSeen + 1;
      const total = this.totalBytes ?? 0;
      if (total > this.bytesSeen && this.bytesSeen >= MIN_SAMPLE_BYTES) {
        // A little over the extrapolated count, so that a close estimate needs no doubling.
        rows = Math.min(Math.ceil((rows * total * 1.02) / this.bytesSeen) + 16, Math.ceil(total / 2) + 1);
      }
      this.created = new TableBuilder(
        this.options.features,
        this.options.labelName,
        new IssueCollector(),
        this.source,
        rows,
      );
    }
    return this.created;
  }
}

class CsvTableReader extends TableReader implements TextDatasetReader {
  private readonly records: CsvRecordReader;
  private header: string[] | null = null;
  private slots: Array<ColumnSlot | undefined> = [];
  private recordNo = 0;

  constructor(options: ReadDatasetOptions, source: string, totalBytes: number | undefined) {
    super(options, source, totalBytes);
    this.records = new CsvRecordReader(source, (record, lineOf) => this.record(record, lineOf));
  }

  push(bytes: Uint8Array): void {
    this.sample(bytes);
    this.records.push(bytes);
  }

  end(): ReadDatasetResult {
    this.records.end();
    const header = this.header;
    if (header === null) throw new DatasetError(this.source, 'the file is empty (expected a header row)');
    if (this.recordNo === 0)
      throw new DatasetError(
        this.source,
        `the file has a header but no data rows (header: ${clip(header.join(', '))})`,
      );
    return finishTable(this.builder, header, this.source);
  }

  private record(record: string[], lineOf: () => number): void {
    const builder = this.builder;
    const header = this.header;
    if (header === null) {
      this.header = record;
      this.slots = mapColumns(record, builder, this.options.features, this.options.labelName, this.source);
      return;
    }
    if (record.length === 1 && record[0] === '') return; // whitespace-only line
    const recordNo = ++this.recordNo;
    if (record.length !== header.length) {
      const { source } = this;
      const expected = header.length;
      builder.issues.add(
        'error',
        'ragged_row',
        undefined,
        recordNo,
        `${record.length} fields`,
        () =>
          `${source}: row ${recordNo} (line ${lineOf()}) has ${record.length} fields but the header has ${expected}; the row is skipped`,
      );
      return;
    }
    const row = builder.addRow(recordNo);
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const slot = slots[i];
      if (slot !== undefined) builder.set(slot, row, record[i]);
    }
  }
}

class JsonlTableReader extends TableReader implements TextDatasetReader {
  private readonly decoder = new TextDecoder('utf-8');
  /** Text of the current line received so far (it may span many chunks). */
  private parts: string[] = [];
  private readonly columns: string[] = [];
  private readonly slotByName = new Map<string, ColumnSlot | undefined>();
  private recordNo = 0;
  private lineNo = 0;

  push(bytes: Uint8Array): void {
    this.sample(bytes);
    this.feed(this.decoder.decode(bytes, { stream: true }));
  }

  end(): ReadDatasetResult {
    this.feed(this.decoder.decode());
    if (this.parts.length > 0) this.line(this.parts.join(''));
    this.parts = [];
    if (this.recordNo === 0) throw new DatasetError(this.source, 'the file is empty (no JSON lines)');
    const { builder, columns, options } = this;
    mapColumns(columns, builder, options.features, options.labelName, this.source);
    return finishTable(builder, columns, this.source);
  }

  /** Splits decoded text into lines; the text after the last newline waits for the next chunk. */
  private feed(text: string): void {
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      const piece = text.slice(start, end);
      start = end + 1;
      if (this.parts.length === 0) this.line(piece);
      else {
        this.parts.push(piece);
        const line = this.parts.join('');
        this.parts = [];
        this.line(line);
      }
    }
    if (start < text.length) this.parts.push(text.slice(start));
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
    for (const key in obj) {
      let slot = this.slotByName.get(key);
      if (slot === undefined && !this.slotByName.has(key)) {
        slot = builder.slotOf(key, this.options.labelName);
        this.slotByName.set(key, slot);
        this.columns.push(key);
      }
      if (slot !== undefined) builder.set(slot, row, obj[key]);
    }
  }
}
