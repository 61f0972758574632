/**
 * Test-only workflows for the negative replay check (replay.test.ts): a `trainingPipeline` that calls the same
 * activities as the real one but validates before it records the run, i.e. a code change that is not
 * replay-safe. Replaying a history recorded with the real pipeline must fail with a DeterminismViolationError.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import type { TrainingPipelineInput } from '../../contracts/payloads.js';

const { recordPipelineRun, validateData } = proxyActivities<Activities>({ startToCloseTimeout: '1m' });

export async function trainingPipeline(input: TrainingPipelineInput): Promise<void> {
  const { spec, trigger } = input;
  const runId = workflowInfo().workflowId;
  // The real pipeline records the run ('running') first, then validates: swapped here.
  await validateData({ spec, runId });
  await recordPipelineRun({
    runId,
    model: spec.model,
    trigger,
    spec,
    stages: [],
    outcome: 'running',
    version: null,
    error: null,
  });
}
