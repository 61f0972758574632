import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvRecordReader, forEachCsvRecord } from './csv-records.js';
import { DatasetError } from './errors.js';

const TEXT =
  '\uFEFFa,b,c\r\n1,"x, y",2\r\n\r\n3,"multi\nline ""quoted""\nfield",4\n  5 , six ,7\n"",,\n8,"end"",""",9\n';

function collect(text: string, chunkBytes?: number): Array<[string[], number]> {
  const out: Array<[string[], number]> = [];
  forEachCsvRecord(new TextEncoder().encode(text), 't.csv', (r, lineOf) => out.push([r, lineOf()]), chunkBytes);
  return out;
}

/** Records and lines from pushing `text` in `pushBytes` pieces into a reader with `chunkBytes` segments. */
function collectPushed(text: string, pushBytes: number, chunkBytes?: number): Array<[string[], number]> {
  const out: Array<[string[], number]> = [];
  const reader = new CsvRecordReader('t.csv', (r, lineOf) => out.push([r, lineOf()]), chunkBytes);
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i += pushBytes) reader.push(bytes.subarray(i, i + pushBytes));
  reader.end();
  return out;
}

function lineOfError(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return (err as DatasetError).line;
  }
  throw new Error('expected a DatasetError');
}

describe('forEachCsvRecord', () => {
  it('gives the same records as one csv-parse call, for any chunk size', () => {
    const expected = parse(TEXT, {
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      record_delimiter: ['\r\n', '\n', '\r'],
    });
    const whole = collect(TEXT);
    expect(whole.map(([r]) => r)).toEqual(expected);
    expect(whole.map(([, line]) => line)).toEqual([1, 2, 6, 7, 8, 9]);
    for (let size = 1; size <= TEXT.length + 1; size++) expect(collect(TEXT, size), `chunk ${size}`).toEqual(whole);
  });

  it('maps errors in later chunks to file lines', () => {
    const text = 'a,b\n1,2\n3,4\n5,"open\n6,7\n';
    for (const size of [3, 8, 1000]) {
      let error: unknown;
      try {
        collect(text, size);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(DatasetError);
      expect((error as DatasetError).line, `chunk ${size}`).toBe(5);
      expect((error as DatasetError).message).toMatch(/^t\.csv:5: malformed CSV \(CSV_QUOTE_NOT_CLOSED\)/);
    }
  });

  it('gives the same records when the bytes are pushed in pieces, for any segment size', () => {
    const whole = collect(TEXT);
    for (const pushBytes of [1, 2, 7, 64]) {
      for (let size = 1; size <= TEXT.length + 1; size++) {
        expect(collectPushed(TEXT, pushBytes, size), `push ${pushBytes}, segment ${size}`).toEqual(whole);
      }
    }
  });

  it('maps errors to file lines when the bytes are pushed in pieces', () => {
    const text = 'a,b\n1,2\n3,4\n5,"open\n6,7\n';
    for (const pushBytes of [1, 5, 64]) {
      for (const size of [3, 8, 1000]) {
        expect(
          lineOfError(() => collectPushed(text, pushBytes, size)),
          `push ${pushBytes}, segment ${size}`,
        ).toBe(5);
      }
    }
    expect(lineOfError(() => collectPushed('a,b\n1,2\n3,x"y\n', 1, 4))).toBe(3);
    expect(
      lineOfError(() => forEachCsvRecord(new TextEncoder().encode('a,b\n1,2\n3,x"y\n'), 't.csv', () => {}, 4)),
    ).toBe(3);
  });

  it('refuses a record past maxRecordBytes with the same line whole or pushed, for any segment size', () => {
    const enc = new TextEncoder();
    const errorOf = (fn: () => unknown): DatasetError => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(DatasetError);
        return err as DatasetError;
      }
      throw new Error('expected a DatasetError');
    };
    // A long line, a long quoted multi-line field, and an unclosed quote that swallows the rest of the file.
    const texts = [
      `a,b\n1,2\n${'x'.repeat(200)},3\n4,5\n`,
      `a,b\n1,2\n3,"${'y\n'.repeat(100)}"\n4,5\n`,
      `a,b\n1,2\n3,"open\n${'6,7\n'.repeat(100)}`,
    ];
    for (const text of texts) {
      const bytes = enc.encode(text);
      for (const size of [1, 4, 9, 64, 1000]) {
        const whole = errorOf(() => forEachCsvRecord(bytes, 't.csv', () => {}, size, 64));
        expect(whole.message, `segment ${size}`).toMatch(/^t\.csv:3: line 3 is longer than 64 bytes/);
        for (const pushBytes of [1, 3, 50]) {
          const pushed = errorOf(() => {
            const reader = new CsvRecordReader('t.csv', () => {}, size, 64);
            for (let i = 0; i < bytes.length; i += pushBytes) reader.push(bytes.subarray(i, i + pushBytes));
            reader.end();
          });
          expect(pushed.message, `segment ${size}, push ${pushBytes}`).toBe(whole.message);
        }
      }
      expect(() => forEachCsvRecord(bytes, 't.csv', () => {}, 4, 4096)).not.toThrow(/longer than/);
    }
  });
});
