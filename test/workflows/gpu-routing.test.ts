/**
 * GPU routing on the real stack with no GPU worker polling `mlops-gpu`: training waits the spec's
 * schedule-to-start timeout, then falls back to CPU (visibly) or fails with a message naming the missing worker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../../client/dev-stack.js';
import type { TrainingPipelineResult } from '../../contracts/payloads.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';

let stack: DevStack;
let dir: string;
let spec: PipelineSpec;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-gpu-routing-'));
  stack = await startDevStack({ stateDir: dir, gpuWorker: false, log: () => {} });
  const csv = path.join(dir, 'churn.csv');
  await writeChurnDataset(csv, { rows: 2000, seed: 7 });
  const base = await loadSpecFile('examples/churn/pipeline.yaml');
  spec = {
    ...base,
    dataset: { ...base.dataset, uri: `file://${csv}` },
    trainer: {
      ...base.trainer,
      resources: 'gpu',
      gpuScheduleToStartTimeout: '3s',
      hyperparameters: { ...base.trainer.hyperparameters, epochs: 5 },
    },
  };
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function runPipeline(workflowId: string, s: PipelineSpec) {
  const client = stack.runtime.deps.temporal;
  const handle = await client.workflow.start('trainingPipeline', {
    workflowId,
    taskQueue: 'mlops-cpu',
    args: [{ spec: s, trigger: { kind: 'manual', reason: 'gpu routing test', at: new Date().toISOString() } }],
  });
  return { handle, result: handle.result() as Promise<TrainingPipelineResult> };
}

describe('GPU routing without a GPU worker', () => {
  it('falls back to CPU after the schedule-to-start timeout and says so', { timeout: 180_000 }, async () => {
    const { handle, result } = await runPipeline(`gpu-fallback-${Date.now()}`, spec);
    const outcome = await result;
    expect(outcome.outcome).toBe('deployed');
    const training = outcome.stages.find((s) => s.stage === 'training');
    expect(training?.detail).toMatch(/on cpu/);

    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainModel',
    );
    expect(scheduled.map((e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name)).toEqual([
      'mlops-gpu',
      'mlops-cpu',
    ]);
    const timedOut = (history.events ?? []).filter((e) => e.activityTaskTimedOutEventAttributes);
    expect(timedOut).toHaveLength(1);

    const version = await stack.runtime.deps.registry.getVersion('churn', outcome.version!);
    expect(version?.lineage.hyperparameters['device']).toBe('cpu');
  });

  it('fails with a clear, non-retryable message when the spec forbids the fallback', { timeout: 180_000 }, async () => {
    const strict: PipelineSpec = { ...spec, trainer: { ...spec.trainer, gpuFallback: 'fail' } };
    const { result } = await runPipeline(`gpu-strict-${Date.now()}`, strict);
    const err = await result.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause?.message).toMatch(/no GPU worker is polling task queue "mlops-gpu".*within 3s.*gpuFallback is "fail"/);
  });
});
