import type { ArtifactStore } from '../lib/artifacts/artifact-store.js';
import type { OnnxModel } from '../lib/eval/onnx-model.js';
import type { ModelRegistry } from '../lib/registry/model-registry.js';
import type { DeployedModel } from '../lib/registry/types.js';
import type { LoadedModel } from './loaded-model.js';
import type { ServingMetrics } from './metrics.js';
import { loadDeployedVersion } from './model-loader.js';
import { ReplicaHeartbeat } from './replica-heartbeat.js';
import type { AcquireResult, ModelStatus, Readiness } from './model-status.js';
import { errorMessage, type ServingLogger } from './serving-logger.js';

export type { AcquireResult, ModelStatus, Readiness } from './model-status.js';

/** Options of {@link ModelManager}. */
export interface ModelManagerOptions {
  registry: Pick<ModelRegistry, 'listDeployed' | 'reportReplica'>;
  artifacts: Pick<ArtifactStore, 'get'>;
  /** Turns verified artifact bytes into a session (normally `loadOnnxModel`). */
  loadModel: (bytes: Uint8Array) => Promise<OnnxModel>;
  replicaId: string;
  /** URL this replica is reachable at, reported to the registry (a function is read at every heartbeat). */
  publicUrl: string | (() => string);
  /** Registry poll (and heartbeat) period; default 1000 ms. */
  pollIntervalMs?: number;
  /** Longest wait before retrying a version that failed to load; default 60 s. */
  maxRetryDelayMs?: number;
  logger: ServingLogger;
  metrics?: ServingMetrics;
}

/** A version that failed to load; retried with exponential backoff, or at once on a forced poll. */
interface LoadFailure {
  target: string;
  error: string;
  attempts: number;
  retryAt: number;
}

interface ModelState {
  /** Latest deployment seen in the registry. */
  deployed: DeployedModel;
  /** Version serving requests, possibly older than `deployed` while it loads or when it failed. */
  current: LoadedModel | null;
  failure: LoadFailure | null;
}

const targetOf = (d: DeployedModel): string => `${d.version}@${d.artifactSha256}@${d.artifactUri}`;

/**
 * Keeps the deployed version of every model loaded, with the registry as the source of truth.
 *
 * Every `pollIntervalMs` it reads `listDeployed()`; a model whose deployment changed is downloaded (checksum
 * verified), loaded and swapped in atomically (in-flight requests finish on the old session, which is closed after
 * them). A failed load leaves the previous version serving and is retried with backoff. After every poll each model's
 * replica status is reported (the heartbeat), including the load error if any. Polls never overlap.
 */
export class ModelManager {
  private readonly states = new Map<string, ModelState>();
  private readonly pollIntervalMs: number;
  private readonly maxRetryDelayMs: number;
  private polled = false;
  private lastPollError: string | null = null;
  private readonly heartbeat: ReplicaHeartbeat;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = false;

  constructor(private readonly options: ModelManagerOptions) {
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
    this.heartbeat = new ReplicaHeartbeat(options);
  }

  /** Starts polling (the first poll runs at once). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.tick();
  }

  /** Stops polling, waits for a running poll, then closes every loaded session (after its in-flight requests). */
  async stop(): Promise<void> {
    this.running = false;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.chain;
    const closing: Array<Promise<void>> = [];
    for (const state of this.states.values()) {
      state.current?.retire();
      const closed = state.current?.closed;
      if (closed) closing.push(closed);
    }
    this.states.clear();
    await Promise.all(closing);
  }

  /**
   * Polls now (after a poll already running) and resolves when done. `force` retries failed versions at once.
   * Never rejects: problems are recorded in the status.
   */
  poll(options: { force?: boolean } = {}): Promise<Readiness> {
    const run = this.chain.then(() => (this.stopped ? undefined : this.pollOnce(options.force === true)));
    this.chain = run.catch((err: unknown) => this.options.logger.error({ err }, 'registry poll crashed'));
    return this.chain.then(() => this.readiness());
  }

  /** Pins the loaded version of `model` for one request; call `release()` on it when done. */
  acquire(model: string): AcquireResult {
    const found = this.lookup(model);
    if (found.status === 'ok') found.model.acquire();
    return found;
  }

  /** The version of `model` serving now, without pinning it (for metadata). */
  lookup(model: string): AcquireResult {
    if (!this.polled) return { status: 'not_ready' };
    const state = this.states.get(model);
    if (!state) return { status: 'unknown' };
    if (!state.current)
      return { status: 'not_loaded', deployedVersion: state.deployed.version, error: state.failure?.error ?? null };
    return { status: 'ok', model: state.current };
  }

  /** Status of one deployed model, or null when it is not deployed. */
  status(model: string): ModelStatus | null {
    return this.list().find((m) => m.model === model) ?? null;
  }

