/** Writing numpy .npy files, to hand benchmark data to a Python anchor without conversion on its side. */

/** The .npy v1.0 header: magic, then the header dict padded so the data starts at a multiple of 64 bytes. */
export function npyHeader(descr: string, shape: readonly number[]): Uint8Array {
  const dims = `${shape.join(', ')}${shape.length === 1 ? ',' : ''}`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const prefix = new Uint8Array(10 + header.length);
  prefix.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0], 0);
  new DataView(prefix.buffer).setUint16(8, header.length, true);
  prefix.set(new TextEncoder().encode(header), 10);
  return prefix;
}

/** A one-dimensional .npy file of `length` values of type `descr`, from their raw little-endian bytes. */
export function npy(descr: string, length: number, data: Uint8Array): Uint8Array {
  const prefix = npyHeader(descr, [length]);
  const out = new Uint8Array(prefix.length + data.length);
  out.set(prefix, 0);
  out.set(data, prefix.length);
  return out;
}

export function npyFloat64(values: Float64Array): Uint8Array {
  return npy('<f8', values.length, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

/** Fixed-width unicode (UTF-32LE) strings, missing as "". */
export function npyStrings(values: ReadonlyArray<string | null>): Uint8Array {
  let width = 1;
  for (const v of values) if (v !== null && v.length > width) width = v.length;
  const codes = new Uint32Array(values.length * width);
  const cache = new Map<string, number[]>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? '';
    let cps = cache.get(v);
    if (cps === undefined) {
      cps = Array.from(v, (ch) => ch.codePointAt(0)!);
      cache.set(v, cps);
    }
    codes.set(cps, i * width);
  }
  return npy(`<U${width}`, values.length, new Uint8Array(codes.buffer));
}

/** Int32 little-endian. */
export function npyInt32(values: Int32Array): Uint8Array {
  return npy('<i4', values.length, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}

/** Int8. */
export function npyInt8(values: Int8Array): Uint8Array {
  return npy('|i1', values.length, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
}
