import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { readDataset, type DatasetFormat, type ReadDatasetOptions } from './read-dataset.js';
import { readDatasetStream } from './read-dataset-stream.js';

/**
 * `readDatasetStream` must give exactly what `readDataset` gives for the same bytes, however they are chunked:
 * the inputs of read-dataset.test.ts (good and bad) plus chunk-boundary cases, fed in 1, 7 and 64 byte chunks.
 */

const features: FeatureSpec[] = [
  { name: 'age', type: 'numeric', constraints: { min: 0, nullable: true, maxMissingRate: 0.3 } },
  {
    name: 'city',
    type: 'categorical',
    constraints: { values: ['paris', 'rome'], nullable: true, maxMissingRate: 0.3 },
  },
];

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The result, or the error as a plain object (class, message, line), so both outcomes compare with toEqual. */
async function outcome(read: () => unknown): Promise<unknown> {
  try {
    return { result: await read() };
  } catch (err) {
    const e = err as Error & { line?: number };
    return { error: { name: e.name, message: e.message, line: e.line } };
  }
}

/** A big result as one string (toEqual is slow on 50k-row tables); typed arrays keep their type name. */
function snapshot(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    ArrayBuffer.isView(v) ? [v.constructor.name, Array.from(v as Float64Array, String)] : v,
  );
}

function optionsFor(format: DatasetFormat, extra: Partial<ReadDatasetOptions> = {}): ReadDatasetOptions {
  return { format, features, labelName: 'y', source: `data.${format}`, ...extra };
}

async function expectSameAsWhole(bytes: Uint8Array, options: ReadDatasetOptions, sizes: number[]): Promise<unknown> {
  const whole = await outcome(() => readDataset(bytes, options));
  for (const size of sizes) {
    const streamed = await outcome(() => readDatasetStream(chunked(bytes, size), options));
    expect(streamed, `${size}-byte chunks`).toEqual(whole);
  }
  return whole;
}

const CSV_CASES: Record<string, string> = {
  clean: 'age,city,y\n30,paris,1\n41.5,rome,0\n',
  'BOM, trimmed fields, blank lines and CRLF': '\uFEFFage , city,y\r\n 30 , paris ,1\r\n\r\n 2e1,rome,0\r\n',
  'quoted delimiters, quotes and newlines': 'age,city,y\n1,"paris, france",1\n2,"line1\nline2",0\n3,"say ""hi""",1\n',
  'missing tokens': 'age,city,y\n,NA,1\nNA,null,0\nnull,,1\n',
  'text, NaN and inf in a numeric column':
    'age,city,y\n10,paris,1\nabc,rome,0\nNaN,rome,1\ninf,rome,0\n-Infinity,paris,1\n1e999,paris,0\n0x10,rome,1\n',
  empty: '',
  'only a BOM and blank lines': '\uFEFF\n\n',
  'header only': 'age,city,y\n',
  'ragged rows': 'age,city,y\n1,paris,1\n2,rome\n3,rome,0,extra\n4,paris,1\n',
  'no usable row': 'age,city,y\n1,2\n3\n',
  'duplicate header names': 'age,city,age,y,note,note\n1,paris,2,1,a,b\n',
  'missing feature and label columns': 'city\nparis\nrome\n',
  'unclosed quote': 'age,city,y\n1,"paris,1\n2,rome,0\n',
  'unclosed quote later on': 'age,city,y\n1,paris,1\n2,rome,0\n3,"open,1\n4,rome,0\n',
  'quote in an unquoted field': 'age,city,y\n1,par"is,1\n',
  'no final newline': 'age,city,y\n1,paris,1\n2,rome,0',
  'multi-byte UTF-8 and CR line ends': 'age,city,y\r1,café,1\r2,"東京\r\nnord",0\r',
  'a BOM only, no newline': '\uFEFF',
  'two BOM bytes': '\u00EF\u00BB',
  'whitespace-only lines': 'age,city,y\n   \n1,paris,1\n \t \n2,rome,0\n',
};

const JSONL_CASES: Record<string, string> = {
  'objects, coercion, blank lines':
    '{"age": 30, "city": "paris", "y": 1}\n\n{"age": "41", "city": null, "y": "0"}\n{"city": "rome", "y": 1}\n',
  'bad JSON and a non-object':
    '{"age": 1, "city": "paris", "y": 1}\n\n{"age": 2, "city": \n{"age": 3, "city": "rome", "y": 0}\n[1,2]\n',
  'wrong value types, missing and extra columns':
    '{"age": true, "city": {"a": 1}, "zip": 1}\n{"age": "x", "city": "rome", "zip": 2}\n',
  'blank lines only': '\n \n',
  empty: '',
  'NaN / inf strings, no final newline': [
    '{"age": "NaN", "city": "paris", "y": 1}',
    '{"age": "inf", "city": "", "y": 0}',
    '{"age": "", "city": "rome", "y": ""}',
    '{"age": 1e999, "city": "rome", "y": 1}',
    '{"age": "7", "city": "rome", "y": 1}',
  ].join('\n'),
  'BOM, CRLF and multi-byte UTF-8':
    '\uFEFF{"age": 1, "city": "café", "y": "東京"}\r\n{"age": 2, "city": "rome", "y": 0}\r\n',
  'no usable line': 'nope\n[1]\n',
};

