import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import {
  parquetMetadata,
  parquetSchema,
  type CompressionCodec,
  type Compressors,
  type DecodedArray,
  type FileMetaData,
  type SchemaTree,
} from 'hyparquet';
import { parquetHeader, readPage } from 'hyparquet/src/column.js';
import { DEFAULT_PARSERS, convert } from 'hyparquet/src/convert.js';
import { decompressPage } from 'hyparquet/src/datapage.js';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { memoryRanges, type ByteRanges } from './byte-ranges.js';
import { TableBuilder, type ColumnSlot } from './columns.js';
import { mapColumns } from './column-map.js';
import { DatasetError, IssueCollector } from './errors.js';

/**
 * Parquet input for `readDataset`, on hyparquet's page decoders driven synchronously over byte ranges of the file
 * (no row objects: each column chunk is read and decoded to an array, then copied into the typed column). The
 * bytes are in memory, or read range by range from a file (`fileRanges`): then memory is the table plus one column
 * chunk at a time, not the file.
 *
 * Only top-level flat columns are read. Spec columns are coerced exactly like JSONL values (see `columns.ts`):
 * INT32/INT64/FLOAT/DOUBLE/DECIMAL (and unsigned) become numbers (int64 via `Number`, so values beyond 2^53 round;
 * decimals via their decimal text, so they equal the CSV value); strings in a numeric column are parsed like CSV
 * cells (text gives `invalid_number` per cell, with the row); booleans, dates and timestamps in a numeric column
 * give `invalid_value_type`. Categorical columns take strings, and stringified numbers, bigints and booleans.
 * Nested (list/struct/map) spec columns give one `invalid_value_type` issue and read as missing.
 *
 * Anything inconsistent in the file (bad magic, footer, schema, page headers, decompression, value counts) throws
 * `DatasetError("<source>: not a valid Parquet file: ...")`; an unsupported codec (LZ4, LZO, and ZSTD before
 * Node 22.15) throws a DatasetError naming the codec. Decoding is bounded by the bytes and the row counts checked
 * here, so a corrupt file fails fast instead of hanging.
 */

/** Most rows a Parquet dataset may declare (checked before any column is decoded). */
export const MAX_PARQUET_ROWS = 50_000_000;
/** Largest decompressed page accepted (pyarrow writes ~1 MiB pages; dictionary pages can be larger). */
const MAX_PAGE_BYTES = 512 * 1024 * 1024;
/** Snappy cannot expand more than ~22x (a 3-byte copy element emits at most 64 bytes). */
const MAX_SNAPPY_RATIO = 32;

type ZstdDecompress = (input: Uint8Array, options?: { maxOutputLength?: number }) => Uint8Array;
const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: ZstdDecompress }).zstdDecompressSync;

/** Node's zlib covers GZIP and BROTLI (and ZSTD on Node >= 22.15); SNAPPY is built into hyparquet. */
const COMPRESSORS: Compressors = {
  GZIP: (input, outputLength) => gunzipSync(input, { maxOutputLength: Math.max(1, outputLength) }),
  BROTLI: (input, outputLength) => brotliDecompressSync(input, { maxOutputLength: Math.max(1, outputLength) }),
  ...(zstdDecompressSync === undefined
    ? {}
    : {
        ZSTD: (input: Uint8Array, outputLength: number) =>
          zstdDecompressSync(input, { maxOutputLength: Math.max(1, outputLength) }),
      }),
};
const SUPPORTED_CODECS: ReadonlySet<CompressionCodec> = new Set<CompressionCodec>([
  'UNCOMPRESSED',
  'SNAPPY',
  ...(Object.keys(COMPRESSORS) as CompressionCodec[]),
]);

type ColumnDecoder = Parameters<typeof readPage>[2];
type PageHeader = Parameters<typeof readPage>[1];
type DataReader = Parameters<typeof readPage>[0];

/** A corrupt file: the message ends up after "not a valid Parquet file: ". */
class CorruptParquet extends Error {}

/** What the Parquet reader hands back to `readDataset` (which checks for usable rows and builds the table). */
export interface ParquetRead {
  builder: TableBuilder;
  /** Top-level column names in file order. */
  columns: string[];
}

