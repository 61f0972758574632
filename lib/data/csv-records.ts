import { CsvError, parse, type Options } from 'csv-parse/sync';
import { DatasetError, MAX_RECORD_BYTES, recordTooLong } from './errors.js';

/**
 * Feeds CSV bytes through `csv-parse` in segments of about 4 MiB, so a 3M-row file never exists as one array of
 * records and csv-parse runs without its per-record `info` object (which costs ~40%). The bytes may arrive whole
 * ({@link forEachCsvRecord}) or in chunks of any size ({@link CsvRecordReader}): segments are cut at the same
 * places either way, so both give the same records, lines and errors.
 *
 * Segments end at a newline preceded by an even number of double quotes: in valid CSV such a newline is a record
 * boundary (quotes only open/close quoted fields, and an escaped quote is a pair). Invalid quoting still
 * fails inside csv-parse, with the line mapped back to the whole file. Memory is one segment plus the chunk being
 * scanned; a record longer than a segment (or an unclosed quote) extends its segment to the next balanced newline.
 *
 * Records are limited to `maxRecordBytes` (default {@link MAX_RECORD_BYTES}): a segment that would extend more than
 * that past its nominal end, or a record of more characters inside a segment, is a {@link DatasetError} naming the
 * line, the same whether the bytes arrive whole or in chunks.
 */

const CHUNK_BYTES = 4 << 20;
const TOO_LONG_HINT = ' (an unclosed quote makes the rest of a CSV file one record)';
const QUOTE = 0x22;
const NEWLINE = 0x0a;
const BOM = [0xef, 0xbb, 0xbf] as const;
// Explicit delimiters: every segment (and every file with mixed line ends) splits records the same way.
const OPTIONS: Options = {
  trim: true,
  skip_empty_lines: true,
  relax_column_count: true,
  record_delimiter: ['\r\n', '\n', '\r'],
};

/** Called for every record: `lineOf()` gives the 1-based file line where it ends (lazily: call it only to report). */
export type CsvRecordHandler = (record: string[], lineOf: () => number) => void;

function countByte(bytes: Uint8Array, byte: number, from: number, to: number): number {
  let n = 0;
  for (let i = bytes.indexOf(byte, from); i !== -1 && i < to; i = bytes.indexOf(byte, i + 1)) n++;
  return n;
}

/**
 * The 1-based line (of `bytes`, which start at a record boundary) where the record holding the end of the scan
 * begins: the line after the last newline outside quotes in `bytes[0, end)`, scanning no further than line `maxLine`.
 */
