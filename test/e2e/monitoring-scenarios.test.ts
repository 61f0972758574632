/**
 * Monitoring scenarios on a real deployed model (issue "Continuous training", item 6), the activity view: the real
 * pipeline trains and deploys a churn model, the real serving app answers and logs predictions, feedback arrives over
 * HTTP, and the real `monitorWindow` activity judges each window (retraining-scenarios.test.ts runs the same
 * scenarios through the monitor workflow and the retraining controller):
 *  - covariate shift (feature distributions move, the label relationship stays) -> drift;
 *  - concept drift (features as in training, the label relationship changed) -> no drift, performance degraded;
 *  - labels stop arriving -> no false alarm, and the window says labels are missing;
 *  - a noisy but stable stream -> no alarm over 50 windows.
 * Each window also reports prediction drift (served outputs vs the outputs on the evaluation holdout).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMonitorModel } from '../../activities/monitor-model.js';
import type { MonitorWindowReport } from '../../contracts/monitoring.js';
import type { TrainingPipelineResult } from '../../contracts/payloads.js';
import { generateTraffic, writeChurnDataset } from '../../lib/data/generate-churn.js';
import { parseSpec } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { startE2eStack, type E2eStack } from './e2e-stack.js';

const MODEL = 'churn-scenarios';
let dir: string;
let stack: E2eStack;
let spec: PipelineSpec;
let monitor: ReturnType<typeof createMonitorModel>;
let seed = 1000;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-scenarios-'));
  const [started] = await Promise.all([
    startE2eStack(dir, 'monitoring_scenarios'),
    writeChurnDataset(path.join(dir, 'churn.csv'), { rows: 3000, seed: 11 }),
  ]);
  stack = started;
  monitor = createMonitorModel(stack.deps);
  const raw = parseSpec(
    stringify({
      apiVersion: 'mlops/v1',
      model: MODEL,
      dataset: { uri: `file://${path.join(dir, 'churn.csv')}`, format: 'csv' },
      features: [
        { name: 'tenure_months', type: 'numeric' },
        { name: 'monthly_charges', type: 'numeric' },
        { name: 'support_calls', type: 'numeric' },
        { name: 'data_usage_gb', type: 'numeric' },
        { name: 'plan', type: 'categorical' },
        { name: 'region', type: 'categorical' },
        { name: 'contract', type: 'categorical' },
      ],
      label: { name: 'churned', task: 'binary' },
      trainer: { algorithm: 'logistic_regression', resources: 'cpu', hyperparameters: { epochs: 10 } },
      evaluation: { primaryMetric: 'roc_auc', minimum: 0.6 },
      deployment: { readyTimeout: '30s' },
      monitoring: { window: '1m', minSamples: 200, driftShare: 0.3, performanceFloor: 0.7 },
    }),
    'scenarios.yaml',
  );
  spec = raw;
  const result = (await stack.deps.temporal.workflow.execute('trainingPipeline', {
    workflowId: `scenarios-${Date.now()}`,
    taskQueue: stack.taskQueue,
    args: [{ spec, trigger: { kind: 'manual', reason: 'monitoring scenarios', at: new Date().toISOString() } }],
  })) as TrainingPipelineResult;
  expect(result.outcome, JSON.stringify(result)).toBe('deployed');
}, 240_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

interface WindowOptions {
  rows: number;
  /** Covariate shift of the generated traffic (0 = as in training; the label relationship stays). */
  covariateShift?: number;
  /** Concept drift of the generated traffic (features as in training, the label relationship changes). */
  conceptDrift?: number;
  /** Whether feedback arrives at all. */
  feedback?: boolean;
}

