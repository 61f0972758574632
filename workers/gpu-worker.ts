/**
 * GPU worker process: `npx tsx workers/gpu-worker.ts [--allow-cpu]`. Serves training on `mlops-gpu`.
 * Refuses to start on a host without an NVIDIA GPU unless `--allow-cpu` (or MLOPS_GPU_WORKER_ALLOW_CPU=1) says to
 * serve the queue on CPU (dev mode); the choice is logged and recorded with every model it trains.
 */
import { GPU_TASK_QUEUE } from '../contracts/task-queues.js';
import { loadRuntimeConfig, type RuntimeConfig } from './config.js';
import { createGpuWorker } from './create-workers.js';
import { probeGpu } from './gpu-check.js';
import { runUntilSignalled } from './run-until-signalled.js';
import { createWorkerRuntime } from './runtime.js';

const allowCpu = process.argv.includes('--allow-cpu') || process.env['MLOPS_GPU_WORKER_ALLOW_CPU'] === '1';
const probe = await probeGpu();
if (!probe.available && !allowCpu) {
  console.error(
    `gpu worker refuses to start: ${probe.reason}. Run it on a GPU host, or pass --allow-cpu ` +
      `(MLOPS_GPU_WORKER_ALLOW_CPU=1) to serve ${GPU_TASK_QUEUE} on CPU in dev mode.`,
  );
  process.exit(3);
}
const mode = probe.available
  ? `GPU: ${probe.devices.join('; ')}`
  : `DEV MODE: serving ${GPU_TASK_QUEUE} on CPU (${probe.reason})`;
let config: RuntimeConfig;
try {
  config = loadRuntimeConfig();
} catch (err) {
  console.error(`gpu worker: ${(err as Error).message}`);
  process.exit(2);
}
const runtime = await createWorkerRuntime(config, {
  device: probe.available ? 'gpu' : 'cpu',
  identity: `gpu-worker@${process.pid}${probe.available ? '' : '(cpu-dev-mode)'}`,
});
const worker = await createGpuWorker({
  address: config.TEMPORAL_ADDRESS,
  namespace: config.TEMPORAL_NAMESPACE,
  deps: runtime.deps,
});
console.log(
  `gpu worker ${runtime.deps.workerIdentity} polling ${GPU_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS} (${mode})`,
);
await runUntilSignalled(worker, () => runtime.close());
