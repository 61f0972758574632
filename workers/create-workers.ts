import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/deps.js';
import { createActivities } from '../activities/index.js';
import { CPU_TASK_QUEUE, GPU_TASK_QUEUE } from '../contracts/task-queues.js';

/** Path of the workflows entry module the worker bundles. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface CreateWorkerOptions {
  address: string;
  namespace: string;
  deps: ActivityDeps;
  /** A prebuilt bundle (tests bundle once and share it); otherwise the worker bundles WORKFLOWS_PATH. */
  workflowBundle?: WorkflowBundleOption;
  identity?: string;
  /** Task queue override (tests isolate their workers on their own queue); default `mlops-cpu` / `mlops-gpu`. */
  taskQueue?: string;
}

/**
 * The CPU worker: every workflow and every activity, on `mlops-cpu`. Training runs here when the spec asks for
 * CPU, or as the fallback when no GPU worker picks it up.
 */
export async function createCpuWorker(opts: CreateWorkerOptions): Promise<Worker> {
  const connection = await NativeConnection.connect({ address: opts.address });
  return Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? CPU_TASK_QUEUE,
    identity: opts.identity ?? opts.deps.workerIdentity,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
    activities: createActivities(opts.deps),
    maxConcurrentActivityTaskExecutions: 4,
    // Heartbeats (training progress, checkpoint location) reach the server within seconds, and so does cancellation.
    maxHeartbeatThrottleInterval: '3s',
  });
}

/**
 * The GPU worker: only activities (training), on `mlops-gpu`, one training at a time so a model gets the whole GPU.
 */
export async function createGpuWorker(opts: CreateWorkerOptions): Promise<Worker> {
  const connection = await NativeConnection.connect({ address: opts.address });
  const { trainModel } = createActivities(opts.deps);
  return Worker.create({
    connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue ?? GPU_TASK_QUEUE,
    identity: opts.identity ?? opts.deps.workerIdentity,
    activities: { trainModel },
    maxConcurrentActivityTaskExecutions: 1,
    maxHeartbeatThrottleInterval: '3s',
  });
}
