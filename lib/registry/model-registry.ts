import type {
  ApprovalRecord,
  Deployment,
  DeployedModel,
  FeedbackEntry,
  ModelSummary,
  ModelVersion,
  NewModelVersion,
  PredictionLogEntry,
  ReplicaStatus,
} from './types.js';
import type { RequestCountEntry, VersionRequestCounts } from './pg-request-counts.js';

/** Timing and outcome of one pipeline stage (the Level 1 metadata store). */
export interface StageRecord {
  runId: string;
  stage: string;
  status: 'started' | 'completed' | 'failed' | 'skipped';
  startedAt: string;
  finishedAt: string | null;
  details: unknown;
}

/** A labelled prediction: a logged prediction joined with its feedback. */
export interface LabelledPrediction extends PredictionLogEntry {
  label: string | number;
}

/** A logged prediction of a monitoring window with its feedback label, or null when none arrived. */
export interface WindowPrediction extends PredictionLogEntry {
  label: string | number | null;
}

/**
 * The model registry and metadata store. Implemented on PostgreSQL through `pg` (works the same against the
 * embedded PGlite socket server). All methods are safe to retry: writes are idempotent on natural keys.
 */
export interface ModelRegistry {
  /** Applies pending migrations (idempotent). */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /**
   * Registers a version (next number of the model, starting at 1); a second call with the same `runId` returns the
   * existing version with `created: false`. A `runId` already registered for another model: RegistryConflictError.
   */
  registerVersion(input: NewModelVersion): Promise<{ version: number; created: boolean }>;
  getVersion(model: string, version: number): Promise<ModelVersion | null>;
  /** Version carrying `alias` (e.g. `champion`), or null. */
  getVersionByAlias(model: string, alias: string): Promise<ModelVersion | null>;
  listVersions(model: string): Promise<ModelVersion[]>;
  listModels(): Promise<ModelSummary[]>;
  /**
   * Points `alias` at `version` (RegistryNotFoundError for an unknown model/version). The `champion` alias moves only
   * with `recordDeployment` (RegistryConflictError here), so it always agrees with the deployment history.
   */
  setAlias(model: string, alias: string, version: number): Promise<void>;
  /**
   * Sets (upserts) tags of a version, e.g. `reproduced` (see `mlops reproduce`); RegistryNotFoundError for an
   * unknown version. Idempotent.
   */
  setTags(model: string, version: number, tags: Record<string, string>): Promise<void>;
  /** Tags of a version (empty for a version without tags). */
  getTags(model: string, version: number): Promise<Record<string, string>>;

  /**
   * Makes `version` the deployed one (moves the `champion` alias and appends to deployment history) in one
   * transaction. Idempotent on `runId` (the same `runId` for another model/version: RegistryConflictError); an
   * unknown model/version: RegistryNotFoundError.
   */
  recordDeployment(input: { model: string; version: number; runId: string }): Promise<Deployment>;
  /** The currently deployed version of every model (what serving replicas load). */
  listDeployed(): Promise<DeployedModel[]>;
  getDeployed(model: string): Promise<DeployedModel | null>;
  /** Which version served `model` at `at` (ISO time): the deployment with deployedAt <= at < replacedAt. */
  deploymentAt(model: string, at: string): Promise<Deployment | null>;
  listDeployments(model: string): Promise<Deployment[]>;

  /** Pipeline run metadata (per-step timings). Idempotent on (runId, stage). */
  recordPipelineRun(input: { runId: string; model: string; trigger: string; specHash: string }): Promise<void>;
  recordStage(stage: StageRecord): Promise<void>;
  finishPipelineRun(input: {
    runId: string;
    outcome: string;
    version: number | null;
    error: string | null;
  }): Promise<void>;

  /**
   * Serving: batched prediction log (idempotent on predictionId) and ground-truth feedback (a later label for the same
   * predictionId replaces the earlier one; feedback may arrive before its prediction is logged).
   */
  logPredictions(entries: PredictionLogEntry[]): Promise<void>;
  recordFeedback(entries: FeedbackEntry[]): Promise<void>;
  /** Logged predictions of a model in [from, to), ordered by createdAt then predictionId. */
  readPredictions(model: string, from: string, to: string, limit?: number): Promise<PredictionLogEntry[]>;
  /** Predictions in [from, to) that have feedback. */
  readLabelledPredictions(model: string, from: string, to: string, limit?: number): Promise<LabelledPrediction[]>;
  /**
   * The monitor's window in one read: predictions in [from, to) (of `version` when given, filtered before `limit`),
   * ordered by createdAt then predictionId, each with its feedback label or null.
   */
  readWindowPredictions(
    model: string,
    from: string,
    to: string,
    options?: { version?: number | null; limit?: number | null },
  ): Promise<WindowPrediction[]>;

  /**
   * Serving: predict requests per model version and HTTP status (one-second buckets, batched by each replica;
   * idempotent on `batchId`), and their sums per version over buckets in [from, to) for the monitor's error rate.
   */
  logRequestCounts(batchId: string, entries: RequestCountEntry[]): Promise<void>;
  readRequestCounts(model: string, from: string, to: string): Promise<VersionRequestCounts[]>;

  /** Serving replicas report what they have loaded; deploy waits on these. */
  reportReplica(status: ReplicaStatus): Promise<void>;
  /** Replicas serving `model` whose reported `heartbeatAt` is within `freshWithinMs` of the database's clock. */
  listReplicas(model: string, freshWithinMs: number): Promise<ReplicaStatus[]>;

  /**
   * Records the approval decision of a pipeline run. Idempotent on `runId`: the first decision stands; a later call
   * only fills in a version that was null. `decidedBy` must not be empty.
   */
  recordApproval(input: Omit<ApprovalRecord, 'recordedAt'>): Promise<void>;
  /** The approval decision of a pipeline run, or null. */
  getApproval(runId: string): Promise<ApprovalRecord | null>;
  /** Approval decisions of a model, oldest first. */
  listApprovals(model: string): Promise<ApprovalRecord[]>;

  /** Monitoring and controller records. */
  recordMonitorReport(input: {
    model: string;
    version: number;
    windowStart: string;
    windowEnd: string;
    status: string;
    report: unknown;
  }): Promise<void>;
  /** Idempotent on `(model, key)`. */
  recordRetrainDecision(input: {
    model: string;
    /** The decision's identity, the same on every retry (decision, pipeline, trigger kind, when it was made). */
    key: string;
    trigger: string;
    decision: string;
    pipelineId: string | null;
    details: unknown;
  }): Promise<void>;
}
