import path from 'node:path';
import { inject } from 'vitest';
import type { ActivityDeps } from '../../activities/deps.js';
import { createTestDatabase } from '../../infra/postgres-test.js';
import { createServingApp } from '../../serving/create-server.js';
import type { WorkflowBundle } from '@temporalio/worker';
import type { RuntimeConfig } from '../../workers/config.js';
import { createCpuWorker } from '../../workers/create-workers.js';
import { createWorkerRuntime } from '../../workers/runtime.js';

/**
 * The stack the end-to-end tests run on: the shared Temporal dev server (a task queue of its own, so no other
 * worker on that server takes part), a fresh database on the test PostgreSQL, a `file://` artifact store, the CPU
 * worker (real workflows and activities) and a serving app over HTTP.
 */
export interface E2eStack {
  deps: ActivityDeps;
  taskQueue: string;
  /** Empty when started with `serving: false`. */
  servingUrl: string;
  stop(): Promise<void>;
}

/** What a test changes in the stack. */
export interface E2eStackOptions {
  /** More worker configuration, as the environment gives it (e.g. `MLOPS_ALERT_WEBHOOK_URL`, `TEMPORAL_UI_URL`). */
  env?: Partial<RuntimeConfig>;
  /** A workflow bundle of the test's own (e.g. workflows proxying an activity with other timeouts). */
  workflowBundle?: WorkflowBundle;
  /** Start the serving app (default true). */
  serving?: boolean;
}

export async function startE2eStack(stateDir: string, name: string, options: E2eStackOptions = {}): Promise<E2eStack> {
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch((err: unknown) => console.error('stop failed', err));
    stops.length = 0;
  };
  try {
    const db = await createTestDatabase({ baseUrl: inject('databaseUrl'), prefix: `mlops_${name}` });
    stops.push(() => db.drop());
    const address = inject('temporalAddress');
    const taskQueue = `${name.replaceAll('_', '-')}-${Date.now().toString(36)}`;
    const runtime = await createWorkerRuntime(
      {
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: 'default',
        DATABASE_URL: db.url,
        MLOPS_ARTIFACTS_URL: `file://${path.join(stateDir, 'artifacts')}/`,
        MLOPS_DB_POOL_SIZE: 4,
        ...options.env,
      },
      { device: 'cpu', identity: `cpu-worker@${name}:${process.pid}` },
    );
    stops.push(() => runtime.close());
    const deps: ActivityDeps = { ...runtime.deps, cpuTaskQueue: taskQueue };
    const worker = await createCpuWorker({
      address,
      namespace: 'default',
      deps,
      taskQueue,
      ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : {}),
    });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
    });
    let servingUrl = '';
    if (options.serving === false) return { deps, taskQueue, servingUrl, stop };
    const serving = createServingApp({
      registry: deps.registry,
      artifacts: deps.artifacts,
      replicaId: `serving@${name}:${process.pid}`,
      publicUrl: () => servingUrl,
      pollIntervalMs: 250,
      logger: false,
    });
    await serving.app.listen({ host: '127.0.0.1', port: 0 });
    const bound = serving.app.server.address();
    servingUrl = `http://127.0.0.1:${typeof bound === 'object' && bound ? bound.port : 0}`;
    await serving.start();
    stops.push(() => serving.stop());
    return { deps, taskQueue, servingUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
