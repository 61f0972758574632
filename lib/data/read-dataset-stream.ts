import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileRanges } from './byte-ranges.js';
import { readParquetDataset, type ReadDatasetOptions, type ReadDatasetResult } from './read-dataset.js';
import { createTextReader } from './read-text.js';

/** Options of {@link readDatasetStream}. */
export interface ReadDatasetStreamOptions extends ReadDatasetOptions {
  /**
   * Size of the whole dataset in bytes, when known (file size, S3 Content-Length): CSV/JSONL columns are then sized
   * from the rows in the first MiB instead of growing by doubling. Only a hint: any size gives the same result.
   */
  sizeBytes?: number;
  /** Where Parquet input is spooled to be read by ranges (default: the OS temporary directory). */
  spoolDir?: string;
}

/** With `sizeBytes`, chunks are batched up to this size before the first push (a fair sample for the estimate). */
const FIRST_PUSH_BYTES = 1 << 20;

/**
 * Reads a dataset from its bytes in chunks of any size, giving exactly what {@link readDataset} gives for the
 * concatenated bytes (table, issues, row numbers, columns, and the same `DatasetError`s).
 *
 * CSV and JSONL are parsed as the chunks arrive: memory is the table plus a segment of about 4 MiB (a CSV record
 * or JSONL line longer than that is held whole, as is the rest of a CSV file after an unclosed quote).
 * Parquet needs random access to its footer and column chunks: its chunks are spooled to a temporary file first
 * (in `spoolDir`, default the OS temporary directory; removed afterwards), which is then read range by range
 * (memory: the table plus one column chunk at a time, not the file).
 *
 * Errors of the source (network, checksum) propagate as they are thrown by the iteration. When parsing throws,
 * iteration stops early (the iterator's `return` is called).
 */
export async function readDatasetStream(
  chunks: AsyncIterable<Uint8Array>,
  options: ReadDatasetStreamOptions,
): Promise<ReadDatasetResult> {
  const { sizeBytes, spoolDir, ...readOptions } = options;
  if (options.format === 'parquet') return readParquetSpooled(chunks, readOptions, spoolDir);
  const reader = createTextReader(options.format, readOptions, sizeBytes);
  let first: Uint8Array[] | null = sizeBytes === undefined ? null : [];
  let firstBytes = 0;
  for await (const chunk of chunks) {
    if (first === null) {
      reader.push(chunk);
      continue;
    }
    first.push(chunk);
    firstBytes += chunk.length;
    if (firstBytes >= FIRST_PUSH_BYTES) {
      reader.push(concat(first, firstBytes));
      first = null;
    }
  }
  if (first !== null && firstBytes > 0) reader.push(concat(first, firstBytes));
  return reader.end();
}

async function readParquetSpooled(
  chunks: AsyncIterable<Uint8Array>,
  options: ReadDatasetOptions,
  spoolDir: string | undefined,
): Promise<ReadDatasetResult> {
  const dir = await mkdtemp(join(spoolDir ?? tmpdir(), 'mlops-parquet-'));
  try {
    const path = join(dir, 'dataset.parquet');
    const file = await open(path, 'w');
    try {
      for await (const chunk of chunks) await file.write(chunk);
    } finally {
      await file.close();
    }
    const ranges = fileRanges(path);
    try {
      return readParquetDataset(ranges, options);
    } finally {
      ranges.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
