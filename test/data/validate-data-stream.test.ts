/**
 * The validateData activity reads datasets as a stream (Parquet spooled to a temporary file): the dataset version is the sha256 computed while
 * streaming, a pinned `dataset.version` that differs is a non-retryable DatasetError (also when the file is
 * malformed, as with the whole-file read), and object errors (checksum) come first.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../activities/deps.js';
import { createValidateData } from '../../activities/validate-data.js';
import type { ValidateDataInput, ValidateDataResult } from '../../contracts/payloads.js';
import { FileArtifactStore } from '../../lib/artifacts/file-store.js';
import { openUriStream, readUri } from '../../lib/artifacts/open-store.js';
import { generateChurn, toCsv } from '../../lib/data/generate-churn.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

describe('validateData on a streamed dataset', () => {
  let dir: string;
  let store: FileArtifactStore;
  let validateData: ReturnType<typeof createValidateData>;
  let base: PipelineSpec;
  const csv = toCsv(generateChurn({ rows: 800, seed: 7 }));

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mlops-validate-stream-'));
    store = new FileArtifactStore(pathToFileURL(path.join(dir, 'artifacts')).href);
    const deps = {
      artifacts: store,
      readUri: (uri: string) => readUri(uri),
      readUriStream: (uri: string) => openUriStream(uri),
    } as unknown as ActivityDeps;
    validateData = createValidateData(deps);
    const spec = await loadSpecFile('examples/churn/pipeline.yaml');
    base = { ...spec, validation: { ...spec.validation, skew: { ...spec.validation.skew, severity: 'off' } } };
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function run(text: string, version?: string, name = 'data.csv'): Promise<ValidateDataResult> {
    const file = path.join(dir, name);
    await writeFile(file, text);
    const spec: PipelineSpec = {
      ...base,
      dataset: { ...base.dataset, uri: pathToFileURL(file).href, ...(version ? { version } : {}) },
    };
    const env = new MockActivityEnvironment();
    return env.run<[ValidateDataInput], ValidateDataResult, typeof validateData>(validateData, {
      spec,
      runId: `run-${name}`,
    });
  }

  async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }

  it('versions the dataset by the streamed sha256 and accepts a matching pin', async () => {
    const result = await run(csv, sha(csv));
    expect(result.dataset.sha256).toBe(sha(csv));
    expect(result.dataset.rows).toBe(800);
    expect(result.passed).toBe(true);
    expect(result.trainRows + result.holdoutRows).toBe(800);
  });

  it('rejects a different pinned version with a non-retryable DatasetError', async () => {
    const err = await failure(run(csv, sha('other')));
    expect(err).toMatchObject({ type: 'DatasetError', nonRetryable: true });
    expect(err.message).toContain(`dataset version is ${sha(csv)} but the spec pins dataset.version ${sha('other')}`);
  });

  it('reports a version mismatch before a parse error, as when reading whole', async () => {
    const broken = `${csv}1,"unclosed,2\n`;
    const pinned = await failure(run(broken, sha('other'), 'broken.csv'));
    expect(pinned.message).toContain(`dataset version is ${sha(broken)}`);
    const unpinned = await failure(run(broken, undefined, 'broken.csv'));
    expect(unpinned).toMatchObject({ type: 'DatasetError', nonRetryable: true });
    expect(unpinned.message).toContain('malformed CSV (CSV_QUOTE_NOT_CLOSED)');
    expect((await failure(run(broken, sha(broken), 'broken.csv'))).message).toContain('malformed CSV');
  });

  it('reads Parquet through a spooled stream: versioned by the sha256 of the file, bad files fail permanently', async () => {
    const parquetDir = new URL('../fixtures/data/parquet/', import.meta.url);
    const parquet = await readFile(new URL('churn_snappy.parquet', parquetDir));
    const spec = (uri: string, version?: string): PipelineSpec => ({
      ...base,
      dataset: { ...base.dataset, uri, format: 'parquet', ...(version ? { version } : {}) },
    });
    const env = new MockActivityEnvironment();
    const uri = new URL('churn_snappy.parquet', parquetDir).href;
    const first = await env.run<[ValidateDataInput], ValidateDataResult, typeof validateData>(validateData, {
      spec: spec(uri, sha(parquet)),
      runId: 'run-parquet',
    });
    expect(first.dataset.sha256).toBe(sha(parquet));
    expect(first.dataset.rows).toBe(240);
    // The fixture is the churn.csv fixture (with its anomalies) written by pyarrow: the same findings either way.
    const csvTwin = await readFile(new URL('churn.csv', parquetDir), 'utf8');
    const fromCsv = await run(csvTwin.replaceAll('\r', ''), undefined, 'churn-twin.csv');
    const findings = (r: ValidateDataResult): string[] => r.topProblems.map((p) => p.replace(/file:\S+: /, ''));
    expect(findings(first)).toEqual(findings(fromCsv));
    expect({ passed: first.passed, errors: first.errors, warnings: first.warnings }).toEqual({
      passed: false,
      errors: fromCsv.errors,
      warnings: fromCsv.warnings,
    });
    expect(first.topProblems.length).toBeGreaterThan(0);
    const pinned = await failure(env.run(validateData, { spec: spec(uri, sha('other')), runId: 'run-parquet-pin' }));
    expect(pinned.message).toContain(`dataset version is ${sha(parquet)}`);
    const truncated = new URL('churn_truncated.parquet', parquetDir).href;
    const bad = await failure(env.run(validateData, { spec: spec(truncated), runId: 'run-parquet-bad' }));
    expect(bad).toMatchObject({ type: 'DatasetError', nonRetryable: true });
    expect(bad.message).toContain('not a valid Parquet file');
  });

  it('reports a corrupt store object before a parse error', async () => {
    const ref = await store.put('datasets/broken.csv', 'good bytes');
    await writeFile(path.join(dir, 'artifacts', 'datasets', 'broken.csv'), 'a,b\n1,"open\n');
    const spec: PipelineSpec = { ...base, dataset: { ...base.dataset, uri: ref.uri } };
    const err = await failure(new MockActivityEnvironment().run(validateData, { spec, runId: 'run-corrupt' }));
    expect(err).toMatchObject({ type: 'ArtifactChecksumError', nonRetryable: true });
  });
});
