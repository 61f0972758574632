/**
 * Registry item 6: registration never produces a duplicate or a dangling version, proven with failure injection on
 * real processes and a real PostgreSQL server.
 *
 * 1. A worker process SIGKILLs itself (test/durability/crash-worker.ts, CRASH_TEST_KILL) at one of three points:
 *    - `after-model-upload`: trainModel has stored the model artifact; nothing is registered. The server notices
 *      the dead worker at the training heartbeat timeout (30 s) and the retry trains again (resuming from the last
 *      checkpoint) and writes the SAME key (the key is deterministic per run: models/<model>/runs/<runId>/model.onnx),
 *      so the crashed attempt's upload is overwritten, never left beside the registered one.
 *    - `before-register`: every artifact is stored, the version row is not inserted yet (the window where a crash
 *      could leave an artifact without a version, or, on retry, a version without the artifact).
 *    - `after-register`: the version row is committed, the activity never reported completion (the window where a
 *      retry could insert a duplicate). registerModel does not heartbeat: the server notices the dead worker at
 *      its start-to-close timeout (2 min), which the test shortens for the dead attempt through the server API
 *      (see NATURAL_TIMEOUTS); the timeout and the retry are still the server's.
 *    A second worker process takes the retry over. Each time: the pipeline completes with exactly one version (one
 *    row for the producing run), its artifact exists and verifies against the recorded sha256, the deployment
 *    names it, and the model's run directory holds exactly one model artifact: the registered one.
 * 2. The registry's PostgreSQL is stopped for 30 s (MLOPS_TEST_PG_OUTAGE_MS shortens it locally) right when
 *    registration starts: a PRIVATE server (infra/private-postgres.ts), not the shared one. The worker holds its first
 *    registration (CRASH_TEST_HOLD_DIR) until the test has stopped the server. registerModel's attempts fail with
 *    RegistryUnavailableError (retryable) while the server is down, the first one after the restart succeeds, the
 *    pipeline deploys exactly one version. During the outage the CLI reports the unreachable registry (exit 1).
 * 3. The CLI's errors for an unknown model, version and alias (`models show churn@9` and `models promote churn@99`
 *    against a known model are in test/cli/cli-against-stack.test.ts), run while the database is down (idle CPU).
 *
 * The scenarios run concurrently: ~2 min in all (setup, then mostly the 30 s outage and the 30 s heartbeat timeout).
 *
 * Real pieces: the shared Temporal dev server, a fresh database on the shared PostgreSQL for (1) and (3), a private
 * PostgreSQL for (2), a `file://` artifact store in a temp dir, and worker processes on task queues of their own.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, type ExpectStatic, inject, it } from 'vitest';
import { trainingKeys } from '../../activities/train-model.js';
import type { RegisterModelResult, TrainingPipelineResult } from '../../contracts/payloads.js';
import { STAGE_KEY } from '../../contracts/search-attributes.js';
import { pipelineWorkflowId } from '../../contracts/workflow-ids.js';
import { createTestDatabase, type TestDatabase } from '../../infra/postgres-test.js';
import { startPrivatePostgres, type PrivatePostgres } from '../../infra/private-postgres.js';
import type { ArtifactStore } from '../../lib/artifacts/artifact-store.js';
import { openArtifactStore } from '../../lib/artifacts/open-store.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { createPgRegistry, type PgModelRegistry } from '../../lib/registry/pg-registry.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import type { KillPoint } from './crash-worker.js';
import {
  startWorkerProcess,
  stopWorker,
  waitForExit,
  waitUntilPolling,
  writeWorkflowBundle,
  type WorkerProcess,
} from './worker-processes.js';

type HistoryEvent = NonNullable<Awaited<ReturnType<WorkflowHandle['fetchHistory']>>['events']>[number];
type Failure = NonNullable<HistoryEvent['activityTaskStartedEventAttributes']>['lastFailure'];

/** How long the private PostgreSQL stays down (the issue asks for 30 s; shorten locally only). */
const OUTAGE_MS = Number(process.env['MLOPS_TEST_PG_OUTAGE_MS'] ?? 30_000);
/**
 * registerModel does not heartbeat, so the server notices a dead worker only at its start-to-close timeout (2 min).
 * By default the test shortens the dead attempt's timeout through the server API (UpdateActivityOptions, what
 * `temporal activity update-options` does) to REGISTER_TIMEOUT_S; the server still times the attempt out and
 * retries it on the other worker by the workflow's retry policy. MLOPS_TEST_NATURAL_TIMEOUTS=1 waits the 2 min.
 */
