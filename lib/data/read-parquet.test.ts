import { readFileSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { DatasetError } from './errors.js';
import { readDataset, type ReadDatasetOptions } from './read-dataset.js';

/** Fixtures written by test/fixtures/data/parquet/make_parquet_fixtures.py (pyarrow). */
const fixture = (name: string): Uint8Array =>
  readFileSync(new URL(`../../test/fixtures/data/parquet/${name}`, import.meta.url));
const expectedOf = (name: string): Record<string, Array<number | string | boolean | null>> =>
  JSON.parse(new TextDecoder().decode(fixture(name))) as Record<string, Array<number | string | boolean | null>>;

const numeric = (name: string): FeatureSpec => ({
  name,
  type: 'numeric',
  constraints: { nullable: true, maxMissingRate: 1 },
});
const categorical = (name: string): FeatureSpec => ({
  name,
  type: 'categorical',
  constraints: { nullable: true, maxMissingRate: 1 },
});

/** The features of examples/churn/pipeline.yaml. */
const churnFeatures: FeatureSpec[] = [
  numeric('tenure_months'),
  numeric('monthly_charges'),
  numeric('support_calls'),
  numeric('data_usage_gb'),
  categorical('plan'),
  categorical('region'),
  categorical('contract'),
];
const CHURN_NUMERIC = ['tenure_months', 'monthly_charges', 'support_calls', 'data_usage_gb'];
const CHURN_CATEGORICAL = ['plan', 'region', 'contract'];

const parquet = (name: string, extra: Partial<ReadDatasetOptions> = {}) =>
  readDataset(fixture(name), {
    format: 'parquet',
    features: churnFeatures,
    labelName: 'churned',
    source: name,
    ...extra,
  });

/** NaN as null, for comparing a Float64Array with JSON values. */
const nullable = (col: Float64Array | undefined): Array<number | null> =>
  [...(col ?? [])].map((v) => (Number.isNaN(v) ? null : v));

function thrown(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return err as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

describe('readDataset parquet: churn fixtures', () => {
  const expected = expectedOf('churn_expected.json');

  it.each(['churn.parquet', 'churn_snappy.parquet', 'churn_gzip.parquet', 'churn_plain.parquet'])(
    '%s holds the values pyarrow wrote, nulls as NaN / null',
    (name) => {
      const { table, issues, sourceRows, columns } = parquet(name);
      expect(columns).toEqual([
        'customer_id',
        'tenure_months',
        'monthly_charges',
        'support_calls',
        'data_usage_gb',
        'plan',
        'region',
        'contract',
        'churned',
      ]);
      expect(sourceRows).toBeNull();
      expect(table.rowCount).toBe(240);
      for (const c of CHURN_NUMERIC) {
        expect(table.numeric[c]).toBeInstanceOf(Float64Array);
        expect(nullable(table.numeric[c])).toEqual(expected[c]);
      }
      for (const c of CHURN_CATEGORICAL) expect(table.categorical[c]).toEqual(expected[c]);
      expect(table.label).toEqual(expected.churned?.map((v) => (v === null ? null : String(v))));
      // Row 1 and 2 are fixed in the script: known values, then all-null but data_usage_gb.
      expect(table.numeric.tenure_months?.[0]).toBe(12);
      expect(table.numeric.monthly_charges?.[0]).toBe(70.35);
      expect(table.numeric.data_usage_gb?.[0]).toBeNaN();
      expect(table.numeric.data_usage_gb?.[1]).toBe(1.5);
      expect(table.categorical.plan?.slice(0, 2)).toEqual(['basic', null]);
      expect(table.label?.slice(0, 2)).toEqual(['1', null]);
      // Every column has nulls somewhere.
      for (const c of CHURN_NUMERIC) expect(table.numeric[c]?.some(Number.isNaN)).toBe(true);
      for (const c of CHURN_CATEGORICAL) expect(table.categorical[c]).toContain(null);
      expect(issues).toEqual([
        {
          severity: 'warning',
          code: 'extra_column',
          count: 1,
          examples: [],
          message: `${name}: columns not in the spec are ignored: customer_id`,
        },
      ]);
    },
  );

  it('reads the same table, columns and issues as the equivalent CSV', () => {
    const options = { features: churnFeatures, labelName: 'churned', source: 'churn' };
    const fromParquet = readDataset(fixture('churn_snappy.parquet'), { format: 'parquet', ...options });
    const fromCsv = readDataset(fixture('churn.csv'), { format: 'csv', ...options });
    expect(fromParquet.table).toEqual(fromCsv.table);
    expect(fromParquet.issues).toEqual(fromCsv.issues);
    expect(fromParquet.columns).toEqual(fromCsv.columns);
    expect(fromParquet.sourceRows).toEqual(fromCsv.sourceRows);
  });

  it('reports a missing label column like CSV and fills the label as missing', () => {
    const { table, issues } = parquet('churn_no_label.parquet');
    expect(table.rowCount).toBe(240);
    expect(table.label?.every((v) => v === null)).toBe(true);
    expect(issues.map((i) => [i.code, i.column ?? null, i.severity])).toEqual([
      ['missing_label_column', 'churned', 'error'],
      ['extra_column', null, 'warning'],
    ]);
    expect(issues[0]?.message).toBe('churn_no_label.parquet: label column "churned" is missing');
  });

  it('reports missing feature columns like CSV', () => {
    const { table, issues } = parquet('churn.parquet', { features: [...churnFeatures, numeric('age')] });
    expect([...(table.numeric.age ?? [])].every(Number.isNaN)).toBe(true);
    const missing = issues.find((i) => i.code === 'missing_column');
    expect(missing).toMatchObject({ severity: 'error', column: 'age', count: 1 });
    expect(missing?.message).toBe(
      'churn.parquet: required numeric feature column "age" is missing (found: customer_id, tenure_months, ' +
        'monthly_charges, support_calls, data_usage_gb, plan, region, contract, churned)',
    );
  });

  it('reads unlabelled data when labelName is omitted', () => {
    const { table } = readDataset(fixture('churn.parquet'), { format: 'parquet', features: churnFeatures });
    expect(table.label).toBeNull();
    expect(table.rowCount).toBe(240);
  });
});

describe('readDataset parquet: types', () => {
  const expected = expectedOf('numeric_types_expected.json');
  const NUMERIC = ['i32', 'i64', 'u32', 'u64', 'f32', 'f64', 'dec_i32', 'dec_i64', 'dec_flba'];

  it('reads int32, int64, unsigned, float, double and decimals as numbers (bigint -> number)', () => {
    const { table, issues } = parquet('numeric_types.parquet', {
      features: [...NUMERIC.map(numeric), categorical('flag'), categorical('code')],
      labelName: 'label',
    });
    expect(issues.filter((i) => i.severity === 'error')).toEqual([]);
    for (const c of NUMERIC) {
      // Decimals are written as decimal strings: the reader must give exactly Number(text), like a CSV cell.
      const want = expected[c]?.map((v) => (v === null ? null : Number(v)));
      expect(nullable(table.numeric[c]), c).toEqual(want);
    }
    expect(table.numeric.i64?.[0]).toBe(9007199254740991);
    expect(table.numeric.u32?.[0]).toBe(4294967295);
    expect(table.numeric.f32?.[0]).toBe(Math.fround(0.1));
    expect(table.numeric.dec_i32?.[0]).toBe(123.45);
    expect(table.numeric.dec_i64?.[0]).toBe(Number('123456789012345.678'));
    expect(table.numeric.dec_flba?.[4]).toBe(-98765.4321);
    expect(table.categorical.flag?.slice(0, 4)).toEqual(['true', 'false', null, 'true']);
    expect(table.categorical.code?.slice(0, 3)).toEqual(['3', '10', null]);
    expect(table.label?.slice(0, 2)).toEqual(['1', '0']);
  });

  it('stringifies int64 exactly and decimals for categorical columns', () => {
    const { table } = parquet('numeric_types.parquet', {
      features: [categorical('i64'), categorical('dec_i32')],
      labelName: 'label',
    });
    expect(table.categorical.i64?.slice(0, 4)).toEqual(['9007199254740991', '-9007199254740991', null, '123456789012']);
    expect(table.categorical.dec_i32?.slice(0, 2)).toEqual(['123.45', '-0.01']);
  });

  it('reports booleans in a numeric column per cell, with rows', () => {
    const { table, issues } = parquet('numeric_types.parquet', { features: [numeric('flag')], labelName: 'label' });
    expect([...(table.numeric.flag ?? [])].every(Number.isNaN)).toBe(true);
    const bad = issues.find((i) => i.code === 'invalid_value_type');
    expect(bad).toMatchObject({ severity: 'error', column: 'flag', row: 1, count: 11 });
    expect(bad?.examples.slice(0, 3)).toEqual([
      { row: 1, value: 'true' },
      { row: 2, value: 'false' },
      { row: 4, value: 'true' },
    ]);
    expect(bad?.message).toBe(
      'numeric_types.parquet: column "flag" row 1: "true" is a boolean, expected a number (11 in all)',
    );
  });

  it('parses numeric strings in a string column and reports the rest per cell exactly like CSV', () => {
    const features = [numeric('age'), categorical('city')];
    const options = { features, labelName: 'y', source: 'data' };
    const fromParquet = readDataset(fixture('string_in_numeric.parquet'), { format: 'parquet', ...options });
    expect(nullable(fromParquet.table.numeric.age)).toEqual([
      12,
      null,
      null,
      null,
      3.5,
      null,
      null,
      null,
      null,
      null,
      -4,
    ]);
    const invalid = fromParquet.issues.find((i) => i.code === 'invalid_number');
    expect(invalid).toMatchObject({ severity: 'error', column: 'age', row: 2, count: 2 });
    expect(invalid?.examples).toEqual([
      { row: 2, value: 'abc' },
      { row: 10, value: 'x1' },
    ]);
    expect(invalid?.message).toBe('data: column "age" row 2: "abc" is not a number (2 in all)');
    expect(fromParquet.issues.find((i) => i.code === 'non_finite_number')?.examples).toEqual([
      { row: 6, value: 'NaN' },
      { row: 7, value: 'inf' },
      { row: 8, value: '1e999' },
    ]);
    const csv =
      'age,city,y\n12,paris,1\nabc,paris,0\n,paris,1\n,paris,0\n 3.5 ,paris,1\nNaN,paris,0\ninf,paris,1\n1e999,paris,0\nNA,paris,1\nx1,paris,0\n-4,paris,1\n';
    const fromCsv = readDataset(new TextEncoder().encode(csv), { format: 'csv', ...options });
    expect(fromParquet.table).toEqual(fromCsv.table);
    expect(fromParquet.issues).toEqual(fromCsv.issues);
  });

  it('reports duplicate column names and reads the first', () => {
    const { table, issues } = parquet('duplicate_columns.parquet', {
      features: [numeric('age'), categorical('city')],
      labelName: 'y',
    });
    expect(table.numeric.age).toEqual(new Float64Array([1, 2]));
    expect(issues).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'duplicate_column',
        column: 'age',
        message:
          'duplicate_columns.parquet: column "age" appears more than once in the header (position 3); only the first is read',
      }),
    ]);
  });

  it('reports nested spec columns once and reads them as missing', () => {
    const { table, issues } = parquet('nested.parquet', {
      features: [numeric('age'), categorical('city'), numeric('tags')],
      labelName: 'y',
    });
    expect(table.numeric.age).toEqual(new Float64Array([1, 2, 3]));
    expect(table.categorical.city).toEqual([null, null, null]);
    expect([...(table.numeric.tags ?? [])].every(Number.isNaN)).toBe(true);
    expect(table.label).toEqual(['1', '0', '1']);
    expect(issues.map((i) => [i.code, i.column, i.count])).toEqual([
      ['invalid_value_type', 'city', 1],
      ['invalid_value_type', 'tags', 1],
    ]);
    expect(issues[0]?.message).toBe(
      'nested.parquet: column "city" has a nested Parquet type (list, struct or map), expected a string; the column is read as missing',
    );
  });
});

