import { ApplicationFailure, Context } from '@temporalio/activity';
import type { ModelPromotionInput } from '../contracts/controller.js';
import type { DeployModelInput, DeployModelResult } from '../contracts/payloads.js';
import { rollbackAlert } from '../lib/alerts/events.js';
import { notifyAlert } from '../lib/alerts/notifier.js';
import { alertOrigin } from './control.js';
import type { ActivityDeps } from './deps.js';
import { workflowInputOf } from './workflow-input.js';
import { permanentErrorsAreFinal } from './errors.js';

/** Replicas that have not heartbeated within this long are not waited for. */
const REPLICA_FRESH_MS = 15_000;
const POLL_MS = 500;
/** How long to wait for a first replica report before concluding that no serving replica is running. */
const NO_REPLICA_GRACE_MS = 10_000;

/**
 * Makes `version` the deployed one in the registry (the source of truth serving replicas follow), then waits until
 * every live serving replica reports it loaded. When no replica is running, the deployment stands (replicas load it
 * when they start) and the result says so. When live replicas fail to load it within the timeout, the previous
 * version is deployed again and the activity fails non-retryably with each replica's error (and a `rollback` alert).
 * A human's rollback (`mlops models rollback`) that succeeds raises the same `rollback` alert.
 */
export function createDeployModel(deps: ActivityDeps) {
  return async function deployModel(input: DeployModelInput): Promise<DeployModelResult> {
    return permanentErrorsAreFinal(async () => {
      const ctx = Context.current();
      const previous = await deps.registry.getDeployed(input.model);
      await deps.registry.recordDeployment({ model: input.model, version: input.version, runId: input.runId });
      const started = Date.now();
      const deadline = started + input.readyTimeoutMs;
      for (;;) {
        const replicas = await deps.registry.listReplicas(input.model, REPLICA_FRESH_MS);
        const loaded = replicas.filter((r) => r.version === input.version);
        const waiting = replicas.filter((r) => r.version !== input.version);
        ctx.heartbeat({ loaded: loaded.map((r) => r.replicaId), waiting: waiting.map((r) => r.replicaId) });
        if (replicas.length > 0 && waiting.length === 0) {
          await notifyHumanRollback(deps, input, previous?.version ?? null);
          return { version: input.version, replicas: loaded.map((r) => `${r.replicaId} (${r.url})`) };
        }
        // Replicas report per model once they see its deployment (they poll every second or so). When none has
        // reported after a grace period, none is running: the deployment stands and replicas load it when they start.
        if (replicas.length === 0 && (Date.now() - started > NO_REPLICA_GRACE_MS || Date.now() > deadline)) {
          {
            ctx.log.warn(
              'no serving replica is running; the deployment is recorded and will be loaded when one starts',
              {
                model: input.model,
                version: input.version,
              },
            );
            await notifyHumanRollback(deps, input, previous?.version ?? null);
            return { version: input.version, replicas: [] };
          }
        }
        if (Date.now() > deadline) {
          const why = waiting
            .map((r) => `${r.replicaId} has v${r.version ?? 'none'}${r.error ? ` (error: ${r.error})` : ''}`)
            .join('; ');
          if (previous && previous.version !== input.version) {
            await deps.registry.recordDeployment({
              model: input.model,
              version: previous.version,
              runId: `${input.runId}:rollback`,
            });
            await notifyRollback(deps, input, previous.version, why);
          }
          throw ApplicationFailure.nonRetryable(
            `serving did not load ${input.model} v${input.version} within ${input.readyTimeoutMs} ms: ${why}` +
              (previous ? `; rolled back to v${previous.version}` : ''),
            'DeploymentFailed',
          );
        }
        await ctx.sleep(POLL_MS);
      }
    });
  };
}

/** Webhook alert for a rollback (never throws); the model's `alerts` come from the failed version's stored spec. */
async function notifyRollback(
  deps: ActivityDeps,
  input: DeployModelInput,
  restoredVersion: number,
  why: string,
): Promise<void> {
  if (!deps.alerts) return;
  const ctx = Context.current();
  ctx.heartbeat(); // delivery may take up to about 18 s (3 attempts)
  const log = ctx.log;
  const stored = await deps.registry.getVersion(input.model, input.version).catch(() => null);
  const alert = rollbackAlert({
    model: input.model,
    version: input.version,
    restoredVersion,
    runId: input.runId,
    reason: `serving did not load it within ${input.readyTimeoutMs} ms: ${why}`,
    occurredAt: new Date().toISOString(),
  });
  const alertsSpec = (stored?.spec as { alerts?: unknown } | undefined)?.alerts;
  await notifyAlert(deps, alert, { alertsSpec, origin: alertOrigin(), log });
}

/**
 * Webhook alert for a human's rollback (never throws): this activity runs for the `modelPromotion` workflow, whose
 * input (read from its history, so the workflow is unchanged) says `action: 'rollback'`, who asked and why. The
 * rolled-back version is the input's `previousVersion` (stable when the activity is retried), else the version that
 * was deployed before; its stored spec's `alerts` decide whether the event is sent.
 */
async function notifyHumanRollback(
  deps: ActivityDeps,
  input: DeployModelInput,
  deployedBefore: number | null,
): Promise<void> {
  if (!deps.alerts) return;
  const ctx = Context.current();
  const origin = alertOrigin();
  if (ctx.info.workflowType !== 'modelPromotion' || !origin) return;
  let promotion: ModelPromotionInput;
  try {
    promotion = (await workflowInputOf(deps, origin)) as ModelPromotionInput;
  } catch (err) {
    ctx.log.warn('could not read the promotion request; no rollback alert', { error: String(err) });
    return;
  }
  if (promotion?.action !== 'rollback') return;
  const rolledBack = promotion.previousVersion ?? deployedBefore;
  if (rolledBack === null || rolledBack === input.version) return;
  ctx.heartbeat(); // delivery may take up to about 18 s (3 attempts)
  const stored = await deps.registry.getVersion(input.model, rolledBack).catch(() => null);
  const alert = rollbackAlert({
    model: input.model,
    version: rolledBack,
    restoredVersion: input.version,
    runId: input.runId,
    reason: `rolled back by ${promotion.requestedBy}: ${promotion.reason}`,
    requestedBy: promotion.requestedBy,
    occurredAt: new Date().toISOString(),
  });
  const alertsSpec = (stored?.spec as { alerts?: unknown } | undefined)?.alerts;
  await notifyAlert(deps, alert, { alertsSpec, origin, log: ctx.log });
}
