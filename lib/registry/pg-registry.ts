/**
 * The model registry on PostgreSQL through `pg.Pool`. The same code serves a real PostgreSQL server and the embedded
 * PGlite server (infra/embedded-postgres.ts). Failures to reach the database surface as `RegistryUnavailableError`
 * (retryable); unknown models/versions as `RegistryNotFoundError` and contradictions as `RegistryConflictError`.
 */
import pg from 'pg';
import type { ModelRegistry } from './model-registry.js';
import * as approvals from './pg-approvals.js';
import { guard, migrate, type MigrateLogger } from './pg-db.js';
import * as deployments from './pg-deployments.js';
import * as metadata from './pg-metadata.js';
import * as requestCounts from './pg-request-counts.js';
import * as servingLog from './pg-serving-log.js';
import * as versions from './pg-versions.js';

export interface PgRegistryCommonOptions {
  /** Pool size (default 10). Each connection to the embedded server counts against its connection limit. */
  maxConnections?: number;
  /** How long to wait for a connection before failing with `RegistryUnavailableError` (default 10 s). */
  connectionTimeoutMs?: number;
  /** `application_name` of the connections (shows in pg_stat_activity). */
  applicationName?: string;
  /** Where migration messages go (default: warnings and errors to stderr). */
  migrateLogger?: MigrateLogger;
}

export type PgRegistryOptions = PgRegistryCommonOptions &
  (
    | { connectionString: string; pool?: never }
    /** A pool owned by the caller: `close()` leaves it open. */
    | { pool: pg.Pool; connectionString?: never }
  );

/** The registry plus PostgreSQL-specific extras (not part of {@link ModelRegistry}). */
export interface PgModelRegistry extends ModelRegistry {
  readonly pool: pg.Pool;
  /** Like `migrate()`, returning the names of the migrations it applied. */
  migrateVerbose(): Promise<string[]>;
}

export function createPgRegistry(options: PgRegistryOptions): PgModelRegistry {
  const ownsPool = options.pool === undefined;
  const pool =
    options.pool ??
    new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      allowExitOnIdle: true,
      ...(options.applicationName ? { application_name: options.applicationName } : {}),
    });
  if (ownsPool) {
    // An idle client losing its connection (server restart, 57P01) must not crash the process; the pool drops it.
    pool.on('error', (err) => {
      if (process.env['MLOPS_REGISTRY_DEBUG'] === '1')
        console.error(`[registry] idle connection error: ${err.message}`);
    });
  }
  let closing: Promise<void> | undefined;

  return {
    pool,
    migrate: () => guard('migrate', async () => void (await migrate(pool, options.migrateLogger))),
    migrateVerbose: () => guard('migrate', () => migrate(pool, options.migrateLogger)),
    close: () => (closing ??= ownsPool ? pool.end() : Promise.resolve()),

    registerVersion: (input) => guard('registerVersion', () => versions.registerVersion(pool, input)),
    getVersion: (model, version) => guard('getVersion', () => versions.getVersion(pool, model, version)),
    getVersionByAlias: (model, alias) =>
      guard('getVersionByAlias', () => versions.getVersionByAlias(pool, model, alias)),
    listVersions: (model) => guard('listVersions', () => versions.listVersions(pool, model)),
    listModels: () => guard('listModels', () => versions.listModels(pool)),
    setAlias: (model, alias, version) => guard('setAlias', () => versions.setAlias(pool, model, alias, version)),
    setTags: (model, version, tags) => guard('setTags', () => versions.setTags(pool, model, version, tags)),
    getTags: (model, version) => guard('getTags', () => versions.getTags(pool, model, version)),

    recordDeployment: (input) => guard('recordDeployment', () => deployments.recordDeployment(pool, input)),
    listDeployed: () => guard('listDeployed', () => deployments.listDeployed(pool, null)),
    getDeployed: (model) => guard('getDeployed', async () => (await deployments.listDeployed(pool, model))[0] ?? null),
    deploymentAt: (model, at) => guard('deploymentAt', () => deployments.deploymentAt(pool, model, at)),
    listDeployments: (model) => guard('listDeployments', () => deployments.listDeployments(pool, model)),

    recordPipelineRun: (input) => guard('recordPipelineRun', () => metadata.recordPipelineRun(pool, input)),
    recordStage: (stage) => guard('recordStage', () => metadata.recordStage(pool, stage)),
    finishPipelineRun: (input) => guard('finishPipelineRun', () => metadata.finishPipelineRun(pool, input)),
    recordApproval: (input) => guard('recordApproval', () => approvals.recordApproval(pool, input)),
    getApproval: (runId) => guard('getApproval', () => approvals.getApproval(pool, runId)),
    listApprovals: (model) => guard('listApprovals', () => approvals.listApprovals(pool, model)),
    recordMonitorReport: (input) => guard('recordMonitorReport', () => metadata.recordMonitorReport(pool, input)),
    recordRetrainDecision: (input) => guard('recordRetrainDecision', () => metadata.recordRetrainDecision(pool, input)),

    logPredictions: (entries) => guard('logPredictions', () => servingLog.logPredictions(pool, entries)),
    recordFeedback: (entries) => guard('recordFeedback', () => servingLog.recordFeedback(pool, entries)),
    readPredictions: (model, from, to, limit) =>
      guard('readPredictions', () => servingLog.readPredictions(pool, model, from, to, limit)),
    readLabelledPredictions: (model, from, to, limit) =>
      guard('readLabelledPredictions', () => servingLog.readLabelledPredictions(pool, model, from, to, limit)),
    readWindowPredictions: (model, from, to, options) =>
      guard('readWindowPredictions', () => servingLog.readWindowPredictions(pool, model, from, to, options)),
    logRequestCounts: (batchId, entries) =>
      guard('logRequestCounts', () => requestCounts.logRequestCounts(pool, batchId, entries)),
    readRequestCounts: (model, from, to) =>
      guard('readRequestCounts', () => requestCounts.readRequestCounts(pool, model, from, to)),
    reportReplica: (status) => guard('reportReplica', () => servingLog.reportReplica(pool, status)),
    listReplicas: (model, freshWithinMs) =>
      guard('listReplicas', () => servingLog.listReplicas(pool, model, freshWithinMs)),
  };
}
