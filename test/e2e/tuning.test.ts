/**
 * Hyperparameter search (`tuning`) end to end on real servers (the shared Temporal dev server, a fresh PostgreSQL
 * registry database, file artifacts, the CPU worker with the real workflows and activities, serving over HTTP):
 *  - a grid of 4 MLP trials, `maxParallel: 2`, one of them diverging (learning rate 10): the workflow history shows
 *    at most 2 trial activities in flight, each with its `Trial n/4: ...` summary; the diverged trial is recorded as
 *    failed and skipped; the registered model is the best trial by validation log loss; the registry lineage and
 *    `tuning.json` list every trial; `mlops models show` prints them; the history replays against today's code;
 *    `reproduceModel` retrains the version with the winning trial's hyperparameters to the same bytes;
 *  - every trial failing fails the run non-retryably (`TuningFailed`) with each trial's error.
 * With RECORD_TUNING_HISTORY=1 the tuned run's history is written to test/fixtures/histories-tuning/ (for
 * test/workflows/replay-tuning.test.ts).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure, WorkflowFailedError, defaultPayloadConverter } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tuningLines } from '../../client/commands/tuning-lines.js';
import type { TrainingPipelineResult, TuningSummary } from '../../contracts/payloads.js';
import { reproduceWorkflowId } from '../../contracts/workflow-ids.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { parseSpec } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { WORKFLOWS_PATH } from '../../workers/create-workers.js';
import type { reproduceModel } from '../../workflows/reproduce-model.js';
import { startE2eStack, type E2eStack } from './e2e-stack.js';
import { trainActivities } from './tuning-history.js';
import { CHURN_FEATURES } from './toy-data.js';

let dir: string;
let stack: E2eStack;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-tuning-'));
  const [started] = await Promise.all([
    startE2eStack(dir, 'tuning'),
    writeChurnDataset(path.join(dir, 'churn.csv'), { rows: 2000, seed: 11 }),
  ]);
  stack = started;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

/** A tuned MLP spec for the churn data, through the YAML parser (as `mlops run` reads one). */
function tunedSpec(model: string, learningRates: number[]): PipelineSpec {
  const raw = {
    apiVersion: 'mlops/v1',
    model,
    dataset: { uri: `file://${path.join(dir, 'churn.csv')}`, format: 'csv' },
    features: CHURN_FEATURES,
    label: { name: 'churned', task: 'binary', positive: '1' },
    validation: { minRows: 200 },
    split: { holdoutFraction: 0.2, seed: 7, validation: 0.25 },
    trainer: {
      algorithm: 'mlp',
      resources: 'cpu',
      hyperparameters: { epochs: 8, batchSize: 64, l2: 0.0001, hiddenLayers: [128, 128], patience: 3 },
    },
    evaluation: { primaryMetric: 'roc_auc', minimum: 0.55 },
    deployment: { readyTimeout: '30s', infraValidation: { enabled: false } },
    monitoring: { window: '1m', minSamples: 20 },
    tuning: {
      search: 'grid',
      maxParallel: 2,
      metric: 'log_loss',
      space: { learningRate: { values: learningRates } },
    },
  };
  return parseSpec(stringify(raw), `${model}.yaml`);
}

function start(spec: PipelineSpec, workflowId: string): Promise<TrainingPipelineResult> {
  return stack.deps.temporal.workflow.execute('trainingPipeline', {
    workflowId,
    taskQueue: stack.taskQueue,
    args: [{ spec, trigger: { kind: 'manual', reason: 'tuning test', at: new Date().toISOString() } }],
  }) as Promise<TrainingPipelineResult>;
}

