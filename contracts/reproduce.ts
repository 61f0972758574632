import type { Lineage } from '../lib/registry/types.js';
import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';

/** Input of the `reproduceModel` workflow (`mlops reproduce <model>@<version>`). */
export interface ReproduceModelInput {
  model: string;
  version: number;
  /** Who asked (the CLI records the OS user). */
  requestedBy?: string;
}

/** Result of the `reproduceModel` workflow: did retraining from the recorded lineage give the same ONNX bytes? */
export interface ReproduceModelResult {
  model: string;
  version: number;
  /** True when the retrained model's sha256 equals the registered artifact's. */
  match: boolean;
  /** sha256 of the registered artifact. */
  expectedSha256: string;
  /** sha256 of the model this run trained. */
  actualSha256: string;
  /** The dataset version both trainings used (checked before training). */
  datasetSha256: string;
  specHash: string;
  trainer: string;
  /** Where the reproduced model was written (under this run's own ID; the original artifact is untouched). */
  modelUri: string;
  /** Code version recorded in the lineage, and that of the worker that read it now (a mismatch may explain a miss). */
  recordedCodeVersion: string;
  currentCodeVersion: string;
  /** Wall time of the whole reproduction (workflow time). */
  durationMs: number;
}

/** Input of the `loadReproductionSource` activity. */
export interface LoadReproductionSourceInput {
  model: string;
  version: number;
}

/** What a reproduction needs from the registry: the stored spec, the lineage and the registered artifact. */
export interface ReproductionSource {
  model: string;
  version: number;
  /** Workflow ID of the pipeline run that produced the version. */
  runId: string;
  artifactUri: string;
  artifactSha256: string;
  /** The validated spec stored with the version (its hash equals `lineage.specHash`). */
  spec: PipelineSpec;
  lineage: Lineage;
  /** Code version of the worker that read it (for comparison with `lineage.codeVersion`). */
  codeVersion: string;
}

/** Input of the `verifyDatasetVersion` activity. */
export interface VerifyDatasetVersionInput {
  uri: string;
  /** The dataset version (sha256 of the bytes) the model version was trained on. */
  expectedSha256: string;
}

/** Input of the `recordReproduction` activity. */
export interface RecordReproductionInput {
  model: string;
  version: number;
  /** ISO time of the outcome (workflow time). */
  at: string;
  match: boolean;
}

/** Registry tag on a model version holding the latest reproduction outcome: `<ISO time>:match|mismatch`. */
export const REPRODUCED_TAG = 'reproduced';

/** Failure type of a reproduction whose dataset has changed since the version was trained (non-retryable). */
export const DATASET_CHANGED = 'DatasetChanged';