describe('readDataset parquet: unreadable files', () => {
  it('rejects a truncated file naming the source', () => {
    const err = thrown(() => parquet('churn_truncated.parquet'));
    expect(err.source).toBe('churn_truncated.parquet');
    expect(err.message).toBe(
      'churn_truncated.parquet: not a valid Parquet file: missing the PAR1 magic at the end (is the file truncated?)',
    );
  });

  it('rejects empty, tiny and non-Parquet input', () => {
    const read = (bytes: Uint8Array) =>
      readDataset(bytes, { format: 'parquet', features: churnFeatures, source: 'x.parquet' });
    expect(thrown(() => read(new Uint8Array())).message).toBe('x.parquet: the file is empty (expected a Parquet file)');
    expect(thrown(() => read(new Uint8Array([80, 65, 82, 49]))).message).toBe(
      'x.parquet: not a valid Parquet file: missing the PAR1 magic at the start',
    );
    expect(thrown(() => read(fixture('churn.csv'))).message).toBe(
      'x.parquet: not a valid Parquet file: missing the PAR1 magic at the start',
    );
  });

  it('rejects random bytes between PAR1 magics, and any cut of a good file, with a DatasetError', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 200; i++) {
      const n = 12 + Math.floor(random() * 4000);
      const bytes = new Uint8Array(n).map(() => Math.floor(random() * 256));
      bytes.set([80, 65, 82, 49], 0);
      bytes.set([80, 65, 82, 49], n - 4);
      // Half of them with a plausible footer length, so the thrift decoder runs on garbage.
      if (i % 2 === 0) new DataView(bytes.buffer).setUint32(n - 8, Math.floor(random() * (n - 12)), true);
      const err = thrown(() => readDataset(bytes, { format: 'parquet', features: churnFeatures, source: 'rnd' }));
      expect(err.message).toMatch(/^rnd: not a valid Parquet file: /);
    }
    const good = fixture('churn_gzip.parquet');
    for (let cut = 0; cut < good.length; cut += 97) {
      const bytes = good.subarray(0, cut);
      const err = thrown(() => readDataset(bytes, { format: 'parquet', features: churnFeatures, source: 'cut' }));
      expect(err.message).toMatch(/^cut: (not a valid Parquet file: |the file is empty)/);
    }
  });

  it('rejects corrupted pages and footers with a DatasetError, never another error', () => {
    const good = fixture('churn_snappy.parquet');
    const footer = good.length - 8 - new DataView(good.buffer, good.byteOffset).getUint32(good.length - 8, true);
    let seed = 11;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    let rejected = 0;
    for (let i = 0; i < 400; i++) {
      const bytes = new Uint8Array(good);
      const inFooter = i % 2 === 0;
      for (let k = 0; k < 3; k++) {
        const at = inFooter
          ? footer + Math.floor(random() * (good.length - 8 - footer))
          : 4 + Math.floor(random() * (footer - 4));
        bytes[at] = Math.floor(random() * 256);
      }
      try {
        readDataset(bytes, { format: 'parquet', features: churnFeatures, labelName: 'churned', source: 'bad' });
      } catch (err) {
        expect(err).toBeInstanceOf(DatasetError);
        expect((err as Error).message).toMatch(/^bad: /);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(100);
  });

  it('rejects a file without rows like a header-only CSV', () => {
    expect(thrown(() => parquet('empty.parquet')).message).toBe(
      'empty.parquet: the file has columns but no rows (columns: customer_id, tenure_months, monthly_charges, ' +
        'support_calls, data_usage_gb, plan, region, contract, churned)',
    );
  });

  it('names an unsupported codec', () => {
    if ('zstdDecompressSync' in zlib) {
      expect(parquet('churn_zstd.parquet').table.rowCount).toBe(240);
    } else {
      expect(thrown(() => parquet('churn_zstd.parquet')).message).toMatch(
        /^churn_zstd\.parquet: column "tenure_months" \(row group 0\) uses ZSTD compression, which is not supported/,
      );
    }
  });
});
