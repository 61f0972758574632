/**
 * Durability with real processes: a worker process is killed with SIGKILL in the middle of training, a second
 * worker process picks the pipeline up, and training resumes from the last checkpoint instead of starting over.
 * Also: cancelling a pipeline during training ends it as CANCELLED and registers nothing.
 *
 * Real pieces: the shared Temporal dev server, a fresh PostgreSQL database, a `file://` artifact store in a temp dir,
 * and worker processes (`node --import tsx test/durability/crash-worker.ts`: the CPU worker's runtime, workflows,
 * activities and options, on a task queue of its own so that no other worker on the shared server takes part).
 *
 * Timing: the workers throttle heartbeats to 3 s (maxHeartbeatThrottleInterval in workers/create-workers.ts), so the
 * server learns of a checkpoint within ~3 s of it being written; the test kills worker A once the server has seen
 * one. The server then notices the dead worker when the heartbeat timeout (30 s) expires and retries training
 * (after the 2 s retry interval) on worker B.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure, decodeTimeoutType, defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { trainingKeys, type TrainingHeartbeat } from '../../activities/train-model.js';
import type { TrainingPipelineResult, TrainModelInput, TrainModelResult } from '../../contracts/payloads.js';
import { createTestDatabase, type TestDatabase } from '../../infra/postgres-test.js';
import type { ArtifactStore } from '../../lib/artifacts/artifact-store.js';
import { openArtifactStore, readUri } from '../../lib/artifacts/open-store.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { readDataset } from '../../lib/data/read-dataset.js';
import { createPgRegistry, type PgModelRegistry } from '../../lib/registry/pg-registry.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import type { TrainerCheckpoint } from '../../lib/train/trainer.js';
import { logisticRegressionTrainer } from '../../lib/train/logistic-regression.js';
import {
  calibrateEpochs,
  startWorkerProcess,
  stopWorker,
  waitUntilPolling,
  type WorkerProcess,
} from './worker-processes.js';

/** Dataset rows (large, so that the per-epoch checkpoint write is a small part of an epoch). */
const ROWS = 100_000;
/**
 * Epochs are calibrated on this machine so that the training computation alone lasts about this long; the
 * activity takes longer (it also writes a checkpoint and heartbeats every epoch). Long enough that training
 * outlasts the first heartbeats with a checkpoint (the workers throttle heartbeats to 3 s), after which the test kills the worker, on any machine; short
 * enough that the resumed remainder is quick.
 */
const TARGET_COMPUTE_MS = 25_000;
/** Epochs the server must have seen in a heartbeat (with a checkpoint) before worker A is killed. */
const MIN_EPOCH_BEFORE_KILL = 3;

const t0 = Date.now();
function note(line: string): void {
  console.log(`[durability +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}`);
}

let db: TestDatabase;
let dir: string;
let artifactsUrl: string;
let store: ArtifactStore;
let registry: PgModelRegistry;
let connection: Connection;
let client: Client;
let baseSpec: PipelineSpec;
let csvPath: string;
let EPOCHS: number;
const taskQueue = `crash-test-${Date.now().toString(36)}`;
const workers: WorkerProcess[] = [];

function startWorker(name: string): WorkerProcess {
  const w = startWorkerProcess(name, {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: db.url,
    MLOPS_ARTIFACTS_URL: artifactsUrl,
    CRASH_TEST_TASK_QUEUE: taskQueue,
  });
  workers.push(w);
  return w;
}

function specFor(model: string, epochs = EPOCHS): PipelineSpec {
  return {
    ...baseSpec,
    model,
    trainer: { ...baseSpec.trainer, hyperparameters: { ...baseSpec.trainer.hyperparameters, epochs } },
  };
}

async function startPipeline(spec: PipelineSpec): Promise<WorkflowHandle> {
  return client.workflow.start('trainingPipeline', {
    workflowId: `${spec.model}-pipeline`,
    taskQueue,
    args: [{ spec, trigger: { kind: 'manual', reason: 'durability test', at: new Date().toISOString() } }],
  });
}

function decode<T>(payload: Payload | null | undefined): T {
  if (!payload) throw new Error('missing payload');
  return defaultPayloadConverter.fromPayload<T>(payload);
}