/** Decoded values of one column: one array per row group (nulls as null/undefined). */
type ColumnValues = DecodedArray[];

/** How raw decoded values of a column become cell values. */
type ValueKind = 'plain' | 'decimal';

export function readParquetColumns(
  input: Uint8Array | ByteRanges,
  features: readonly FeatureSpec[],
  labelName: string | undefined,
  source: string,
): ParquetRead {
  const bytes = input instanceof Uint8Array ? memoryRanges(input) : input;
  if (bytes.size === 0) throw new DatasetError(source, 'the file is empty (expected a Parquet file)');
  try {
    return readChecked(bytes, features, labelName, source);
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    throw new DatasetError(source, `not a valid Parquet file: ${reasonOf(err)}`);
  }
}

function readChecked(
  bytes: ByteRanges,
  features: readonly FeatureSpec[],
  labelName: string | undefined,
  source: string,
): ParquetRead {
  const size = bytes.size;
  if (size < 12 || !hasMagic(bytes.read(0, 4), 0)) throw new CorruptParquet('missing the PAR1 magic at the start');
  const trailer = bytes.read(size - 8, size);
  if (hasMagic(trailer, 4, 'PARE')) {
    throw new DatasetError(source, 'encrypted Parquet files (PARE footer) are not supported');
  }
  if (!hasMagic(trailer, 4)) {
    throw new CorruptParquet('missing the PAR1 magic at the end (is the file truncated?)');
  }
  const metadataLength = new DataView(trailer.buffer, trailer.byteOffset, 8).getUint32(0, true);
  if (metadataLength > size - 8) {
    throw new CorruptParquet(
      `unreadable footer (parquet metadata length ${metadataLength} exceeds available buffer ${size - 8})`,
    );
  }
  let metadata: FileMetaData;
  let schema: SchemaTree;
  try {
    metadata = parquetMetadata(bytes.read(size - 8 - metadataLength, size), { geoparquet: false });
    schema = parquetSchema(metadata);
  } catch (err) {
    throw new CorruptParquet(`unreadable footer (${reasonOf(err)})`);
  }
  const footerStart = size - 8 - metadata.metadata_length;
  const top = schema.children;
  const names = top.map((c) => c.element.name);

  const numRows = toCount(metadata.num_rows, 'num_rows');
  if (numRows > MAX_PARQUET_ROWS) {
    throw new DatasetError(source, `the file declares ${numRows} rows; at most ${MAX_PARQUET_ROWS} are supported`);
  }
  const groupRows = metadata.row_groups.map((g, i) => toCount(g.num_rows, `row group ${i} num_rows`));
  const sum = groupRows.reduce((a, b) => a + b, 0);
  if (sum !== numRows) throw new CorruptParquet(`row groups hold ${sum} rows but the footer says ${numRows}`);
  const leafCount = countLeaves(schema);
  metadata.row_groups.forEach((g, i) => {
    if (g.columns.length !== leafCount) {
      throw new CorruptParquet(`row group ${i} has ${g.columns.length} column chunks, expected ${leafCount}`);
    }
  });
  if (numRows === 0) {
    throw new DatasetError(source, `the file has columns but no rows (columns: ${names.join(', ')})`);
  }

  const issues = new IssueCollector();
  const builder = new TableBuilder(features, labelName, issues, source, numRows);
  const slots = mapColumns(names, builder, features, labelName, source);

  // One column at a time: decode its chunks (validating counts against the footer), copy them into the table, and
  // let them go, so memory is the table plus one decoded column.
  for (let r = 0; r < numRows; r++) builder.addRow(r + 1);
  let leaf = 0;
  top.forEach((column, i) => {
    const first = leaf;
    leaf += countLeaves(column);
    const slot = slots[i];
    if (slot === undefined) return;
    const flat = column.children.length === 0 && column.element.repetition_type !== 'REPEATED';
    if (!flat) {
      const what = slot.kind === 'numeric' ? 'a number' : 'a string';
      issues.add(
        'error',
        'invalid_value_type',
        slot.name,
        undefined,
        undefined,
        () =>
          `${source}: column "${slot.name}" has a nested Parquet type (list, struct or map), expected ${what}; the column is read as missing`,
      );
      return;
    }
    const element = column.element;
    const isDecimal = element.converted_type === 'DECIMAL' || element.logical_type?.type === 'DECIMAL';
    const kind: ValueKind = isDecimal ? 'decimal' : 'plain';
    const scale = isDecimal ? decimalScale(column) : 0;
    const values = readColumnChunks(bytes, footerStart, metadata, schema, column, first, groupRows, kind, source);
    fillColumn(builder, slot, values, kind, scale);
  });
  return { builder, columns: names };
}

