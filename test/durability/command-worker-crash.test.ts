/**
 * Durability of the `command` trainer with real processes: the worker process running an external trainer program
 * is killed with SIGKILL mid-training; the retry on a second worker process restores the program's last announced
 * checkpoint (from the artifact store) into `resumeFrom`, and the program continues with the next epoch, so at most
 * the epoch in progress is redone. The orphaned program of the dead worker stops by itself at its next output line
 * (its stdout pipe is gone).
 *
 * Real pieces as in worker-crash.test.ts: the shared Temporal dev server, a fresh PostgreSQL database, a `file://`
 * artifact store and worker processes (crash-worker.ts). The trainer program is a small Node script (no Python
 * needed): it sleeps per epoch, checkpoints a JSON file, logs every epoch it runs and copies a prepared model.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { trainingKeys, type TrainingHeartbeat } from '../../activities/train-model.js';
import type { TrainingPipelineResult, TrainModelResult } from '../../contracts/payloads.js';
import { createTestDatabase, type TestDatabase } from '../../infra/postgres-test.js';
import { openArtifactStore, readUri } from '../../lib/artifacts/open-store.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { readDataset } from '../../lib/data/read-dataset.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { readCommandCheckpointHeader } from '../../lib/train/command-checkpoint.js';
import { logisticRegressionTrainer } from '../../lib/train/logistic-regression.js';
import { isAlive } from '../train/command-fixtures.js';
import { startWorkerProcess, stopWorker, waitUntilPolling, type WorkerProcess } from './worker-processes.js';

const EPOCHS = 40;
const EPOCH_MS = 500;
/** Epochs the server must have seen (with a checkpoint) before the worker is killed. */
const MIN_EPOCH_BEFORE_KILL = 3;

/** The trainer program: resumes from `resumeFrom`, one checkpoint per epoch, `RUN_LOG` gets `<pid> <epoch>` lines. */
const PROGRAM = `
const fs = require('node:fs');
const input = JSON.parse(fs.readFileSync(process.env.MLOPS_TRAINER_INPUT, 'utf8'));
const say = (o) => console.log(JSON.stringify(o));
const epochs = input.hyperparameters.epochs;
let state = { sum: 0 };
let start = 1;
if (input.resumeFrom !== null) {
  state = JSON.parse(fs.readFileSync(input.resumeFrom, 'utf8'));
  start = input.resumeEpoch + 1;
}
// Asynchronous, like a real program doing I/O: an EPIPE on stdout (the worker died) ends it.
const main = async () => {
for (let e = start; e <= epochs; e++) {
  await new Promise((resolve) => setTimeout(resolve, ${EPOCH_MS}));
  state.sum += e;
  say({ epoch: e, epochs, loss: 1 / e });
  fs.appendFileSync(process.env.RUN_LOG, process.pid + ' ' + e + '\\n');
  fs.writeFileSync(input.checkpointDir + '/state-' + e + '.json', JSON.stringify(state));
  say({ checkpoint: { epoch: e, path: 'state-' + e + '.json' } });
}
fs.copyFileSync(process.env.MODEL_SOURCE, input.output.model);
say({ metrics: { state_sum: state.sum } });
};
void main();
`;

let db: TestDatabase;
let dir: string;
let artifactsUrl: string;
let connection: Connection;
let client: Client;
let spec: PipelineSpec;
let runLog: string;
const taskQueue = `command-crash-${Date.now().toString(36)}`;
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

const decode = <T>(payload: Payload | null | undefined): T => {
  if (!payload) throw new Error('missing payload');
  return defaultPayloadConverter.fromPayload<T>(payload);
};

