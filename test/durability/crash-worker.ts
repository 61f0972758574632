/**
 * Test-only worker process for the durability tests: `node --import tsx test/durability/crash-worker.ts`.
 * The same runtime and worker as workers/cpu-worker.ts (createCpuWorker), but it
 * polls the task queue(s) named by CRASH_TEST_TASK_QUEUE instead of `mlops-cpu`, so that the test's pipelines cannot
 * be picked up by any other worker on the shared dev server (nor this worker pick up theirs).
 * Configured by the same variables as the CPU worker (workers/config.ts) plus:
 *
 * - CRASH_TEST_TASK_QUEUE: the task queue, or several separated by commas (one worker per queue, one process).
 * - CRASH_TEST_WORKFLOW_BUNDLE: path of a prebuilt workflow bundle (the test bundles once for all its processes).
 * - CRASH_TEST_KILL: failure injection; the process SIGKILLs itself the first time it reaches this point:
 *   `after-model-upload` (trainModel stored the model artifact, before anything else: nothing registered),
 *   `before-register` (registerModel is about to insert the version: every artifact is stored, no row yet) or
 *   `after-register` (the version row is committed, the activity has not reported completion).
 * - CRASH_TEST_HOLD_DIR: the first registration writes `<dir>/registering` and waits for `<dir>/release` before it
 *   touches the registry (the test stops the database in between).
 *
 * The hooks wrap the activities' dependencies (artifact store, registry) in this process only; the activities,
 * workflows and worker options are the production ones.
 */
import { existsSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps.js';
import type { ArtifactStore } from '../../lib/artifacts/artifact-store.js';
import type { ModelRegistry } from '../../lib/registry/model-registry.js';
import { loadRuntimeConfig, type RuntimeConfig } from '../../workers/config.js';
import { createCpuWorker } from '../../workers/create-workers.js';
import { createWorkerRuntime } from '../../workers/runtime.js';

export const KILL_POINTS = ['after-model-upload', 'before-register', 'after-register'] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

const queues = (process.env['CRASH_TEST_TASK_QUEUE'] ?? '').split(',').filter((q) => q !== '');
const killAt = process.env['CRASH_TEST_KILL'] || undefined;
const holdDir = process.env['CRASH_TEST_HOLD_DIR'] || undefined;
const bundlePath = process.env['CRASH_TEST_WORKFLOW_BUNDLE'] || undefined;
let config: RuntimeConfig;
try {
  if (queues.length === 0) throw new Error('CRASH_TEST_TASK_QUEUE is not set');
  if (killAt !== undefined && !(KILL_POINTS as readonly string[]).includes(killAt)) {
    throw new Error(`CRASH_TEST_KILL must be one of ${KILL_POINTS.join(', ')}; found ${killAt}`);
  }
  config = loadRuntimeConfig();
} catch (err) {
  console.error(`crash-test worker: ${(err as Error).message}`);
  process.exit(2);
}

/** Kills this process with SIGKILL (no cleanup, no reply to the server), once, at `point` if configured. */
function maybeDie(point: KillPoint, detail: string): void {
  if (killAt !== point) return;
  // Synchronous write: the test reads this line, and nothing after the kill runs.
  writeSync(1, `crash-test worker ${process.pid}: SIGKILL at ${point} (${detail})\n`);
  process.kill(process.pid, 'SIGKILL');
}

function hookArtifacts(store: ArtifactStore): ArtifactStore {
  return {
    baseUri: store.baseUri,
    uriFor: (key) => store.uriFor(key),
    get: (keyOrUri, expected) => store.get(keyOrUri, expected),
    exists: (keyOrUri) => store.exists(keyOrUri),
    delete: (keyOrUri) => store.delete(keyOrUri),
    put: async (key, body, options) => {
      const ref = await store.put(key, body, options);
      if (key.endsWith('/model.onnx')) maybeDie('after-model-upload', `${ref.uri} sha256 ${ref.sha256}`);
      return ref;
    },
  };
}

let held = false;
function hookRegistry(registry: ModelRegistry): ModelRegistry {
  return {
    ...registry,
    registerVersion: async (input) => {
      if (holdDir && !held) {
        held = true;
        writeFileSync(path.join(holdDir, 'registering'), `${input.model} ${input.runId}\n`);
        writeSync(1, `crash-test worker ${process.pid}: registration of ${input.runId} held\n`);
        while (!existsSync(path.join(holdDir, 'release'))) await sleep(50);
        writeSync(1, `crash-test worker ${process.pid}: registration of ${input.runId} released\n`);
      }
      maybeDie('before-register', `${input.model} run ${input.runId}`);
      const result = await registry.registerVersion(input);
      maybeDie('after-register', `${input.model} v${result.version} created=${result.created}`);
      return result;
    },
  };
}

const runtime = await createWorkerRuntime(config, { device: 'cpu' });
const deps: ActivityDeps = {
  ...runtime.deps,
  cpuTaskQueue: queues[0]!,
  artifacts: killAt ? hookArtifacts(runtime.deps.artifacts) : runtime.deps.artifacts,
  registry: killAt || holdDir ? hookRegistry(runtime.deps.registry) : runtime.deps.registry,
};
const workers: Worker[] = [];
for (const taskQueue of queues) {
  workers.push(
    await createCpuWorker({
      address: config.TEMPORAL_ADDRESS,
      namespace: config.TEMPORAL_NAMESPACE,
      deps: { ...deps, cpuTaskQueue: taskQueue },
      taskQueue,
      ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    }),
  );
}
// The test waits for this line (one per queue): the worker is about to poll.
for (const taskQueue of queues) {
  console.log(`crash-test worker ${deps.workerIdentity} polling ${taskQueue} on ${config.TEMPORAL_ADDRESS}`);
}
// Each worker shuts down gracefully on SIGINT/SIGTERM (the SDK's runtime handles the signals).
try {
  await Promise.all(workers.map((w) => w.run()));
} finally {
  await runtime.close();
}
