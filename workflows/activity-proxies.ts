import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

/** Errors that retrying cannot fix (bad data, bad spec, corrupt model, unknown version). */
const NON_RETRYABLE = [
  'InvalidDataset',
  'DatasetError',
  'SpecValidationError',
  'ModelFormatError',
  'ArtifactNotFoundError',
  'ArtifactChecksumError',
  'RegistryNotFoundError',
  'TrainingError',
  'TrainingDataError',
  'TrainingDivergedError',
  'FeatureMismatchError',
  'NoGpuWorker',
];

// Activities run on the workflow's own task queue (`mlops-cpu` in production) unless a call says otherwise;
// only GPU training is routed elsewhere (see train-with-routing.ts).

/** Short stages: data validation, evaluation, registry writes. */
export const quick = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
});

/** Registry writes: retried patiently so a database outage delays the pipeline instead of failing it. */
export const durable = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '30m',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '20s',
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
});

/**
 * Training: long, heartbeating (a crashed worker is noticed within the heartbeat timeout and the retry resumes
 * from the last checkpoint). GPU training names its queue per call.
 */
export const training = proxyActivities<Activities>({
  startToCloseTimeout: '4h',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Deployment: waits for serving replicas, so it heartbeats while it waits. */
export const deploying = proxyActivities<Activities>({
  startToCloseTimeout: '15m',
  heartbeatTimeout: '30s',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    maximumAttempts: 5,
    nonRetryableErrorTypes: NON_RETRYABLE,
  },
});
