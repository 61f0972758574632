/**
 * The deployment gates of the training pipeline on REAL servers (the shared Temporal dev server, a fresh PostgreSQL
 * registry database, file artifacts, the CPU worker with the real workflows and activities, serving over HTTP):
 *  - infra validation: a promoted candidate is served by a separate serving process (serving/validate-main.ts) that
 *    answers sample holdout requests before it is registered; the activity is in the history;
 *  - a candidate that loads in onnxruntime during evaluation but whose serving process answers 500 (the test-only
 *    MLOPS_VALIDATE_FAULT) fails the run non-retryably with InfraValidationFailed; nothing is registered or deployed;
 *  - human approval: approved through the `approve` update (as `mlops approve` sends it) -> deployed, recorded with
 *    who and why; `mlops reject <model>` (found by a visibility query) -> outcome rejected, not deployed, recorded;
 *    no decision within `timeout` with `onTimeout: reject` -> rejected, "timed out"; an empty `by` is refused;
 *  - `mlops approve|reject` usage errors exit 2.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  ApplicationFailure,
  CancelledFailure,
  WorkflowFailedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ActivityDeps } from '../../activities/deps.js';
import { createInfraValidateModel, predictionProblem } from '../../activities/infra-validate-model.js';
import { findPipelineAwaitingApproval } from '../../client/commands/approval.js';
import { approveUpdate } from '../../contracts/messages.js';
import type { TrainingPipelineResult } from '../../contracts/payloads.js';
import { MODEL_KEY, TRIGGER_KEY } from '../../contracts/search-attributes.js';
import { createTestDatabase } from '../../infra/postgres-test.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import { pipelineSpecSchema, type PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { createServingApp } from '../../serving/create-server.js';
import { servedPredictions } from '../../serving/prediction-response.js';
import { createCpuWorker } from '../../workers/create-workers.js';
import { createWorkerRuntime } from '../../workers/runtime.js';

const exec = promisify(execFile);

interface Stack {
  deps: ActivityDeps;
  taskQueue: string;
  servingUrl: string;
  stop(): Promise<void>;
}

let dir: string;
let stack: Stack;
let baseSpec: PipelineSpec;
let csv: string;
/** Wall time per test (ms), printed at the end. */
const elapsed: Record<string, number> = {};

