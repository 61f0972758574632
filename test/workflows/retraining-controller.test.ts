/**
 * The retraining controller on REAL servers: the embedded stack (Temporal dev server, PGlite registry over the wire,
 * file artifacts, the CPU worker with the real activities, serving), CPU training on generated churn data.
 * Each test drives its own model (its own controller `retrain-<model>`), so they do not depend on each other.
 *  - triggers arriving while a pipeline runs coalesce into exactly one follow-up run, which trains on the newest
 *    dataset;
 *  - a pipeline that fails validation is recorded as `failed` (with the problems) and the controller goes on;
 *  - `retrainNow` while a run is active answers `queued` with the running pipeline;
 *  - a `performanceDropped` report starts a `performance` run whose recorded decision carries the report's evidence,
 *    and a trigger coalesced during that run is recorded in the registry too.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestRetrain } from '../../client/commands/run.js';
import { startDevStack, type DevStack } from '../../client/dev-stack.js';
import { STACK_STATE_FILE } from '../../client/stack-settings.js';
import type { ControllerDecision, ControllerStatus } from '../../contracts/controller.js';
import {
  controllerStatusQuery,
  driftDetectedSignal,
  manualRetrainSignal,
  newDataSignal,
  performanceDroppedSignal,
  retrainNowUpdate,
} from '../../contracts/messages.js';
import type { MonitorWindowReport } from '../../contracts/monitoring.js';
import type { TrainingPipelineResult } from '../../contracts/payloads.js';
import { TRIGGER_KEY } from '../../contracts/search-attributes.js';
import { CPU_TASK_QUEUE } from '../../contracts/task-queues.js';
import { controllerWorkflowId } from '../../contracts/workflow-ids.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';

const TEST_TIMEOUT = 300_000;
const PIPELINE_ID = /^pipeline-[a-z0-9-]+-\d{8}T\d{6}Z(-\d+)?$/;

let dir: string;
let stack: DevStack;
let client: Client;
let base: PipelineSpec;
/** Reference data (drift 0) every spec points at. */
let baseUri: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-controller-'));
  // startDevStack writes .mlops/stack.json under the working directory without creating .mlops/ first.
  await mkdir(path.dirname(STACK_STATE_FILE), { recursive: true });
  const baseFile = path.join(dir, 'data', 'base.csv');
  await writeChurnDataset(baseFile, { rows: 3000, seed: 42, drift: 0 });
  baseUri = `file://${baseFile}`;
  const fromYaml = await loadSpecFile('examples/churn/pipeline.yaml');
  base = {
    ...fromYaml,
    dataset: { ...fromYaml.dataset, uri: baseUri },
    // CPU (no GPU worker in this stack); more epochs so a run lasts long enough to send triggers during it.
    trainer: {
      ...fromYaml.trainer,
      resources: 'cpu',
      hyperparameters: { ...fromYaml.trainer.hyperparameters, epochs: 300 },
    },
  };
  stack = await startDevStack({ stateDir: path.join(dir, 'stack'), gpuWorker: false, log: () => {} });
  client = stack.runtime.deps.temporal;
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

const specFor = (model: string): PipelineSpec => ({ ...base, model });

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== null) return value;
    } catch (err) {
      lastError = err instanceof Error ? err.message : JSON.stringify(err);
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs / 1000}s waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

const statusOf = (model: string): Promise<ControllerStatus> =>
  client.workflow.getHandle(controllerWorkflowId(model)).query(controllerStatusQuery);

/** Waits until the controller has finished `runs` pipelines (completed or failed) and nothing is pending. */
function waitIdle(model: string, runs: number): Promise<ControllerStatus> {
  return waitFor(`${controllerWorkflowId(model)} to finish ${runs} run(s)`, 240_000, async () => {
    const s = await statusOf(model);
    const finished = s.recent.filter((d) => d.decision === 'completed' || d.decision === 'failed').length;
    return s.phase === 'idle' && s.pending.length === 0 && finished >= runs ? s : null;
  });
}

