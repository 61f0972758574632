/**
 * The training pipeline (validateData -> trainModel -> evaluateModel -> registerModel -> deployModel) end to end for
 * every task, on real servers (the shared Temporal dev server, a fresh PostgreSQL registry database, file artifacts,
 * the CPU worker with the real workflows and activities, serving over HTTP):
 *  - multiclass with `softmax_regression`, regression with `ridge_regression` (primary metric rmse), binary with
 *    `mlp`, and binary with the `command` trainer running examples/trainers/sklearn_logistic.py (skipped with a
 *    warning when the provisioned Python packages are missing, unless CI is set);
 *  - each run deploys; the registered version has the task's metrics and lineage; serving answers a raw record with
 *    a prediction that makes sense for the task;
 *  - a multiclass label with a single class fails the run non-retryably, naming the label;
 *  - a monitoring window of the non-binary models reports drift and judges performance by the task's metric.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMonitorModel } from '../../activities/monitor-model.js';
import { startE2eStack, type E2eStack } from './e2e-stack.js';
import type { TrainingPipelineResult } from '../../contracts/payloads.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { createRng } from '../../lib/random.js';
import type { ModelVersion } from '../../lib/registry/types.js';
import { parseSpec } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { pythonToolsEnv, pythonToolsProblem } from '../../lib/train/command-python.js';
import {
  CHURN_FEATURES,
  multiclassOf,
  regressionMean,
  TOY_FEATURES,
  toyRecord,
  writeToyCsv,
  type ToyRecord,
} from './toy-data.js';

const CLASSES = ['high', 'low', 'mid'] as const;

let dir: string;
let stack: E2eStack;
let toolsProblem: string | null;
/** Wall time per step (ms), printed at the end. */
const elapsed: Record<string, number> = {};