async function startStack(stateDir: string): Promise<Stack> {
  const stops: Array<() => Promise<unknown>> = [];
  const stop = async (): Promise<void> => {
    for (const s of stops.reverse()) await s().catch((err: unknown) => console.error('stop failed', err));
    stops.length = 0;
  };
  try {
    const db = await createTestDatabase({ baseUrl: inject('databaseUrl'), prefix: 'mlops_gates' });
    stops.push(() => db.drop());
    const address = inject('temporalAddress');
    const taskQueue = `deployment-gates-${Date.now().toString(36)}`;
    const runtime = await createWorkerRuntime(
      {
        TEMPORAL_ADDRESS: address,
        TEMPORAL_NAMESPACE: 'default',
        DATABASE_URL: db.url,
        MLOPS_ARTIFACTS_URL: `file://${path.join(stateDir, 'artifacts')}/`,
        MLOPS_DB_POOL_SIZE: 4,
      },
      { device: 'cpu', identity: `cpu-worker@deployment-gates:${process.pid}` },
    );
    stops.push(() => runtime.close());
    const deps: ActivityDeps = { ...runtime.deps, cpuTaskQueue: taskQueue };
    const worker = await createCpuWorker({ address, namespace: 'default', deps, taskQueue });
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
    });
    let servingUrl = '';
    const serving = createServingApp({
      registry: deps.registry,
      artifacts: deps.artifacts,
      replicaId: `serving@deployment-gates:${process.pid}`,
      publicUrl: () => servingUrl,
      pollIntervalMs: 250,
      logger: false,
    });
    await serving.app.listen({ host: '127.0.0.1', port: 0 });
    const bound = serving.app.server.address();
    servingUrl = `http://127.0.0.1:${typeof bound === 'object' && bound ? bound.port : 0}`;
    await serving.start();
    stops.push(() => serving.stop());
    return { deps, taskQueue, servingUrl, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

beforeAll(async () => {
  const started = Date.now();
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-gates-'));
  csv = path.join(dir, 'churn.csv');
  const [stackStarted, fromYaml] = await Promise.all([
    startStack(dir),
    loadSpecFile('examples/churn/pipeline.yaml'),
    writeChurnDataset(csv, { rows: 2000, seed: 11 }),
  ]);
  stack = stackStarted;
  baseSpec = {
    ...fromYaml,
    dataset: { ...fromYaml.dataset, uri: `file://${csv}` },
    trainer: {
      ...fromYaml.trainer,
      resources: 'cpu',
      hyperparameters: { ...fromYaml.trainer.hyperparameters, epochs: 8 },
    },
  };
  elapsed['setup'] = Date.now() - started;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
  console.log(`deployment-gates wall times (ms): ${JSON.stringify(elapsed)}`);
}, 60_000);

/** `baseSpec` for `model` with a `deployment` section (validated like a YAML spec). */
function specFor(model: string, deployment: Record<string, unknown>): PipelineSpec {
  return pipelineSpecSchema.parse({ ...baseSpec, model, deployment: { readyTimeout: '30s', ...deployment } });
}

function startPipeline(spec: PipelineSpec) {
  return stack.deps.temporal.workflow.start('trainingPipeline', {
    workflowId: `pipeline-${spec.model}-${Date.now()}`,
    taskQueue: stack.taskQueue,
    args: [{ spec, trigger: { kind: 'manual', reason: 'deployment gates test', at: new Date().toISOString() } }],
    typedSearchAttributes: [
      { key: MODEL_KEY, value: spec.model },
      { key: TRIGGER_KEY, value: 'manual' },
    ],
  });
}

async function activityTypes(workflowId: string): Promise<string[]> {
  const history = await stack.deps.temporal.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
}

/** Waits until the model's pipeline is awaiting approval, found as `mlops approve <model>` finds it. */
async function awaitingApproval(model: string, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await findPipelineAwaitingApproval(stack.deps.temporal, model);
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function mlops(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec('node', ['--import', 'tsx', 'client/main.ts', ...args], {
      timeout: 60_000,
      env: { ...process.env, ...env },
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

describe('infra validation', () => {
  it(
    'serves the candidate in a separate process before registering and deploying it',
    { timeout: 240_000 },
    async () => {
      const started = Date.now();
      const spec = specFor('gates-infra-ok', { infraValidation: { requests: 20, timeout: '60s' } });
      const handle = await startPipeline(spec);
      const result = (await handle.result()) as TrainingPipelineResult;
      expect(result.outcome, JSON.stringify(result)).toBe('deployed');
      const types = await activityTypes(handle.workflowId);
      expect(types.indexOf('infraValidateModel')).toBeGreaterThan(types.indexOf('evaluateModel'));
      expect(types.indexOf('infraValidateModel')).toBeLessThan(types.indexOf('registerModel'));
      // The checklist's stages are unchanged; infra validation shows as a note.
      expect(result.stages.map((s) => s.stage)).toEqual([
        'validating',
        'training',
        'evaluating',
        'registering',
        'deploying',
      ]);
      expect((await stack.deps.registry.getDeployed(spec.model))?.version).toBe(result.version);
      elapsed['infra-ok'] = Date.now() - started;
    },
  );

  it(
    'fails non-retryably with InfraValidationFailed when the serving process answers 500; nothing registered or deployed',
    { timeout: 240_000 },
    async () => {
      const started = Date.now();
      const spec = specFor('gates-infra-bad', { infraValidation: { requests: 5, timeout: '60s' } });
      process.env['MLOPS_VALIDATE_FAULT'] = 'predict_500';
      let err: unknown;
      let workflowId = '';
      try {
        const handle = await startPipeline(spec);
        workflowId = handle.workflowId;
        err = await handle.result().then(
          () => null,
          (e: unknown) => e,
        );
      } finally {
        delete process.env['MLOPS_VALIDATE_FAULT'];
      }
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe('InfraValidationFailed');
      expect((cause as ApplicationFailure).nonRetryable).toBe(true);
      expect(cause!.message).toMatch(
        /^infra validation of file:\/\/.*model\.onnx failed: request 1\/5 .* answered 500/,
      );
      expect(cause!.message).toContain('injected_fault');
      const types = await activityTypes(workflowId);
      expect(types.filter((t) => t === 'infraValidateModel')).toHaveLength(1); // not retried
      expect(types).not.toContain('registerModel');
      expect(types).not.toContain('deployModel');
      expect(await stack.deps.registry.listVersions(spec.model)).toEqual([]);
      expect(await stack.deps.registry.getDeployed(spec.model)).toBeNull();
      // The validation serving process was stopped (no child of this process runs it any more).
      expect(await validationServers()).toBe('');
      elapsed['infra-fail'] = Date.now() - started;
    },
  );
});

/** Processes this test process started that run the validation server. */
async function validationServers(): Promise<string> {
  const { stdout } = await exec('ps', ['-o', 'args=', '--ppid', String(process.pid)]).catch(() => ({ stdout: '' }));
  return stdout
    .split('\n')
    .filter((l) => l.includes('validate-main.ts'))
    .join('\n');
}

describe('infraValidateModel activity', () => {
  it('fails non-retryably when the serving process cannot load the artifact', { timeout: 120_000 }, async () => {
    const started = Date.now();
    const model = await stack.deps.artifacts.put('tests/corrupt/model.onnx', 'not an ONNX model');
    const holdout = await stack.deps.artifacts.put('tests/corrupt/holdout.csv', await readFile(csv));
    const run = new MockActivityEnvironment().run(createInfraValidateModel(stack.deps), {
      spec: specFor('gates-corrupt', {}),
      runId: 'corrupt-run',
      modelUri: model.uri,
      modelSha256: model.sha256,
      holdoutUri: holdout.uri,
      requests: 3,
      timeoutMs: 60_000,
    });
    const err: unknown = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('InfraValidationFailed');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as Error).message).toContain(
      `infra validation of ${model.uri} failed: the serving process could not load`,
    );
    expect(await validationServers()).toBe('');
    elapsed['corrupt'] = Date.now() - started;
  });

  it('stops the serving process when the activity is cancelled', { timeout: 120_000 }, async () => {
    const started = Date.now();
    const model = await stack.deps.artifacts.put('tests/corrupt/model.onnx', 'not an ONNX model');
    const holdout = await stack.deps.artifacts.put('tests/corrupt/holdout.csv', await readFile(csv));
    const env = new MockActivityEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => heartbeats.push(d));
    const run = env.run(createInfraValidateModel(stack.deps), {
      spec: specFor('gates-cancel', {}),
      runId: 'cancel-run',
      modelUri: model.uri,
      modelSha256: model.sha256,
      holdoutUri: holdout.uri,
      requests: 3,
      timeoutMs: 60_000,
    });
    // Cancel once the server process is running.
    const deadline = Date.now() + 30_000;
    while ((await validationServers()) === '' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await validationServers()).not.toBe('');
    env.cancel();
    const err: unknown = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(heartbeats.length).toBeGreaterThan(0);
    expect(await validationServers()).toBe('');
    elapsed['cancel'] = Date.now() - started;
  });
});

describe('well-formed predictions per task', () => {
  const body = (p: unknown): unknown => ({
    model: 'm',
    version: 0,
    predictions: [{ predictionId: 'x', ...(p as object) }],
  });
  it('accepts what serving answers for each task and names what is wrong otherwise', () => {
    const label = { name: 'y', positive: '1', negative: '0' };
    const binary = servedPredictions({ scores: Float32Array.of(0.7), labels: ['1'] }, { ...label, task: 'binary' }, 1);
    const multiclass = servedPredictions(
      { scores: Float32Array.of(0.5), labels: ['b'], probabilities: Float32Array.of(0.2, 0.5, 0.3) },
      { ...label, task: 'multiclass', classes: ['a', 'b', 'c'] },
      1,
    );
    const regression = servedPredictions(
      { scores: Float32Array.of(12.5), labels: ['12.5'], values: Float32Array.of(12.5) },
      { ...label, task: 'regression' },
      1,
    );
    expect(predictionProblem(body(binary[0]), 'binary')).toBeNull();
    expect(predictionProblem(body(multiclass[0]), 'multiclass')).toBeNull();
    expect(predictionProblem(body(regression[0]), 'regression')).toBeNull();
    expect(predictionProblem(body({ ...binary[0], score: 1.5 }), 'binary')).toMatch(/expected a probability/);
    expect(predictionProblem(body(binary[0]), 'multiclass')).toMatch(/probabilities: missing/);
    expect(predictionProblem(body({ ...multiclass[0], probabilities: { a: 0.5, b: 0.9 } }), 'multiclass')).toMatch(
      /sum to/,
    );
    expect(predictionProblem(body(binary[0]), 'regression')).toMatch(/value: expected a finite number/);
    expect(predictionProblem({ predictions: [] }, 'binary')).toMatch(/exactly one prediction/);
  });
});

describe('human approval', () => {
  it(
    'waits for approval, refuses an empty approver, deploys once approved and records who and why',
    { timeout: 240_000 },
    async () => {
      const started = Date.now();
      const spec = specFor('gates-approve', { approval: { required: true, timeout: '10m' } });
      const handle = await startPipeline(spec);
      expect(await awaitingApproval(spec.model)).toBe(handle.workflowId);
      const progress = await handle.query<{ stage: string; detail: string }>('progress');
      expect(progress.stage).toBe('awaiting_approval');
      expect(progress.detail).toMatch(/waiting for approval/);

      const refused = await handle.executeUpdate(approveUpdate, { args: [{ by: '  ', reason: 'x' }] }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String(((refused as Error).cause as Error | undefined)?.message)).toMatch(/by: must not be empty/);

      const decision = await handle.executeUpdate(approveUpdate, { args: [{ by: 'alice', reason: 'A/B looks good' }] });
      expect(decision).toMatchObject({ decision: 'approved', by: 'alice', reason: 'A/B looks good', timedOut: false });
      const result = (await handle.result()) as TrainingPipelineResult;
      expect(result.outcome, JSON.stringify(result)).toBe('deployed');
      expect((await stack.deps.registry.getDeployed(spec.model))?.version).toBe(result.version);
      const approval = await stack.deps.registry.getApproval(handle.workflowId);
      expect(approval).toMatchObject({
        model: spec.model,
        version: result.version,
        decision: 'approved',
        by: 'alice',
        reason: 'A/B looks good',
        timedOut: false,
      });
      const version = await stack.deps.registry.getVersion(spec.model, result.version!);
      expect(version?.lineage.approval).toMatchObject({ decision: 'approved', by: 'alice' });
      // Once decided, further decisions are refused.
      await expect(
        handle.executeUpdate(approveUpdate, { args: [{ by: 'bob', reason: 'late' }] }),
      ).rejects.toBeInstanceOf(Error);
      elapsed['approve'] = Date.now() - started;
    },
  );

  it(
    'mlops reject <model> finds the waiting pipeline; the run ends rejected, nothing deployed',
    { timeout: 240_000 },
    async () => {
      const started = Date.now();
      const spec = specFor('gates-reject', { approval: { required: true, timeout: '10m' } });
      const handle = await startPipeline(spec);
      await awaitingApproval(spec.model);
      const cli = await mlops(['reject', spec.model, '--by', 'bob', '--reason', 'wait for the Q4 data'], {
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        TEMPORAL_NAMESPACE: 'default',
      });
      expect(cli.code, cli.out).toBe(0);
      expect(cli.out).toContain(`${handle.workflowId}: rejected by bob`);
      const result = (await handle.result()) as TrainingPipelineResult;
      expect(result.outcome).toBe('rejected');
      expect(result.reasons.join('; ')).toContain('rejected by bob: wait for the Q4 data');
      expect(await stack.deps.registry.getDeployed(spec.model)).toBeNull();
      expect(await stack.deps.registry.getVersionByAlias(spec.model, 'champion')).toBeNull();
      expect(await stack.deps.registry.getApproval(handle.workflowId)).toMatchObject({
        decision: 'rejected',
        by: 'bob',
        reason: 'wait for the Q4 data',
        version: result.version,
      });
      expect(await activityTypes(handle.workflowId)).not.toContain('deployModel');
      elapsed['reject'] = Date.now() - started;
    },
  );

  it('applies onTimeout (reject) when nobody decides in time', { timeout: 240_000 }, async () => {
    const started = Date.now();
    const spec = specFor('gates-timeout', {
      infraValidation: { enabled: false },
      approval: { required: true, timeout: '3s', onTimeout: 'reject' },
    });
    const handle = await startPipeline(spec);
    const result = (await handle.result()) as TrainingPipelineResult;
    expect(result.outcome).toBe('rejected');
    expect(result.reasons.join('; ')).toMatch(/approval timed out after 3s/);
    expect(await stack.deps.registry.getDeployed(spec.model)).toBeNull();
    expect(await stack.deps.registry.getApproval(handle.workflowId)).toMatchObject({
      decision: 'rejected',
      timedOut: true,
      by: 'timeout',
    });
    const types = await activityTypes(handle.workflowId);
    expect(types).not.toContain('infraValidateModel');
    expect(types).not.toContain('deployModel');
    elapsed['timeout'] = Date.now() - started;
  });
});

describe('mlops approve|reject usage', () => {
  it.each([
    [['approve', '--by', 'alice', '--reason', 'ok'], /missing required argument 'target'/],
    [['approve', 'churn', '--reason', 'ok'], /required option '--by <name>' not specified/],
    [['reject', 'churn', '--by', 'bob'], /required option '--reason <text>' not specified/],
    [['approve', 'churn', '--by', '', '--reason', 'ok'], /--by: expected the name of who decides/],
    [['reject', 'churn', '--by', 'bob', '--reason', '  '], /--reason: expected why/],
  ])('rejects %j with a usage message and exit 2', async (args, message) => {
    const r = await mlops(args, { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(message);
  });
});