/** Copies the decoded chunks of one column into its slot of the table, coercing values as the module comment says. */
function fillColumn(
  builder: TableBuilder,
  slot: ColumnSlot,
  values: ColumnValues,
  kind: ValueKind,
  scale: number,
): void {
  let row = 0;
  for (const chunk of values) {
    if (kind === 'decimal') {
      for (let k = 0; k < chunk.length; k++) builder.set(slot, row++, decimalValue(chunk[k], scale));
    } else if (slot.kind === 'numeric') {
      if (chunk instanceof BigInt64Array || chunk instanceof BigUint64Array) {
        for (let k = 0; k < chunk.length; k++) builder.set(slot, row++, Number(chunk[k]));
      } else {
        for (let k = 0; k < chunk.length; k++) {
          const v: unknown = chunk[k];
          builder.set(slot, row++, typeof v === 'bigint' ? Number(v) : v);
        }
      }
    } else {
      for (let k = 0; k < chunk.length; k++) {
        const v: unknown = chunk[k];
        builder.set(slot, row++, typeof v === 'bigint' ? v.toString() : v);
      }
    }
  }
}

/** Decodes one flat top-level column, row group by row group; checks every page against the footer. */
function readColumnChunks(
  bytes: ByteRanges,
  footerStart: number,
  metadata: FileMetaData,
  schema: SchemaTree,
  column: SchemaTree,
  leafIndex: number,
  groupRows: readonly number[],
  kind: ValueKind,
  source: string,
): ColumnValues {
  const name = column.element.name;
  const out: ColumnValues = [];
  metadata.row_groups.forEach((group, g) => {
    const where = `column "${name}" (row group ${g})`;
    const meta = group.columns[leafIndex]?.meta_data;
    if (meta === undefined) throw new CorruptParquet(`${where}: no column metadata`);
    if (group.columns[leafIndex]?.file_path) throw new DatasetError(source, `${where} is stored in another file`);
    if (meta.path_in_schema.length !== 1 || meta.path_in_schema[0] !== name) {
      throw new CorruptParquet(`${where}: the chunk is for "${meta.path_in_schema.join('.')}"`);
    }
    if (meta.codec === undefined) throw new CorruptParquet(`${where}: unknown compression codec`);
    if (!SUPPORTED_CODECS.has(meta.codec)) {
      throw new DatasetError(
        source,
        `${where} uses ${String(meta.codec)} compression, which is not supported ` +
          `(supported: ${[...SUPPORTED_CODECS].join(', ')}); rewrite the file with snappy or gzip`,
      );
    }
    const start = toCount(meta.dictionary_page_offset || meta.data_page_offset, `${where} offset`);
    const length = toCount(meta.total_compressed_size, `${where} size`);
    if (start < 4 || start + length > footerStart) {
      throw new CorruptParquet(`${where}: bytes ${start}..${start + length} lie outside the data (4..${footerStart})`);
    }
    const element = column.element;
    const decoder: ColumnDecoder = {
      pathInSchema: meta.path_in_schema,
      type: meta.type,
      // Decimals are decoded as their unscaled integers (see decimalValue), not by hyparquet's float multiply.
      element: kind === 'decimal' ? withoutAnnotations(element) : element,
      schemaPath: [schema, kind === 'decimal' ? { ...column, element: withoutAnnotations(element) } : column],
      codec: meta.codec,
      parsers: DEFAULT_PARSERS,
      compressors: COMPRESSORS,
      utf8: kind !== 'decimal',
    };
    const rows = groupRows[g] ?? 0;
    try {
      out.push(...readPages(bytes.read(start, start + length), decoder, rows, where));
    } catch (err) {
      if (err instanceof CorruptParquet || err instanceof DatasetError) throw err;
      throw new CorruptParquet(`${where}: ${reasonOf(err)}`);
    }
  });
  return out;
}

