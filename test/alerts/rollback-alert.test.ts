/**
 * A human's rollback (`mlops models rollback`: the `modelPromotion` workflow with `action: 'rollback'`) posts the same
 * signed `rollback` alert as the automatic one, from the worker as production builds it (`createWorkerRuntime` with
 * `MLOPS_ALERT_WEBHOOK_URL`), to a local HTTP receiver; a promotion posts none.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ModelPromotionInput, ModelPromotionResult } from '../../contracts/controller.js';
import { startE2eStack, type E2eStack } from '../e2e/e2e-stack.js';
import { newVersion } from '../registry/helpers/fixtures.js';
import { startAlertReceiver, type AlertReceiver } from './alert-receiver.js';

const SECRET = 'rollback-alert-secret';

let dir: string;
let stack: E2eStack;
let receiver: AlertReceiver;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rollback-alert-'));
  receiver = await startAlertReceiver(SECRET);
  stack = await startE2eStack(dir, 'rollback_alert', {
    env: {
      MLOPS_ALERT_WEBHOOK_URL: receiver.url,
      MLOPS_ALERT_WEBHOOK_SECRET: SECRET,
      TEMPORAL_UI_URL: inject('temporalUiUrl'),
    },
    serving: false,
  });
}, 300_000);

afterAll(async () => {
  await stack?.stop();
  await receiver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

/** A live serving replica that has `version` loaded, so the deploy activity returns as soon as it is recorded. */
async function replicaServes(model: string, version: number): Promise<void> {
  const now = new Date().toISOString();
  await stack.deps.registry.reportReplica({
    replicaId: `replica-${model}`,
    url: 'http://127.0.0.1:1',
    model,
    version,
    loadedAt: now,
    heartbeatAt: now,
    error: null,
  });
}

/** Runs `modelPromotion` as `mlops models promote|rollback` starts it. */
function promotion(input: Omit<ModelPromotionInput, 'readyTimeoutMs'>): Promise<ModelPromotionResult> {
  return stack.deps.temporal.workflow.execute('modelPromotion', {
    workflowId: `${input.action}-${input.model}-v${input.version}-${Date.now().toString(36)}`,
    taskQueue: stack.taskQueue,
    args: [{ ...input, readyTimeoutMs: 30_000 }],
  });
}

describe('alert for a human rollback', () => {
  it(
    'posts a signed rollback alert for mlops models rollback, and none for a promotion',
    { timeout: 120_000 },
    async () => {
      const { registry } = stack.deps;
      const model = 'alerts-human-rollback';
      const spec = { ...(newVersion(model, 'x').spec as object), alerts: { events: ['rollback'] } };
      await registry.registerVersion(newVersion(model, 'run-v1', { spec }));
      await registry.registerVersion(newVersion(model, 'run-v2', { spec }));
      await registry.recordDeployment({ model, version: 1, runId: 'deploy-v1' });

      // Promote v2 (no alert), then a human rolls back to v1.
      await replicaServes(model, 2);
      const promoted = await promotion({
        model,
        version: 2,
        action: 'promote',
        reason: 'try v2',
        requestedBy: 'alice',
        previousVersion: 1,
      });
      expect(promoted.replicas).toHaveLength(1);
      expect((await registry.getDeployed(model))?.version).toBe(2);
      expect(receiver.received.filter((r) => r.alert.model === model)).toEqual([]);

      await replicaServes(model, 1);
      const handle = await stack.deps.temporal.workflow.start('modelPromotion', {
        workflowId: `rollback-${model}-v1-${Date.now().toString(36)}`,
        taskQueue: stack.taskQueue,
        args: [
          {
            model,
            version: 1,
            action: 'rollback',
            reason: 'v2 confuses the support team',
            requestedBy: 'bob',
            previousVersion: 2,
            readyTimeoutMs: 30_000,
          } satisfies ModelPromotionInput,
        ],
      });
      await handle.result();
      expect((await registry.getDeployed(model))?.version).toBe(1);

      const alerts = receiver.received.filter((r) => r.alert.model === model);
      expect(alerts).toHaveLength(1);
      const { alert, key, signed } = alerts[0]!;
      expect(signed).toBe(true);
      expect(key).toBe(`${handle.workflowId}:rollback:v2`);
      expect(alert).toMatchObject({
        id: `${handle.workflowId}:rollback:v2`,
        type: 'rollback',
        model,
        version: 2,
        severity: 'critical',
        details: {
          failedVersion: 2,
          restoredVersion: 1,
          runId: handle.workflowId,
          requestedBy: 'bob',
          reason: 'rolled back by bob: v2 confuses the support team',
        },
      });
      expect(alert.summary).toBe(
        `${model}: v2 was rolled back to v1: rolled back by bob: v2 confuses the support team`,
      );
      expect(alert.runUrl).toMatch(
        new RegExp(`/namespaces/default/workflows/${handle.workflowId}/[0-9a-f-]+/history$`),
      );
    },
  );

  it('posts nothing for a rollback of a model whose spec leaves rollback out', { timeout: 120_000 }, async () => {
    const { registry } = stack.deps;
    const model = 'alerts-quiet-rollback';
    const spec = { ...(newVersion(model, 'x').spec as object), alerts: { events: ['drift'] } };
    await registry.registerVersion(newVersion(model, 'quiet-run-v1', { spec }));
    await registry.registerVersion(newVersion(model, 'quiet-run-v2', { spec }));
    await registry.recordDeployment({ model, version: 1, runId: 'quiet-deploy-v1' });
    await registry.recordDeployment({ model, version: 2, runId: 'quiet-deploy-v2' });
    await replicaServes(model, 1);
    await promotion({
      model,
      version: 1,
      action: 'rollback',
      reason: 'quiet',
      requestedBy: 'carol',
      previousVersion: 2,
    });
    expect((await registry.getDeployed(model))?.version).toBe(1);
    expect(receiver.received.filter((r) => r.alert.model === model)).toEqual([]);
  });
});