function recordStartLine(bytes: Buffer, end: number, maxLine: number): number {
  let line = 1;
  let start = 1;
  let odd = false;
  for (let i = 0; i < end && line < maxLine; i++) {
    const b = bytes[i];
    if (b === QUOTE) odd = !odd;
    else if (b === NEWLINE) {
      line++;
      if (!odd) start = line;
    }
  }
  return start;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Incremental CSV records: {@link push} chunks of any size in order, then {@link end}. Calls `onRecord` for every
 * record (header included) in order: fields trimmed, blank lines skipped, UTF-8 BOM removed, rows of any length.
 * Throws {@link DatasetError} on malformed CSV and on a record longer than `maxRecordBytes` (from `push` or `end`).
 * `chunkBytes` (segment size) is for tests.
 */
export class CsvRecordReader {
  /** Bytes of the current segment received so far (not yet parsed). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Double quotes in the current segment up to the scan position, mod 2. */
  private oddQuotes = false;
  /** The first bytes, held until it is known whether they start with a BOM. */
  private head: Buffer | null = Buffer.alloc(0);
  /** File line of the current segment's first line. */
  private firstLine = 1;
  private readonly chunkBytes: number;
  private readonly options: Options;

  constructor(
    private readonly source: string,
    private readonly onRecord: CsvRecordHandler,
    chunkBytes = CHUNK_BYTES,
    private readonly maxRecordBytes = MAX_RECORD_BYTES,
  ) {
    this.chunkBytes = Math.max(1, chunkBytes);
    this.options = { ...OPTIONS, max_record_size: maxRecordBytes };
  }

  /** Parses every complete segment the bytes so far hold. */
  push(bytes: Uint8Array): void {
    let chunk = asBuffer(bytes);
    if (this.head !== null) {
      const head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
      if (head.length < BOM.length && BOM.every((b, i) => i >= head.length || head[i] === b)) {
        this.head = head; // could still be a BOM
        return;
      }
      this.head = null;
      chunk = head.length >= 3 && BOM.every((b, i) => head[i] === b) ? head.subarray(3) : head;
    }
    while (chunk.length > 0) {
      // Quotes are counted up to `target` (the segment's nominal end), then newline by newline after it.
      let scan = Math.min(chunk.length, Math.max(0, this.chunkBytes - this.pendingBytes));
      if (countByte(chunk, QUOTE, 0, scan) % 2 === 1) this.oddQuotes = !this.oddQuotes;
      let cut = -1;
      while (cut === -1 && scan < chunk.length) {
        const nl = chunk.indexOf(NEWLINE, scan);
        const stop = nl === -1 ? chunk.length : nl + 1;
        if (countByte(chunk, QUOTE, scan, stop) % 2 === 1) this.oddQuotes = !this.oddQuotes;
        scan = stop;
        if (nl !== -1 && !this.oddQuotes) cut = stop;
      }
      if (cut === -1) {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
        if (this.pendingBytes > this.chunkBytes + this.maxRecordBytes) this.tooLong();
        return;
      }
      if (this.pendingBytes + cut > this.chunkBytes + this.maxRecordBytes) {
        this.pending.push(chunk.subarray(0, cut));
        this.tooLong();
      }
      this.pending.push(chunk.subarray(0, cut));
      this.flush();
      chunk = chunk.subarray(cut);
    }
  }

  /** Parses the rest (the last segment need not end with a newline). */
  end(): void {
    if (this.head !== null) {
      const head = this.head;
      this.head = null;
      if (head.length > 0) this.pending.push(head);
    }
    this.flush();
  }

  private flush(): void {
    const segment = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    this.oddQuotes = false;
    if (segment.length > 0) this.parseSegment(segment);
  }

  /**
   * The segment extends more than `maxRecordBytes` past its nominal end without a record boundary: the record at
   * that end is too long. Names the line where that record starts (the same whichever way the bytes came).
   */
  private tooLong(): never {
    const head = Buffer.concat(this.pending).subarray(0, this.chunkBytes);
    const line = this.firstLine - 1 + recordStartLine(head, head.length, Infinity);
    throw recordTooLong(this.source, line, this.maxRecordBytes, TOO_LONG_HINT);
  }

  private parseSegment(segment: Buffer): void {
    const segmentLine = this.firstLine;
    let records: string[][];
    try {
      records = parse(segment, this.options);
    } catch (err) {
      if (err instanceof CsvError) {
        const line = typeof err.lines === 'number' ? segmentLine - 1 + err.lines : undefined;
        if (err.code === 'CSV_MAX_RECORD_SIZE' && typeof err.lines === 'number') {
          const start = segmentLine - 1 + recordStartLine(segment, segment.length, err.lines);
          throw recordTooLong(this.source, start, this.maxRecordBytes, TOO_LONG_HINT);
        }
        const message = `malformed CSV (${err.code}): ${err.message.replace(/ at line \d+/, '')}`;
        throw new DatasetError(this.source, message, line);
      }
      throw err;
    }
    let lines: number[] | null = null;
    for (let i = 0; i < records.length; i++) {
      const index = i;
      this.onRecord(records[i] as string[], () => {
        lines ??= (
          parse(segment, { ...this.options, info: true }) as unknown as Array<{ info: { lines: number } }>
        ).map((r) => r.info.lines);
        return segmentLine - 1 + (lines[index] ?? 0);
      });
    }
    this.firstLine += countByte(segment, NEWLINE, 0, segment.length);
  }
}

/**
 * Calls `onRecord` for every CSV record of `bytes` (header included), as {@link CsvRecordReader} does.
 * Throws {@link DatasetError} on malformed CSV or a record longer than `maxRecordBytes`. `chunkBytes` is for tests.
 */
export function forEachCsvRecord(
  bytes: Uint8Array,
  source: string,
  onRecord: CsvRecordHandler,
  chunkBytes = CHUNK_BYTES,
  maxRecordBytes = MAX_RECORD_BYTES,
): void {
  const reader = new CsvRecordReader(source, onRecord, chunkBytes, maxRecordBytes);
  reader.push(bytes);
  reader.end();
}