async function listPipelines(model: string): Promise<WorkflowExecutionInfo[]> {
  const out: WorkflowExecutionInfo[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowType="trainingPipeline" AND MlopsModel="${model}"` }))
    out.push(wf);
  return out;
}

/** The controller's decisions as `recordRetrainDecision` stored them in the registry, oldest first. */
async function recordedDecisions(
  model: string,
): Promise<Array<{ decision: string; trigger: string; details: ControllerDecision }>> {
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    const res = await db.query<{ decision: string; trigger: string; details: ControllerDecision }>(
      'SELECT decision, trigger, details FROM retrain_decisions WHERE model = $1 ORDER BY id',
      [model],
    );
    return res.rows;
  } finally {
    await db.end();
  }
}

const byDecision = (recent: ControllerDecision[], decision: ControllerDecision['decision']): ControllerDecision[] =>
  recent.filter((d) => d.decision === decision);

describe('retrainingController on the dev stack', () => {
  it(
    'coalesces the triggers that arrive during a run into exactly one follow-up run on the newest data',
    { timeout: TEST_TIMEOUT },
    async () => {
      const model = 'churn';
      const spec = specFor(model);
      const newDataFile = path.join(dir, 'data', 'new-data.csv');
      await writeChurnDataset(newDataFile, { rows: 3000, seed: 7, drift: 1 });
      const newDataUri = `file://${newDataFile}`;

      const first = await requestRetrain(client, spec, { reason: 'initial training', kind: 'initial' });
      expect(first).toEqual({
        pipelineId: expect.stringMatching(PIPELINE_ID) as unknown,
        disposition: 'started',
        runningPipelineId: null,
      });
      const controller = client.workflow.getHandle(controllerWorkflowId(model));
      await controller.signal(manualRetrainSignal, { reason: 'manual one' });
      await controller.signal(manualRetrainSignal, { reason: 'manual two' });
      await controller.signal(newDataSignal, { datasetUri: newDataUri });

      // The three triggers wait behind the first run.
      const during = await waitFor('the three triggers to be queued', 30_000, async () => {
        const s = await statusOf(model);
        return s.pending.length === 3 || s.phase === 'idle' ? s : null;
      });
      expect(during.phase).toBe('training');
      expect(during.current?.pipelineId).toBe(first.pipelineId);
      expect(during.pending.map((t) => t.kind)).toEqual(['manual', 'manual', 'new_data']);

      const status = await waitIdle(model, 2);
      expect(status.runsStarted).toBe(2);
      expect(status.recent.map((d) => d.decision)).toEqual([
        'started',
        'coalesced',
        'coalesced',
        'coalesced',
        'completed',
        'started',
        'completed',
      ]);
      const [started1, started2] = byDecision(status.recent, 'started');
      const [done1, done2] = byDecision(status.recent, 'completed');
      expect(started1!.pipelineId).toBe(first.pipelineId);
      expect(started1!.trigger.kind).toBe('initial');
      for (const c of byDecision(status.recent, 'coalesced')) {
        expect(c.pipelineId).toBeNull();
        expect(c.detail).toContain(`queued behind ${first.pipelineId}`);
      }
      // The follow-up: one run for all three, labelled by the most specific kind, on the new dataset.
      expect(started2!.pipelineId).toMatch(PIPELINE_ID);
      expect(started2!.pipelineId).not.toBe(first.pipelineId);
      expect(started2!.trigger.kind).toBe('manual');
      expect(started2!.trigger.reason).toContain('3 triggers coalesced');
      expect(started2!.trigger.reason).toContain('manual (manual one)');
      expect(started2!.trigger.reason).toContain('manual (manual two)');
      expect(started2!.trigger.reason).toContain(`new_data (new data at ${newDataUri})`);
      expect(started2!.trigger.datasetUri).toBe(newDataUri);
      // v1 deployed; v2, trained on the drifted data, beats v1 on that data's holdout and replaces it.
      expect(done1).toMatchObject({ pipelineId: first.pipelineId, outcome: 'deployed', version: 1 });
      expect(done2).toMatchObject({ pipelineId: started2!.pipelineId, outcome: 'deployed', version: 2 });
      expect(status.deployedVersion).toBe(2);

      // Exactly two pipeline executions exist for the model (visibility is eventually consistent: poll).
      const pipelines = await waitFor('visibility to list both pipelines', 60_000, async () => {
        const list = await listPipelines(model);
        return list.length >= 2 && list.every((p) => p.status.name === 'COMPLETED') ? list : null;
      });
      expect(pipelines.map((p) => p.workflowId).sort()).toEqual([first.pipelineId, started2!.pipelineId].sort());
      const result2 = (await client.workflow.getHandle(started2!.pipelineId!).result()) as TrainingPipelineResult;
      expect(result2).toMatchObject({ outcome: 'deployed', version: 2, championBefore: 1 });

      // The registry: v1 from the reference data, v2 from the new data, v2 is the champion and deployed.
      const registry = stack.runtime.deps.registry;
      const versions = await registry.listVersions(model);
      expect(versions.map((v) => ({ version: v.version, runId: v.runId, datasetUri: v.lineage.datasetUri }))).toEqual([
        { version: 1, runId: first.pipelineId, datasetUri: baseUri },
        { version: 2, runId: started2!.pipelineId, datasetUri: newDataUri },
      ]);
      expect(versions.find((v) => v.version === 2)?.aliases).toContain('champion');
      expect((await registry.getDeployed(model))?.version).toBe(2);
      expect((await registry.listDeployments(model)).map((d) => d.version)).toEqual([1, 2]);
    },
  );

  it(
    'records a pipeline that fails validation as failed, keeps running and takes the next trigger',
    { timeout: TEST_TIMEOUT },
    async () => {
      const model = 'churn-bad-data';
      const spec = specFor(model);
      // A dataset without the label column and with text in a numeric column.
      const good = path.join(dir, 'data', 'for-bad.csv');
      await writeChurnDataset(good, { rows: 500, seed: 3, drift: 0 });
      const lines = (await readFile(good, 'utf8')).trimEnd().split('\n');
      const badFile = path.join(dir, 'data', 'bad.csv');
      await writeFile(
        badFile,
        lines
          .map((line, i) =>
            line
              .split(',')
              .slice(0, -1)
              .map((cell, j) => (i > 0 && j === 0 ? 'lots' : cell))
              .join(','),
          )
          .join('\n') + '\n',
      );
      expect(lines[0]).toMatch(/,churned$/);
      const badUri = `file://${badFile}`;

      // Started by the newData signal itself (signal-with-start, as an ingestion job would).
      await client.workflow.signalWithStart('retrainingController', {
        workflowId: controllerWorkflowId(model),
        taskQueue: CPU_TASK_QUEUE,
        args: [{ spec }],
        signal: newDataSignal,
        signalArgs: [{ datasetUri: badUri, reason: 'bad drop' }],
      });
      const afterFailure = await waitIdle(model, 1);
      expect(afterFailure.recent.map((d) => d.decision)).toEqual(['started', 'failed']);
      const failed = byDecision(afterFailure.recent, 'failed')[0]!;
      expect(failed.outcome).toBe('failed');
      expect(failed.trigger).toMatchObject({ kind: 'new_data', reason: 'bad drop', datasetUri: badUri });
      expect(failed.pipelineId).toMatch(PIPELINE_ID);
      expect(failed.detail).toContain(`${failed.pipelineId} failed:`);
      expect(failed.detail).toContain(`dataset ${badUri} failed validation`);
      expect(failed.detail).toContain('failed validation: 3 error(s)');
      // The rejected cells also leave tenure_months missing in every row: the missing-rate check counts them.
      expect(failed.detail).toContain('label column "churned" is missing');
      expect(failed.detail).toContain('column "tenure_months" row 1: "lots" is not a number (500 in all)');
      expect(afterFailure.deployedVersion).toBeNull();

      const failedPipeline = await client.workflow.getHandle(failed.pipelineId!).describe();
      expect(failedPipeline.status.name).toBe('FAILED');
      const failure = await client.workflow
        .getHandle(failed.pipelineId!)
        .result()
        .then(
          () => null,
          (err: unknown) => err as Error & { cause?: Error & { type?: string } },
        );
      expect(failure?.cause?.type).toBe('InvalidDataset');
      expect(await stack.runtime.deps.registry.listVersions(model)).toEqual([]);

      // The controller is still running and takes the next trigger (retrainNow, on the spec's good data).
      expect((await client.workflow.getHandle(controllerWorkflowId(model)).describe()).status.name).toBe('RUNNING');
      const next = await requestRetrain(client, spec, { reason: 'after the bad drop' });
      expect(next.disposition).toBe('started');
      expect(next.pipelineId).not.toBe(failed.pipelineId);
      const status = await waitIdle(model, 2);
      expect(status.runsStarted).toBe(2);
      expect(status.recent.map((d) => d.decision)).toEqual(['started', 'failed', 'started', 'completed']);
      expect(byDecision(status.recent, 'completed')[0]).toMatchObject({
        pipelineId: next.pipelineId,
        outcome: 'deployed',
        version: 1,
      });
      expect(status.deployedVersion).toBe(1);
      expect((await stack.runtime.deps.registry.listVersions(model)).map((v) => v.runId)).toEqual([next.pipelineId]);
    },
  );

  it(
    'answers retrainNow with queued (and the running pipeline) while a run is active',
    { timeout: TEST_TIMEOUT },
    async () => {
      const model = 'churn-queued';
      const spec = specFor(model);
      const first = await requestRetrain(client, spec, { reason: 'first', kind: 'initial' });
      expect(first.disposition).toBe('started');

      // Update-with-start on the running controller, and the plain update: both queued behind the first run.
      const second = await requestRetrain(client, spec, { reason: 'second' });
      expect(second).toEqual({ pipelineId: null, disposition: 'queued', runningPipelineId: first.pipelineId });
      const third = await client.workflow
        .getHandle(controllerWorkflowId(model))
        .executeUpdate(retrainNowUpdate, { args: [{ reason: 'third', kind: 'manual' }] });
      expect(third).toEqual({ pipelineId: null, disposition: 'queued', runningPipelineId: first.pipelineId });

      // Both become the single follow-up run.
      const status = await waitIdle(model, 2);
      expect(status.runsStarted).toBe(2);
      expect(status.recent.map((d) => d.decision)).toEqual([
        'started',
        'coalesced',
        'coalesced',
        'completed',
        'started',
        'completed',
      ]);
      const followUp = byDecision(status.recent, 'started')[1]!;
      expect(followUp.trigger.reason).toBe('2 triggers coalesced: manual (second); manual (third)');
      const pipelines = await waitFor('visibility to list both pipelines', 60_000, async () => {
        const list = await listPipelines(model);
        return list.length >= 2 ? list : null;
      });
      expect(pipelines.map((p) => p.workflowId).sort()).toEqual([first.pipelineId, followUp.pipelineId].sort());
    },
  );
  it(
    'holds automatic triggers for the cooldown after a run, but never a manual one',
    { timeout: TEST_TIMEOUT },
    async () => {
      const model = 'churn-cooldown';
      const spec: PipelineSpec = {
        ...specFor(model),
        trainer: { ...base.trainer, hyperparameters: { ...base.trainer.hyperparameters, epochs: 20 } },
        retraining: { cooldown: '12s' },
      };
      const handle = client.workflow.getHandle(controllerWorkflowId(model));
      await requestRetrain(client, spec, { reason: 'first', kind: 'initial' });
      const afterFirst = await waitIdle(model, 1);
      const firstEnded = Date.parse(afterFirst.lastFinishedAt!);
      const report = {
        model,
        version: 1,
        windowStart: new Date().toISOString(),
        windowEnd: new Date().toISOString(),
        status: 'drift' as const,
        predictions: 500,
        labelled: 0,
        drift: null,
        performance: null,
        latencyMs: null,
        summary: 'drift: test signal',
        reportUri: null,
      };
      await handle.signal(driftDetectedSignal, { report });
      const deferred = await waitFor('the drift trigger to be deferred', 30_000, async () => {
        const s = await statusOf(model);
        return byDecision(s.recent, 'deferred')[0] ?? null;
      });
      expect(deferred.detail).toMatch(/cooldown: drift retrain held until .* \(12s after the last run\)/);
      const afterSecond = await waitIdle(model, 2);
      const second = byDecision(afterSecond.recent, 'started')[1]!;
      expect(second.trigger.kind).toBe('drift');
      expect(Date.parse(second.at) - firstEnded).toBeGreaterThanOrEqual(12_000);

      // In the next cooldown a drift trigger waits again, and a manual one releases it at once.
      await handle.signal(driftDetectedSignal, { report });
      await waitFor('the second deferral', 30_000, async () => {
        const s = await statusOf(model);
        return byDecision(s.recent, 'deferred').length >= 2 ? s : null;
      });
      await handle.signal(manualRetrainSignal, { reason: 'operator says now' });
      const afterThird = await waitIdle(model, 3);
      const third = byDecision(afterThird.recent, 'started')[2]!;
      expect(third.trigger.reason).toMatch(/2 triggers coalesced: .*drift.*manual \(operator says now\)/);
      expect(Date.parse(third.at) - Date.parse(afterSecond.lastFinishedAt!)).toBeLessThan(12_000);
    },
  );

  it(
    'starts a performance run from performanceDropped with its evidence, and records a trigger coalesced during it',
    { timeout: TEST_TIMEOUT },
    async () => {
      const model = 'churn-performance';
      const spec = specFor(model);
      const at = new Date().toISOString();
      const performance = { metric: 'roc_auc', value: 0.61, floor: 0.7 };
      const report: MonitorWindowReport = {
        model,
        version: 1,
        windowStart: at,
        windowEnd: at,
        status: 'degraded',
        predictions: 800,
        labelled: 400,
        drift: null,
        performance,
        latencyMs: null,
        summary: 'roc_auc 0.61 below the floor 0.7 on 400 labelled predictions',
        reportUri: null,
      };
      // Started by the monitor's signal (signal-with-start), as the monitor's activity does.
      const handle = await client.workflow.signalWithStart('retrainingController', {
        workflowId: controllerWorkflowId(model),
        taskQueue: CPU_TASK_QUEUE,
        args: [{ spec }],
        signal: performanceDroppedSignal,
        signalArgs: [{ report }],
      });
      const started = await waitFor('the performance run to start', 60_000, async () => {
        const s = await statusOf(model);
        return byDecision(s.recent, 'started')[0] ?? null;
      });
      const evidence = { window: at, version: 1, performance };
      expect(started.trigger).toMatchObject({ kind: 'performance', reason: report.summary, evidence });
      expect(started.pipelineId).toMatch(PIPELINE_ID);

      // A manual trigger during that run: coalesced, in the status and in the registry.
      await handle.signal(manualRetrainSignal, { reason: 'operator during the run' });
      const status = await waitIdle(model, 2);
      expect(status.recent.map((d) => d.decision)).toEqual([
        'started',
        'coalesced',
        'completed',
        'started',
        'completed',
      ]);
      const coalesced = byDecision(status.recent, 'coalesced')[0]!;
      expect(coalesced.detail).toBe(`queued behind ${started.pipelineId}: operator during the run`);
      const followUp = byDecision(status.recent, 'started')[1]!;
      expect(followUp.trigger).toMatchObject({ kind: 'manual', reason: 'operator during the run' });
      expect(byDecision(status.recent, 'completed')[0]).toMatchObject({ pipelineId: started.pipelineId });
      const pipeline = await client.workflow.getHandle(started.pipelineId!).describe();
      expect(pipeline.typedSearchAttributes.get(TRIGGER_KEY)).toBe('performance');

      // Every decision reaches the registry once, in order, with its trigger (completed ones included).
      const recorded = await recordedDecisions(model);
      expect(recorded.map((r) => [r.decision, r.trigger])).toEqual([
        ['started', 'performance'],
        ['coalesced', 'manual'],
        ['completed', 'performance'],
        ['started', 'manual'],
        ['completed', 'manual'],
      ]);
      expect(recorded.map((r) => r.details)).toEqual(status.recent);
      expect(recorded[0]!.details.trigger.evidence).toEqual(evidence);
    },
  );
});
