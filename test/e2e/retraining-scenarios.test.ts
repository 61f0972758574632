/**
 * Retraining scenarios through the workflows (issue "Continuous training", item 6), on the real stack: the
 * retraining controller trains and deploys v1 of a churn model, the `modelMonitor` workflow it starts judges a 2 s
 * window of served traffic at a time (2 breached windows in a row before it signals), the serving app answers and
 * logs predictions, and feedback arrives over HTTP. One model per scenario:
 *  a. covariate shift (the features move, P(y|x) stays): drift after 2 consecutive windows -> a `drift` retrain;
 *  b. concept drift (features as in training, a different relationship): while labels are missing no alarm and no
 *     performance judgement; once they arrive the windows degrade -> a `performance` retrain;
 *  c. labels stop arriving: no alarm, and each window's report says the labels are missing.
 * Each scenario also checks a window's latency quantiles and the stored report (registry row and artifact).
 * monitoring-scenarios.test.ts shows the same scenarios at the activity level.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerDecision } from '../../contracts/controller.js';
import { controllerStatusQuery, monitorStatusQuery, retrainNowUpdate } from '../../contracts/messages.js';
import type { TrainingPipelineResult } from '../../contracts/payloads.js';
import { MODEL_KEY, TRIGGER_KEY } from '../../contracts/search-attributes.js';
import { controllerWorkflowId, monitorWorkflowId } from '../../contracts/workflow-ids.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { startE2eStack, type E2eStack } from './e2e-stack.js';
import {
  expectStoredReport,
  ScenarioTraffic,
  storedWindows,
  waitFor,
  type StoredWindow,
  type TrafficMode,
} from './scenario-traffic.js';

const FLOOR = 0.65;
const MIN_SAMPLES = 200;
const SCENARIOS = ['covariate', 'concept', 'labels'] as const;
let dir: string;
let stack: E2eStack;
const specs = {} as Record<(typeof SCENARIOS)[number], PipelineSpec>;
const traffics: ScenarioTraffic[] = [];

const client = () => stack.deps.temporal;
const controllerStatus = (model: string) =>
  client().workflow.getHandle(controllerWorkflowId(model)).query(controllerStatusQuery);
const monitorStatus = (model: string) =>
  client().workflow.getHandle(monitorWorkflowId(model)).query(monitorStatusQuery);
const breached = (w: StoredWindow): boolean => w.status === 'drift' || w.status === 'degraded';
const judged = (w: StoredWindow): boolean => w.report.predictions >= MIN_SAMPLES;

/** Starts the model's controller on the stack's task queue and has it train and deploy v1 (which starts the monitor). */
async function deployV1(spec: PipelineSpec): Promise<void> {
  const handle = await client().workflow.start('retrainingController', {
    workflowId: controllerWorkflowId(spec.model),
    taskQueue: stack.taskQueue,
    args: [{ spec }],
    typedSearchAttributes: [{ key: MODEL_KEY, value: spec.model }],
  });
  const launch = await handle.executeUpdate(retrainNowUpdate, {
    args: [{ reason: 'retraining scenarios: v1', kind: 'initial' }],
  });
  const result = (await client().workflow.getHandle(launch.pipelineId!).result()) as TrainingPipelineResult;
  expect(result.outcome, JSON.stringify(result.reasons)).toBe('deployed');
  await waitFor(`the monitor of ${spec.model}`, 60_000, () => monitorStatus(spec.model).catch(() => null));
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-retraining-scenarios-'));
  const datasetPath = path.join(dir, 'churn.csv');
  const [started, base] = await Promise.all([
    startE2eStack(dir, 'retraining_scenarios'),
    loadSpecFile('examples/churn/pipeline.yaml'),
    writeChurnDataset(datasetPath, { rows: 3000, seed: 11 }),
  ]);
  stack = started;
  const suffix = Date.now().toString(36);
  for (const scenario of SCENARIOS) {
    specs[scenario] = {
      ...base,
      model: `churn-${scenario}-${suffix}`,
      dataset: { ...base.dataset, uri: `file://${datasetPath}` },
      trainer: { ...base.trainer, resources: 'cpu', hyperparameters: { ...base.trainer.hyperparameters, epochs: 10 } },
      deployment: { ...base.deployment, readyTimeout: '30s' },
      monitoring: {
        ...base.monitoring,
        window: '2s',
        minSamples: MIN_SAMPLES,
        performanceFloor: FLOOR,
        consecutiveBreaches: 2,
      },
      retraining: { cooldown: '0s' },
    };
  }
  await Promise.all(Object.values(specs).map(deployV1));
}, 300_000);

