/**
 * CPU worker process: `npx tsx workers/cpu-worker.ts`. Serves every workflow and activity on `mlops-cpu`.
 * Configured by TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DATABASE_URL, MLOPS_ARTIFACTS_URL (see workers/config.ts).
 */
import { CPU_TASK_QUEUE } from '../contracts/task-queues.js';
import { loadRuntimeConfig, type RuntimeConfig } from './config.js';
import { createCpuWorker } from './create-workers.js';
import { runUntilSignalled } from './run-until-signalled.js';
import { createWorkerRuntime } from './runtime.js';

let config: RuntimeConfig;
try {
  config = loadRuntimeConfig();
} catch (err) {
  console.error(`cpu worker: ${(err as Error).message}`);
  process.exit(2);
}
const runtime = await createWorkerRuntime(config, { device: 'cpu' });
const worker = await createCpuWorker({
  address: config.TEMPORAL_ADDRESS,
  namespace: config.TEMPORAL_NAMESPACE,
  deps: runtime.deps,
});
console.log(`cpu worker ${runtime.deps.workerIdentity} polling ${CPU_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}`);
await runUntilSignalled(worker, () => runtime.close());
