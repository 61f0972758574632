import type { PromotionCheck } from '../lib/eval/compare.js';
import type { TuningLineage, TuningTrialLineage } from '../lib/registry/types.js';
import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';
import type { HyperparameterValue } from '../lib/train/tuning-sampler.js';

/** Why a pipeline run was started. */
export type TriggerKind = 'initial' | 'manual' | 'new_data' | 'drift' | 'performance' | 'schedule';

/** A retraining trigger with its evidence. JSON-shaped. */
export interface Trigger {
  kind: TriggerKind;
  /** Human explanation, e.g. "3 of 7 features drifted (PSI > 0.2)". */
  reason: string;
  /** ISO time the trigger was raised. */
  at: string;
  /** Dataset to train on instead of the spec's (new_data). */
  datasetUri?: string;
  /** Compact evidence (drift scores, metrics). */
  evidence?: Record<string, unknown>;
}

/** Input of the `trainingPipeline` workflow. */
export interface TrainingPipelineInput {
  spec: PipelineSpec;
  trigger: Trigger;
}

export type PipelineStage =
  'validating' | 'training' | 'evaluating' | 'infra_validating' | 'awaiting_approval' | 'registering' | 'deploying';
export type PipelineOutcome = 'deployed' | 'rejected' | 'invalid_data' | 'failed';

/** Timing of one completed stage (for the run's result and the registry's metadata store). */
export interface StageTiming {
  stage: PipelineStage;
  startedAt: string;
  finishedAt: string;
  detail: string;
}

/** Result of the `trainingPipeline` workflow. */
export interface TrainingPipelineResult {
  model: string;
  outcome: PipelineOutcome;
  version: number | null;
  championBefore: number | null;
  metrics: Record<string, number>;
  reasons: string[];
  stages: StageTiming[];
}

/** A dataset version: the content hash of its bytes plus row count and schema fingerprint. */
export interface DatasetVersionRef {
  uri: string;
  sha256: string;
  rows: number;
  schemaFingerprint: string;
}

export interface ValidateDataInput {
  spec: PipelineSpec;
  runId: string;
  /** Overrides the spec's dataset URI (new-data trigger). */
  datasetUri?: string;
}

export interface ValidateDataResult {
  dataset: DatasetVersionRef;
  passed: boolean;
  errors: number;
  warnings: number;
  summary: string;
  /** The most severe problems, human-readable. */
  topProblems: string[];
  reportUri: string;
  /** Snapshots of the seeded split and the training profile, in the artifact store. */
  trainUri: string;
  holdoutUri: string;
  profileUri: string;
  trainRows: number;
  holdoutRows: number;
}

export interface TrainModelInput {
  spec: PipelineSpec;
  runId: string;
  trainUri: string;
  /** Which queue the activity was sent to; lets the result tell where it ran. */
  requestedDevice: 'cpu' | 'gpu';
  /**
   * A hyperparameter-search trial (`tuning`): its hyperparameters replace the spec's, and its artifacts live under
   * `models/<model>/runs/<runId>/trial-<number>/`. Absent for an ordinary training run.
   */
  trial?: TrialInput;
}

/** Which trial of a tuning run a training activity is. */
export interface TrialInput {
  /** 1-based trial number. */
  number: number;
  /** Trials of the run. */
  of: number;
  /** The sampled hyperparameters (only those of `tuning.space`). */
  params: Record<string, HyperparameterValue>;
}

/** One trial of a hyperparameter search, as recorded in `tuning.json` (the lineage keeps all but the URI and metrics). */
export interface TuningTrialResult extends TuningTrialLineage {
  params: Record<string, HyperparameterValue>;
  modelUri: string | null;
  /** Training and validation metrics of the trial (empty when failed). */
  metrics: Record<string, number>;
}

/** A finished hyperparameter search: its settings, every trial and the winner. JSON-shaped. */
export interface TuningSummary extends Omit<TuningLineage, 'artifactUri' | 'trials'> {
  trials: TuningTrialResult[];
}

export interface TrainModelResult {
  modelUri: string;
  modelSha256: string;
  metrics: Record<string, number>;
  epochs: number;
  resumedFromEpoch: number;
  device: 'cpu' | 'gpu';
  worker: string;
  durationMs: number;
}

export interface EvaluateModelInput {
  spec: PipelineSpec;
  runId: string;
  modelUri: string;
  modelSha256: string;
  holdoutUri: string;
}

export interface EvaluateModelResult {
  metrics: Record<string, number>;
  champion: { version: number; metrics: Record<string, number> } | null;
  promote: boolean;
  reasons: string[];
  decisionUri: string;
  /**
   * The decision's checks (floor, absolute and relative improvement, and the slice checks that failed), each with
   * observed value, threshold and outcome. Every check, the slice metrics and per-class metrics are in the artifact
   * at `decisionUri`. Absent in results recorded before it existed.
   */
  checks?: PromotionCheck[];
}

export interface RegisterModelInput {
  spec: PipelineSpec;
  runId: string;
  trigger: Trigger;
  train: TrainModelResult;
  data: ValidateDataResult;
  evaluation: EvaluateModelResult;
  /** The approval decision, when the spec requires one; recorded in the version's lineage (approver). */
  approval?: ApprovalDecision;
  /** The hyperparameter search that chose `train` (spec `tuning`); recorded in the lineage and `tuning.json`. */
  tuning?: TuningSummary;
}

/** A human's (or the timeout's) decision on a candidate that passed the evaluation gate (`deployment.approval`). */
export interface ApprovalDecision {
  decision: 'approved' | 'rejected';
  /** Who decided (`mlops approve --by`), or `timeout` when nobody did in time. */
  by: string;
  reason: string;
  /** ISO time of the decision (workflow time). */
  decidedAt: string;
  /** True when the spec's `onTimeout` decided. */
  timedOut: boolean;
}

export interface RegisterModelResult {
  version: number;
  created: boolean;
}

export interface InfraValidateModelInput {
  spec: PipelineSpec;
  runId: string;
  modelUri: string;
  modelSha256: string;
  /** Holdout snapshot the sample requests are built from. */
  holdoutUri: string;
  /** Number of sample predict requests (one holdout row each). */
  requests: number;
  /** Longest the whole check may take, in milliseconds. */
  timeoutMs: number;
}

export interface InfraValidateModelResult {
  /** Requests answered 200 with a well-formed prediction (all of them, or the activity fails). */
  requests: number;
  /** Milliseconds from spawning the serving process until it was ready. */
  readyMs: number;
  /** Milliseconds the whole check took. */
  durationMs: number;
}

export interface RecordApprovalInput {
  runId: string;
  model: string;
  version: number | null;
  approval: ApprovalDecision;
}

export interface DeployModelInput {
  model: string;
  version: number;
  runId: string;
  /** Milliseconds to wait for serving replicas to report the version loaded. */
  readyTimeoutMs: number;
}

export interface DeployModelResult {
  version: number;
  replicas: string[];
}

export interface RecordRunInput {
  runId: string;
  model: string;
  trigger: Trigger;
  spec: PipelineSpec;
  stages: StageTiming[];
  outcome: PipelineOutcome | 'running';
  version: number | null;
  error: string | null;
}