/**
 * Polls the server's view of the pipeline until the training activity's heartbeat names a checkpoint and at least
 * `minEpoch` epochs (what a retry would resume from), and returns that heartbeat.
 */
async function waitForServerHeartbeat(
  handle: WorkflowHandle,
  minEpoch: number,
  timeoutMs: number,
): Promise<{ heartbeat: TrainingHeartbeat; attempt: number }> {
  const deadline = Date.now() + timeoutMs;
  let training = false;
  for (;;) {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') throw new Error(`pipeline ended (${d.status.name}) before the awaited heartbeat`);
    const pending = d.raw.pendingActivities?.find((a) => a.activityType?.name === 'trainModel');
    if (pending) training = true;
    else if (training) {
      throw new Error(
        'training finished before the server saw a heartbeat with a checkpoint (heartbeats reach it every ~24 s): ' +
          'this machine trains faster than calibrated; raise TARGET_COMPUTE_MS',
      );
    }
    const payload = pending?.heartbeatDetails?.payloads?.[0];
    if (pending && payload) {
      const heartbeat = decode<TrainingHeartbeat>(payload);
      if (heartbeat.checkpointKey !== null && heartbeat.epoch >= minEpoch) {
        return { heartbeat, attempt: pending.attempt ?? 0 };
      }
    }
    if (Date.now() > deadline) throw new Error(`no training heartbeat with a checkpoint within ${timeoutMs} ms`);
    await sleep(200);
  }
}

async function readOne(key: string): Promise<TrainerCheckpoint | null> {
  try {
    return JSON.parse(new TextDecoder().decode(await store.get(key))) as TrainerCheckpoint;
  } catch {
    return null;
  }
}

/** The newest readable of a run's two alternating checkpoints. */
async function readCheckpoint(keys: readonly string[]): Promise<TrainerCheckpoint | null> {
  let best: TrainerCheckpoint | null = null;
  for (const key of keys) {
    const c = await readOne(key);
    if (c && (!best || c.epoch > best.epoch)) best = c;
  }
  return best;
}

/** The training activity's input, as the workflow scheduled it (from the history). */
async function scheduledTrainingInput(handle: WorkflowHandle): Promise<TrainModelInput> {
  const history = await handle.fetchHistory();
  const scheduled = (history.events ?? []).find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainModel',
  );
  return decode<TrainModelInput>(scheduled?.activityTaskScheduledEventAttributes?.input?.payloads?.[0]);
}

/** Trains the same input in this process, from scratch and without interruption; returns the ONNX bytes. */
async function trainUninterrupted(input: TrainModelInput): Promise<Uint8Array> {
  const { spec } = input;
  const { table } = readDataset(await readUri(input.trainUri), {
    format: 'csv',
    features: spec.features,
    labelName: spec.label.name,
    source: input.trainUri,
  });
  const result = await logisticRegressionTrainer.train({
    table,
    features: spec.features,
    label: spec.label,
    hyperparameters: spec.trainer.hyperparameters,
    seed: spec.split.seed,
    checkpoint: null,
  });
  return result.onnx;
}