/** Reads the pages of one column chunk until `rows` values are decoded. */
function readPages(chunk: Uint8Array, decoder: ColumnDecoder, rows: number, where: string): DecodedArray[] {
  const reader = { view: new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength), offset: 0 };
  const pieces: DecodedArray[] = [];
  let dictionary: DecodedArray | undefined;
  let last: DecodedArray | undefined;
  let count = 0;
  while (count < rows) {
    if (reader.offset >= chunk.byteLength) {
      throw new CorruptParquet(`${where}: the column chunk ends after ${count} of ${rows} values`);
    }
    const header = parquetHeader(reader);
    const compressed = header.compressed_page_size;
    const uncompressed = header.uncompressed_page_size;
    if (!Number.isSafeInteger(compressed) || compressed < 0 || compressed > chunk.byteLength - reader.offset) {
      throw new CorruptParquet(
        `${where}: page of ${compressed} bytes exceeds the ${chunk.byteLength - reader.offset} bytes left`,
      );
    }
    if (!Number.isSafeInteger(uncompressed) || uncompressed < 0 || uncompressed > MAX_PAGE_BYTES) {
      throw new CorruptParquet(`${where}: implausible uncompressed page size ${uncompressed}`);
    }
    if (decoder.codec === 'SNAPPY' && uncompressed > compressed * MAX_SNAPPY_RATIO + 64) {
      throw new CorruptParquet(`${where}: snappy page claims ${uncompressed} bytes from ${compressed}`);
    }
    const values =
      header.data_page_header?.num_values ??
      header.data_page_header_v2?.num_values ??
      header.dictionary_page_header?.num_values;
    if (values !== undefined) {
      const isDictionary = header.type === 'DICTIONARY_PAGE';
      const limit = isDictionary ? uncompressed * 8 + 8 : rows - count;
      if (!Number.isSafeInteger(values) || values < 0 || values > limit) {
        throw new CorruptParquet(
          isDictionary
            ? `${where}: dictionary page claims ${values} values in ${uncompressed} bytes`
            : `${where}: page claims ${values} values but only ${rows - count} rows remain`,
        );
      }
    }
    if (header.type === 'DICTIONARY_PAGE') {
      const { data } = readPage(reader, header, decoder, dictionary, undefined, 0);
      if (data) dictionary = convert(data, decoder);
    } else if (header.type === 'DATA_PAGE' || header.type === 'DATA_PAGE_V2') {
      const before = last?.length ?? 0;
      const page = preparePage(reader, header, decoder, where);
      const result = readPage(page.reader, page.header, page.decoder, dictionary, last, 0);
      if (result.data === undefined) throw new CorruptParquet(`${where}: a data page decoded to nothing`);
      if (result.data === last) {
        count += result.data.length - before;
      } else if (result.data.length > 0) {
        pieces.push(result.data);
        count += result.data.length;
        last = result.data;
      }
    } else {
      reader.offset += compressed; // index pages and unknown page types carry no values
    }
  }
  if (count !== rows) throw new CorruptParquet(`${where}: decoded ${count} values, expected ${rows}`);
  return pieces;
}

/**
 * Decompresses one data page of a flat column and checks its run-length streams (definition levels, dictionary
 * indices, RLE booleans) and delta headers before hyparquet decodes it: hyparquet trusts run lengths, so a corrupt
 * run of 2^31 values would fill memory for minutes. Returns the page as an uncompressed one for `readPage`.
 */