const NATURAL_TIMEOUTS = process.env['MLOPS_TEST_NATURAL_TIMEOUTS'] === '1';
const REGISTER_TIMEOUT_S = 15;

const t0 = Date.now();
function note(line: string): void {
  console.log(`[registration +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
}

const exec = promisify(execFile);
const suffix = Date.now().toString(36);
let db: TestDatabase;
let privatePg: PrivatePostgres;
let dir: string;
let artifactsDir: string;
let artifactsUrl: string;
let store: ArtifactStore;
let registry: PgModelRegistry;
let privateRegistry: PgModelRegistry;
let connection: Connection;
let client: Client;
let baseSpec: PipelineSpec;
let bundlePath: string;
const workers: WorkerProcess[] = [];
/** Resolves when the private PostgreSQL goes down: the CPU is idle then, so the CLI checks run in that window. */
let outageStarted!: () => void;
const outageWindow = new Promise<void>((resolve) => (outageStarted = resolve));

function startWorker(name: string, env: Record<string, string>): WorkerProcess {
  const w = startWorkerProcess(name, {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    MLOPS_ARTIFACTS_URL: artifactsUrl,
    CRASH_TEST_WORKFLOW_BUNDLE: bundlePath,
    ...env,
  });
  workers.push(w);
  return w;
}

async function startPipeline(model: string, taskQueue: string): Promise<WorkflowHandle> {
  const spec: PipelineSpec = { ...baseSpec, model };
  return client.workflow.start('trainingPipeline', {
    workflowId: pipelineWorkflowId(model, Date.now()),
    taskQueue,
    args: [{ spec, trigger: { kind: 'manual', reason: 'registration failure test', at: new Date().toISOString() } }],
  });
}

function decode<T>(payload: Payload | null | undefined): T {
  if (!payload) throw new Error('missing payload');
  return defaultPayloadConverter.fromPayload<T>(payload);
}

type ProtoDuration = NonNullable<
  NonNullable<
    Parameters<Client['workflowService']['updateActivityOptions']>[0]['activityOptions']
  >['startToCloseTimeout']
>;

/** Sets the start-to-close timeout of the pending `activityType` activity (its running attempt and the retries). */
async function shortenStartToClose(handle: WorkflowHandle, activityType: string): Promise<void> {
  const pending = (await handle.describe()).raw.pendingActivities?.find((a) => a.activityType?.name === activityType);
  if (!pending?.activityId) throw new Error(`no pending ${activityType} activity`);
  await client.workflowService.updateActivityOptions({
    namespace: 'default',
    execution: { workflowId: handle.workflowId },
    identity: 'registration-failures test',
    id: pending.activityId,
    // protobufjs takes a number for the int64 field.
    activityOptions: { startToCloseTimeout: { seconds: REGISTER_TIMEOUT_S } as unknown as ProtoDuration },
    updateMask: { paths: ['startToCloseTimeout'] },
  });
}

/** The attempts of one activity type in a finished workflow's history: started attempts and how it ended. */
interface ActivityAttempts {
  scheduled: number;
  started: Array<{ attempt: number; lastFailure: Failure | null | undefined; identity: string }>;
  completed: HistoryEvent[];
  failed: HistoryEvent[];
  timedOut: HistoryEvent[];
}

async function activityAttempts(handle: WorkflowHandle, activityType: string): Promise<ActivityAttempts> {
  const events = (await handle.fetchHistory()).events ?? [];
  const ids = new Set(
    events
      .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      .map((e) => e.eventId?.toString()),
  );
  const of = (id: unknown): boolean => ids.has(String(id));
  return {
    scheduled: ids.size,
    started: events
      .filter((e) => e.activityTaskStartedEventAttributes && of(e.activityTaskStartedEventAttributes.scheduledEventId))
      .map((e) => ({
        attempt: e.activityTaskStartedEventAttributes!.attempt ?? 0,
        lastFailure: e.activityTaskStartedEventAttributes!.lastFailure,
        identity: e.activityTaskStartedEventAttributes!.identity ?? '',
      })),
    completed: events.filter(
      (e) => e.activityTaskCompletedEventAttributes && of(e.activityTaskCompletedEventAttributes.scheduledEventId),
    ),
    failed: events.filter(
      (e) => e.activityTaskFailedEventAttributes && of(e.activityTaskFailedEventAttributes.scheduledEventId),
    ),
    timedOut: events.filter(
      (e) => e.activityTaskTimedOutEventAttributes && of(e.activityTaskTimedOutEventAttributes.scheduledEventId),
    ),
  };
}

/** Every file under the model's directory in the artifact store (relative paths), sidecars excluded. */
async function modelFiles(model: string): Promise<string[]> {
  const root = path.join(artifactsDir, 'models', model);
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.endsWith('.sha256') && !e.name.endsWith('.tmp'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/**
 * The invariants after a pipeline: exactly one version of `model`, registered by this run (one row for the run), its
 * artifact present and verifying against the recorded sha256, the deployment pointing at it, and exactly one model
 * artifact for the model in the store (no orphan from a crashed attempt).
 */
async function expectOneConsistentVersion(
  expect: ExpectStatic,
  reg: PgModelRegistry,
  model: string,
  handle: WorkflowHandle,
  result: TrainingPipelineResult,
): Promise<void> {
  expect(result.outcome).toBe('deployed');
  expect(result.version).toBe(1);
  const versions = await reg.listVersions(model);
  expect(versions.map((v) => [v.version, v.runId])).toEqual([[1, handle.workflowId]]);
  const rows = await reg.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM model_versions WHERE run_id = $1', [
    handle.workflowId,
  ]);
  expect(rows.rows[0]?.n).toBe(1);
  const v = versions[0]!;
  expect(v.artifactUri).toBe(store.uriFor(trainingKeys(model, handle.workflowId).model));
  const bytes = await store.get(v.artifactUri, v.artifactSha256); // throws ArtifactChecksumError on a mismatch
  expect(sha256(bytes)).toBe(v.artifactSha256);
  const decision = v.decision as { evidenceUri?: string };
  expect(decision.evidenceUri && (await store.exists(decision.evidenceUri))).toBe(true);
  // The deployment is consistent with the registry: one deployment, of this version, which holds the champion alias.
  expect((await reg.getDeployed(model))?.version).toBe(1);
  expect((await reg.listDeployments(model)).map((d) => d.version)).toEqual([1]);
  expect((await reg.getVersionByAlias(model, 'champion'))?.version).toBe(1);
  // One model artifact for the model, and it is the registered one.
  const onnx = (await modelFiles(model)).filter((f) => f.endsWith('.onnx'));
  expect(onnx).toEqual([`runs/${handle.workflowId}/model.onnx`]);
}

async function mlops(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec('node', ['--import', 'tsx', 'client/main.ts', ...args], {
      timeout: 60_000,
      env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress'), ...env },
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-registration-'));
  artifactsDir = path.join(dir, 'artifacts');
  artifactsUrl = `file://${artifactsDir}/`;
  store = openArtifactStore(artifactsUrl);
  const csv = path.join(dir, 'churn.csv');
  const [database, pgServer] = await Promise.all([
    createTestDatabase({ baseUrl: inject('databaseUrl'), prefix: 'mlops_regfail' }),
    startPrivatePostgres({ prefix: 'mlops-regfail-pg-' }),
    writeChurnDataset(csv, { rows: 2000, seed: 11 }),
  ]);
  db = database;
  privatePg = pgServer;
  registry = createPgRegistry({ connectionString: db.url, maxConnections: 2 });
  privateRegistry = createPgRegistry({ connectionString: privatePg.url, maxConnections: 2, connectionTimeoutMs: 3000 });
  await Promise.all([registry.migrate(), privateRegistry.migrate()]);
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: 'default' });
  const base = await loadSpecFile('examples/churn/pipeline.yaml');
  baseSpec = {
    ...base,
    dataset: { ...base.dataset, uri: `file://${csv}` },
    trainer: { ...base.trainer, resources: 'cpu' },
    // No serving replica runs here: deployment records the version and returns after its ready timeout.
    deployment: { ...base.deployment, readyTimeout: '1s' },
  };
  bundlePath = await writeWorkflowBundle(path.join(dir, 'workflow-bundle.js'));
  note(`database ${db.name}, private PostgreSQL ${privatePg.url}, artifacts ${artifactsUrl}`);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => stopWorker(w)));
  await registry?.close();
  await privateRegistry?.close();
  await connection?.close();
  await db?.drop();
  await privatePg?.destroy();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const CRASHES: Array<{ point: KillPoint; activity: string; timeout: string }> = [
  { point: 'after-model-upload', activity: 'trainModel', timeout: 'TIMEOUT_TYPE_HEARTBEAT' },
  { point: 'before-register', activity: 'registerModel', timeout: 'TIMEOUT_TYPE_START_TO_CLOSE' },
  { point: 'after-register', activity: 'registerModel', timeout: 'TIMEOUT_TYPE_START_TO_CLOSE' },
];

