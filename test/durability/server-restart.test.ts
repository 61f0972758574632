/**
 * Durability across a Temporal server restart: the server goes down in the middle of training and comes back on
 * the same database file and port; the worker process rides it out (its connection retries), the pipeline finishes,
 * and exactly one model version is registered and deployed, from one completed training activity.
 *
 * Real pieces: a PRIVATE Temporal dev server (`temporal server start-dev` on a SQLite file in a temp dir, so that
 * stopping it touches no other test), a fresh database on the shared PostgreSQL, a `file://` artifact store, and a
 * worker process (test/durability/crash-worker.ts: the production CPU worker on a task queue of its own).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { trainingKeys } from '../../activities/train-model.js';
import type { TrainingPipelineResult } from '../../contracts/payloads.js';
import { startDevServer, type DevServerHandle } from '../../infra/dev-server.js';
import { createTestDatabase, type TestDatabase } from '../../infra/postgres-test.js';
import { openArtifactStore } from '../../lib/artifacts/open-store.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { createPgRegistry, type PgModelRegistry } from '../../lib/registry/pg-registry.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import {
  calibrateEpochs,
  startWorkerProcess,
  stopWorker,
  waitUntilPolling,
  writeWorkflowBundle,
  type WorkerProcess,
} from './worker-processes.js';

/** Training computation long enough that the restart (stop, a pause, start) happens while it runs. */
const TARGET_COMPUTE_MS = 20_000;
/** How long the server stays down. */
const DOWN_MS = 5_000;

const t0 = Date.now();
function note(line: string): void {
  console.log(`[server-restart +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
}

let dir: string;
let dbFilename: string;
let server: DevServerHandle;
let db: TestDatabase;
let registry: PgModelRegistry;
let spec: PipelineSpec;
let worker: WorkerProcess | undefined;
const taskQueue = `server-restart-${Date.now().toString(36)}`;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-server-restart-'));
  dbFilename = path.join(dir, 'temporal.db');
  const csvPath = path.join(dir, 'churn.csv');
  const [srv, database] = await Promise.all([
    startDevServer({ dbFilename }),
    createTestDatabase({ baseUrl: inject('databaseUrl'), prefix: 'mlops_srvrestart' }),
    writeChurnDataset(csvPath, { rows: 100_000, seed: 11 }),
  ]);
  server = srv;
  db = database;
  registry = createPgRegistry({ connectionString: db.url, maxConnections: 2 });
  await registry.migrate();
  const base = await loadSpecFile('examples/churn/pipeline.yaml');
  const { epochs, perEpochMs } = await calibrateEpochs(csvPath, base, TARGET_COMPUTE_MS);
  note(`private server ${server.address}; ~${perEpochMs.toFixed(1)} ms per epoch -> ${epochs} epochs`);
  spec = {
    ...base,
    model: 'srvrestart',
    dataset: { ...base.dataset, uri: `file://${csvPath}` },
    trainer: { ...base.trainer, resources: 'cpu', hyperparameters: { ...base.trainer.hyperparameters, epochs } },
    // No serving replica runs here: deployment records the version and returns after its ready timeout.
    deployment: { ...base.deployment, readyTimeout: '1s' },
  };
  const bundle = await writeWorkflowBundle(path.join(dir, 'workflow-bundle.js'));
  worker = startWorkerProcess('restart', {
    TEMPORAL_ADDRESS: server.address,
    DATABASE_URL: db.url,
    MLOPS_ARTIFACTS_URL: `file://${path.join(dir, 'artifacts')}/`,
    CRASH_TEST_TASK_QUEUE: taskQueue,
    CRASH_TEST_WORKFLOW_BUNDLE: bundle,
  });
  await waitUntilPolling(worker, taskQueue);
}, 180_000);

afterAll(async () => {
  if (worker) await stopWorker(worker);
  await server?.stop();
  await registry?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Polls until the pipeline's training activity has started on the worker. */
async function waitForTraining(handle: WorkflowHandle, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') throw new Error(`pipeline ended (${d.status.name}) before training started`);
    const pending = d.raw.pendingActivities?.find((a) => a.activityType?.name === 'trainModel');
    if (pending?.lastStartedTime) return;
    if (Date.now() > deadline) throw new Error(`training did not start within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Milliseconds of a history event's protobuf timestamp. */
function timeOf(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return t ? Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;
}

describe('Temporal server restart', () => {
  it('mid-training: the pipeline finishes with exactly one version, trained once', { timeout: 300_000 }, async () => {
    const first = await Connection.connect({ address: server.address });
    const workflowId = `srvrestart-pipeline-${Date.now()}`;
    try {
      const handle = await new Client({ connection: first }).workflow.start('trainingPipeline', {
        workflowId,
        taskQueue,
        args: [{ spec, trigger: { kind: 'manual', reason: 'server restart test', at: new Date().toISOString() } }],
      });
      await waitForTraining(handle, 120_000);
    } finally {
      await first.close();
    }
    await sleep(2_000);
    note('training started; stopping the Temporal server');
    const address = server.address;
    const stoppedAt = Date.now();
    await server.stop();
    await sleep(DOWN_MS);
    server = await startDevServer({ dbFilename, port: Number(address.split(':')[1]) });
    const restartedAt = Date.now();
    note(`server back at ${server.address}`);
    expect(server.address).toBe(address);

    const connection = await Connection.connect({ address: server.address });
    try {
      const handle = new Client({ connection }).workflow.getHandle(workflowId);
      const result = (await handle.result()) as TrainingPipelineResult;
      note(`pipeline ${result.outcome} v${result.version}`);
      expect(result.outcome).toBe('deployed');
      expect(result.version).toBe(1);
      expect(worker?.done).toBe(false); // the worker rode the outage out

      // Training completed exactly once (no duplicate activity, no second schedule).
      const events = (await handle.fetchHistory()).events ?? [];
      const trainIds = new Set(
        events
          .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainModel')
          .map((e) => String(e.eventId)),
      );
      expect(trainIds.size).toBe(1);
      const completed = events.filter(
        (e) =>
          e.activityTaskCompletedEventAttributes &&
          trainIds.has(String(e.activityTaskCompletedEventAttributes.scheduledEventId)),
      );
      expect(completed).toHaveLength(1);
      // ... and it spanned the outage: scheduled before the stop, completed after the restart.
      const scheduled = events.find((e) => trainIds.has(String(e.eventId)));
      expect(timeOf(scheduled?.eventTime)).toBeLessThan(stoppedAt);
      expect(timeOf(completed[0]?.eventTime)).toBeGreaterThan(restartedAt);

      // Exactly one version, by this run, deployed; one model artifact in the store.
      const versions = await registry.listVersions(spec.model);
      expect(versions.map((v) => [v.version, v.runId])).toEqual([[1, workflowId]]);
      expect((await registry.getDeployed(spec.model))?.version).toBe(1);
      const store = openArtifactStore(`file://${path.join(dir, 'artifacts')}/`);
      expect(versions[0]?.artifactUri).toBe(store.uriFor(trainingKeys(spec.model, workflowId).model));
      const runs = await readdir(path.join(dir, 'artifacts', 'models', spec.model, 'runs'), { recursive: true });
      expect(runs.filter((f) => String(f).endsWith('.onnx'))).toEqual([`${workflowId}/model.onnx`]);
    } finally {
      await connection.close();
    }
  });
});