function preparePage(
  reader: DataReader,
  header: PageHeader,
  decoder: ColumnDecoder,
  where: string,
): { reader: DataReader; header: PageHeader; decoder: ColumnDecoder } {
  const raw = new Uint8Array(reader.view.buffer, reader.view.byteOffset + reader.offset, header.compressed_page_size);
  reader.offset += header.compressed_page_size;
  const optional = decoder.element.repetition_type !== 'REQUIRED';
  const v1 = header.data_page_header;
  const v2 = header.data_page_header_v2;
  let page: Uint8Array;
  let plain: PageHeader;
  if (v1 !== undefined) {
    if (v1.encoding === undefined) throw new CorruptParquet(`${where}: data page without a known encoding`);
    page = decompressPage(raw, header.uncompressed_page_size, decoder.codec, COMPRESSORS);
    let off = 0;
    let nulls = 0;
    if (optional && v1.num_values > 0) {
      const length = readU32(page, off, where);
      off += 4;
      if (off + length > page.length) throw new CorruptParquet(`${where}: definition levels overrun the page`);
      nulls = scanHybrid(page, off, off + length, 1, v1.num_values, true, where);
      off += length;
    }
    checkValues(page, off, v1.encoding, decoder.type, v1.num_values - nulls, false, where);
    plain = { ...header, compressed_page_size: page.length };
  } else if (v2 !== undefined) {
    const { num_values: n, num_nulls: nulls, num_rows: rows, encoding } = v2;
    const rep = v2.repetition_levels_byte_length;
    const def = v2.definition_levels_byte_length;
    const ints = [nulls, rows, rep, def];
    if (encoding === undefined || !ints.every((v) => Number.isSafeInteger(v) && v >= 0)) {
      throw new CorruptParquet(`${where}: incomplete data page v2 header`);
    }
    if (rows !== n || nulls > n || rep !== 0 || rep + def > raw.length || (optional && n > 0 && def === 0)) {
      throw new CorruptParquet(`${where}: inconsistent data page v2 header`);
    }
    if (optional && n > 0) scanHybrid(raw, 0, def, 1, n, false, where);
    const compressedValues = raw.subarray(def);
    const values =
      v2.is_compressed === false
        ? compressedValues
        : decompressPage(compressedValues, header.uncompressed_page_size - def, decoder.codec, COMPRESSORS);
    checkValues(values, 0, encoding, decoder.type, n - nulls, true, where);
    page = new Uint8Array(def + values.length);
    page.set(raw.subarray(0, def));
    page.set(values, def);
    plain = {
      ...header,
      compressed_page_size: page.length,
      uncompressed_page_size: page.length,
      data_page_header_v2: { ...v2, is_compressed: false },
    };
  } else {
    throw new CorruptParquet(`${where}: data page without a header`);
  }
  return {
    reader: { view: new DataView(page.buffer, page.byteOffset, page.length), offset: 0 },
    header: plain,
    decoder: { ...decoder, codec: 'UNCOMPRESSED' },
  };
}

/** Checks the start of a page's values section for the encodings whose lengths hyparquet trusts. */
function checkValues(
  page: Uint8Array,
  off: number,
  encoding: string,
  type: ColumnDecoder['type'],
  count: number,
  v2: boolean,
  where: string,
): void {
  if (count <= 0) return;
  if (encoding === 'RLE' || encoding === 'RLE_DICTIONARY' || encoding === 'PLAIN_DICTIONARY') {
    if (type === 'BOOLEAN') {
      const length = readU32(page, off, where);
      scanHybrid(page, off + 4, Math.min(page.length, off + 4 + length), 1, count, false, where);
      return;
    }
    const width = page[off];
    if (width === undefined || width > 32) throw new CorruptParquet(`${where}: invalid dictionary index width`);
    if (width > 0 || v2) scanHybrid(page, off + 1, page.length, width, count, false, where);
  } else if (encoding.startsWith('DELTA_')) {
    const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: off };
    const blockSize = readVarUint(page, reader, where);
    const miniblocks = readVarUint(page, reader, where);
    if (blockSize === 0 || blockSize > 1 << 20 || miniblocks === 0 || miniblocks > blockSize) {
      throw new CorruptParquet(`${where}: invalid delta block header (${blockSize}/${miniblocks})`);
    }
  }
}

/**
 * Walks an RLE / bit-packed hybrid stream of `count` values of `width` bits in page[off, end), rejecting runs
 * longer than the values left or a stream ending early. With `countZeros`, returns how many values are 0 (the
 * nulls of a flat optional column's definition levels).
 */