/** Sends one window of traffic (and its feedback) through serving, then judges it with the monitor activity. */
async function runWindow(options: WindowOptions): Promise<MonitorWindowReport> {
  const windowStart = new Date().toISOString();
  const { records, labels } = generateTraffic({
    rows: options.rows,
    seed: seed++,
    covariateShift: options.covariateShift ?? 0,
    conceptDrift: options.conceptDrift ?? 0,
  });
  const res = await fetch(`${stack.servingUrl}/v1/models/${MODEL}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ records }),
  });
  expect(res.status).toBe(200);
  const { predictions } = (await res.json()) as { predictions: Array<{ predictionId: string }> };
  const labelled = options.feedback ?? true;
  if (labelled) {
    const feedback = predictions.map((p, i) => ({ predictionId: p.predictionId, label: labels[i]! }));
    const fb = await fetch(`${stack.servingUrl}/v1/models/${MODEL}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ feedback }),
    });
    expect(fb.status).toBe(202);
  }
  const input = {
    model: MODEL,
    windowStart,
    driftMethod: spec.monitoring.driftMethod,
    driftColumns: spec.monitoring.driftColumns,
    driftShare: spec.monitoring.driftShare,
    minSamples: spec.monitoring.minSamples,
    performanceFloor: spec.monitoring.performanceFloor ?? null,
    primaryMetric: spec.evaluation.primaryMetric,
  };
  // The serving log is written in batches: wait until the whole window is there.
  for (let i = 0; ; i++) {
    const report = await monitor({ ...input, windowEnd: new Date(Date.now() + 1).toISOString() });
    const complete = report.predictions >= options.rows && (!labelled || report.labelled >= options.rows);
    if (complete || i >= 60) return report;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('monitoring scenarios on a deployed model', () => {
  it('covariate shift (activity view): feature drift is reported', { timeout: 60_000 }, async () => {
    const report = await runWindow({ rows: 1000, covariateShift: 1 });
    expect(report.status, report.summary).toBe('drift');
    // The label relationship did not change: the model still ranks above the floor on the labelled traffic.
    expect(report.performance?.value).toBeGreaterThan(0.7);
    expect(report.drift?.datasetDrift).toBe(true);
    const drifted = report.drift?.features.filter((f) => f.drifted).map((f) => f.name);
    expect(drifted).toEqual(expect.arrayContaining(['tenure_months', 'monthly_charges']));
    // The model's outputs move with its inputs: prediction drift against the evaluation holdout's outputs.
    // (a 600-row holdout: KS, as Evidently picks for a reference of at most 1000 rows)
    expect(report.predictionDrift).toMatchObject({ method: 'ks', drifted: true });
    expect(report.summary).toMatch(/prediction drift yes \(ks \d\.\d{3}\)/);
  });

  it(
    'concept drift: no feature drift, but performance drops below the floor once labels arrive',
    { timeout: 60_000 },
    async () => {
      const report = await runWindow({ rows: 1000, conceptDrift: 1 });
      expect(report.drift?.datasetDrift, report.summary).toBe(false);
      expect(report.status, report.summary).toBe('degraded');
      expect(report.performance?.value).toBeLessThan(0.7);
      expect(report.summary).toContain('below floor 0.7');
      expect(report.labels).toEqual({ status: 'ok', labelled: 1000, predictions: 1000, minLabelled: 50 });
    },
  );

  it('labels stop arriving: no false alarm, and the window says labels are missing', { timeout: 60_000 }, async () => {
    const report = await runWindow({ rows: 600, feedback: false });
    expect(report.status, report.summary).toBe('ok');
    expect(report.labelled).toBe(0);
    expect(report.performance).toBeNull();
    expect(report.summary).toMatch(/labels missing: 0 of 600 predictions have feedback/);
    expect(report.labels).toEqual({ status: 'missing', labelled: 0, predictions: 600, minLabelled: 50 });
    expect(report.predictionDrift?.drifted).toBe(false);
  });

  it('a noisy but stable stream raises no alarm over 50 windows', { timeout: 240_000 }, async () => {
    const statuses: string[] = [];
    for (let w = 0; w < 50; w++) {
      const report = await runWindow({ rows: 300 });
      statuses.push(`${report.status}: ${report.summary}`);
    }
    const alarms = statuses.filter((s) => s.startsWith('drift') || s.startsWith('degraded'));
    expect(alarms, alarms.join('\n')).toEqual([]);
  });
});
