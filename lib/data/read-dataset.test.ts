import { describe, expect, it } from 'vitest';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { DatasetError } from './errors.js';
import { datasetSha256, readDataset, schemaFingerprint, type ReadDatasetOptions } from './read-dataset.js';

const features: FeatureSpec[] = [
  { name: 'age', type: 'numeric', constraints: { min: 0, nullable: true, maxMissingRate: 0.3 } },
  {
    name: 'city',
    type: 'categorical',
    constraints: { values: ['paris', 'rome'], nullable: true, maxMissingRate: 0.3 },
  },
];
const csv = (text: string, extra: Partial<ReadDatasetOptions> = {}) =>
  readDataset(new TextEncoder().encode(text), {
    format: 'csv',
    features,
    labelName: 'y',
    source: 'data.csv',
    ...extra,
  });
const jsonl = (text: string) =>
  readDataset(new TextEncoder().encode(text), { format: 'jsonl', features, labelName: 'y', source: 'data.jsonl' });

function thrown(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return err as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('readDataset csv', () => {
  it('reads a clean file into typed columns', () => {
    const { table, issues, sourceRows, columns } = csv('age,city,y\n30,paris,1\n41.5,rome,0\n');
    expect(issues).toEqual([]);
    expect(sourceRows).toBeNull();
    expect(columns).toEqual(['age', 'city', 'y']);
    expect(table.rowCount).toBe(2);
    expect(table.numeric.age).toEqual(new Float64Array([30, 41.5]));
    expect(table.categorical.city).toEqual(['paris', 'rome']);
    expect(table.label).toEqual(['1', '0']);
  });

  it('strips a UTF-8 BOM, trims fields, skips blank lines and accepts CRLF', () => {
    const { table, issues } = csv('\uFEFFage , city,y\r\n 30 , paris ,1\r\n\r\n 2e1,rome,0\r\n');
    expect(issues).toEqual([]);
    expect(table.numeric.age).toEqual(new Float64Array([30, 20]));
    expect(table.categorical.city).toEqual(['paris', 'rome']);
  });

  it('handles quoted fields with delimiters, quotes and newlines', () => {
    const { table, issues } = csv('age,city,y\n1,"paris, france",1\n2,"line1\nline2",0\n3,"say ""hi""",1\n');
    expect(issues).toEqual([]);
    expect(table.categorical.city).toEqual(['paris, france', 'line1\nline2', 'say "hi"']);
  });

  it('treats "", NA, null as missing', () => {
    const { table, issues } = csv('age,city,y\n,NA,1\nNA,null,0\nnull,,1\n');
    expect(issues).toEqual([]);
    expect([...(table.numeric.age ?? [])].every(Number.isNaN)).toBe(true);
    expect(table.categorical.city).toEqual([null, null, null]);
  });

  it('reports text, NaN and inf in a numeric column with rows, never accepts them', () => {
    const { table, issues } = csv(
      'age,city,y\n10,paris,1\nabc,rome,0\nNaN,rome,1\ninf,rome,0\n-Infinity,paris,1\n1e999,paris,0\n0x10,rome,1\n',
    );
    expect([...(table.numeric.age ?? [])].map((v) => (Number.isNaN(v) ? null : v))).toEqual([
      10,
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
    const invalid = issues.find((i) => i.code === 'invalid_number');
    expect(invalid).toMatchObject({ severity: 'error', column: 'age', row: 2, count: 2 });
    expect(invalid?.examples).toEqual([
      { row: 2, value: 'abc' },
      { row: 7, value: '0x10' },
    ]);
    expect(invalid?.message).toContain('data.csv: column "age" row 2: "abc" is not a number');
    const nonFinite = issues.find((i) => i.code === 'non_finite_number');
    expect(nonFinite).toMatchObject({ column: 'age', count: 4, row: 3 });
    expect(nonFinite?.examples.map((e) => e.value)).toEqual(['NaN', 'inf', '-Infinity', '1e999']);
  });

  it('throws DatasetError for an empty file and a header-only file', () => {
    expect(thrown(() => csv('')).message).toBe('data.csv: the file is empty (expected a header row)');
    expect(thrown(() => csv('\uFEFF\n\n')).message).toContain('empty');
    expect(thrown(() => csv('age,city,y\n')).message).toBe(
      'data.csv: the file has a header but no data rows (header: age, city, y)',
    );
  });

  it('drops ragged rows with an error naming row and line, and maps table rows back to records', () => {
    const { table, issues, sourceRows } = csv('age,city,y\n1,paris,1\n2,rome\n3,rome,0,extra\n4,paris,1\n');
    expect(table.rowCount).toBe(2);
    expect(table.numeric.age).toEqual(new Float64Array([1, 4]));
    expect([...(sourceRows ?? [])]).toEqual([1, 4]);
    const ragged = issues.find((i) => i.code === 'ragged_row');
    expect(ragged).toMatchObject({ severity: 'error', row: 2, count: 2 });
    expect(ragged?.message).toBe(
      'data.csv: row 2 (line 3) has 2 fields but the header has 3; the row is skipped (2 in all)',
    );
  });

  it('throws when no row is usable', () => {
    expect(thrown(() => csv('age,city,y\n1,2\n3\n')).message).toMatch(
      /^data\.csv: no usable rows: data\.csv: row 1 \(line 2\) has 2 fields/,
    );
  });

  it('reports duplicate header names: error for spec columns, warning otherwise', () => {
    const { table, issues } = csv('age,city,age,y,note,note\n1,paris,2,1,a,b\n');
    expect(table.numeric.age).toEqual(new Float64Array([1]));
    expect(issues.find((i) => i.code === 'duplicate_column' && i.column === 'age')).toMatchObject({
      severity: 'error',
    });
    expect(issues.find((i) => i.code === 'duplicate_column' && i.column === 'note')).toMatchObject({
      severity: 'warning',
    });
    expect(issues.find((i) => i.code === 'extra_column')?.message).toBe(
      'data.csv: columns not in the spec are ignored: note',
    );
  });

  it('reports missing feature and label columns and fills them as missing', () => {
    const { table, issues } = csv('city\nparis\nrome\n');
    expect(table.label).toEqual([null, null]);
    expect([...(table.numeric.age ?? [])].every(Number.isNaN)).toBe(true);
    expect(issues.map((i) => [i.code, i.column, i.severity])).toEqual([
      ['missing_column', 'age', 'error'],
      ['missing_label_column', 'y', 'error'],
    ]);
    expect(issues[0]?.message).toBe('data.csv: required numeric feature column "age" is missing (found: city)');
  });

  it('reads unlabelled data when labelName is omitted', () => {
    const { table, issues } = readDataset(new TextEncoder().encode('age,city\n1,paris\n'), { format: 'csv', features });
    expect(issues).toEqual([]);
    expect(table.label).toBeNull();
  });

  it('throws with the line for malformed quoting', () => {
    const err = thrown(() => csv('age,city,y\n1,"paris,1\n2,rome,0\n'));
    expect(err.message).toMatch(/^data\.csv(:\d+)?: malformed CSV \(CSV_QUOTE_NOT_CLOSED\)/);
  });

  it('routes parquet to the Parquet reader (see read-parquet.test.ts)', () => {
    const err = thrown(() =>
      readDataset(new Uint8Array([80, 65, 82, 49]), { format: 'parquet', features, source: 'x.parquet' }),
    );
    expect(err.message).toBe('x.parquet: not a valid Parquet file: missing the PAR1 magic at the start');
  });

  it('reads a single enormous (20 MB) field without crashing', () => {
    const big = 'x'.repeat(20 * 1024 * 1024);
    const asCategory = csv(`age,city,y\n1,"${big}",1\n2,rome,0\n`);
    expect(asCategory.table.rowCount).toBe(2);
    expect(asCategory.table.categorical.city?.[0]?.length).toBe(big.length);
    const asNumber = csv(`age,city,y\n${big},paris,1\n`);
    expect(asNumber.table.numeric.age?.[0]).toBeNaN();
    const invalid = asNumber.issues.find((i) => i.code === 'invalid_number');
    expect(invalid?.examples[0]?.value).toHaveLength(60); // shortened in examples and messages
    expect(invalid?.message.length).toBeLessThan(200);
    const headerOnly = thrown(() => csv(big));
    expect(headerOnly.message.length).toBeLessThan(300);
  });
});

describe('readDataset jsonl', () => {
  it('reads objects, coerces numbers and strings, skips blank lines', () => {
    const { table, issues, columns } = jsonl(
      '{"age": 30, "city": "paris", "y": 1}\n\n{"age": "41", "city": null, "y": "0"}\n{"city": "rome", "y": 1}\n',
    );
    expect(issues).toEqual([]);
    expect(columns).toEqual(['age', 'city', 'y']);
    expect([...(table.numeric.age ?? [])].map((v) => (Number.isNaN(v) ? null : v))).toEqual([30, 41, null]);
    expect(table.categorical.city).toEqual(['paris', null, 'rome']);
    expect(table.label).toEqual(['1', '0', '1']);
  });

  it('reports the line number of bad JSON and skips the line', () => {
    const { table, issues, sourceRows } = jsonl(
      '{"age": 1, "city": "paris", "y": 1}\n\n{"age": 2, "city": \n{"age": 3, "city": "rome", "y": 0}\n[1,2]\n',
    );
    expect(table.rowCount).toBe(2);
    expect([...(sourceRows ?? [])]).toEqual([1, 3]);
    const bad = issues.find((i) => i.code === 'invalid_json');
    expect(bad).toMatchObject({ severity: 'error', row: 2, count: 1 });
    expect(bad?.message).toMatch(/^data\.jsonl: line 3: invalid JSON \(/);
    expect(issues.find((i) => i.code === 'invalid_record')?.message).toBe(
      'data.jsonl: line 5: expected a JSON object; the line is skipped',
    );
  });

  it('reports wrong value types, missing and extra columns', () => {
    const { issues } = jsonl('{"age": true, "city": {"a": 1}, "zip": 1}\n{"age": "x", "city": "rome", "zip": 2}\n');
    expect(issues.map((i) => [i.code, i.column ?? null, i.count])).toEqual([
      ['invalid_value_type', 'age', 1],
      ['invalid_value_type', 'city', 1],
      ['invalid_number', 'age', 1],
      ['missing_label_column', 'y', 1],
      ['extra_column', null, 1],
    ]);
  });

  it('throws for an empty file', () => {
    expect(thrown(() => jsonl('\n \n')).message).toBe('data.jsonl: the file is empty (no JSON lines)');
  });

  it('reports NaN / inf strings in numeric fields, treats empty strings as missing', () => {
    const { table, issues } = jsonl(
      [
        '{"age": "NaN", "city": "paris", "y": 1}',
        '{"age": "inf", "city": "", "y": 0}',
        '{"age": "", "city": "rome", "y": ""}',
        '{"age": "-Infinity", "city": " ", "y": 1}',
        '{"age": "  ", "city": "rome", "y": 1}',
        '{"age": 1e999, "city": "rome", "y": 1}',
        '{"age": "7", "city": "rome", "y": 1}',
      ].join('\n'),
    );
    expect([...(table.numeric.age ?? [])].map((v) => (Number.isNaN(v) ? null : v))).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
      7,
    ]);
    expect(table.categorical.city).toEqual(['paris', null, 'rome', null, 'rome', 'rome', 'rome']);
    expect(table.label).toEqual(['1', '0', null, '1', '1', '1', '1']);
    // JSON has no NaN/Infinity literals; 1e999 parses to Infinity and is reported like the strings.
    expect(issues).toEqual([
      {
        severity: 'error',
        code: 'non_finite_number',
        column: 'age',
        row: 1,
        count: 4,
        examples: [
          { row: 1, value: 'NaN' },
          { row: 2, value: 'inf' },
          { row: 4, value: '-Infinity' },
          { row: 6, value: 'Infinity' },
        ],
        message: 'data.jsonl: column "age" row 1: "NaN" is not a finite number (4 in all)',
      },
    ]);
  });
});

describe('fingerprints', () => {
  it('hashes bytes with sha256', () => {
    expect(datasetSha256(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('changes with names, types, order and label but not with constraints', () => {
    const base = schemaFingerprint(features, 'y');
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(schemaFingerprint(features, 'z')).not.toBe(base);
    expect(schemaFingerprint([...features].reverse(), 'y')).not.toBe(base);
    const loosened = features.map((f) => ({
      ...f,
      constraints: { ...f.constraints, maxMissingRate: 0.9 },
    })) as FeatureSpec[];
    expect(schemaFingerprint(loosened, 'y')).toBe(base);
  });
});
