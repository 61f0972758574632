import { CsvError, parse, type Options } from 'csv-parse/sync';
import { DatasetError } from './errors.js';

/**
 * Streams the records of CSV bytes through `csv-parse` in chunks of about 4 MiB, so a 3M-row file never exists
 * as one array of records and csv-parse runs without its per-record `info` object (which costs ~40%).
 *
 * Chunks end at a newline preceded by an even number of double quotes: in valid CSV such a newline is a record
 * boundary (quotes only open/close quoted fields, and an escaped quote is a pair). Invalid quoting still
 * fails inside csv-parse, with the line mapped back to the whole file.
 */

const CHUNK_BYTES = 4 << 20;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
// Explicit delimiters: every chunk (and every file with mixed line ends) splits records the same way.
const OPTIONS: Options = {
  trim: true,
  skip_empty_lines: true,
  relax_column_count: true,
  record_delimiter: ['\r\n', '\n', '\r'],
};

function countByte(bytes: Uint8Array, byte: number, from: number, to: number): number {
  let n = 0;
  for (let i = bytes.indexOf(byte, from); i !== -1 && i < to; i = bytes.indexOf(byte, i + 1)) n++;
  return n;
}

/** End (exclusive) of the chunk starting at `start`: after a newline with balanced quotes, or the end. */
function chunkEnd(bytes: Uint8Array, start: number, chunkBytes: number): number {
  const target = Math.min(bytes.length, start + chunkBytes);
  if (target === bytes.length) return target;
  let quotes = countByte(bytes, QUOTE, start, target);
  let cut = target;
  for (;;) {
    const nl = bytes.indexOf(NEWLINE, cut);
    if (nl === -1) return bytes.length;
    quotes += countByte(bytes, QUOTE, cut, nl);
    cut = nl + 1;
    if (quotes % 2 === 0) return cut;
  }
}

/**
 * Calls `onRecord` for every CSV record (header included) in order: fields trimmed, blank lines skipped,
 * UTF-8 BOM removed, rows of any length. `lineOf()` gives the 1-based file line where the current record ends
 * (computed lazily: call it only for records you report). Throws {@link DatasetError} on malformed CSV.
 * `chunkBytes` is for tests.
 */
export function forEachCsvRecord(
  bytes: Uint8Array,
  source: string,
  onRecord: (record: string[], lineOf: () => number) => void,
  chunkBytes = CHUNK_BYTES,
): void {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = buffer.length >= 3 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  let firstLine = 1;
  while (start < buffer.length) {
    const end = chunkEnd(buffer, start, Math.max(1, chunkBytes));
    const chunk = buffer.subarray(start, end);
    const chunkLine = firstLine;
    let records: string[][];
    try {
      records = parse(chunk, OPTIONS);
    } catch (err) {
      if (err instanceof CsvError) {
        const line = typeof err.lines === 'number' ? chunkLine - 1 + err.lines : undefined;
        throw new DatasetError(source, `malformed CSV (${err.code}): ${err.message.replace(/ at line \d+/, '')}`, line);
      }
      throw err;
    }
    let lines: number[] | null = null;
    for (let i = 0; i < records.length; i++) {
      const index = i;
      onRecord(records[i] as string[], () => {
        lines ??= (parse(chunk, { ...OPTIONS, info: true }) as unknown as Array<{ info: { lines: number } }>).map(
          (r) => r.info.lines,
        );
        return chunkLine - 1 + (lines[index] ?? 0);
      });
    }
    firstLine += countByte(buffer, NEWLINE, start, end);
    start = end;
  }
}