  /** Whether `model` is deployed (as of the last successful poll). */
  isDeployed(model: string): boolean {
    return this.states.has(model);
  }

  /** Status of every deployed model. */
  list(): ModelStatus[] {
    return [...this.states.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([model, state]) => ({
        model,
        deployedVersion: state.deployed.version,
        loadedVersion: state.current?.version ?? null,
        loadedAt: state.current?.loadedAt ?? null,
        error: state.failure?.error ?? null,
      }));
  }

  readiness(): Readiness {
    const models = this.list();
    const missing = models.filter((m) => m.loadedVersion === null);
    return {
      ready: this.polled && missing.length === 0,
      polled: this.polled,
      lastPollError: this.lastPollError,
      models,
      missing,
    };
  }

  private async tick(): Promise<void> {
    await this.poll();
    if (!this.running) return;
    this.timer = setTimeout(() => void this.tick(), this.pollIntervalMs);
    this.timer.unref();
  }

  private async pollOnce(force: boolean): Promise<void> {
    let deployed: DeployedModel[];
    try {
      deployed = await this.options.registry.listDeployed();
    } catch (error) {
      this.options.metrics?.registryPollFailures.inc();
      if (this.lastPollError === null)
        this.options.logger.warn({ err: error }, 'registry poll failed; serving what is loaded');
      this.lastPollError = errorMessage(error);
      await this.heartbeat.report(this.list());
      return;
    }
    if (this.lastPollError !== null && this.polled) this.options.logger.info({}, 'registry poll recovered');
    this.lastPollError = null;
    this.reconcile(deployed);
    const now = Date.now();
    const loads: Array<Promise<void>> = [];
    for (const [model, state] of this.states) {
      if (state.current && targetOf(state.current.deployed) === targetOf(state.deployed)) continue;
      if (state.failure && !force && state.failure.retryAt > now) continue;
      loads.push(this.load(model, state.deployed));
    }
    await Promise.all(loads);
    this.polled = true;
    await this.heartbeat.report(this.list());
  }

  /** Applies the registry's list: new models appear, undeployed ones are retired, stale failures are forgotten. */
  private reconcile(deployed: DeployedModel[]): void {
    const seen = new Set<string>();
    for (const d of deployed) {
      seen.add(d.model);
      const state = this.states.get(d.model);
      if (!state) {
        this.states.set(d.model, { deployed: d, current: null, failure: null });
        continue;
      }
      state.deployed = d;
      if (state.failure && state.failure.target !== targetOf(d)) state.failure = null;
    }
    for (const [model, state] of this.states) {
      if (seen.has(model)) continue;
      this.options.logger.info(
        { model, version: state.current?.version ?? null },
        'model no longer deployed; unloading',
      );
      state.current?.retire();
      this.states.delete(model);
      this.options.metrics?.loadedVersion.remove({ model });
    }
  }

  private async load(model: string, deployed: DeployedModel): Promise<void> {
    const { logger, metrics } = this.options;
    const started = Date.now();
    let loaded: LoadedModel;
    try {
      loaded = await loadDeployedVersion(deployed, {
        artifacts: this.options.artifacts,
        loadModel: this.options.loadModel,
        onCloseError: (err) => logger.warn({ err, model, version: deployed.version }, 'closing a model session failed'),
      });
    } catch (error) {
      metrics?.modelLoadFailures.inc({ model });
      const state = this.states.get(model);
      if (!state) return;
      const attempts = state.failure?.target === targetOf(deployed) ? state.failure.attempts + 1 : 1;
      const delay = Math.min(this.pollIntervalMs * 2 ** (attempts - 1), this.maxRetryDelayMs);
      const message = `failed to load ${model} v${deployed.version}: ${errorMessage(error)}`;
      state.failure = { target: targetOf(deployed), error: message, attempts, retryAt: Date.now() + delay };
      const serving = state.current?.version ?? null;
      const fields = {
        err: error,
        model,
        version: deployed.version,
        attempts,
        servingVersion: serving,
        retryInMs: delay,
      };
      logger.error(fields, 'model load failed; keeping the previous version');
      return;
    }
    const state = this.states.get(model);
    if (!state || targetOf(state.deployed) !== targetOf(deployed) || this.stopped) {
      // Undeployed, redeployed or stopping while we were loading: this session is not wanted.
      loaded.retire();
      return;
    }
    const previous = state.current;
    state.current = loaded;
    state.failure = null;
    previous?.retire();
    metrics?.modelLoads.inc({ model });
    metrics?.loadedVersion.set({ model }, deployed.version);
    logger.info(
      { model, version: deployed.version, previousVersion: previous?.version ?? null, ms: Date.now() - started },
      'model version loaded and swapped in',
    );
  }
}
