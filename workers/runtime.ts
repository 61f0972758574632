import { hostname } from 'node:os';
import { Client, Connection } from '@temporalio/client';
import type { ActivityDeps } from '../activities/deps.js';
import { CPU_TASK_QUEUE } from '../contracts/task-queues.js';
import { alertNotifierFromEnv } from '../lib/alerts/notifier.js';
import { openArtifactStore, openUriStream, readUri } from '../lib/artifacts/open-store.js';
import { createPgRegistry } from '../lib/registry/pg-registry.js';
import { detectCodeVersion } from './code-version.js';
import type { RuntimeConfig } from './config.js';

/** The long-lived clients a worker process holds, and how to close them. */
export interface WorkerRuntime {
  deps: ActivityDeps;
  connection: Connection;
  close(): Promise<void>;
}

/** Builds activity dependencies once per process: registry pool, artifact store, Temporal client. */
export async function createWorkerRuntime(
  config: RuntimeConfig,
  opts: { device: 'cpu' | 'gpu'; identity?: string },
): Promise<WorkerRuntime> {
  const registry = createPgRegistry({
    connectionString: config.DATABASE_URL,
    maxConnections: config.MLOPS_DB_POOL_SIZE,
  });
  await registry.migrate();
  const artifacts = openArtifactStore(config.MLOPS_ARTIFACTS_URL);
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  const deps: ActivityDeps = {
    registry,
    artifacts,
    readUri: (uri) => readUri(uri),
    readUriStream: (uri) => openUriStream(uri),
    temporal,
    cpuTaskQueue: CPU_TASK_QUEUE,
    codeVersion: detectCodeVersion(config.MLOPS_CODE_VERSION),
    workerIdentity: opts.identity ?? `${opts.device}-worker@${hostname()}:${process.pid}`,
    device: opts.device,
    alerts: alertNotifierFromEnv(config),
  };
  return {
    deps,
    connection,
    close: async () => {
      await connection.close();
      await registry.close();
    },
  };
}
