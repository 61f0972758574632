import type { ModelRegistry } from '../lib/registry/model-registry.js';
import type { ModelStatus } from './model-status.js';
import type { ServingLogger } from './serving-logger.js';

/** Options of {@link ReplicaHeartbeat}. */
export interface ReplicaHeartbeatOptions {
  registry: Pick<ModelRegistry, 'reportReplica'>;
  replicaId: string;
  /** URL this replica is reachable at (a function is read at every report). */
  publicUrl: string | (() => string);
  logger: ServingLogger;
}

/**
 * Reports what this replica has loaded, one `reportReplica` row per deployed model: the version serving (null when
 * none), when it was loaded, the heartbeat time and the last load error. Deploys wait on these rows. Failures are
 * logged once per outage, never thrown.
 */
export class ReplicaHeartbeat {
  private failing = false;

  constructor(private readonly options: ReplicaHeartbeatOptions) {}

  async report(models: readonly ModelStatus[]): Promise<void> {
    const { registry, replicaId, publicUrl, logger } = this.options;
    const heartbeatAt = new Date().toISOString();
    const url = typeof publicUrl === 'function' ? publicUrl() : publicUrl;
    const results = await Promise.allSettled(
      models.map((m) =>
        registry.reportReplica({
          replicaId,
          url,
          model: m.model,
          version: m.loadedVersion,
          loadedAt: m.loadedAt,
          heartbeatAt,
          error: m.error,
        }),
      ),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed && !this.failing) logger.warn({ err: failed.reason as unknown }, 'replica heartbeat failed');
    if (!failed && this.failing) logger.info({}, 'replica heartbeat recovered');
    this.failing = failed !== undefined;
  }
}
