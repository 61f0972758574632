/**
 * Test-only worker process for the durability tests: `node --import tsx test/durability/crash-worker.ts`.
 * The same runtime and worker as workers/cpu-worker.ts (createCpuWorker), but it
 * polls the task queue named by CRASH_TEST_TASK_QUEUE instead of `mlops-cpu`, so that the test's pipelines cannot
 * be picked up by any other worker on the shared dev server (nor this worker pick up theirs).
 * Configured by the same variables as the CPU worker (workers/config.ts) plus CRASH_TEST_TASK_QUEUE.
 */
import { loadRuntimeConfig, type RuntimeConfig } from '../../workers/config.js';
import { createCpuWorker } from '../../workers/create-workers.js';
import { runUntilSignalled } from '../../workers/run-until-signalled.js';
import { createWorkerRuntime } from '../../workers/runtime.js';

const taskQueue = process.env['CRASH_TEST_TASK_QUEUE'];
let config: RuntimeConfig;
try {
  if (!taskQueue) throw new Error('CRASH_TEST_TASK_QUEUE is not set');
  config = loadRuntimeConfig();
} catch (err) {
  console.error(`crash-test worker: ${(err as Error).message}`);
  process.exit(2);
}
const runtime = await createWorkerRuntime(config, { device: 'cpu' });
const deps = { ...runtime.deps, cpuTaskQueue: taskQueue };
const worker = await createCpuWorker({
  address: config.TEMPORAL_ADDRESS,
  namespace: config.TEMPORAL_NAMESPACE,
  deps,
  taskQueue,
});
// The test waits for this line: the worker is about to poll.
console.log(`crash-test worker ${deps.workerIdentity} polling ${taskQueue} on ${config.TEMPORAL_ADDRESS}`);
await runUntilSignalled(worker, () => runtime.close());
