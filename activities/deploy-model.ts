import { Context } from '@temporalio/activity';
import type { DeployModelInput, DeployModelResult } from '../contracts/payloads.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

/** Replicas that have not heartbeated within this long are not waited for. */
const REPLICA_FRESH_MS = 15_000;
const POLL_MS = 500;

/**
 * Makes `version` the deployed one in the registry (the source of truth serving replicas follow), then waits until
 * every live serving replica reports it loaded. A replica that reports a load error fails the deploy.
 */
export function createDeployModel(deps: ActivityDeps) {
  return async function deployModel(input: DeployModelInput): Promise<DeployModelResult> {
    return permanentErrorsAreFinal(async () => {
      const ctx = Context.current();
      await deps.registry.recordDeployment({ model: input.model, version: input.version, runId: input.runId });
      const deadline = Date.now() + input.readyTimeoutMs;
      for (;;) {
        const replicas = await deps.registry.listReplicas(input.model, REPLICA_FRESH_MS);
        const loaded = replicas.filter((r) => r.version === input.version);
        const waiting = replicas.filter((r) => r.version !== input.version);
        ctx.heartbeat({ loaded: loaded.map((r) => r.replicaId), waiting: waiting.map((r) => r.replicaId) });
        if (replicas.length > 0 && waiting.length === 0) {
          return { version: input.version, replicas: loaded.map((r) => `${r.replicaId} (${r.url})`) };
        }
        if (Date.now() > deadline) {
          const why =
            replicas.length === 0
              ? 'no serving replica is running (none heartbeated in the last 15s)'
              : waiting
                  .map((r) => `${r.replicaId} has v${r.version ?? 'none'}${r.error ? ` (error: ${r.error})` : ''}`)
                  .join('; ');
          throw new Error(
            `${input.model} v${input.version} was recorded as deployed but serving did not load it within ${input.readyTimeoutMs} ms: ${why}`,
          );
        }
        await ctx.sleep(POLL_MS);
      }
    });
  };
}
