/**
 * Monitoring of multiclass and regression models and the error rate, on the real stack (Temporal dev server, the
 * real pipeline training and deploying, PostgreSQL registry, serving over HTTP, the real `monitorWindow` activity):
 *  - multiclass (softmax_regression): accuracy and macro-F1 on feedback; labels as in training -> ok; a label
 *    relationship that changed -> degraded beyond the tolerance from the version's holdout accuracy;
 *  - regression (ridge_regression): RMSE and MAE on feedback; the truth shifted by +15 -> RMSE degraded;
 *  - error rate: a second serving replica whose model fails on a poison record (HTTP 500) answers good requests,
 *    bad requests (400) and failing ones; the window counts them apart, and only server errors breach
 *    `maxErrorRate` unless `errorRateCounts: all`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMonitorModel } from '../../activities/monitor-model.js';
import type { MonitorWindowInput, MonitorWindowReport } from '../../contracts/monitoring.js';
import type { TrainingPipelineResult } from '../../contracts/payloads.js';
import { loadOnnxModel } from '../../lib/eval/onnx-model.js';
import { createRng } from '../../lib/random.js';
import { parseSpec } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { createServingApp, type ServingApp } from '../../serving/create-server.js';
import { startE2eStack, type E2eStack } from './e2e-stack.js';
import { multiclassOf, regressionMean, TOY_FEATURES, toyRecord, writeToyCsv, type ToyRecord } from './toy-data.js';

let dir: string;
let stack: E2eStack;
let monitor: ReturnType<typeof createMonitorModel>;
const rng = createRng(2024);
/** x1 of the record the second replica's model fails on. */
const POISON_X1 = 123_456;

function specFor(model: string, task: 'multiclass' | 'regression'): PipelineSpec {
  return parseSpec(
    stringify({
      apiVersion: 'mlops/v1',
      model,
      dataset: { uri: `file://${path.join(dir, `${model}.csv`)}`, format: 'csv' },
      features: TOY_FEATURES,
      label: { name: model, task },
      validation: { minRows: 200 },
      split: { holdoutFraction: 0.25, seed: 7 },
      trainer:
        task === 'multiclass'
          ? { resources: 'cpu', algorithm: 'softmax_regression', hyperparameters: { epochs: 15, learningRate: 0.2 } }
          : { resources: 'cpu', algorithm: 'ridge_regression', hyperparameters: { epochs: 5, l2: 0.001 } },
      evaluation:
        task === 'multiclass' ? { primaryMetric: 'accuracy', minimum: 0.5 } : { primaryMetric: 'rmse', minimum: 3 },
      deployment: { readyTimeout: '30s' },
      monitoring: {
        window: '1m',
        minSamples: 100,
        // Drift is not the point here (Wasserstein flags 2 of 4 toy features in some 400-row samples).
        driftShare: 1,
        performanceTolerance: task === 'multiclass' ? 0.15 : 3,
      },
    }),
    `${model}.yaml`,
  );
}

const specs: Record<string, PipelineSpec> = {};

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-monitoring-tasks-'));
  const [started] = await Promise.all([
    startE2eStack(dir, 'monitoring_tasks'),
    writeToyCsv(path.join(dir, 'species.csv'), 1500, createRng(1), 'species', (r, g) =>
      multiclassOf(r, g.normal(0, 0.3)),
    ),
    writeToyCsv(path.join(dir, 'price.csv'), 1500, createRng(2), 'price', (r, g) =>
      (regressionMean(r) + g.normal(0, 1)).toFixed(3),
    ),
  ]);
  stack = started;
  monitor = createMonitorModel(stack.deps);
  specs['species'] = specFor('species', 'multiclass');
  specs['price'] = specFor('price', 'regression');
  const results = await Promise.all(
    Object.values(specs).map(
      (spec) =>
        stack.deps.temporal.workflow.execute('trainingPipeline', {
          workflowId: `monitoring-tasks-${spec.model}-${Date.now()}`,
          taskQueue: stack.taskQueue,
          args: [{ spec, trigger: { kind: 'manual', reason: 'monitoring tasks', at: new Date().toISOString() } }],
        }) as Promise<TrainingPipelineResult>,
    ),
  );
  for (const r of results) expect(r.outcome, JSON.stringify(r)).toBe('deployed');
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