describe('hyperparameter tuning', () => {
  it(
    'runs 4 trials, at most 2 at once, and registers the best one with every trial in its lineage',
    {
      timeout: 240_000,
    },
    async () => {
      const spec = tunedSpec('churn-tuned', [0.01, 0.05, 10, 0.2]);
      const workflowId = `tuning-churn-${Date.now()}`;
      const result = await start(spec, workflowId);
      expect(result.outcome, JSON.stringify(result)).toBe('deployed');
      const training = result.stages.find((s) => s.stage === 'training');
      expect(training?.detail).toMatch(/best of 4 trials: trial \d \(validation_log_loss [\d.]+\), 1 failed/);

      // The workflow history: 4 trial activities with their summaries, never more than 2 in flight.
      const history = await stack.deps.temporal.workflow.getHandle(workflowId).fetchHistory();
      const trials = trainActivities(history, (p) => defaultPayloadConverter.fromPayload(p));
      expect(trials).toHaveLength(4);
      expect(trials.map((t) => t.summary)).toEqual([
        expect.stringMatching(/^Trial 1\/4: learningRate=0\.01 \(mlp on CPU, queue /),
        expect.stringMatching(/^Trial 2\/4: learningRate=0\.05 /),
        expect.stringMatching(/^Trial 3\/4: learningRate=10 /),
        expect.stringMatching(/^Trial 4\/4: learningRate=0\.2 /),
      ]);
      let inFlight = 0;
      let most = 0;
      for (const e of trials
        .flatMap((t) => [
          { id: t.scheduledEventId, d: 1 },
          { id: t.closedEventId, d: -1 },
        ])
        .sort((a, b) => a.id - b.id)) {
        inFlight += e.d;
        most = Math.max(most, inFlight);
      }
      expect(most).toBe(2);
      // Also by wall time: started..closed intervals of the attempts overlap at most pairwise.
      for (const t of trials) {
        const overlapping = trials.filter((o) => o.startedAt < t.closedAt && t.startedAt < o.closedAt);
        expect(overlapping.length).toBeLessThanOrEqual(2);
      }
      expect(trials.map((t) => t.outcome)).toEqual(['completed', 'completed', 'failed', 'completed']);

      // The registry: the best trial's model, every trial in the lineage, the full record as tuning.json.
      const version = await stack.deps.registry.getVersion(spec.model, result.version!);
      const tuning = version!.lineage.tuning!;
      expect(tuning).toMatchObject({ metric: 'log_loss', direction: 'minimize', search: 'grid', maxParallel: 2 });
      expect(tuning.trials.map((t) => [t.number, t.status, t.params['learningRate']])).toEqual([
        [1, 'succeeded', 0.01],
        [2, 'succeeded', 0.05],
        [3, 'failed', 10],
        [4, 'succeeded', 0.2],
      ]);
      expect(tuning.trials[2]!.error).toMatch(/^TrainingDivergedError: training diverged/);
      const succeeded = tuning.trials.filter((t) => t.status === 'succeeded');
      const bestValue = Math.min(...succeeded.map((t) => t.value!));
      const best = succeeded.find((t) => t.value === bestValue)!;
      expect(tuning.bestTrial).toBe(best.number);
      expect(version!.artifactSha256).toBe(best.modelSha256);
      expect(version!.artifactUri).toContain(`/runs/${workflowId}/trial-${best.number}/model.onnx`);
      expect(version!.lineage.hyperparameters['learningRate']).toBe(best.params['learningRate']);
      const record = JSON.parse(
        new TextDecoder().decode(await stack.deps.artifacts.get(tuning.artifactUri)),
      ) as TuningSummary;
      expect(record.trials).toHaveLength(4);
      expect(record.trials[best.number - 1]!.metrics['validation_roc_auc']).toBeGreaterThan(0.5);
      const lines = tuningLines(tuning);
      expect(lines).toHaveLength(5);
      expect(lines.find((l) => l.includes(`* trial ${best.number}`))).toMatch(/succeeded {2}validation_log_loss=/);

      // Replays against today's workflow code (the tuning branch is behind patched('hyperparameter-tuning')).
      await Worker.runReplayHistory({ workflowsPath: WORKFLOWS_PATH, replayName: 'replay-tuned' }, history, workflowId);

      // `mlops reproduce` of the tuned version retrains with the winning trial's hyperparameters: same bytes.
      const reproduced = await stack.deps.temporal.workflow.execute<typeof reproduceModel>('reproduceModel', {
        workflowId: reproduceWorkflowId(spec.model, result.version!, Date.now()),
        taskQueue: stack.taskQueue,
        args: [{ model: spec.model, version: result.version!, requestedBy: 'tuning test' }],
      });
      expect(reproduced).toMatchObject({ match: true, expectedSha256: best.modelSha256 });
      if (process.env['RECORD_TUNING_HISTORY'] === '1') {
        const out = fileURLToPath(new URL('../fixtures/histories-tuning/', import.meta.url));
        await mkdir(out, { recursive: true });
        await writeFile(path.join(out, 'trainingPipeline-tuned.json'), `${historyToJSON(history)}\n`);
        await writeFile(path.join(out, 'manifest.json'), `${JSON.stringify({ workflowId }, null, 2)}\n`);
      }
    },
  );

  it('fails non-retryably when every trial fails', { timeout: 120_000 }, async () => {
    const spec = tunedSpec('churn-diverges', [5, 10]);
    const err = await start(spec, `tuning-diverges-${Date.now()}`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('TuningFailed');
    expect((cause as ApplicationFailure).nonRetryable).toBe(true);
    expect(cause!.message).toMatch(/all 2 tuning trial\(s\) failed: trial 1: TrainingDivergedError: .*; trial 2:/);
  });
});
