/**
 * The GPU worker in dev mode, end to end: `node --import tsx workers/gpu-worker.ts --allow-cpu` on a host without a
 * GPU serves `mlops-gpu` on CPU, says so in its log, and a pipeline whose spec asks for a GPU (with
 * `gpuFallback: fail`, so nothing can pass by falling back to CPU) trains on it, which the run's result, its
 * current details, its history and the registered version show.
 *
 * Real pieces: the shared Temporal dev server, a fresh PostgreSQL database, a `file://` artifact store in a temp dir
 * and both production worker processes (`workers/cpu-worker.ts` and `workers/gpu-worker.ts --allow-cpu`).
 *
 * Isolation: the workflows send GPU training to the fixed queue `mlops-gpu`, and the GPU worker has no task queue
 * override. So that no other test's training on the shared server (the example spec asks for a GPU) reaches this
 * worker, and no other worker takes this test's training, both workers and the pipeline run in a namespace of their
 * own, registered here with the project's search attributes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { TrainingPipelineResult, TrainModelResult } from '../../contracts/payloads.js';
import { CPU_TASK_QUEUE, GPU_TASK_QUEUE } from '../../contracts/task-queues.js';
import { ensureSearchAttributes, startProcess, type ManagedProcess } from '../../infra/dev-server.js';
import { createTestDatabase, type TestDatabase } from '../../infra/postgres-test.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { createPgRegistry, type PgModelRegistry } from '../../lib/registry/pg-registry.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { probeGpu } from '../../workers/gpu-check.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEV_MODE = '(cpu-dev-mode)';

let db: TestDatabase;
let dir: string;
let connection: Connection;
let client: Client;
let registry: PgModelRegistry;
let spec: PipelineSpec;
let hasGpu = false;
let noGpuReason = '';
const namespace = `gpu-dev-mode-${Date.now().toString(36)}`;
const workers: ManagedProcess[] = [];

/** Starts a production worker entry point (`workers/<entry>`) with the test's environment. */
function startWorker(entry: string, args: string[], env: Record<string, string>): ManagedProcess {
  const w = startProcess(process.execPath, ['--import', 'tsx', `workers/${entry}`, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, MLOPS_DB_POOL_SIZE: '2', ...env },
  });
  workers.push(w);
  return w;
}

/** Resolves with the worker's output once it logs that it polls `taskQueue`; rejects if it exits or hangs. */
async function waitUntilPolling(w: ManagedProcess, taskQueue: string, timeoutMs = 90_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (!w.tail().includes(`polling ${taskQueue} `)) {
    if (w.exitCode() !== null) throw new Error(`worker exited (${w.exitCode()}) before polling:\n${w.tail()}`);
    if (Date.now() > deadline) throw new Error(`worker not polling ${taskQueue} after ${timeoutMs} ms:\n${w.tail()}`);
    await sleep(100);
  }
  return w.tail();
}

/** Registers the test's namespace and waits until the server accepts work in it. */
async function registerNamespace(): Promise<void> {
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      await ensureSearchAttributes(connection, namespace);
      // Listing needs the namespace in the frontend's cache, as starting workflows and polling do.
      await client.workflow.list({ pageSize: 1 })[Symbol.asyncIterator]().next();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`namespace ${namespace} not usable within 30 s`, { cause: err });
      await sleep(500);
    }
  }
}