function scanHybrid(
  page: Uint8Array,
  start: number,
  end: number,
  width: number,
  count: number,
  countZeros: boolean,
  where: string,
): number {
  const reader = { view: new DataView(page.buffer, page.byteOffset, page.byteLength), offset: start };
  const byteWidth = (width + 7) >> 3;
  let seen = 0;
  let zeros = 0;
  while (seen < count) {
    if (reader.offset >= end) throw new CorruptParquet(`${where}: run-length data ends after ${seen} of ${count}`);
    const header = readVarUint(page, reader, where);
    const left = count - seen;
    if (header % 2 === 1) {
      const groups = (header - 1) / 2;
      const bytes = groups * width;
      if (groups * 8 > left + 7 || reader.offset + bytes > end) {
        throw new CorruptParquet(`${where}: bit-packed run of ${groups * 8} values overruns the data`);
      }
      if (countZeros) {
        const n = Math.min(groups * 8, left);
        for (let i = 0; i < n; i++) if ((((page[reader.offset + (i >> 3)] as number) >> (i & 7)) & 1) === 0) zeros++;
      }
      reader.offset += bytes;
      seen += groups * 8;
    } else {
      const run = header / 2;
      if (run > left || reader.offset + byteWidth > end) {
        throw new CorruptParquet(`${where}: run of ${run} values exceeds the ${left} left`);
      }
      let value = 0;
      for (let i = 0; i < byteWidth; i++) value |= (page[reader.offset + i] as number) << (8 * i);
      reader.offset += byteWidth;
      if (countZeros && value === 0) zeros += run;
      seen += run;
    }
  }
  return zeros;
}

function readVarUint(page: Uint8Array, reader: { offset: number }, where: string): number {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    const byte = page[reader.offset++];
    if (byte === undefined) throw new CorruptParquet(`${where}: varint runs past the page`);
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) {
      if (value >= 2 ** 31) throw new CorruptParquet(`${where}: varint ${value} out of range`);
      return value;
    }
  }
  throw new CorruptParquet(`${where}: varint too long`);
}

function readU32(page: Uint8Array, off: number, where: string): number {
  if (off + 4 > page.length) throw new CorruptParquet(`${where}: page ends inside a length`);
  return new DataView(page.buffer, page.byteOffset, page.byteLength).getUint32(off, true);
}

/** An unscaled decimal (number, bigint, or big-endian two's-complement bytes) as a number, via its decimal text. */
function decimalValue(raw: unknown, scale: number): unknown {
  let unscaled: bigint;
  if (typeof raw === 'number') {
    if (Number.isSafeInteger(raw) && scale <= 22) return raw / 10 ** scale; // both exact: correctly rounded
    unscaled = BigInt(raw);
  } else if (typeof raw === 'bigint') {
    unscaled = raw;
  } else if (raw instanceof Uint8Array) {
    unscaled = 0n;
    for (const byte of raw) unscaled = (unscaled << 8n) | BigInt(byte);
    if (raw.length > 0 && (raw[0] as number) >= 0x80) unscaled -= 1n << BigInt(raw.length * 8);
  } else {
    return raw; // null / undefined: missing
  }
  if (scale === 0) return Number(unscaled);
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return Number(`${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`);
}

function decimalScale(column: SchemaTree): number {
  const logical = column.element.logical_type;
  const scale = logical?.type === 'DECIMAL' ? logical.scale : column.element.scale;
  if (scale === undefined) return 0;
  if (!Number.isSafeInteger(scale) || scale < 0 || scale > 1000) {
    throw new CorruptParquet(`column "${column.element.name}" has an invalid decimal scale ${String(scale)}`);
  }
  return scale;
}

function withoutAnnotations(element: SchemaTree['element']): SchemaTree['element'] {
  const { converted_type: _c, logical_type: _l, ...rest } = element;
  return rest;
}

function reasonOf(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/^parquet /, '');
}

function countLeaves(tree: SchemaTree): number {
  if (tree.children.length === 0) return 1;
  let n = 0;
  for (const child of tree.children) n += countLeaves(child);
  return n;
}

function toCount(value: unknown, what: string): number {
  const n = typeof value === 'bigint' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new CorruptParquet(`invalid ${what}: ${String(value)}`);
  }
  return n;
}

function hasMagic(bytes: Uint8Array, at: number, magic = 'PAR1'): boolean {
  for (let i = 0; i < 4; i++) if (bytes[at + i] !== magic.charCodeAt(i)) return false;
  return true;
}