describe('registration under failures', () => {
  it.concurrent.for(CRASHES)(
    'a worker SIGKILLed at $point: another worker finishes, exactly one verified version, no orphan',
    { timeout: 300_000 },
    async ({ point, activity, timeout }, { expect }) => {
      const model = `rf${point.replace(/-/g, '').slice(0, 12)}${suffix}`;
      const taskQueue = `regfail-${point}-${suffix}`;
      const env = { DATABASE_URL: db.url, CRASH_TEST_TASK_QUEUE: taskQueue };
      const workerA = startWorker(`A ${point}`, { ...env, CRASH_TEST_KILL: point });
      await waitUntilPolling(workerA, taskQueue);
      const handle = await startPipeline(model, taskQueue);
      const result = handle.result() as Promise<TrainingPipelineResult>;
      result.catch(() => undefined); // awaited below
      const exit = await waitForExit(workerA, 120_000);
      expect(exit.signal).toBe('SIGKILL');
      expect(workerA.output.join('')).toContain(`SIGKILL at ${point}`);
      note(`${point}: worker A (pid ${workerA.pid}) killed itself`);

      // The state the crash left behind.
      const key = trainingKeys(model, handle.workflowId).model;
      const orphanSha = sha256(await store.get(key));
      const atCrash = await registry.listVersions(model);
      if (point === 'after-register') {
        // Committed before the crash: a complete row whose artifact is already there.
        expect(atCrash.map((v) => v.version)).toEqual([1]);
        expect(atCrash[0]!.artifactSha256).toBe(orphanSha);
      } else {
        expect(atCrash).toEqual([]); // the artifact is stored, no version points at it (yet)
      }

      const workerB = startWorker(`B ${point}`, env);
      if (activity === 'registerModel' && !NATURAL_TIMEOUTS) await shortenStartToClose(handle, activity);
      await waitUntilPolling(workerB, taskQueue);
      const outcome = await result;
      note(`${point}: pipeline ${handle.workflowId} ${outcome.outcome} v${outcome.version}`);
      await expectOneConsistentVersion(expect, registry, model, handle, outcome);

      // The killed attempt timed out on the server and the retry ran on worker B.
      const attempts = await activityAttempts(handle, activity);
      expect(attempts.scheduled).toBe(1);
      expect(attempts.started.map((s) => s.attempt)).toEqual([2]);
      expect(attempts.started[0]!.identity).toMatch(new RegExp(`:${workerB.pid}$`));
      const lastFailure = attempts.started[0]!.lastFailure;
      expect(String(lastFailure?.timeoutFailureInfo?.timeoutType)).toMatch(
        new RegExp(`^(${timeout}|${timeoutNumber(timeout)})$`),
      );
      expect(attempts.completed).toHaveLength(1);
      expect([...attempts.failed, ...attempts.timedOut]).toEqual([]);

      const register = await activityAttempts(handle, 'registerModel');
      expect(register.completed).toHaveLength(1);
      const registered = decode<RegisterModelResult>(
        register.completed[0]!.activityTaskCompletedEventAttributes?.result?.payloads?.[0],
      );
      // The retry after a committed insert finds the run's row instead of inserting a second one.
      expect(registered).toEqual({ version: 1, created: point !== 'after-register' });
      const stage = outcome.stages.find((s) => s.stage === 'registering');
      if (point === 'after-register') expect(stage?.detail).toContain('already registered by this run');

      const finalSha = (await registry.getVersion(model, 1))!.artifactSha256;
      if (point === 'after-model-upload') {
        // The crashed attempt's upload was at the same per-run key; the retry overwrote it (retraining resumed
        // from the last checkpoint, so with the same bytes).
        note(`${point}: orphan sha256 ${orphanSha.slice(0, 12)}, registered ${finalSha.slice(0, 12)}`);
        expect(finalSha).toBe(orphanSha);
      } else {
        // Registration retried with the training result in the history: the artifact was never rewritten.
        expect(finalSha).toBe(orphanSha);
      }
    },
  );

  it.concurrent(
    `PostgreSQL down for ${OUTAGE_MS / 1000} s from the start of registration: retries, then exactly one version`,
    { timeout: 300_000 },
    async ({ expect }) => {
      const model = `rfoutage${suffix}`;
      const taskQueue = `regfail-outage-${suffix}`;
      const holdDir = path.join(dir, 'hold');
      await mkdir(holdDir);
      const worker = startWorker('P', {
        DATABASE_URL: privatePg.url,
        CRASH_TEST_TASK_QUEUE: taskQueue,
        CRASH_TEST_HOLD_DIR: holdDir,
      });
      await waitUntilPolling(worker, taskQueue);
      const handle = await startPipeline(model, taskQueue);
      const result = handle.result() as Promise<TrainingPipelineResult>;
      result.catch(() => undefined);

      const deadline = Date.now() + 120_000;
      while (!existsSync(path.join(holdDir, 'registering'))) {
        if (Date.now() > deadline) throw new Error(`registration never started:\n${worker.output.join('')}`);
        if (worker.done) throw new Error(`worker exited:\n${worker.output.join('')}`);
        await sleep(50);
      }
      expect((await handle.describe()).typedSearchAttributes.get(STAGE_KEY)).toBe('registering');
      await privatePg.stop();
      const stoppedAt = Date.now();
      await writeFile(path.join(holdDir, 'release'), '');
      outageStarted();
      note(`outage: PostgreSQL stopped as registration started; down for ${OUTAGE_MS} ms`);

      // While it is down: the CLI says the registry is unreachable; the activity keeps failing and being retried.
      const cli = await mlops({ DATABASE_URL: privatePg.url }, 'models', 'show', model);
      expect(cli.code, cli.out).toBe(1);
      expect(cli.out).toMatch(/registry unavailable during listVersions: .*(ECONNREFUSED|connect)/);
      expect(cli.out).toMatch(/Is the stack running/);
      let seen: { attempt: number; failure: Failure | null | undefined } = { attempt: 0, failure: null };
      while (Date.now() - stoppedAt < OUTAGE_MS) {
        const pending = (await handle.describe()).raw.pendingActivities?.find(
          (a) => a.activityType?.name === 'registerModel',
        );
        if (pending && (pending.attempt ?? 0) > seen.attempt) {
          seen = { attempt: pending.attempt ?? 0, failure: pending.lastFailure };
        }
        await sleep(250);
      }
      expect((await registry.listVersions(model)).length).toBe(0); // not on the shared server either
      note(`outage: registerModel at attempt ${seen.attempt}: ${seen.failure?.message ?? '-'}`);
      expect(seen.attempt).toBeGreaterThanOrEqual(OUTAGE_MS >= 30_000 ? 4 : 2);
      expect(seen.failure?.applicationFailureInfo?.type).toBe('RegistryUnavailableError');
      expect(seen.failure?.applicationFailureInfo?.nonRetryable ?? false).toBe(false);
      await privatePg.start();
      note(`outage: PostgreSQL started again after ${Date.now() - stoppedAt} ms`);

      const outcome = await result;
      note(`outage: pipeline ${handle.workflowId} ${outcome.outcome} v${outcome.version}`);
      await expectOneConsistentVersion(expect, privateRegistry, model, handle, outcome);

      // The history: registerModel scheduled once, started (the last attempt) after retryable failures, completed.
      const attempts = await activityAttempts(handle, 'registerModel');
      expect(attempts.scheduled).toBe(1);
      expect(attempts.started).toHaveLength(1);
      expect(attempts.started[0]!.attempt).toBeGreaterThan(seen.attempt - 1);
      expect(attempts.started[0]!.attempt).toBeGreaterThanOrEqual(2);
      expect(attempts.started[0]!.lastFailure?.applicationFailureInfo?.type).toBe('RegistryUnavailableError');
      expect(attempts.completed).toHaveLength(1);
      expect([...attempts.failed, ...attempts.timedOut]).toEqual([]);
      expect(
        decode<RegisterModelResult>(attempts.completed[0]!.activityTaskCompletedEventAttributes?.result?.payloads?.[0]),
      ).toEqual({ version: 1, created: true });
      // The run's metadata reached the registry once it was back.
      const runs = await privateRegistry.pool.query<{ outcome: string }>(
        'SELECT outcome FROM pipeline_runs WHERE run_id = $1',
        [handle.workflowId],
      );
      expect(runs.rows.map((r) => r.outcome)).toEqual(['deployed']);
    },
  );

  it.concurrent(
    'the CLI names an unknown model, version and alias precisely (exit 1)',
    { timeout: 300_000 },
    async ({ expect }) => {
      await Promise.race([outageWindow, sleep(150_000)]);
      const env = { DATABASE_URL: db.url };
      const [model, version, alias] = await Promise.all([
        mlops(env, 'models', 'show', 'nosuch'),
        mlops(env, 'models', 'show', 'nosuch@99'),
        mlops(env, 'models', 'show', 'nosuch@staging'),
      ]);
      expect(model.code, model.out).toBe(1);
      expect(model.out).toMatch(/^mlops: unknown model "nosuch"$/m);
      expect(version.code, version.out).toBe(1);
      expect(version.out).toMatch(/^mlops: unknown version nosuch@99$/m);
      expect(alias.code, alias.out).toBe(1);
      expect(alias.out).toMatch(/^mlops: unknown version nosuch@staging$/m);
    },
  );
});

/** The enum's number, for a history decoded with numeric enums. */
function timeoutNumber(name: string): number {
  return (
    {
      TIMEOUT_TYPE_START_TO_CLOSE: 1,
      TIMEOUT_TYPE_SCHEDULE_TO_START: 2,
      TIMEOUT_TYPE_SCHEDULE_TO_CLOSE: 3,
      TIMEOUT_TYPE_HEARTBEAT: 4,
    } as Record<string, number>
  )[name]!;
}
