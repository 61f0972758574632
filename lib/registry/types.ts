/** JSON-shaped records of the model registry (PostgreSQL). Timestamps are ISO-8601 strings. */

/** Lineage of a model version: what it was made from. */
export interface Lineage {
  datasetUri: string;
  datasetSha256: string;
  datasetRows: number;
  schemaFingerprint: string;
  /** Artifact URI of the training data profile (reference for drift). */
  profileUri: string;
  /** sha256 of the canonical JSON of the pipeline spec. */
  specHash: string;
  /** Code version (git commit or package version) of the producing workers. */
  codeVersion: string;
  trainer: string;
  hyperparameters: Record<string, number | string | boolean>;
  /** Version that was champion when this one was trained, if any. */
  parentVersion: number | null;
  /** The approval decision when the spec required one (`deployment.approval`): who approved or rejected, and why. */
  approval?: { decision: 'approved' | 'rejected'; by: string; reason: string; decidedAt: string; timedOut: boolean };
  /** The hyperparameter search that chose this model (spec `tuning`): every trial and the winner. */
  tuning?: TuningLineage;
  /**
   * Where it was trained: the device the spec asked for, the one the worker declared, and the worker's identity
   * (`gpu-worker@<pid>(cpu-dev-mode)` for a GPU worker serving its queue on CPU). Absent in older versions.
   */
  training?: { requested: 'cpu' | 'gpu'; device: 'cpu' | 'gpu'; worker: string };
}

/** One trial of a hyperparameter search in a version's lineage. */
export interface TuningTrialLineage {
  number: number;
  /** The trial's sampled hyperparameters (`hiddenLayers` as a list). */
  params: Record<string, number | string | boolean | number[]>;
  status: 'succeeded' | 'failed';
  /** The validation metric (`metric`) of the trial; null when it failed. */
  value: number | null;
  /** sha256 of the trial's ONNX model; null when it failed. */
  modelSha256: string | null;
  error: string | null;
}

/** A hyperparameter search recorded with the version it produced (`lineage.tuning`). */
export interface TuningLineage {
  /** Validation metric optimised, e.g. `log_loss` (recorded per trial as `validation_<metric>`). */
  metric: string;
  direction: 'minimize' | 'maximize';
  search: 'random' | 'grid';
  seed: number;
  maxParallel: number;
  bestTrial: number;
  /** The full record (every trial's metrics and model URI) in the artifact store. */
  artifactUri: string;
  trials: TuningTrialLineage[];
}

/** What `registerVersion` needs. Registration is idempotent on `runId`. */
export interface NewModelVersion {
  model: string;
  /** Workflow ID of the producing pipeline run: the idempotency key. */
  runId: string;
  artifactUri: string;
  artifactSha256: string;
  /** Holdout metrics of this version. */
  metrics: Record<string, number>;
  lineage: Lineage;
  /** The validated pipeline spec (JSON) the version was trained from. */
  spec: unknown;
  /** Evaluation decision and its evidence. */
  decision: unknown;
  trigger: string;
}

export interface ModelVersion extends NewModelVersion {
  version: number;
  createdAt: string;
  aliases: string[];
}

export interface ModelSummary {
  model: string;
  latestVersion: number;
  championVersion: number | null;
  versions: number;
  updatedAt: string;
}

export interface Deployment {
  id: number;
  model: string;
  version: number;
  runId: string;
  deployedAt: string;
  /** When a later deployment replaced it (null while current). */
  replacedAt: string | null;
}

/** Where a model currently is served from: read by serving replicas. */
export interface DeployedModel {
  model: string;
  version: number;
  artifactUri: string;
  artifactSha256: string;
  /** Feature schema (from the spec) the replica validates requests against. */
  features: unknown;
  label: unknown;
  profileUri: string;
  deployedAt: string;
}

/** One logged prediction (serving writes these in batches; monitoring reads them). */
export interface PredictionLogEntry {
  /** Request-unique id clients may use to send the ground-truth label later. */
  predictionId: string;
  model: string;
  version: number;
  features: Record<string, unknown>;
  /** Predicted label (class as string, or number for regression). */
  prediction: string | number;
  /** Score/probability of the positive class for binary tasks. */
  score: number | null;
  latencyMs: number;
  createdAt: string;
}

export interface FeedbackEntry {
  predictionId: string;
  model: string;
  label: string | number;
  createdAt: string;
}

/** A serving replica's report of what it has loaded. */
export interface ReplicaStatus {
  replicaId: string;
  url: string;
  model: string;
  version: number | null;
  loadedAt: string | null;
  heartbeatAt: string;
  error: string | null;
}

/** A human's (or the timeout's) decision on a pipeline run's candidate; one per run. */
export interface ApprovalRecord {
  /** Workflow ID of the pipeline run. */
  runId: string;
  model: string;
  /** Version the run registered (null when recorded before registration). */
  version: number | null;
  decision: 'approved' | 'rejected';
  /** True when nobody decided in time and the spec's `onTimeout` applied. */
  timedOut: boolean;
  /** Who decided (`timeout` for a timed-out approval). */
  by: string;
  reason: string;
  decidedAt: string;
  recordedAt: string;
}