beforeAll(async () => {
  db = await createTestDatabase({ baseUrl: inject('databaseUrl'), prefix: 'mlops_durability' });
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-durability-'));
  artifactsUrl = `file://${path.join(dir, 'artifacts')}/`;
  store = openArtifactStore(artifactsUrl);
  registry = createPgRegistry({ connectionString: db.url, maxConnections: 2 });
  await registry.migrate();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: 'default' });
  csvPath = path.join(dir, 'churn.csv');
  await writeChurnDataset(csvPath, { rows: ROWS, seed: 11 });
  const base = await loadSpecFile('examples/churn/pipeline.yaml');
  const calibrated = await calibrateEpochs(csvPath, base, TARGET_COMPUTE_MS);
  EPOCHS = calibrated.epochs;
  note(
    `calibrated: ~${calibrated.perEpochMs.toFixed(1)} ms per epoch on ${ROWS} rows' training share -> ${EPOCHS} epochs`,
  );
  baseSpec = {
    ...base,
    dataset: { ...base.dataset, uri: `file://${csvPath}` },
    trainer: {
      ...base.trainer,
      resources: 'cpu',
      hyperparameters: { ...base.trainer.hyperparameters, epochs: EPOCHS },
    },
    // No serving replica runs here: deployment records the version and returns after its ready timeout.
    deployment: { ...base.deployment, readyTimeout: '1s' },
  };
  note(`database ${db.name}, artifacts ${artifactsUrl}, task queue ${taskQueue}`);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => stopWorker(w)));
  await registry?.close();
  await connection?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('worker crash during training', () => {
  it(
    'resumes training from the last checkpoint on another worker process, with one registered version',
    { timeout: 240_000 },
    async () => {
      const model = `crash${Date.now().toString(36)}`;
      const spec = specFor(model);
      const workerA = startWorker('A');
      await waitUntilPolling(workerA, taskQueue);
      note(`worker A (pid ${workerA.pid}) polling`);

      const handle = await startPipeline(spec);
      const result = handle.result() as Promise<TrainingPipelineResult>;
      result.catch(() => undefined); // awaited below; keep an early failure from being reported as unhandled

      const seen = await waitForServerHeartbeat(handle, MIN_EPOCH_BEFORE_KILL, 90_000);
      expect(seen.attempt).toBe(1);
      expect(seen.heartbeat.worker).toMatch(new RegExp(`:${workerA.pid}$`));
      workerA.child.kill('SIGKILL');
      const exit = await workerA.exited;
      expect(exit.signal).toBe('SIGKILL');
      note(
        `killed worker A; server had seen epoch ${seen.heartbeat.epoch}/${EPOCHS} (${seen.heartbeat.checkpointKey})`,
      );

      // The checkpoint on disk once A is dead: the last epoch A completed. Everything after it is lost work.
      const checkpointKeys = trainingKeys(model, handle.workflowId).checkpoints;
      expect(checkpointKeys).toContain(seen.heartbeat.checkpointKey);
      // Checkpoints alternate between two keys, so a kill while one is written leaves the other complete.
      const atKill = await readCheckpoint(checkpointKeys);
      if (!atKill) throw new Error('no readable checkpoint after the kill');
      const epochAtKill = atKill.epoch;
      expect(epochAtKill).toBeGreaterThanOrEqual(seen.heartbeat.epoch);
      expect(epochAtKill).toBeLessThan(EPOCHS); // A really died mid-training
      note(`checkpoint on disk after the kill: epoch ${epochAtKill}`);

      const workerB = startWorker('B');
      // While the server waits out the heartbeat timeout: the reference, an uninterrupted training of the same input.
      const input = await scheduledTrainingInput(handle);
      const referenceStarted = Date.now();
      const reference = await trainUninterrupted(input);
      note(`reference training (uninterrupted, in-process) took ${Date.now() - referenceStarted} ms`);
      await waitUntilPolling(workerB, taskQueue);
      note(`worker B (pid ${workerB.pid}) polling`);

      const outcome = await result;
      note(`pipeline ${outcome.outcome} v${outcome.version}`);
      expect(outcome.outcome).toBe('deployed');
      expect(outcome.version).toBe(1);

      // Training was retried once (attempt 2, after a heartbeat timeout) on worker B, and resumed from the checkpoint.
      const history = await handle.fetchHistory();
      const events = history.events ?? [];
      const scheduled = events.filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainModel',
      );
      expect(scheduled).toHaveLength(1);
      const scheduledId = scheduled[0]!.eventId!.toString();
      const started = events.filter(
        (e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduledId,
      );
      expect(started).toHaveLength(1);
      const startedAttrs = started[0]!.activityTaskStartedEventAttributes!;
      expect(startedAttrs.attempt).toBe(2);
      expect(startedAttrs.identity).toMatch(new RegExp(`:${workerB.pid}$`));
      expect(decodeTimeoutType(startedAttrs.lastFailure?.timeoutFailureInfo?.timeoutType)).toBe('HEARTBEAT');
      expect(
        events.filter((e) => e.activityTaskTimedOutEventAttributes || e.activityTaskFailedEventAttributes),
      ).toEqual([]);
      const completed = events.find(
        (e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduledId,
      );
      const train = decode<TrainModelResult>(completed?.activityTaskCompletedEventAttributes?.result?.payloads?.[0]);
      note(`training resumed from epoch ${train.resumedFromEpoch} on ${train.worker} (${train.durationMs} ms)`);
      expect(train.worker).toMatch(new RegExp(`:${workerB.pid}$`));
      expect(train.epochs).toBe(EPOCHS);
      expect(train.resumedFromEpoch).toBeGreaterThan(0);
      // Nothing the server had seen is redone; only the epoch A was in when it died is (the checkpoint is per epoch).
      expect(train.resumedFromEpoch).toBeGreaterThanOrEqual(seen.heartbeat.epoch);
      expect(train.resumedFromEpoch).toBe(epochAtKill);
      const trainingStage = outcome.stages.find((s) => s.stage === 'training');
      expect(trainingStage?.detail).toContain(`resumed from epoch ${train.resumedFromEpoch}`);
      expect((await readCheckpoint(checkpointKeys))?.epoch).toBe(EPOCHS);

      // Exactly one version, registered once, pointing at the resumed run's model.
      const versions = await registry.listVersions(model);
      expect(versions.map((v) => v.version)).toEqual([1]);
      expect(versions[0]!.runId).toBe(handle.workflowId);
      expect(versions[0]!.artifactSha256).toBe(train.modelSha256);

      // The resumed model is byte-identical to an uninterrupted training of the same data, spec and seed.
      const onnx = await store.get(trainingKeys(model, handle.workflowId).model);
      expect(createHash('sha256').update(onnx).digest('hex')).toBe(train.modelSha256);
      expect(createHash('sha256').update(reference).digest('hex')).toBe(train.modelSha256);
      expect(Buffer.compare(Buffer.from(onnx), Buffer.from(reference))).toBe(0);
    },
  );

  it(
    'cancelling a pipeline during training ends it as CANCELLED and registers nothing',
    { timeout: 120_000 },
    async () => {
      // Worker B from the first test is still polling; start one if this test runs alone.
      if (!workers.some((w) => !w.done)) await waitUntilPolling(startWorker('C'), taskQueue);
      const model = `cancel${Date.now().toString(36)}`;
      // Three times as long as the crash test's training: cancellation must reach it before it could finish.
      const epochs = EPOCHS * 3;
      const handle = await startPipeline(specFor(model, epochs));
      const result = handle.result() as Promise<TrainingPipelineResult>;
      result.catch(() => undefined);

      const checkpointKey = trainingKeys(model, handle.workflowId).checkpoints;
      const deadline = Date.now() + 60_000;
      let checkpoint = await readCheckpoint(checkpointKey);
      while ((checkpoint?.epoch ?? 0) < MIN_EPOCH_BEFORE_KILL) {
        if (Date.now() > deadline) throw new Error('training did not checkpoint within 60 s');
        await sleep(100);
        checkpoint = await readCheckpoint(checkpointKey);
      }
      note(`cancelling ${handle.workflowId} at epoch ${checkpoint!.epoch}`);
      const cancelledAt = Date.now();
      await handle.cancel();
      const err = await result.then(
        () => null,
        (e: unknown) => e,
      );
      const took = Date.now() - cancelledAt;
      note(`pipeline ended ${took} ms after the cancel request`);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
      expect(took).toBeLessThan(10_000);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      expect(await registry.listVersions(model)).toEqual([]);

      // The cancellation reaches the trainer (with the next heartbeat the SDK sends, at most ~3 s later) and it
      // stops: the checkpoint stops advancing well before the last epoch.
      const stopDeadline = Date.now() + 40_000;
      let previous = -1;
      let stableSince = Date.now();
      for (;;) {
        const epoch = (await readCheckpoint(checkpointKey))?.epoch ?? 0;
        if (epoch !== previous) {
          previous = epoch;
          stableSince = Date.now();
        } else if (Date.now() - stableSince > 3_000) break;
        if (Date.now() > stopDeadline) throw new Error(`training still running 40 s after cancel (epoch ${epoch})`);
        await sleep(250);
      }
      note(`training stopped at epoch ${previous}/${epochs}, ${Date.now() - cancelledAt} ms after the cancel request`);
      expect(previous).toBeLessThan(epochs);
      expect(await registry.listVersions(model)).toEqual([]);
    },
  );
});
