import type { Client } from '@temporalio/client';
import type { AlertNotifier } from '../lib/alerts/notifier.js';
import type { ArtifactStore } from '../lib/artifacts/artifact-store.js';
import type { UriStream } from '../lib/artifacts/open-store.js';
import type { ModelRegistry } from '../lib/registry/model-registry.js';

/** Everything activities need, built once per worker process and shared by every activity call. */
export interface ActivityDeps {
  registry: ModelRegistry;
  artifacts: ArtifactStore;
  /** Reads a dataset or other object by `file://` or `s3://` URI (datasets may live outside the artifact store). */
  readUri: (uri: string) => Promise<Uint8Array>;
  /** Opens such an object for reading in chunks, hashed as it is read (large CSV/JSONL datasets). */
  readUriStream: (uri: string) => Promise<UriStream>;
  /** Temporal client, for activities that start or signal workflows (monitor start, scheduled triggers). */
  temporal: Client;
  /** Task queue this worker's CPU workflows run on (for workflows started from activities). */
  cpuTaskQueue: string;
  /** Code version recorded in lineage (git commit or package version). */
  codeVersion: string;
  /** Identity of this worker, recorded where training ran. */
  workerIdentity: string;
  /** Device this worker trains on. */
  device: 'cpu' | 'gpu';
  /**
   * Webhook alerts (drift, degraded performance, failed pipeline, rollback); absent when the worker has no
   * `MLOPS_ALERT_WEBHOOK_URL`.
   */
  alerts?: AlertNotifier | undefined;
}