describe('readDatasetStream equals readDataset', () => {
  for (const [name, text] of Object.entries(CSV_CASES)) {
    it(`csv: ${name}`, async () => {
      await expectSameAsWhole(encode(text), optionsFor('csv'), [1, 7, 64]);
    });
  }

  for (const [name, text] of Object.entries(JSONL_CASES)) {
    it(`jsonl: ${name}`, async () => {
      await expectSameAsWhole(encode(text), optionsFor('jsonl'), [1, 7, 64]);
    });
  }

  it('reports the line of an unclosed quote as readDataset does', async () => {
    const whole = await expectSameAsWhole(encode(CSV_CASES['unclosed quote later on'] ?? ''), optionsFor('csv'), [1]);
    expect(whole).toMatchObject({ error: { name: 'DatasetError', line: 5 } }); // csv-parse: where the input ended
  });

  it('splits invalid UTF-8 the same way', async () => {
    const bytes = new Uint8Array([
      ...encode('age,city,y\n1,'),
      0xe6,
      0x9d,
      ...encode(',1\n2,\u00e9'),
      0xff,
      ...encode(',0\n'),
    ]);
    await expectSameAsWhole(bytes, optionsFor('csv'), [1, 2, 3]);
    const jsonl = new Uint8Array([...encode('{"age": 1, "city": "'), 0xe6, 0x9d, ...encode('", "y": 1}\n')]);
    await expectSameAsWhole(jsonl, optionsFor('jsonl'), [1, 2, 3]);
  });

  it('reads unlabelled data', async () => {
    await expectSameAsWhole(encode('age,city\n1,paris\n'), { format: 'csv', features }, [1, 5]);
  });

  it('reads a single enormous (20 MB) line, field or header', async () => {
    const big = 'x'.repeat(20 * 1024 * 1024);
    const sizes = [65_536 + 7];
    await expectSameAsWhole(encode(`age,city,y\n1,"${big}",1\n2,rome,0\n`), optionsFor('csv'), sizes);
    await expectSameAsWhole(encode(big), optionsFor('csv'), sizes);
    await expectSameAsWhole(encode(`{"age": 1, "city": "${big}", "y": 1}\n{"age": 2}\n`), optionsFor('jsonl'), sizes);
  }, 120_000);

  it('gives the same table with any size hint (columns sized from the first MiB)', async () => {
    // ~1.2 MB (more than the 1 MiB sample): quoted newlines and quotes, numbers and categories.
    const rows = Array.from({ length: 55_000 }, (_, i) =>
      i % 97 === 0 ? `${i},"multi\nline ""${i % 5}""",${i % 2}` : `${i * 0.5},city-number-${i % 13},${i % 3}`,
    );
    const bytes = encode(`age,city,y\n${rows.join('\n')}\n`);
    expect(bytes.length).toBeGreaterThan(1 << 20);
    const whole = readDataset(bytes, optionsFor('csv'));
    const expected = snapshot(whole);
    expect(whole.table.rowCount).toBeGreaterThan(54_000);
    for (const sizeBytes of [bytes.length, 1, bytes.length * 10, Math.floor(bytes.length / 3)]) {
      const streamed = await readDatasetStream(chunked(bytes, 65_536), { ...optionsFor('csv'), sizeBytes });
      expect(snapshot(streamed), `hint ${sizeBytes}`).toBe(expected);
    }
    const jsonl = encode(
      rows
        .map((_, i) =>
          i % 101 === 0 ? '{"age": ' : JSON.stringify({ age: i, city: `city-number-${i % 7}`, y: i % 2 }),
        )
        .join('\n'),
    );
    const options = { ...optionsFor('jsonl'), sizeBytes: jsonl.length };
    expect(snapshot(await readDatasetStream(chunked(jsonl, 65_536), options))).toBe(
      snapshot(readDataset(jsonl, optionsFor('jsonl'))),
    );
  }, 120_000);

  it('spools Parquet to a temporary file and reads it by ranges: same result or error as the whole read', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'mlops-spool-test-'));
    try {
      const options: ReadDatasetOptions & { spoolDir: string } = {
        format: 'parquet',
        features: [
          { name: 'tenure_months', type: 'numeric', constraints: { nullable: true, maxMissingRate: 1 } },
          { name: 'plan', type: 'categorical', constraints: { nullable: true, maxMissingRate: 1 } },
        ],
        labelName: 'churned',
        source: 'churn.parquet',
        spoolDir,
      };
      const dir = new URL('../../test/fixtures/data/parquet/', import.meta.url);
      const files = readdirSync(dir).filter((f) => f.endsWith('.parquet'));
      expect(files.length).toBeGreaterThanOrEqual(10);
      let failures = 0;
      for (const file of files) {
        const bytes = readFileSync(new URL(file, dir));
        const whole = await expectSameAsWhole(bytes, { ...options, source: file }, [1000, 1 << 20]);
        if ((whole as { error?: unknown }).error !== undefined) failures++;
      }
      const bytes = readFileSync(new URL('churn.parquet', dir));
      for (const cut of [0, 3, 11, 100, bytes.length - 9, bytes.length - 1]) {
        await expectSameAsWhole(bytes.subarray(0, cut), options, [7]);
      }
      expect(failures).toBeGreaterThan(0); // the corrupt fixtures fail alike both ways
      expect(readdirSync(spoolDir)).toEqual([]); // every spool file removed, after errors too
    } finally {
      rmSync(spoolDir, { recursive: true, force: true });
    }
  });
});