afterAll(async () => {
  await Promise.all(traffics.map((t) => t.stop()));
  for (const spec of Object.values(specs)) {
    for (const id of [monitorWorkflowId(spec.model), controllerWorkflowId(spec.model)]) {
      // The controller's running pipeline is cancelled with it (parent close policy).
      await client()
        .workflow.getHandle(id)
        .terminate('retraining scenarios done')
        .catch(() => undefined);
    }
  }
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 60_000);

/** Starts traffic for the model in `mode` (seeds apart per scenario). */
function startTraffic(spec: PipelineSpec, mode: TrafficMode, seed: number): ScenarioTraffic {
  const traffic = new ScenarioTraffic(stack.servingUrl, spec.model, mode, seed);
  traffics.push(traffic);
  traffic.start();
  return traffic;
}

/** Waits for `count` judged windows that started at or after `since`; returns them. */
function judgedWindowsSince(spec: PipelineSpec, since: string, count: number): Promise<StoredWindow[]> {
  return waitFor(`${count} judged windows of ${spec.model} since ${since}`, 60_000, async () => {
    const windows = (await storedWindows(stack, spec.model)).filter((w) => w.report.windowStart >= since && judged(w));
    return windows.length >= count ? windows : null;
  });
}

/** Waits for the controller to start a retrain other than the initial one; returns that decision. */
function retrainStarted(spec: PipelineSpec): Promise<ControllerDecision> {
  return waitFor(`a retrain of ${spec.model}`, 90_000, async () => {
    const status = await controllerStatus(spec.model);
    return status.recent.find((d) => d.decision === 'started' && d.trigger.kind !== 'initial') ?? null;
  });
}

/** Nothing signalled so far: the monitor sent no signal and the controller only ran the initial training. */
async function expectNoRetrainSignal(spec: PipelineSpec): Promise<void> {
  expect((await monitorStatus(spec.model)).state.signalsSent).toBe(0);
  const status = await controllerStatus(spec.model);
  expect(status.recent.map((d) => d.trigger.kind)).toEqual(['initial', 'initial']);
  expect(status.runsStarted).toBe(1);
}

/**
 * Checks that the trigger came from the window that made `consecutiveBreaches` (2) breached windows in a row, after a
 * window that did not breach; returns the windows. The pipeline carries the trigger as its MlopsTrigger.
 */
async function expectTriggeredAfterTwoBreaches(
  spec: PipelineSpec,
  started: ControllerDecision,
  status: 'drift' | 'degraded',
): Promise<StoredWindow[]> {
  const windows = await storedWindows(stack, spec.model);
  const evidence = started.trigger.evidence as { window?: string; version?: number } | undefined;
  expect(evidence?.version).toBe(1);
  const at = windows.findIndex((w) => w.report.windowEnd === evidence?.window);
  expect(at, JSON.stringify(evidence)).toBeGreaterThanOrEqual(2);
  expect(windows.slice(at - 2, at + 1).map((w) => w.status)).toEqual([
    expect.not.stringMatching(/^(drift|degraded)$/),
    status,
    status,
  ]);
  // The controller records `started` just before it starts the child: wait for the run to exist.
  const pipeline = await waitFor(`pipeline ${started.pipelineId}`, 30_000, () =>
    client()
      .workflow.getHandle(started.pipelineId!)
      .describe()
      .catch(() => null),
  );
  expect(pipeline.typedSearchAttributes.get(TRIGGER_KEY)).toBe(started.trigger.kind);
  expect(pipeline.typedSearchAttributes.get(MODEL_KEY)).toBe(spec.model);
  expect((await monitorStatus(spec.model)).state.signalsSent).toBe(1);
  await expectStoredReport(stack, windows[at]!);
  return windows.slice(0, at + 1);
}

describe('retraining scenarios on the monitor and the controller', () => {
  it('covariate shift: drift in 2 consecutive windows starts a drift retrain', { timeout: 180_000 }, async () => {
    const spec = specs.covariate;
    const traffic = startTraffic(spec, { feedback: true }, 10_000);
    const reference = await judgedWindowsSince(spec, new Date().toISOString(), 2);
    expect(reference.map((w) => w.report.summary).filter((s) => !s.startsWith('ok'))).toEqual([]);
    await expectStoredReport(stack, reference[0]!);
    await expectNoRetrainSignal(spec);

    const shiftedAt = await traffic.switch({ covariateShift: 1, feedback: true });
    const started = await retrainStarted(spec);
    expect(started.trigger.kind).toBe('drift');
    const windows = await expectTriggeredAfterTwoBreaches(spec, started, 'drift');
    expect(windows.filter((w) => w.report.windowEnd <= shiftedAt && breached(w))).toEqual([]);
    const last = windows[windows.length - 1]!.report;
    expect(last.drift?.features.filter((f) => f.drifted).map((f) => f.name)).toEqual(
      expect.arrayContaining(['tenure_months', 'monthly_charges']),
    );
    // The relationship did not change: the labelled traffic keeps the model above its floor (drift, not degraded).
    expect(last.performance?.value).toBeGreaterThan(FLOOR);
    expect(last.breaches).toEqual(['drift']);
    expect(traffic.errors).toEqual([]);
  });

  it(
    'concept drift: no alarm while labels are missing, a performance retrain once they arrive',
    { timeout: 180_000 },
    async () => {
      const spec = specs.concept;
      const traffic = startTraffic(spec, { conceptDrift: 1, feedback: false }, 20_000);
      const unlabelled = await judgedWindowsSince(spec, new Date().toISOString(), 3);
      for (const { report } of unlabelled) {
        expect(report.status, report.summary).toBe('ok');
        expect(report.drift?.datasetDrift).toBe(false);
        expect(report.performance).toBeNull();
        expect(report.labels).toMatchObject({ status: 'missing', labelled: 0 });
      }
      await expectNoRetrainSignal(spec);

      const labelledAt = await traffic.switch({ conceptDrift: 1, feedback: true });
      const started = await retrainStarted(spec);
      expect(started.trigger.kind).toBe('performance');
      const windows = await expectTriggeredAfterTwoBreaches(spec, started, 'degraded');
      expect(windows.filter((w) => w.status === 'drift')).toEqual([]);
      // Before labels arrived nothing was judged on performance; the first window with labels may straddle the switch.
      const before = windows.filter((w) => w.report.windowEnd <= labelledAt);
      expect(before.filter((w) => w.report.performance !== null || breached(w))).toEqual([]);
      for (const { report } of windows.slice(-2)) {
        expect(report.windowEnd > labelledAt, report.windowEnd).toBe(true);
        expect(report.breaches).toEqual(['performance']);
        expect(report.drift?.datasetDrift).toBe(false);
        expect(report.performance?.value).toBeLessThan(FLOOR);
        expect(report.summary).toContain(`below floor ${FLOOR}`);
        expect(['ok', 'partial']).toContain(report.labels?.status);
      }
      expect(traffic.errors).toEqual([]);
    },
  );

  it('labels stop arriving: no alarm, and the windows say labels are missing', { timeout: 180_000 }, async () => {
    const spec = specs.labels;
    const traffic = startTraffic(spec, { feedback: true }, 30_000);
    const labelled = await judgedWindowsSince(spec, new Date().toISOString(), 2);
    for (const { report } of labelled) {
      expect(report.status, report.summary).toBe('ok');
      expect(report.performance?.value).toBeGreaterThan(FLOOR);
      expect(['ok', 'partial']).toContain(report.labels?.status);
      expect(report.labels?.labelled).toBeGreaterThanOrEqual(50);
    }

    const stoppedAt = await traffic.switch({ feedback: false });
    const unlabelled = await judgedWindowsSince(spec, stoppedAt, 3);
    for (const { report } of unlabelled) {
      expect(report.status, report.summary).toBe('ok');
      expect(report.performance).toBeNull();
      expect(report.labels).toEqual({
        status: 'missing',
        labelled: 0,
        predictions: report.predictions,
        minLabelled: 50,
      });
      expect(report.summary).toContain(`labels missing: 0 of ${report.predictions} predictions have feedback`);
    }
    await expectStoredReport(stack, unlabelled[unlabelled.length - 1]!);
    // The monitor's own view says so too, and nothing was signalled.
    const { last } = await monitorStatus(spec.model);
    expect(last?.labels?.status).toBe('missing');
    const all = await storedWindows(stack, spec.model);
    expect(all.filter(breached).map((w) => w.report.summary)).toEqual([]);
    await expectNoRetrainSignal(spec);
    expect(traffic.errors).toEqual([]);
  });
});