async function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Waits for the next whole second (request counts are bucketed by second) and returns it as the window start. */
async function windowStartNow(): Promise<string> {
  const next = Math.ceil((Date.now() + 1) / 1000) * 1000;
  await new Promise((r) => setTimeout(r, next - Date.now()));
  return new Date(next).toISOString();
}

/** Judges the window [windowStart, now + 2 s) until `done` holds for the report (the logs are written in batches). */
async function judge(
  input: Omit<MonitorWindowInput, 'windowEnd'>,
  done: (r: MonitorWindowReport) => boolean,
): Promise<MonitorWindowReport> {
  for (let i = 0; ; i++) {
    const report = await monitor({ ...input, windowEnd: new Date(Date.now() + 2000).toISOString() });
    if (done(report) || i >= 60) return report;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Sends `rows` records of `model` through serving with feedback from `truth`, then judges the window. */
async function labelledWindow(model: string, rows: number, truth: (r: ToyRecord) => string | number) {
  const spec = specs[model]!;
  const windowStart = await windowStartNow();
  const records = Array.from({ length: rows }, () => toyRecord(rng));
  const res = await post(`${stack.servingUrl}/v1/models/${model}/predict`, { records });
  expect(res.status).toBe(200);
  const { predictions } = (await res.json()) as { predictions: Array<{ predictionId: string }> };
  const feedback = predictions.map((p, i) => ({ predictionId: p.predictionId, label: truth(records[i]!) }));
  expect((await post(`${stack.servingUrl}/v1/models/${model}/feedback`, { feedback })).status).toBe(202);
  return judge(
    {
      model,
      windowStart,
      driftMethod: spec.monitoring.driftMethod,
      driftShare: spec.monitoring.driftShare,
      minSamples: spec.monitoring.minSamples,
      performanceFloor: null,
      performanceTolerance: spec.monitoring.performanceTolerance ?? null,
      primaryMetric: spec.evaluation.primaryMetric,
    },
    (r) => r.predictions >= rows && r.labelled >= rows,
  );
}

describe('performance by task on labelled traffic', () => {
  it('multiclass: accuracy and macro-F1; a changed label relationship degrades it', { timeout: 60_000 }, async () => {
    const good = await labelledWindow('species', 400, (r) => multiclassOf(r, 0));
    expect(good.status, good.summary).toBe('ok');
    expect(good.performance).toMatchObject({ metric: 'accuracy', lowerIsBetter: false, breach: null });
    expect(good.performance!.value).toBeGreaterThan(0.7);
    expect(good.performance!.metrics!['macro_f1']).toBeGreaterThan(0.6);
    expect(good.performance!.baseline).toBeGreaterThan(0.7);

    // Concept drift: the classes of 'low' and 'high' records swapped.
    const swap = { low: 'high', high: 'low', mid: 'mid' } as const;
    const bad = await labelledWindow('species', 400, (r) => swap[multiclassOf(r, 0)]);
    expect(bad.status, bad.summary).toBe('degraded');
    expect(bad.breaches).toEqual(['performance']);
    expect(bad.performance!.value).toBeLessThan(0.5);
    expect(bad.performance!.breach).toMatch(/worse than the holdout's 0\.\d{3} \(tolerance 0\.15\)/);
    expect(bad.summary).toMatch(/accuracy 0\.\d{3} on labelled traffic/);
  });

  it('regression: RMSE and MAE; a shifted truth degrades RMSE (lower is better)', { timeout: 60_000 }, async () => {
    const good = await labelledWindow('price', 300, (r) => regressionMean(r).toFixed(3));
    expect(good.status, good.summary).toBe('ok');
    expect(good.performance).toMatchObject({ metric: 'rmse', lowerIsBetter: true, breach: null });
    expect(good.performance!.value).toBeLessThan(2);
    expect(good.performance!.metrics!['mae']).toBeLessThan(2);

    const bad = await labelledWindow('price', 300, (r) => (regressionMean(r) + 15).toFixed(3));
    expect(bad.status, bad.summary).toBe('degraded');
    expect(bad.performance!.value).toBeGreaterThan(14);
    expect(bad.performance!.breach).toMatch(/worse than the holdout's \d+\.\d{3} \(tolerance 3\)/);
  });
});

describe('error rate of predict requests', () => {
  let faulty: ServingApp;
  let url = '';

  beforeAll(async () => {
    // A second replica of the same registry whose model fails on a poison record: a server error (500).
    faulty = createServingApp({
      registry: stack.deps.registry,
      artifacts: stack.deps.artifacts,
      replicaId: `faulty@monitoring-tasks:${process.pid}`,
      publicUrl: () => url,
      pollIntervalMs: 250,
      logger: false,
      loadModel: async (bytes) => {
        const model = await loadOnnxModel(bytes);
        return {
          features: model.features,
          label: model.label,
          algorithm: model.algorithm,
          metadata: model.metadata,
          inputs: model.inputs,
          predictTable: (table) => model.predictTable(table),
          predictRecords: async (records) => {
            if (records.some((r) => r['x1'] === POISON_X1)) throw new Error('onnxruntime failed (test poison)');
            return model.predictRecords(records);
          },
          close: () => model.close(),
        };
      },
    });
    await faulty.app.listen({ host: '127.0.0.1', port: 0 });
    const bound = faulty.app.server.address();
    url = `http://127.0.0.1:${typeof bound === 'object' && bound ? bound.port : 0}`;
    await faulty.start();
    for (let i = 0; i < 80 && (await fetch(`${url}/readyz`)).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 250));
  }, 60_000);

  afterAll(async () => {
    await faulty?.stop();
  });

  async function send(good: number, bad: number, failing: number): Promise<string> {
    const windowStart = await windowStartNow();
    const statuses: number[] = [];
    const requests = [
      ...Array.from({ length: good }, () => ({ records: [toyRecord(rng)] })),
      ...Array.from({ length: bad }, () => ({ records: [{ ...toyRecord(rng), color: 42 }] })),
      ...Array.from({ length: failing }, () => ({ records: [{ ...toyRecord(rng), x1: POISON_X1 }] })),
    ];
    for (const body of requests) statuses.push((await post(`${url}/v1/models/price/predict`, body)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(good);
    expect(statuses.filter((s) => s === 400)).toHaveLength(bad);
    expect(statuses.filter((s) => s === 500)).toHaveLength(failing);
    return windowStart;
  }

  const input = (windowStart: string, extra: Partial<MonitorWindowInput>) => ({
    model: 'price',
    windowStart,
    driftShare: 0.5,
    minSamples: 10_000, // drift is not the point here
    performanceFloor: null,
    primaryMetric: 'rmse',
    ...extra,
  });

  it(
    'counts server errors and bad requests apart; server errors breach maxErrorRate',
    { timeout: 60_000 },
    async () => {
      const windowStart = await send(40, 10, 5);
      const report = await judge(input(windowStart, { maxErrorRate: 0.05 }), (r) => (r.errors?.total ?? 0) >= 55);
      expect(report.errors).toMatchObject({ total: 55, serverErrors: 5, clientErrors: 10 });
      expect(report.errors!.breach).toBe('server error rate 9.1% above 5.0%');
      expect(report.errors!.errorRate).toBeCloseTo(5 / 55);
      expect(report.errors!.clientErrorRate).toBeCloseTo(10 / 55);
      expect(report.status, report.summary).toBe('degraded');
      expect(report.breaches).toEqual(['error_rate']);
      expect(report.summary).toContain('server error rate 9.1% above 5.0%');
      expect(report.summary).toContain('error rate 9.1% (5 server errors, 10 bad requests of 55 requests)');
    },
  );

  it('bad requests alone do not breach, unless errorRateCounts is "all"', { timeout: 60_000 }, async () => {
    const windowStart = await send(30, 10, 0);
    const done = (r: MonitorWindowReport): boolean => (r.errors?.total ?? 0) >= 40;
    const server = await judge(input(windowStart, { maxErrorRate: 0.05 }), done);
    expect(server.errors).toMatchObject({ total: 40, serverErrors: 0, clientErrors: 10, breach: null });
    expect(server.status, server.summary).not.toBe('degraded');
    const all = await judge(input(windowStart, { maxErrorRate: 0.05, errorRateCounts: 'all' }), done);
    expect(all.status, all.summary).toBe('degraded');
    expect(all.errors!.breach).toBe('error rate 25.0% above 5.0%');
  });
});
