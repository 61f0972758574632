import { ActivityFailure, ApplicationFailure, TimeoutFailure, log, workflowInfo } from '@temporalio/workflow';
import type { TrainModelInput, TrainModelResult } from '../contracts/payloads.js';
import { GPU_TASK_QUEUE } from '../contracts/task-queues.js';
import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';
import { training } from './activity-proxies.js';

function isScheduleToStartTimeout(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof TimeoutFailure &&
    err.cause.timeoutType === 'SCHEDULE_TO_START'
  );
}

/**
 * Runs training on the queue the spec asks for. With `resources: gpu`, waits at most
 * `gpuScheduleToStartTimeout` for a GPU worker to pick the task up; then falls back to CPU or fails, as the spec says.
 * Every routing decision is written to the run's current details and log. `label` (a tuning trial's
 * `Trial 3/8: learningRate=0.03 ...`) leads the activity summary when given.
 */
export async function trainWithRouting(
  spec: PipelineSpec,
  input: Omit<TrainModelInput, 'requestedDevice'>,
  note: (line: string) => void,
  label?: string,
): Promise<TrainModelResult> {
  const { trainer } = spec;
  const summary = (plain: string, where: string): string =>
    label === undefined ? plain : `${label} (${trainer.algorithm} on ${where})`;
  if (trainer.resources === 'gpu') {
    note(`training: waiting up to ${trainer.gpuScheduleToStartTimeout} for a GPU worker on "${GPU_TASK_QUEUE}"`);
    try {
      return await training.trainModel.executeWithOptions(
        {
          taskQueue: GPU_TASK_QUEUE,
          scheduleToStartTimeout: trainer.gpuScheduleToStartTimeout,
          summary: summary(
            `Train ${trainer.algorithm} on GPU (queue ${GPU_TASK_QUEUE})`,
            `GPU, queue ${GPU_TASK_QUEUE}`,
          ),
        },
        [{ ...input, requestedDevice: 'gpu' }],
      );
    } catch (err) {
      if (!isScheduleToStartTimeout(err)) throw err;
      const waited = `no GPU worker is polling task queue "${GPU_TASK_QUEUE}": nothing picked up training within ${trainer.gpuScheduleToStartTimeout}`;
      if (trainer.gpuFallback === 'fail') {
        throw ApplicationFailure.nonRetryable(`${waited}, and trainer.gpuFallback is "fail"`, 'NoGpuWorker');
      }
      log.warn(`${waited}; falling back to CPU`);
      note(
        `training${label === undefined ? '' : ` (${label.split(':')[0]})`}: ${waited}; falling back to CPU (trainer.gpuFallback: cpu)`,
      );
    }
  }
  return await training.trainModel.executeWithOptions(
    {
      summary: summary(
        `Train ${trainer.algorithm} on CPU (queue ${workflowInfo().taskQueue})`,
        `CPU, queue ${workflowInfo().taskQueue}`,
      ),
    },
    [{ ...input, requestedDevice: 'cpu' }],
  );
}
