/**
 * Column names end to end through readDataset (unicode, spaces, punctuation, NFC vs NFD), repeated JSONL keys,
 * and the per-record length limit (CSV and JSONL, whole and streamed).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadSpecFile } from '../spec/load-spec.js';
import { featureSpecSchema, pipelineSpecSchema, type FeatureSpec } from '../spec/pipeline-spec.js';
import { DatasetError } from './errors.js';
import { duplicateKeys } from './json-keys.js';
import { readDataset, type ReadDatasetOptions, type ReadDatasetResult } from './read-dataset.js';
import { readDatasetStream } from './read-dataset-stream.js';

const features: FeatureSpec[] = [
  { name: 'prix (€)', type: 'numeric', constraints: { nullable: true, maxMissingRate: 0.3 } },
  { name: 'naïve score', type: 'numeric', constraints: { nullable: true, maxMissingRate: 0.3 } },
  { name: 'a,b', type: 'categorical', constraints: { nullable: true, maxMissingRate: 0.3 } },
  { name: 'café', type: 'categorical', constraints: { nullable: true, maxMissingRate: 0.3 } },
];
const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const read = (format: 'csv' | 'jsonl', text: string, extra: Partial<ReadDatasetOptions> = {}): ReadDatasetResult =>
  readDataset(enc(text), { format, features, labelName: 'y', source: `data.${format}`, ...extra });

async function readStreamed(
  format: 'csv' | 'jsonl',
  text: string,
  chunk: number,
  extra: Partial<ReadDatasetOptions> = {},
): Promise<ReadDatasetResult> {
  const bytes = enc(text);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.subarray(i, i + chunk);
  }
  return readDatasetStream(chunks(), { format, features, labelName: 'y', source: `data.${format}`, ...extra });
}

function thrown(fn: () => unknown): DatasetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DatasetError);
    return err as DatasetError;
  }
  throw new Error('expected a DatasetError');
}

const NFD_CAFE = 'cafe\u0301';

describe('column names', () => {
  it('reads unicode, spaces and punctuation in CSV (quoted) and JSONL names, NFD headers included', () => {
    const csv = read('csv', `"prix (€)",naïve score,"a,b",${NFD_CAFE},y\n12.5,0.3,x,noir,1\n7,0.9,z,crème,0\n`);
    const jsonl = read(
      'jsonl',
      [
        `{"prix (€)":12.5,"naïve score":0.3,"a,b":"x","${NFD_CAFE}":"noir","y":"1"}`,
        `{"prix (€)":7,"naïve score":0.9,"a,b":"z","${NFD_CAFE}":"crème","y":"0"}`,
      ].join('\n'),
    );
    for (const r of [csv, jsonl]) {
      expect(r.issues).toEqual([]);
      expect(Array.from(r.table.numeric['prix (€)'] ?? [])).toEqual([12.5, 7]);
      expect(Array.from(r.table.numeric['naïve score'] ?? [])).toEqual([0.3, 0.9]);
      expect(r.table.categorical['a,b']).toEqual(['x', 'z']);
      expect(r.table.categorical['café']).toEqual(['noir', 'crème']);
      expect(r.table.label).toEqual(['1', '0']);
    }
  });

  it('matches an NFD spec name against an NFC header', () => {
    const nfdSpec: FeatureSpec[] = [{ ...(features[3] as FeatureSpec), name: NFD_CAFE }];
    const r = readDataset(enc('café,y\nnoir,1\n'), { format: 'csv', features: nfdSpec, labelName: 'y' });
    expect(r.issues).toEqual([]);
    expect(r.table.categorical[NFD_CAFE]).toEqual(['noir']);
  });

  it('says "did you mean" for a name that differs only by case or spaces, and reads NFC twins as duplicates', () => {
    const r = read('csv', 'Prix  (€),naïve score,a,b,café,Y\n1,2,3,4,5,1\n');
    const missing = r.issues.find((i) => i.code === 'missing_column' && i.column === 'prix (€)');
    expect(missing?.message).toContain('is missing (did you mean "Prix  (€)"?)');
    const label = r.issues.find((i) => i.code === 'missing_label_column');
    expect(label?.message).toContain('label column "y" is missing (did you mean "Y"?)');
    // "a,b" unquoted is two columns "a" and "b": no hint (they are not the same name).
    expect(r.issues.find((i) => i.column === 'a,b')?.message).not.toContain('did you mean');
    const twins = read('csv', `café,${NFD_CAFE},prix (€),naïve score,"a,b",y\nx,y,1,2,3,1\n`);
    expect(twins.issues.find((i) => i.code === 'duplicate_column')).toMatchObject({ severity: 'error' });
    expect(twins.table.categorical['café']).toEqual(['x']);
  });

  it('rejects spec names with leading or trailing whitespace, and NFC twins', async () => {
    const base = { type: 'numeric' as const };
    expect(featureSpecSchema.safeParse({ ...base, name: 'prix (€)' }).success).toBe(true);
    for (const name of [' age', 'age ', '\tage']) {
      const r = featureSpecSchema.safeParse({ ...base, name });
      expect(r.success).toBe(false);
      expect(r.error?.issues[0]?.message).toContain('cannot start or end with whitespace');
    }
    const spec = await loadSpecFile('examples/churn/pipeline.yaml');
    const twins = pipelineSpecSchema.safeParse({
      ...spec,
      features: [...spec.features, { name: 'café', type: 'numeric' }, { name: NFD_CAFE, type: 'numeric' }],
    });
    expect(twins.success).toBe(false);
    expect(JSON.stringify(twins.error?.issues)).toContain('duplicate feature name');
    const label = pipelineSpecSchema.safeParse({ ...spec, label: { ...spec.label, name: 'churned ' } });
    expect(label.success).toBe(false);
  });

  it('keeps the example specs valid (no padded names)', async () => {
    const text = await readFile('examples/churn/pipeline.yaml', 'utf8');
    expect(text).not.toMatch(/name: ["'] | ["']\n/);
  });
});

describe('repeated JSONL keys', () => {
  it('finds keys repeated at the top level only, after unescaping', () => {
    expect(duplicateKeys('{"a":1,"a":5}')).toEqual(['a']);
    expect(duplicateKeys('{"a":{"a":1,"b":2},"b":[{"a":1}],"c":"a:b"}')).toEqual([]);
    expect(duplicateKeys('{"\\u0061":1,"a":2,"x\\"":3,"x\\"":4}')).toEqual(['a', 'x"']);
    expect(duplicateKeys('{"k":"{\\"k\\":1}","k":2}')).toEqual(['k']);
  });

  it('reports a repeated key with its line instead of keeping the last value', () => {
    const r = read(
      'jsonl',
      [
        '{"prix (€)":1,"naïve score":2,"a,b":"x","café":"c","y":"1"}',
        '',
        '{"prix (€)":1,"prix (€)":5,"naïve score":2,"a,b":"x","café":"c","y":"0","extra":1,"extra":2}',
        '{"prix (€)":3,"naïve score":"12:30","a,b":"x:y","café":"c","y":"0"}',
      ].join('\n'),
    );
    const dup = r.issues.find((i) => i.code === 'duplicate_column' && i.column === 'prix (€)');
    expect(dup).toMatchObject({ severity: 'error', count: 1, row: 2, examples: [{ row: 2, value: 'line 3' }] });
    expect(dup?.message).toBe(
      'data.jsonl: line 3: key "prix (€)" appears more than once in the object; the value is treated as missing',
    );
    expect(r.issues.find((i) => i.code === 'duplicate_column' && i.column === 'extra')?.severity).toBe('warning');
    expect(Array.from(r.table.numeric['prix (€)'] ?? [])).toEqual([1, NaN, 3]);
    // Colons inside values are not keys.
    expect(r.issues.filter((i) => i.code === 'duplicate_column')).toHaveLength(2);
  });
});

describe('record length limit', () => {
  const long = 'x'.repeat(300);
  const csvText = `prix (€),naïve score,"a,b",café,y\n1,2,a,b,1\n1,2,${long},b,0\n3,4,c,d,1\n`;
  const jsonlText = `{"y":"1"}\n\n{"y":"0","café":"${long}"}\n{"y":"1"}\n`;

  it('refuses a CSV record or JSONL line past the limit with its line, whole and streamed alike', async () => {
    for (const [format, text, line] of [
      ['csv', csvText, 3],
      ['jsonl', jsonlText, 3],
    ] as const) {
      const whole = thrown(() => read(format, text, { maxRecordBytes: 256 }));
      expect(whole.message).toBe(
        `data.${format}:${line}: line ${line} is longer than 256 bytes, the limit per record` +
          (format === 'csv' ? ' (an unclosed quote makes the rest of a CSV file one record)' : ''),
      );
      expect(whole.line).toBe(line);
      for (const chunk of [1, 7, 64, 1000]) {
        const err = await readStreamed(format, text, chunk, { maxRecordBytes: 256 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(DatasetError);
        expect((err as DatasetError).message).toBe(whole.message);
      }
      expect(read(format, text, { maxRecordBytes: 1024 }).table.rowCount).toBe(3);
    }
  });

  it('refuses an unclosed quote that runs past the limit', async () => {
    const text = `prix (€),y\n1,"open\n${'z\n'.repeat(400)}`;
    const whole = thrown(() => read('csv', text, { maxRecordBytes: 128 }));
    expect(whole.message).toContain('is longer than 128 bytes');
    const streamed = await readStreamed('csv', text, 5, { maxRecordBytes: 128 }).catch((e: unknown) => e);
    expect((streamed as Error).message).toBe(whole.message);
  });

  it('names the limit in MiB', () => {
    const err = thrown(() => read('jsonl', '{"y":1', { maxRecordBytes: 4 << 20 }));
    expect(err.message).not.toContain('longer than');
    expect(
      thrown(() => read('jsonl', `{"y":"${'a'.repeat(5 << 20)}"}`, { maxRecordBytes: 4 << 20 })).message,
    ).toContain('line 1 is longer than 4 MiB');
  });
});
