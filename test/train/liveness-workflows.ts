/**
 * Workflows bundled for test/train/training-liveness.test.ts: the real `trainModel` activity, proxied with the
 * production retry policy's shape but a heartbeat timeout (and attempt cap) the test chooses, so that "silent
 * longer than the heartbeat timeout" takes seconds instead of minutes.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { TrainModelInput, TrainModelResult } from '../../contracts/payloads.js';

/** Input of {@link trainOnce}. */
export interface TrainOnceInput {
  train: TrainModelInput;
  /** The activity's heartbeat timeout, e.g. `2s` (production: 30s). */
  heartbeatTimeout: string;
  /** Attempts before the workflow gives up (production: unlimited); keeps a failing test finite. */
  maximumAttempts: number;
}

/** Runs `trainModel` once (with retries as configured) and returns its result. */
export async function trainOnce(input: TrainOnceInput): Promise<TrainModelResult> {
  const { trainModel } = proxyActivities<Pick<Activities, 'trainModel'>>({
    startToCloseTimeout: '5m',
    heartbeatTimeout: input.heartbeatTimeout,
    retry: { initialInterval: '500ms', backoffCoefficient: 1, maximumAttempts: input.maximumAttempts },
  });
  return await trainModel(input.train);
}
