/**
 * The validateData activity reads datasets as a stream (Parquet spooled to a temporary file): the dataset version is
 * the sha256 computed while streaming, a pinned `dataset.version` that differs is a non-retryable DatasetError (also
 * when the file is malformed, as with the whole-file read), and object errors (checksum) come first. A dataset that
 * cannot be read fails the gate with a stored report (`unreadable_dataset`), as severe anomalies do; a champion
 * profile that cannot be read skips the skew check with a visible warning.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ActivityDeps } from '../../activities/deps.js';
import { createValidateData } from '../../activities/validate-data.js';
import type { ValidateDataInput, ValidateDataResult } from '../../contracts/payloads.js';
import { FileArtifactStore } from '../../lib/artifacts/file-store.js';
import { openUriStream, readUri } from '../../lib/artifacts/open-store.js';
import { generateChurn, toCsv } from '../../lib/data/generate-churn.js';
import type { ValidationReport } from '../../lib/data/validate.js';
import { createPgRegistry, type PgModelRegistry } from '../../lib/registry/pg-registry.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { createTestDatabase, type TestDatabase } from '../../infra/postgres-test.js';
import { lineage, newVersion } from '../registry/helpers/fixtures.js';

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
    const unpinned = await run(broken, undefined, 'broken.csv');
    expect(unpinned).toMatchObject({ passed: false, errors: 1 });
    expect(unpinned.topProblems[0]).toContain('malformed CSV (CSV_QUOTE_NOT_CLOSED)');
    expect((await run(broken, sha(broken), 'broken.csv')).topProblems[0]).toContain('malformed CSV');
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
    const bad = await env.run<[ValidateDataInput], ValidateDataResult, typeof validateData>(validateData, {
      spec: spec(truncated),
      runId: 'run-parquet-bad',
    });
    expect(bad).toMatchObject({ passed: false, errors: 1, trainUri: '' });
    expect(bad.topProblems[0]).toContain('not a valid Parquet file');
  });

  it('reports a corrupt store object before a parse error', async () => {
    const ref = await store.put('datasets/broken.csv', 'good bytes');
    await writeFile(path.join(dir, 'artifacts', 'datasets', 'broken.csv'), 'a,b\n1,"open\n');
    const spec: PipelineSpec = { ...base, dataset: { ...base.dataset, uri: ref.uri } };
    const err = await failure(new MockActivityEnvironment().run(validateData, { spec, runId: 'run-corrupt' }));
    expect(err).toMatchObject({ type: 'ArtifactChecksumError', nonRetryable: true });
  });

  const reportOf = async (result: ValidateDataResult): Promise<{ dataset: unknown; report: ValidationReport }> =>
    JSON.parse(Buffer.from(await store.get(result.reportUri)).toString('utf8')) as {
      dataset: unknown;
      report: ValidationReport;
    };

  it('fails the gate with a stored report when the dataset cannot be read (empty, header only, malformed)', async () => {
    const header = csv.slice(0, csv.indexOf('\n') + 1);
    for (const [name, text, reason] of [
      ['empty.csv', '', ': the file is empty (expected a header row)'],
      ['header.csv', header, ': the file has a header but no data rows'],
      ['quote.csv', `${header}1,"open\n`, ':2: malformed CSV (CSV_QUOTE_NOT_CLOSED)'],
    ] as const) {
      const result = await run(text, undefined, name);
      expect(result, name).toMatchObject({ passed: false, errors: 1, warnings: 0, trainUri: '', profileUri: '' });
      expect(result.dataset).toMatchObject({ sha256: sha(text), rows: 0 });
      expect(result.summary).toContain(`0 rows, 1 error: unreadable dataset: `);
      expect(result.topProblems).toHaveLength(1);
      expect(result.topProblems[0]).toContain(reason);
      const { report } = await reportOf(result);
      expect(report.anomalies).toHaveLength(1);
      expect(report.anomalies[0]).toMatchObject({
        severity: 'error',
        code: 'unreadable_dataset',
        count: 1,
        examples: [],
      });
      expect(report.anomalies[0]?.message).toContain(`${name}${reason}`);
      expect(report.passed).toBe(false);
    }
  });

  it('stores a report naming the rows and columns of bad values', async () => {
    const lines = csv.trimEnd().split('\n');
    lines[5] = lines[5]?.replace(/^[^,]+,/, 'twelve,') ?? '';
    const result = await run(`${lines.join('\n')}\n`, undefined, 'bad-value.csv');
    const column = lines[0]?.split(',')[0];
    expect(result.passed).toBe(false);
    const { report } = await reportOf(result);
    const bad = report.anomalies.find((a) => a.code === 'invalid_number');
    expect(bad).toMatchObject({ severity: 'error', column, count: 1, examples: [{ row: 5, value: 'twelve' }] });
    expect(bad?.message).toContain(`column "${column}" row 5: "twelve" is not a number`);
  });

  describe('with a champion whose profile cannot be read', () => {
    let db: TestDatabase;
    let registry: PgModelRegistry;

    beforeAll(async () => {
      db = await createTestDatabase({ baseUrl: inject('databaseUrl'), prefix: 'mlops_validate_skew' });
      registry = createPgRegistry({ connectionString: db.url, maxConnections: 2 });
      await registry.migrate();
    });

    afterAll(async () => {
      await registry?.close();
      await db?.drop();
    });

    it('skips the skew check with a visible warning in the report and its summary', async () => {
      const profileUri = store.uriFor('datasets/gone/profile.json');
      const { version } = await registry.registerVersion(
        newVersion(base.model, 'run-champion', { lineage: lineage({ profileUri }) }),
      );
      await registry.recordDeployment({ model: base.model, version, runId: 'run-champion' });
      const file = path.join(dir, 'skew.csv');
      await writeFile(file, csv);
      const spec: PipelineSpec = {
        ...base,
        dataset: { ...base.dataset, uri: pathToFileURL(file).href },
        validation: { ...base.validation, skew: { ...base.validation.skew, severity: 'warning' } },
      };
      const withRegistry = createValidateData({
        artifacts: store,
        registry,
        readUri: (uri: string) => readUri(uri),
        readUriStream: (uri: string) => openUriStream(uri),
      } as unknown as ActivityDeps);
      const result = await new MockActivityEnvironment().run<
        [ValidateDataInput],
        ValidateDataResult,
        typeof withRegistry
      >(withRegistry, { spec, runId: 'run-skew' });
      expect(result.passed).toBe(true);
      expect(result.summary).toContain('skew check skipped');
      const { report } = await reportOf(result);
      const note = report.anomalies.find((a) => a.code === 'skew_check_skipped');
      expect(note).toMatchObject({ severity: 'warning', count: 1 });
      expect(note?.message).toBe(
        `skew check skipped: cannot read the champion's profile ${profileUri}: artifact not found: ${profileUri}`,
      );
    });
  });
});
