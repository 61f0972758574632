import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify';
import type { ArtifactStore } from '../lib/artifacts/artifact-store.js';
import { loadOnnxModel, type OnnxModel } from '../lib/eval/onnx-model.js';
import type { ModelRegistry } from '../lib/registry/model-registry.js';
import { registerErrorHandlers } from './http-errors.js';
import { createServingMetrics } from './metrics.js';
import { ModelManager } from './model-manager.js';
import { PredictionLogger, type PredictionLoggerOptions } from './prediction-logger.js';
import { RequestCounter } from './request-counter.js';
import { registerRequestMetrics } from './request-metrics.js';
import { registerAdminRoutes } from './routes/admin.js';
import type { RouteContext } from './routes/context.js';
import { registerFeedbackRoute } from './routes/feedback.js';
import { registerModelRoutes } from './routes/models.js';
import { registerOpsRoutes } from './routes/ops.js';
import { registerPredictRoute } from './routes/predict.js';
import { errorMessage } from './serving-logger.js';

/** Log level names accepted by {@link ServingDeps.logger}. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The part of the registry serving uses; without `logRequestCounts` predict requests are not counted for the
 * monitor's error rate (only in Prometheus).
 */
export type ServingRegistry = Pick<
  ModelRegistry,
  'listDeployed' | 'reportReplica' | 'logPredictions' | 'recordFeedback'
> &
  Partial<Pick<ModelRegistry, 'logRequestCounts'>>;

/** What the prediction service is built from. */
export interface ServingDeps {
  /** The source of truth for what is deployed; also receives the prediction log, feedback and heartbeats. */
  registry: ServingRegistry;
  /** Where model artifacts are downloaded from (checksums verified). */
  artifacts: Pick<ArtifactStore, 'get'>;
  /** Stable id of this replica in the registry's replica table. */
  replicaId: string;
  /** URL clients reach this replica at (reported with each heartbeat; a function is called at every heartbeat). */
  publicUrl: string | (() => string);
  /** Registry poll / heartbeat period (default 1000 ms). */
  pollIntervalMs?: number;
  /** Enables `POST /admin/reload` with `Authorization: Bearer <adminToken>`; without it the route does not exist. */
  adminToken?: string;
  /** A pino/Fastify logger, a level for a built-in JSON logger (default `info`), or `false` for no logging. */
  logger?: FastifyBaseLogger | { level: LogLevel } | false;
  /** Prediction log batching (defaults: 500 ms, 500 entries, 50,000 buffered). */
  predictionLog?: Pick<PredictionLoggerOptions, 'flushIntervalMs' | 'batchSize' | 'maxBuffered' | 'stopTimeoutMs'>;
  /** Loads verified model bytes; defaults to `loadOnnxModel`. */
  loadModel?: (bytes: Uint8Array) => Promise<OnnxModel>;
  /** Largest accepted request body in bytes (default 16 MiB: 1000 wide records fit). */
  bodyLimit?: number;
}

/** A built, not yet started, prediction service. */
export interface ServingApp {
  /** The HTTP app; `listen` on it (before or after `start`). */
  app: FastifyInstance;
  /** The model manager (loaded versions, readiness); exposed for embedding and tests. */
  manager: ModelManager;
  /** The prediction log buffer; exposed for embedding and tests. */
  predictionLog: PredictionLogger;
  /** Starts polling the registry and flushing the prediction log. Does not wait for models to load (see `/readyz`). */
  start(): Promise<void>;
  /**
   * Graceful shutdown: stops accepting connections and lets in-flight requests finish, stops polling, flushes the
   * prediction log and closes every model session. Idempotent.
   */
  stop(): Promise<void>;
}

function loggerOptions(logger: ServingDeps['logger']): Pick<FastifyServerOptions, 'logger' | 'loggerInstance'> {
  if (logger === false) return { logger: false };
  if (logger !== undefined && 'child' in logger) return { loggerInstance: logger };
  // Request serializers do not include headers; redact them anyway should anything log a request's headers.
  return { logger: { level: logger?.level ?? 'info', redact: ['req.headers.authorization', 'headers.authorization'] } };
}

/**
 * Builds the prediction service: the model manager that follows the registry, the batched prediction log, the
 * metrics and the HTTP routes (`/v1/models...`, `/healthz`, `/readyz`, `/metrics`, `/admin/reload`).
 */
export function createServingApp(deps: ServingDeps): ServingApp {
  const app = Fastify({
    ...loggerOptions(deps.logger),
    bodyLimit: deps.bodyLimit ?? 16 * 1024 * 1024,
    // No per-request access log lines (traffic is in /metrics and the prediction log); errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });

  let predictionLog: PredictionLogger | null = null;
  const metrics = createServingMetrics({ bufferSize: () => predictionLog?.buffered ?? 0 });
  predictionLog = new PredictionLogger({
    ...deps.predictionLog,
    write: (entries) => deps.registry.logPredictions(entries),
    onDrop: (count) => {
      metrics.predictionLogDropped.inc(count);
      app.log.warn({ dropped: count }, 'prediction log entries dropped');
    },
    onWriteError: (error, batchSize) => {
      metrics.predictionLogFlushFailures.inc();
      app.log.warn({ error: errorMessage(error), batchSize }, 'writing the prediction log failed; will retry');
    },
  });
  const logRequestCounts = deps.registry.logRequestCounts?.bind(deps.registry);
  const requestCounter = logRequestCounts
    ? new RequestCounter({
        write: logRequestCounts,
        onWriteError: (error) =>
          app.log.warn({ error: errorMessage(error) }, 'writing request counts failed; will retry'),
      })
    : null;
  const manager = new ModelManager({
    registry: deps.registry,
    artifacts: deps.artifacts,
    loadModel: deps.loadModel ?? loadOnnxModel,
    replicaId: deps.replicaId,
    publicUrl: deps.publicUrl,
    ...(deps.pollIntervalMs !== undefined ? { pollIntervalMs: deps.pollIntervalMs } : {}),
    logger: app.log,
    metrics,
  });

  const ctx: RouteContext = { manager, predictionLog, registry: deps.registry, metrics };
  registerErrorHandlers(app);
  registerRequestMetrics(app, metrics, requestCounter);
  registerOpsRoutes(app, ctx);
  registerModelRoutes(app, ctx);
  registerPredictRoute(app, ctx);
  registerFeedbackRoute(app, ctx);
  if (deps.adminToken !== undefined && deps.adminToken !== '') registerAdminRoutes(app, ctx, deps.adminToken);

  let stopping: Promise<void> | null = null;
  const log = predictionLog;
  return {
    app,
    manager,
    predictionLog: log,
    async start() {
      log.start();
      requestCounter?.start();
      manager.start();
    },
    stop() {
      stopping ??= (async () => {
        await app.close();
        await manager.stop();
        await log.stop();
        await requestCounter?.stop();
      })();
      return stopping;
    },
  };
}