/** Waits until the server's view of the training heartbeat names a checkpoint of at least `minEpoch` epochs. */
async function waitForHeartbeat(handle: WorkflowHandle, minEpoch: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') throw new Error(`pipeline ended (${d.status.name}) before the heartbeat`);
    const pending = d.raw.pendingActivities?.find((a) => a.activityType?.name === 'trainModel');
    const payload = pending?.heartbeatDetails?.payloads?.[0];
    if (payload) {
      const heartbeat = decode<TrainingHeartbeat>(payload);
      if (heartbeat.checkpointKey !== null && heartbeat.epoch >= minEpoch) return heartbeat;
    }
    if (Date.now() > deadline) throw new Error(`no training heartbeat with a checkpoint within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** `<pid> <epoch>` lines of the run log. */
async function logged(): Promise<{ pid: number; epoch: number }[]> {
  const text = await readFile(runLog, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const [pid, epoch] = l.split(' ').map(Number);
      return { pid: pid!, epoch: epoch! };
    });
}

beforeAll(async () => {
  db = await createTestDatabase({ baseUrl: inject('databaseUrl'), prefix: 'mlops_cmdcrash' });
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-command-crash-'));
  artifactsUrl = `file://${path.join(dir, 'artifacts')}/`;
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace: 'default' });
  const csvPath = path.join(dir, 'churn.csv');
  await writeChurnDataset(csvPath, { rows: 4000, seed: 5 });
  const base = await loadSpecFile('examples/churn/pipeline.yaml');
  // The model the program "trains": the built-in trainer's, over the spec's features.
  const { table } = readDataset(await readUri(`file://${csvPath}`), {
    format: 'csv',
    features: base.features,
    labelName: base.label.name,
  });
  const trained = await logisticRegressionTrainer.train({
    table,
    features: base.features,
    label: base.label,
    hyperparameters: base.trainer.hyperparameters,
    seed: 1,
  });
  const modelSource = path.join(dir, 'model.onnx');
  await writeFile(modelSource, trained.onnx);
  const programFile = path.join(dir, 'trainer.js');
  await writeFile(programFile, PROGRAM);
  runLog = path.join(dir, 'run.log');
  spec = {
    ...base,
    model: `cmdcrash${Date.now().toString(36)}`,
    dataset: { ...base.dataset, uri: `file://${csvPath}` },
    trainer: {
      ...base.trainer,
      algorithm: 'command',
      resources: 'cpu',
      hyperparameters: { ...base.trainer.hyperparameters, epochs: EPOCHS },
      command: {
        argv: [process.execPath, programFile],
        env: { MODEL_SOURCE: modelSource, RUN_LOG: runLog },
        passEnv: [],
        timeout: '5m',
        hangTimeout: '2m',
        killGrace: '2s',
      },
    },
    deployment: { ...base.deployment, readyTimeout: '1s' },
  };
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => stopWorker(w)));
  await connection?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('worker crash while a command trainer runs', () => {
  it(
    'the retry restores the last announced checkpoint and the program goes on from there',
    { timeout: 240_000 },
    async () => {
      const workerA = startWorker('A');
      await waitUntilPolling(workerA, taskQueue);
      const handle = await client.workflow.start('trainingPipeline', {
        workflowId: `${spec.model}-pipeline`,
        taskQueue,
        args: [{ spec, trigger: { kind: 'manual', reason: 'durability test', at: new Date().toISOString() } }],
      });
      const result = handle.result() as Promise<TrainingPipelineResult>;
      result.catch(() => undefined);

      const seen = await waitForHeartbeat(handle, MIN_EPOCH_BEFORE_KILL, 90_000);
      expect(seen.checkpointKey).toMatch(/command-checkpoint-[01]\.bin$/);
      workerA.child.kill('SIGKILL');
      expect((await workerA.exited).signal).toBe('SIGKILL');

      // The newest stored checkpoint once A is dead: what the retry resumes from.
      const store = openArtifactStore(artifactsUrl);
      let atKill = 0;
      for (const key of trainingKeys(spec.model, handle.workflowId).commandCheckpoints) {
        if (!(await store.exists(key))) continue;
        atKill = Math.max(atKill, readCommandCheckpointHeader(await store.get(key)).header.epoch);
      }
      expect(atKill).toBeGreaterThanOrEqual(seen.epoch);
      expect(atKill).toBeLessThan(EPOCHS);

      // A's program lost its stdout: it dies at its next line instead of training on as an orphan.
      const programA = (await logged())[0]!.pid;
      const deadline = Date.now() + 10_000;
      while (isAlive(programA) && Date.now() < deadline) await sleep(100);
      expect(isAlive(programA)).toBe(false);

      const workerB = startWorker('B');
      await waitUntilPolling(workerB, taskQueue);
      const outcome = await result;
      expect(['deployed', 'rejected']).toContain(outcome.outcome);

      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainModel');
      const scheduledId = scheduled?.eventId?.toString();
      const completed = events.find(
        (e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduledId,
      );
      const train = decode<TrainModelResult>(completed?.activityTaskCompletedEventAttributes?.result?.payloads?.[0]);
      expect(train.worker).toMatch(new RegExp(`:${workerB.pid}$`));
      expect(train.resumedFromEpoch).toBe(atKill);

      // The second program ran exactly the epochs after the stored checkpoint.
      const runs = await logged();
      const epochsA = runs.filter((r) => r.pid === programA).map((r) => r.epoch);
      const epochsB = runs.filter((r) => r.pid !== programA).map((r) => r.epoch);
      expect(epochsB).toEqual(Array.from({ length: EPOCHS - atKill }, (_, i) => atKill + 1 + i));
      // A's program ran the epochs whose checkpoints A had not stored yet when it was killed (on a loaded machine the
      // worker lags the program by an epoch or two: seen in CI) and, orphaned, one more: its next stdout line fails
      // (EPIPE) and ends it. Well short of the remaining epochs: it does not train on as an orphan.
      expect(Math.max(...epochsA) - atKill).toBeLessThanOrEqual(5);
    },
  );
});