beforeAll(async () => {
  const started = Date.now();
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-pipeline-tasks-'));
  const [stackStarted, problem] = await Promise.all([
    startE2eStack(dir, 'pipeline_tasks'),
    pythonToolsProblem(),
    writeToyCsv(path.join(dir, 'species.csv'), 1500, createRng(1), 'species', (r, rng) =>
      multiclassOf(r, rng.normal(0, 0.3)),
    ),
    writeToyCsv(path.join(dir, 'price.csv'), 1500, createRng(2), 'price', (r, rng) =>
      (regressionMean(r) + rng.normal(0, 1)).toFixed(3),
    ),
    writeToyCsv(path.join(dir, 'constant.csv'), 400, createRng(3), 'species', () => 'mid'),
    writeChurnDataset(path.join(dir, 'churn.csv'), { rows: 2000, seed: 5 }),
  ]);
  stack = stackStarted;
  toolsProblem = problem;
  elapsed['setup'] = Date.now() - started;
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

/** A validated spec (through the YAML parser, as `mlops run` reads one) for `model` on `<dir>/<file>`. */
function specFor(
  model: string,
  file: string,
  parts: { features: unknown[]; label: Record<string, unknown>; trainer: Record<string, unknown>; evaluation: unknown },
): PipelineSpec {
  const raw = {
    apiVersion: 'mlops/v1',
    model,
    dataset: { uri: `file://${path.join(dir, file)}`, format: 'csv' },
    features: parts.features,
    label: parts.label,
    validation: { minRows: 200 },
    split: { holdoutFraction: 0.25, seed: 7 },
    trainer: { resources: 'cpu', ...parts.trainer },
    evaluation: parts.evaluation,
    deployment: { readyTimeout: '30s' },
    monitoring: { window: '1m', minSamples: 20 },
  };
  return parseSpec(stringify(raw), `${model}.yaml`);
}

function runPipeline(spec: PipelineSpec): Promise<TrainingPipelineResult> {
  return stack.deps.temporal.workflow.execute('trainingPipeline', {
    workflowId: `pipeline-tasks-${spec.model}-${Date.now()}`,
    taskQueue: stack.taskQueue,
    args: [{ spec, trigger: { kind: 'manual', reason: 'pipeline-tasks test', at: new Date().toISOString() } }],
  }) as Promise<TrainingPipelineResult>;
}

interface ServedPrediction {
  predictionId: string;
  label: string;
  score: number;
  probabilities?: Record<string, number>;
  value?: number;
}

async function predict(model: string, records: Array<Record<string, unknown>>): Promise<ServedPrediction[]> {
  const res = await fetch(`${stack.servingUrl}/v1/models/${model}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ records }),
  });
  const body = (await res.json()) as { version: number; predictions: ServedPrediction[] };
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.predictions;
}

/** Runs the pipeline, checks it deployed and returns the registered version. */
async function deployed(spec: PipelineSpec): Promise<{ result: TrainingPipelineResult; version: ModelVersion }> {
  const result = await runPipeline(spec);
  expect(result.outcome, JSON.stringify(result)).toBe('deployed');
  expect(result.stages.map((s) => s.stage)).toEqual([
    'validating',
    'training',
    'evaluating',
    'registering',
    'deploying',
  ]);
  const version = await stack.deps.registry.getVersion(spec.model, result.version!);
  expect(version).not.toBeNull();
  expect(version!.aliases).toContain('champion');
  expect(version!.lineage.trainer).toBe(spec.trainer.algorithm);
  expect(version!.lineage.hyperparameters).toMatchObject({
    epochs: spec.trainer.hyperparameters.epochs,
    learningRate: spec.trainer.hyperparameters.learningRate,
    seed: 7,
    device: 'cpu',
  });
  expect((await stack.deps.registry.getDeployed(spec.model))?.version).toBe(result.version);
  return { result, version: version! };
}

/** The evaluation artifact (evaluateModel's evidence) of a registered version. */
async function evaluationOf(version: ModelVersion): Promise<{
  holdoutRows: number;
  task: string;
  candidateDetails: { perClass?: Array<{ class: string }> };
}> {
  const uri = (version.decision as { evidenceUri: string }).evidenceUri;
  return JSON.parse(new TextDecoder().decode(await stack.deps.artifacts.get(uri))) as Awaited<
    ReturnType<typeof evaluationOf>
  >;
}

async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    elapsed[name] = Date.now() - started;
  }
}

afterAll(() => {
  process.stderr.write(`[test] pipeline-tasks wall times (ms): ${JSON.stringify(elapsed)}\n`);
});

// The pipelines train different models, so they run at once (the CPU worker runs up to 4 activities at a time).
describe.concurrent('training pipeline per task', () => {
  it('multiclass with softmax_regression: deploys and serves class probabilities', { timeout: 90_000 }, async () => {
    const spec = specFor('species', 'species.csv', {
      features: TOY_FEATURES,
      label: { name: 'species', task: 'multiclass' },
      trainer: { algorithm: 'softmax_regression', hyperparameters: { epochs: 15, learningRate: 0.2, batchSize: 64 } },
      evaluation: { primaryMetric: 'macro_f1', minimum: 0.5 },
    });
    const { version } = await timed('multiclass', () => deployed(spec));
    expect(version.metrics['accuracy']).toBeGreaterThan(0.7);
    expect(version.metrics['macro_f1']).toBeGreaterThan(0.6);
    expect(version.metrics['log_loss']).toBeGreaterThan(0);
    expect(version.metrics['roc_auc']).toBeUndefined();
    const evaluation = await evaluationOf(version);
    expect(evaluation.holdoutRows).toBe(375);
    expect(evaluation.task).toBe('multiclass');
    expect((evaluation.candidateDetails.perClass ?? []).map((c) => c.class)).toEqual([...CLASSES]);

    const clearlyHigh = { x1: 2.5, x2: -1, x3: 5, color: 'blue' };
    const clearlyLow = { x1: -2.5, x2: 1, x3: 5, color: 'red' };
    const [high, low, missing] = await predict('species', [clearlyHigh, clearlyLow, { x1: 0, x2: null, color: null }]);
    expect(high!.label).toBe('high');
    expect(low!.label).toBe('low');
    expect(CLASSES).toContain(missing!.label);
    for (const p of [high!, low!, missing!]) {
      expect(Object.keys(p.probabilities ?? {}).sort()).toEqual([...CLASSES]);
      const sum = Object.values(p.probabilities!).reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(1, 4);
      expect(p.score).toBeCloseTo(p.probabilities![p.label]!, 6);
      expect(p.score).toBe(Math.max(...Object.values(p.probabilities!)));
    }
  });

  it('regression with ridge_regression: deploys and serves a value near the truth', { timeout: 90_000 }, async () => {
    const spec = specFor('price', 'price.csv', {
      features: TOY_FEATURES,
      label: { name: 'price', task: 'regression' },
      trainer: { algorithm: 'ridge_regression', hyperparameters: { epochs: 5, l2: 0.001 } },
      evaluation: { primaryMetric: 'rmse', minimum: 3 },
    });
    const { result, version } = await timed('regression', () => deployed(spec));
    // A holdout of the requested size: a split stratified by label would hold out one row (every value is unique).
    expect((await evaluationOf(version)).holdoutRows).toBe(375);
    expect(version.metrics['rmse']).toBeLessThan(1.5);
    expect(version.metrics['mae']).toBeLessThan(1.2);
    expect(version.metrics['r2']).toBeGreaterThan(0.95);
    expect(version.metrics['accuracy']).toBeUndefined();
    expect(result.stages.find((s) => s.stage === 'evaluating')?.detail).toMatch(/rmse \d+\.\d{4}/);

    const record: ToyRecord = { x1: 1, x2: -0.5, x3: 4, color: 'green' };
    const [p] = await predict('price', [{ ...record }]);
    expect(typeof p!.value).toBe('number');
    expect(p!.value).toBeCloseTo(p!.score, 6);
    expect(Math.abs(p!.value! - regressionMean(record))).toBeLessThan(1.5);
    expect(Number(p!.label)).toBeCloseTo(p!.value!, 3);
  });

  it('binary with mlp: deploys and serves a probability', { timeout: 90_000 }, async () => {
    const spec = specFor('churn-mlp', 'churn.csv', {
      features: CHURN_FEATURES,
      label: { name: 'churned', task: 'binary', positive: '1' },
      trainer: {
        algorithm: 'mlp',
        hyperparameters: { epochs: 8, learningRate: 0.01, batchSize: 64, hiddenLayers: [16], optimizer: 'adam' },
      },
      evaluation: { primaryMetric: 'roc_auc', minimum: 0.65 },
    });
    const { version } = await timed('binary-mlp', () => deployed(spec));
    expect(version.metrics['roc_auc']).toBeGreaterThan(0.7);
    expect(version.metrics['accuracy']).toBeGreaterThan(0.5);
    expect(version.lineage.hyperparameters).toMatchObject({ hiddenLayers: '16', optimizer: 'adam' });
    await expectBinaryServing('churn-mlp');
  });

  it('binary with the command trainer (scikit-learn): deploys and serves a probability', async (ctx) => {
    if (toolsProblem !== null) {
      if (process.env.CI !== undefined) throw new Error(`the Python trainer packages are missing: ${toolsProblem}`);
      process.stderr.write(
        `[test] WARNING: skipping the command trainer pipeline (run npm run provision): ${toolsProblem}\n`,
      );
      ctx.skip();
    }
    const spec = specFor('churn-sklearn', 'churn.csv', {
      features: CHURN_FEATURES,
      label: { name: 'churned', task: 'binary', positive: '1' },
      trainer: {
        algorithm: 'command',
        hyperparameters: { epochs: 3, learningRate: 0.01 },
        command: {
          argv: ['python3', 'examples/trainers/sklearn_logistic.py'],
          env: pythonToolsEnv(),
          timeout: '3m',
          hangTimeout: '2m',
        },
      },
      evaluation: { primaryMetric: 'roc_auc', minimum: 0.65 },
    });
    const { version } = await timed('binary-command', () => deployed(spec));
    expect(version.metrics['roc_auc']).toBeGreaterThan(0.7);
    expect(version.lineage.trainer).toBe('command');
    await expectBinaryServing('churn-sklearn');
  }, 150_000);

  it('fails non-retryably, naming the label, when a multiclass label has one class', { timeout: 60_000 }, async () => {
    const spec = specFor('one-class', 'constant.csv', {
      features: TOY_FEATURES,
      label: { name: 'species', task: 'multiclass' },
      trainer: { algorithm: 'softmax_regression', hyperparameters: { epochs: 2 } },
      evaluation: { primaryMetric: 'accuracy', minimum: 0.5 },
    });
    const err = await runPipeline(spec).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    const failure = cause as ApplicationFailure;
    expect(failure.type).toBe('InvalidDataset');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/label "species" is constant/);
    expect(await stack.deps.registry.getDeployed('one-class')).toBeNull();
  });
});

describe('monitoring the deployed non-binary models', () => {
  it('reports drift and judges performance by the task (macro-F1, RMSE)', { timeout: 60_000 }, async () => {
    const monitor = createMonitorModel(stack.deps);
    const rng = createRng(99);
    for (const [model, truth] of [
      ['species', (r: ToyRecord) => multiclassOf(r, 0)],
      ['price', (r: ToyRecord) => regressionMean(r)],
    ] as const) {
      // Earlier tests' predictions of these models are flushed (every 500 ms) before the window opens.
      await new Promise((r) => setTimeout(r, 1500));
      const windowStart = new Date().toISOString();
      const records = Array.from({ length: 60 }, () => toyRecord(rng));
      const predictions = await predict(
        model,
        records.map((r) => ({ ...r })),
      );
      const feedback = predictions.map((p, i) => ({ predictionId: p.predictionId, label: truth(records[i]!) }));
      const res = await fetch(`${stack.servingUrl}/v1/models/${model}/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ feedback }),
      });
      expect(res.status).toBe(202);
      let report = null;
      for (let i = 0; i < 40; i++) {
        report = await monitor({
          model,
          windowStart,
          windowEnd: new Date(Date.now() + 1000).toISOString(),
          driftShare: 0.5,
          minSamples: 20,
          // A floor for macro-F1, a ceiling for RMSE (lower is better): both models are well inside it.
          performanceFloor: model === 'price' ? 5 : 0.5,
          primaryMetric: model === 'price' ? 'rmse' : 'macro_f1',
        });
        if (report.predictions >= 60 && report.labelled >= 60) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(report?.predictions).toBe(60);
      expect(report?.labelled).toBe(60);
      expect(report?.drift).not.toBeNull();
      expect(report?.performance?.metric).toBe(model === 'price' ? 'rmse' : 'macro_f1');
      expect(report?.performance?.lowerIsBetter).toBe(model === 'price');
      expect(report?.performance?.breach).toBeNull();
      expect(report?.status).not.toBe('degraded');
    }
  });
});

/** Serving answers a churn record (with a missing value and an unseen category) with a probability. */
async function expectBinaryServing(model: string): Promise<void> {
  const risky = {
    tenure_months: 1,
    monthly_charges: 120,
    support_calls: 9,
    data_usage_gb: null,
    plan: 'premium',
    region: 'mars',
    contract: 'monthly',
  };
  const loyal = { ...risky, tenure_months: 100, monthly_charges: 30, support_calls: 0, contract: 'two_year' };
  const [a, b] = await predict(model, [risky, loyal]);
  for (const p of [a!, b!]) {
    expect(p.score).toBeGreaterThan(0);
    expect(p.score).toBeLessThan(1);
    expect(['0', '1']).toContain(p.label);
    expect(p.probabilities).toBeUndefined();
    expect(p.value).toBeUndefined();
  }
  expect(a!.score).toBeGreaterThan(b!.score);
}
