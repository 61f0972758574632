import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * Random access to the bytes of a file-like object, for formats that need it (Parquet's footer and column chunks).
 * `read(start, end)` returns bytes [start, end) (callers keep within `size`); the returned view may share memory
 * with the source and must not be modified.
 */
export interface ByteRanges {
  readonly size: number;
  read(start: number, end: number): Uint8Array;
}

/** Ranges of bytes already in memory (no copies). */
export function memoryRanges(bytes: Uint8Array): ByteRanges {
  return { size: bytes.length, read: (start, end) => bytes.subarray(start, end) };
}

/** Ranges of a local file, read on demand (memory: the ranges asked for). Call `close` when done. */
export function fileRanges(path: string): ByteRanges & { close(): void } {
  const fd = openSync(path, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return {
    size,
    read(start, end) {
      const out = new Uint8Array(Math.max(0, end - start));
      let done = 0;
      while (done < out.length) {
        const n = readSync(fd, out, done, out.length - done, start + done);
        if (n === 0) throw new Error(`unexpected end of ${path} at byte ${start + done} (was it truncated?)`);
        done += n;
      }
      return out;
    },
    close: () => closeSync(fd),
  };
}
