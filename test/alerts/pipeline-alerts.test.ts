/**
 * Webhook alerts from the worker as production builds it (`createWorkerRuntime` reading `MLOPS_ALERT_WEBHOOK_URL`,
 * `MLOPS_ALERT_WEBHOOK_SECRET`, `TEMPORAL_UI_URL`), with a local HTTP receiver as the webhook:
 *  - a pipeline that fails through the real retraining controller and training pipeline (dataset missing) posts a
 *    signed `pipeline_failed` alert; a model whose spec leaves the event out posts none;
 *  - the deploy activity's rollback (a live replica never loads the new version) posts a `rollback` alert.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDeployModel } from '../../activities/deploy-model.js';
import type { ControllerStatus } from '../../contracts/controller.js';
import { controllerStatusQuery, manualRetrainSignal } from '../../contracts/messages.js';
import { controllerWorkflowId } from '../../contracts/workflow-ids.js';
import type { AlertEvent } from '../../lib/spec/alerts-spec.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { startE2eStack, type E2eStack } from '../e2e/e2e-stack.js';
import { newVersion } from '../registry/helpers/fixtures.js';
import { startAlertReceiver, type AlertReceiver } from './alert-receiver.js';

const SECRET = 'pipeline-alert-secret';

let dir: string;
let stack: E2eStack;
let client: Client;
let receiver: AlertReceiver;
let taskQueue: string;
let base: PipelineSpec;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pipeline-alerts-'));
  receiver = await startAlertReceiver(SECRET);
  stack = await startE2eStack(dir, 'pipeline_alerts', {
    env: {
      MLOPS_ALERT_WEBHOOK_URL: receiver.url,
      MLOPS_ALERT_WEBHOOK_SECRET: SECRET,
      TEMPORAL_UI_URL: inject('temporalUiUrl'),
    },
    serving: false,
  });
  client = stack.deps.temporal;
  taskQueue = stack.taskQueue;
  const fromYaml = await loadSpecFile('examples/churn/pipeline.yaml');
  base = { ...fromYaml, trainer: { ...fromYaml.trainer, resources: 'cpu' } };
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

/** Starts the model's controller with a manual trigger on a dataset that does not exist; returns the failed run. */
async function failPipeline(model: string, events: AlertEvent[]): Promise<string> {
  const spec: PipelineSpec = {
    ...base,
    model,
    dataset: { ...base.dataset, uri: `file://${path.join(dir, 'missing', `${model}.csv`)}` },
    alerts: { events },
  };
  const handle = await client.workflow.signalWithStart('retrainingController', {
    workflowId: controllerWorkflowId(model),
    taskQueue,
    args: [{ spec }],
    signal: manualRetrainSignal,
    signalArgs: [{ reason: 'alert test' }],
  });
  const deadline = Date.now() + 90_000;
  try {
    for (;;) {
      const status: ControllerStatus = await handle.query(controllerStatusQuery);
      const failed = status.recent.find((d) => d.decision === 'failed');
      if (failed?.pipelineId) return failed.pipelineId;
      if (Date.now() > deadline) throw new Error(`no failed run: ${JSON.stringify(status.recent)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await handle.terminate('test done');
  }
}

describe('alerts from the worker', () => {
  it('posts a signed pipeline_failed alert when a run through the controller fails', { timeout: 180_000 }, async () => {
    const pipelineId = await failPipeline('alerts-failing', ['pipeline_failed']);
    const alerts = receiver.received.filter((r) => r.alert.model === 'alerts-failing');
    expect(alerts).toHaveLength(1);
    const { alert, key, signed } = alerts[0]!;
    expect(signed).toBe(true);
    expect(key).toBe(`${pipelineId}:pipeline_failed`);
    expect(alert).toMatchObject({
      id: `${pipelineId}:pipeline_failed`,
      type: 'pipeline_failed',
      model: 'alerts-failing',
      version: null,
      severity: 'critical',
      details: { pipelineId, outcome: 'failed', trigger: { kind: 'manual', reason: 'alert test' } },
    });
    expect(alert.summary).toContain(`pipeline ${pipelineId} failed`);
    expect(alert.summary).toContain('missing/alerts-failing.csv');
    expect(alert.runUrl).toMatch(new RegExp(`/namespaces/default/workflows/${pipelineId}/[0-9a-f-]+/history$`));
  });

  it('posts nothing for a model whose spec leaves pipeline_failed out', { timeout: 180_000 }, async () => {
    // The pipeline records its failure (and would alert) before the controller records the failed decision.
    await failPipeline('alerts-quiet', ['drift', 'rollback']);
    expect(receiver.received.filter((r) => r.alert.model === 'alerts-quiet')).toEqual([]);
  });

  it('posts a rollback alert when live replicas do not load the new version', async () => {
    const { registry } = stack.deps;
    const model = 'alerts-rollback';
    const spec = { ...(newVersion(model, 'x').spec as object), alerts: { events: ['rollback'] } };
    await registry.registerVersion(newVersion(model, 'run-v1', { spec }));
    await registry.registerVersion(newVersion(model, 'run-v2', { spec }));
    await registry.recordDeployment({ model, version: 1, runId: 'deploy-v1' });
    await registry.reportReplica({
      replicaId: 'replica-a',
      url: 'http://127.0.0.1:1',
      model,
      version: 1,
      loadedAt: new Date().toISOString(),
      heartbeatAt: new Date().toISOString(),
      error: 'model v2: checksum mismatch',
    });
    const deploy = createDeployModel(stack.deps);
    const env = new MockActivityEnvironment();
    await expect(
      env.run(deploy, { model, version: 2, runId: 'pipeline-alerts-rollback-1', readyTimeoutMs: 300 }),
    ).rejects.toThrow(/rolled back to v1/);
    expect((await registry.getDeployed(model))?.version).toBe(1);
    const alerts = receiver.received.filter((r) => r.alert.model === model);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.alert).toMatchObject({
      id: 'pipeline-alerts-rollback-1:rollback:v2',
      type: 'rollback',
      version: 2,
      severity: 'critical',
      details: { failedVersion: 2, restoredVersion: 1, runId: 'pipeline-alerts-rollback-1' },
    });
    expect(alerts[0]!.alert.summary).toContain('replica-a has v1 (error: model v2: checksum mismatch)');
    expect(alerts[0]!.signed).toBe(true);
  });
});
