import type { ColumnSlot } from './columns.js';
import { mapColumns } from './column-map.js';
import { CsvRecordReader } from './csv-records.js';
import { DatasetError, MAX_RECORD_BYTES } from './errors.js';
import type { ReadDatasetOptions, ReadDatasetResult } from './read-dataset.js';
import { JsonlTableReader } from './read-jsonl.js';
import { clip } from '../clip.js';
import { finishTable, TableReader } from './table-reader.js';

export { finishTable } from './table-reader.js';

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

class CsvTableReader extends TableReader implements TextDatasetReader {
  private readonly records: CsvRecordReader;
  private header: string[] | null = null;
  private slots: Array<ColumnSlot | undefined> = [];
  private recordNo = 0;

  constructor(options: ReadDatasetOptions, source: string, totalBytes: number | undefined) {
    super(options, source, totalBytes);
    this.records = new CsvRecordReader(
      source,
      (record, lineOf) => this.record(record, lineOf),
      undefined,
      options.maxRecordBytes ?? MAX_RECORD_BYTES,
    );
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
