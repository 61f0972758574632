import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { forEachCsvRecord } from './csv-records.js';
import { DatasetError } from './errors.js';

const TEXT =
  '\uFEFFa,b,c\r\n1,"x, y",2\r\n\r\n3,"multi\nline ""quoted""\nfield",4\n  5 , six ,7\n"",,\n8,"end"",""",9\n';

function collect(text: string, chunkBytes?: number): Array<[string[], number]> {
  const out: Array<[string[], number]> = [];
  forEachCsvRecord(new TextEncoder().encode(text), 't.csv', (r, lineOf) => out.push([r, lineOf()]), chunkBytes);
  return out;
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
});