beforeAll(async () => {
  const probe = await probeGpu();
  hasGpu = probe.available;
  noGpuReason = probe.reason;
  if (hasGpu) return; // the test is skipped: on a GPU host the worker serves the GPU, not dev mode
  db = await createTestDatabase({ baseUrl: inject('databaseUrl'), prefix: 'mlops_gpu_dev_mode' });
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-gpu-dev-mode-'));
  const artifactsUrl = `file://${path.join(dir, 'artifacts')}/`;
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection, namespace });
  await registerNamespace();
  registry = createPgRegistry({ connectionString: db.url, maxConnections: 1 });
  const csvPath = path.join(dir, 'churn.csv');
  await writeChurnDataset(csvPath, { rows: 2_000, seed: 7 });
  const base = await loadSpecFile('examples/churn/pipeline.yaml');
  spec = {
    ...base,
    model: `gpudev${Date.now().toString(36)}`,
    dataset: { ...base.dataset, uri: `file://${csvPath}` },
    trainer: {
      ...base.trainer,
      resources: 'gpu',
      gpuFallback: 'fail',
      gpuScheduleToStartTimeout: '60s',
      hyperparameters: { ...base.trainer.hyperparameters, epochs: 20 },
    },
    // No serving replica runs here: deployment records the version and returns after its ready timeout.
    deployment: { ...base.deployment, readyTimeout: '1s' },
  };
  const env = {
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: namespace,
    DATABASE_URL: db.url,
    MLOPS_ARTIFACTS_URL: artifactsUrl,
  };
  startWorker('cpu-worker.ts', [], env);
  startWorker('gpu-worker.ts', ['--allow-cpu'], env);
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.stop()));
  await registry?.close();
  await connection?.operatorService.deleteNamespace({ namespace }).catch(() => undefined);
  await connection?.close();
  await db?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('gpu worker in dev mode (--allow-cpu)', () => {
  it(
    'serves mlops-gpu on CPU, says so in its log, and trains a gpu spec with gpuFallback: fail',
    { timeout: 150_000 },
    async (ctx) => {
      if (hasGpu) ctx.skip();
      const [cpuWorker, gpuWorker] = workers as [ManagedProcess, ManagedProcess];
      const [, gpuLog] = await Promise.all([
        waitUntilPolling(cpuWorker, CPU_TASK_QUEUE),
        waitUntilPolling(gpuWorker, GPU_TASK_QUEUE),
      ]);
      const identity = `gpu-worker@${gpuWorker.pid}${DEV_MODE}`;
      expect(gpuLog).toContain(`(DEV MODE: serving ${GPU_TASK_QUEUE} on CPU (${noGpuReason}))`);
      expect(gpuLog).toContain(`gpu worker ${identity} polling ${GPU_TASK_QUEUE} on ${inject('temporalAddress')}`);

      const handle = await client.workflow.start('trainingPipeline', {
        workflowId: `${spec.model}-pipeline`,
        taskQueue: CPU_TASK_QUEUE,
        args: [{ spec, trigger: { kind: 'manual', reason: 'gpu dev mode test', at: new Date().toISOString() } }],
      });
      const result = (await handle.result()) as TrainingPipelineResult;
      expect(result.outcome, JSON.stringify(result.reasons)).toBe('deployed');
      expect(result.version).toBe(1);

      // The training stage names the device and the dev-mode worker.
      const training = result.stages.find((s) => s.stage === 'training');
      expect(training?.detail).toContain(`on cpu (${identity})`);

      // The run's current details (the Web UI's checklist) show the same.
      const { currentDetails: detailsText } = await handle.query<{ currentDetails: string }>(
        '__temporal_workflow_metadata',
      );
      expect(detailsText).toContain(`- ✓ training`);
      expect(detailsText).toContain(`on cpu (${identity})`);
      expect(detailsText).toContain(`waiting up to 60s for a GPU worker on "${GPU_TASK_QUEUE}"`);

      // Training was scheduled on mlops-gpu, asked for a GPU, and ran (once) on the dev-mode worker.
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = events.filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainModel',
      );
      expect(scheduled).toHaveLength(1);
      const attrs = scheduled[0]!.activityTaskScheduledEventAttributes!;
      expect(attrs.taskQueue?.name).toBe(GPU_TASK_QUEUE);
      const input = defaultPayloadConverter.fromPayload<{ requestedDevice: string }>(attrs.input!.payloads![0]!);
      expect(input.requestedDevice).toBe('gpu');
      const scheduledId = scheduled[0]!.eventId!.toString();
      const started = events.find(
        (e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduledId,
      );
      expect(started?.activityTaskStartedEventAttributes?.identity).toBe(identity);
      const completed = events.find(
        (e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === scheduledId,
      );
      const train = defaultPayloadConverter.fromPayload<TrainModelResult>(
        completed!.activityTaskCompletedEventAttributes!.result!.payloads![0]!,
      );
      expect(train).toMatchObject({ device: 'cpu', worker: identity });
      // Every other activity ran on the CPU worker's queue.
      const elsewhere = events
        .filter((e) => e.activityTaskScheduledEventAttributes && e !== scheduled[0])
        .map((e) => e.activityTaskScheduledEventAttributes!.taskQueue?.name);
      expect(new Set(elsewhere)).toEqual(new Set([CPU_TASK_QUEUE]));

      // The registered version records where it was trained: GPU requested, CPU used by the dev-mode GPU worker.
      const version = await registry.getVersion(spec.model, 1);
      expect(version?.artifactSha256).toBe(train.modelSha256);
      expect(version?.lineage.hyperparameters).toMatchObject({ device: 'cpu' });
      expect(version?.lineage.training).toEqual({ requested: 'gpu', device: 'cpu', worker: identity });
      expect(version?.lineage.training?.worker).toMatch(/\(cpu-dev-mode\)$/);
    },
  );
});
