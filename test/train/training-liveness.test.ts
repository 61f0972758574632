/**
 * Liveness of the training activity on a real worker (the CPU worker's options) and the shared Temporal dev server,
 * through a test workflow that proxies `trainModel` with a 2 s heartbeat timeout (liveness-workflows.ts):
 *  - a `command` program silent for longer than the heartbeat timeout still finishes in one attempt (the activity
 *    heartbeats on a timer, not only on progress);
 *  - a hung program (hangTimeout) fails the workflow with a non-retryable TrainerTimeoutError after one attempt;
 *  - cancelling the workflow while a silent program runs kills its process group within seconds;
 *  - invalid hyperparameters fail at the activity boundary (SpecValidationError, not an endless loop);
 *  - a first attempt resumes from a checkpoint of its own run (the CPU fallback after a GPU attempt died).
 * The program is a small Node script written to a temp dir; it records each start, so retries are counted.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { bundleWorkflowCode } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityDeps } from '../../activities/deps.js';
import { trainingKeys } from '../../activities/train-model.js';
import type { TrainModelResult } from '../../contracts/payloads.js';
import { generateChurn, toCsv } from '../../lib/data/generate-churn.js';
import { readDataset } from '../../lib/data/read-dataset.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { logisticRegressionTrainer } from '../../lib/train/logistic-regression.js';
import type { TrainerCheckpoint } from '../../lib/train/trainer.js';
import { startE2eStack, type E2eStack } from '../e2e/e2e-stack.js';
import { builtInModel, waitGone } from './command-fixtures.js';
import type { TrainOnceInput } from './liveness-workflows.js';

/** The trainer program: records its start, stays silent `SILENT_MS`, then reports one epoch and copies a model. */
const PROGRAM = `
const fs = require('node:fs');
const path = require('node:path');
const cp = require('node:child_process');
const input = JSON.parse(fs.readFileSync(process.env.MLOPS_TRAINER_INPUT, 'utf8'));
const state = process.env.STATE_DIR;
fs.appendFileSync(path.join(state, 'starts'), process.pid + '\\n');
const helper = process.env.HELPER === '1' ? cp.spawn('sleep', ['1000'], { stdio: 'ignore' }).pid : null;
fs.writeFileSync(path.join(state, 'pids.json'), JSON.stringify({ self: process.pid, helper }));
process.stderr.write('importing a very slow library...\\n');
setTimeout(() => {
  console.log(JSON.stringify({ epoch: 1, epochs: 1, loss: 0.5 }));
  fs.copyFileSync(process.env.MODEL_SOURCE, input.output.model);
}, Number(process.env.SILENT_MS));
`;
const HEARTBEAT_TIMEOUT = '2s';

let dir: string;
let stack: E2eStack;
let client: Client;
let deps: ActivityDeps;
let taskQueue: string;
let baseSpec: PipelineSpec;
let trainUri: string;
let script: string;
let modelFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-training-liveness-'));
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./liveness-workflows.ts', import.meta.url)),
  });
  stack = await startE2eStack(dir, 'training_liveness', { workflowBundle, serving: false });
  ({ deps, taskQueue } = stack);
  client = deps.temporal;

  baseSpec = await loadSpecFile('examples/churn/pipeline.yaml');
  const csv = toCsv(generateChurn({ rows: 600, seed: 5 }));
  trainUri = (await deps.artifacts.put('datasets/liveness/train.csv', csv)).uri;
  const { table } = readDataset(new TextEncoder().encode(csv), {
    format: 'csv',
    features: baseSpec.features,
    labelName: baseSpec.label.name,
  });
  modelFile = path.join(dir, 'model.onnx');
  await writeFile(modelFile, await builtInModel(table, baseSpec.features));
  script = path.join(dir, 'trainer.cjs');
  await writeFile(script, PROGRAM);
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A spec training with the program; `stateDir` receives its start log and pids. */
function commandSpec(stateDir: string, opts: { silentMs: number; hangTimeout: string; helper?: boolean }) {
  const spec: PipelineSpec = {
    ...baseSpec,
    trainer: {
      ...baseSpec.trainer,
      algorithm: 'command',
      resources: 'cpu',
      command: {
        argv: [process.execPath, script],
        env: {
          STATE_DIR: stateDir,
          SILENT_MS: String(opts.silentMs),
          MODEL_SOURCE: modelFile,
          HELPER: opts.helper === true ? '1' : '0',
        },
        passEnv: [],
        timeout: '5m',
        hangTimeout: opts.hangTimeout,
        killGrace: '1s',
      },
    },
  };
  return spec;
}

