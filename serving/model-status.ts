import type { LoadedModel } from './loaded-model.js';

/** What `ModelManager.acquire` / `ModelManager.lookup` found for a model name. */
export type AcquireResult =
  | { status: 'ok'; model: LoadedModel }
  | { status: 'not_ready' }
  | { status: 'unknown' }
  | { status: 'not_loaded'; deployedVersion: number; error: string | null };

/** Status of one deployed model on this replica. */
export interface ModelStatus {
  model: string;
  deployedVersion: number;
  loadedVersion: number | null;
  loadedAt: string | null;
  /** Last load error of the deployed version (while an older version, or nothing, serves). */
  error: string | null;
}

/** Readiness of the replica: the first poll succeeded and every deployed model has a version loaded. */
export interface Readiness {
  ready: boolean;
  polled: boolean;
  lastPollError: string | null;
  models: ModelStatus[];
  missing: ModelStatus[];
}
