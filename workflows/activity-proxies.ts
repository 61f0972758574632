import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { CPU_TASK_QUEUE } from '../contracts/task-queues.js';

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
];

/** Short stages: data validation, evaluation, registry writes. */
export const quick = proxyActivities<Activities>({
  taskQueue: CPU_TASK_QUEUE,
  startToCloseTimeout: '10m',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Registry writes: retried patiently so a database outage delays the pipeline instead of failing it. */
export const durable = proxyActivities<Activities>({
  taskQueue: CPU_TASK_QUEUE,
  startToCloseTimeout: '2m',
  scheduleToCloseTimeout: '30m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s', nonRetryableErrorTypes: NON_RETRYABLE },
});

/**
 * Training: long, heartbeating (a crashed worker is noticed within the heartbeat timeout and the retry resumes
 * from the last checkpoint). The task queue is chosen per call (CPU or GPU).
 */
export const training = proxyActivities<Activities>({
  taskQueue: CPU_TASK_QUEUE,
  startToCloseTimeout: '4h',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes: NON_RETRYABLE },
});

/** Deployment: waits for serving replicas, so it heartbeats while it waits. */
export const deploying = proxyActivities<Activities>({
  taskQueue: CPU_TASK_QUEUE,
  startToCloseTimeout: '15m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', backoffCoefficient: 2, maximumInterval: '30s', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
});
