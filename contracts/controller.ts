import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';
import type { PipelineOutcome, Trigger } from './payloads.js';
import type { ModelMonitorState } from './monitoring.js';

/** Input of the per-model `retrainingController` workflow (also its continue-as-new state). */
export interface RetrainingControllerInput {
  spec: PipelineSpec;
  /** Carried across continue-as-new. */
  state?: RetrainingControllerState;
}

/** One decision of the controller, kept (bounded) in its state and recorded in the registry. */
export interface ControllerDecision {
  at: string;
  trigger: Trigger;
  decision: 'started' | 'coalesced' | 'deferred' | 'completed' | 'failed';
  pipelineId: string | null;
  outcome?: PipelineOutcome;
  version?: number | null;
  detail: string;
}

export interface RetrainingControllerState {
  /** Triggers waiting for the next run (coalesced into one). */
  pending: Trigger[];
  current: { pipelineId: string; trigger: Trigger; startedAt: string } | null;
  deployedVersion: number | null;
  runsStarted: number;
  recent: ControllerDecision[];
  /** When the last run ended (ISO); automatic triggers wait out the spec's `retraining.cooldown` after it. */
  lastFinishedAt?: string | null;
}

/** Answer of the `status` query. */
export interface ControllerStatus extends RetrainingControllerState {
  model: string;
  phase: 'idle' | 'training';
}

/** Argument of the `retrainNow` update. */
export interface RetrainNowRequest {
  reason: string;
  kind?: Trigger['kind'];
  /** A new spec to use from now on (e.g. `mlops run <spec>`). */
  spec?: PipelineSpec;
  datasetUri?: string;
}

/** Result of the `retrainNow` update: the pipeline that will carry the request. */
export interface RetrainNowResult {
  /** The pipeline started for this request; null when it was queued behind a running one. */
  pipelineId: string | null;
  /** `started`: a new run carries it; `queued`: it will be part of the single follow-up of `runningPipelineId`. */
  disposition: 'started' | 'queued';
  runningPipelineId: string | null;
}

/** Input of the `modelMonitor` workflow. */
export interface ModelMonitorInput {
  model: string;
  spec: PipelineSpec;
  controllerWorkflowId: string;
  /** Stop (complete) after this many windows in total; unset = watch until cancelled. */
  stopAfterWindows?: number;
  /** Windows per run before continue-as-new (default 100). */
  windowsPerRun?: number;
  state?: ModelMonitorState;
}

/** Input of the `scheduledRetrain` workflow a Temporal Schedule starts. */
export interface ScheduledRetrainInput {
  model: string;
  spec: PipelineSpec;
}

/** Input of the `modelPromotion` workflow (`mlops models promote|rollback`). */
export interface ModelPromotionInput {
  model: string;
  version: number;
  action: 'promote' | 'rollback';
  reason: string;
  /** Who asked (the CLI records the OS user). */
  requestedBy: string;
  /** Version deployed before, for the record. */
  previousVersion: number | null;
  readyTimeoutMs: number;
}

export interface ModelPromotionResult {
  model: string;
  version: number;
  previousVersion: number | null;
  replicas: string[];
}