async function start(name: string, spec: PipelineSpec): Promise<WorkflowHandle> {
  const workflowId = `${name}-${Date.now().toString(36)}`;
  const input: TrainOnceInput = {
    train: { spec, runId: workflowId, trainUri, requestedDevice: 'cpu' },
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    maximumAttempts: 3,
  };
  return client.workflow.start('trainOnce', { taskQueue, workflowId, args: [input] });
}

async function stateDir(name: string): Promise<string> {
  const at = path.join(dir, name);
  await mkdir(at, { recursive: true });
  return at;
}

/** How often the program was started. */
async function starts(at: string): Promise<number> {
  if (!existsSync(path.join(at, 'starts'))) return 0;
  return (await readFile(path.join(at, 'starts'), 'utf8')).trim().split('\n').length;
}

/** The attempt of the training activity's last ActivityTaskStarted event (written when that attempt ended). */
async function lastAttempt(handle: WorkflowHandle): Promise<number | null | undefined> {
  const history = await handle.fetchHistory();
  const started = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
  return started.at(-1)?.activityTaskStartedEventAttributes?.attempt;
}

async function failureOf(handle: WorkflowHandle): Promise<WorkflowFailedError> {
  const error = await handle.result().then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  return error as WorkflowFailedError;
}

describe('training activity liveness', () => {
  it(
    'a program silent for longer than the heartbeat timeout finishes in one attempt',
    { timeout: 90_000 },
    async () => {
      const at = await stateDir('silent');
      const handle = await start('liveness-silent', commandSpec(at, { silentMs: 7000, hangTimeout: '1m' }));
      const result = (await handle.result()) as TrainModelResult;
      expect(result.modelSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(result.durationMs).toBeGreaterThan(7000);
      expect(await starts(at)).toBe(1);
      expect(await lastAttempt(handle)).toBe(1);
      const history = await handle.fetchHistory();
      expect((history.events ?? []).filter((e) => e.activityTaskTimedOutEventAttributes)).toHaveLength(0);
    },
  );

  it(
    'a hung program fails the run after one attempt with a non-retryable TrainerTimeoutError',
    { timeout: 90_000 },
    async () => {
      const at = await stateDir('hang');
      const handle = await start('liveness-hang', commandSpec(at, { silentMs: 600_000, hangTimeout: '3s' }));
      const error = await failureOf(handle);
      expect(error.cause).toBeInstanceOf(ActivityFailure);
      const failure = error.cause?.cause;
      expect(failure).toBeInstanceOf(ApplicationFailure);
      const app = failure as ApplicationFailure;
      expect(app.type).toBe('TrainerTimeoutError');
      expect(app.nonRetryable).toBe(true);
      expect(app.message).toContain(`the trainer command ${JSON.stringify(process.execPath)}`);
      expect(app.message).toMatch(/printed no progress for 3000 ms \(hangTimeout 3s\) and was killed as hung/);
      expect(app.message).toMatch(/raise trainer\.command\.hangTimeout/);
      expect(app.message).toMatch(/--- last stderr ---\nimporting a very slow library\.\.\./);
      expect(await starts(at)).toBe(1);
      expect(await lastAttempt(handle)).toBe(1);
      const { self } = JSON.parse(await readFile(path.join(at, 'pids.json'), 'utf8')) as { self: number };
      expect(await waitGone(self, 3000)).toBe(true);
    },
  );

  it(
    'cancelling the workflow kills a silent program and its children within seconds',
    { timeout: 90_000 },
    async () => {
      const at = await stateDir('cancel');
      const spec = commandSpec(at, { silentMs: 600_000, hangTimeout: '2m', helper: true });
      const handle = await start('liveness-cancel', spec);
      const pidsFile = path.join(at, 'pids.json');
      const deadline = Date.now() + 30_000;
      while (!existsSync(pidsFile)) {
        if (Date.now() > deadline) throw new Error('the trainer program did not start within 30 s');
        await sleep(100);
      }
      // Silent for well over the heartbeat timeout: the attempt is still the first one (the timer kept it alive),
      // and the cancellation cannot ride on a start-up heartbeat.
      await sleep(5000);
      expect(await starts(at)).toBe(1);
      const { self, helper } = JSON.parse(await readFile(pidsFile, 'utf8')) as { self: number; helper: number };
      const cancelled = Date.now();
      await handle.cancel();
      expect(await waitGone(self, 6000)).toBe(true);
      expect(await waitGone(helper, 6000)).toBe(true);
      process.stderr.write(`[test] program gone ${Date.now() - cancelled} ms after the cancellation\n`);
      const error = await failureOf(handle);
      expect(error.cause).toBeInstanceOf(CancelledFailure);
      expect(await starts(at)).toBe(1);
    },
  );

  it('invalid hyperparameters fail at once with a SpecValidationError naming the field', async () => {
    const at = await stateDir('invalid');
    const valid = commandSpec(at, { silentMs: 0, hangTimeout: '1m' });
    const spec: PipelineSpec = {
      ...valid,
      trainer: { ...valid.trainer, hyperparameters: { ...valid.trainer.hyperparameters, batchSize: 0 } },
    };
    const error = await failureOf(await start('liveness-invalid', spec));
    const failure = error.cause?.cause as ApplicationFailure;
    expect(failure.type).toBe('SpecValidationError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/trainer\.hyperparameters\.batchSize: .*>=1/);
    expect(await starts(at)).toBe(0);
  });

  it(
    'a first attempt resumes from a checkpoint of its own run, and ignores one of other hyperparameters',
    { timeout: 90_000 },
    async () => {
      const spec: PipelineSpec = {
        ...baseSpec,
        trainer: {
          ...baseSpec.trainer,
          resources: 'cpu',
          hyperparameters: { ...baseSpec.trainer.hyperparameters, epochs: 6 },
        },
      };
      const { table } = readDataset(await deps.artifacts.get(trainUri), {
        format: 'csv',
        features: spec.features,
        labelName: spec.label.name,
      });
      /** The epoch-3 checkpoint of training `hyperparameters`, stored where run `runId` keeps its checkpoints. */
      const plant = async (
        runId: string,
        hyperparameters: PipelineSpec['trainer']['hyperparameters'],
      ): Promise<void> => {
        let third: TrainerCheckpoint | null = null;
        await logisticRegressionTrainer.train({
          table,
          features: spec.features,
          label: spec.label,
          hyperparameters,
          seed: spec.split.seed,
          onCheckpoint: async (c) => void (c.epoch === 3 && (third = c)),
        });
        expect(third).not.toBeNull();
        const key = trainingKeys(spec.model, runId).checkpoints[1];
        await deps.artifacts.put(key, JSON.stringify(third));
      };
      const run = async (name: string, hyperparameters: PipelineSpec['trainer']['hyperparameters']) => {
        const workflowId = `${name}-${Date.now().toString(36)}`;
        await plant(workflowId, hyperparameters);
        const input: TrainOnceInput = {
          train: { spec, runId: workflowId, trainUri, requestedDevice: 'cpu' },
          heartbeatTimeout: HEARTBEAT_TIMEOUT,
          maximumAttempts: 1,
        };
        const handle = await client.workflow.start('trainOnce', { taskQueue, workflowId, args: [input] });
        return { result: (await handle.result()) as TrainModelResult, attempt: await lastAttempt(handle) };
      };

      const own = await run('liveness-resume', spec.trainer.hyperparameters);
      expect(own.attempt).toBe(1);
      expect(own.result.resumedFromEpoch).toBe(3);
      expect(own.result.epochs).toBe(6);

      const other = await run('liveness-other', { ...spec.trainer.hyperparameters, learningRate: 0.02 });
      expect(other.result.resumedFromEpoch).toBe(0);
    },
  );
});
