/**
 * Process entry of a serving replica: `npx tsx serving/main.ts`.
 *
 * Environment: `DATABASE_URL` (required), `MLOPS_ARTIFACTS_URL` (default `file://.mlops/artifacts/`), `PORT` (8080),
 * `HOST` (127.0.0.1), `MLOPS_REPLICA_ID` (hostname-pid), `MLOPS_ADMIN_TOKEN` (enables `/admin/reload`),
 * `MLOPS_POLL_INTERVAL_MS` (1000), `MLOPS_PUBLIC_URL` (default: the listen address), `MLOPS_LOG_LEVEL` (info).
 *
 * Exit codes: 0 after a graceful SIGTERM/SIGINT shutdown, 1 on a startup or shutdown failure, 2 on a bad environment.
 */
import { hostname } from 'node:os';
import { openArtifactStore } from '../lib/artifacts/open-store.js';
import { createPgRegistry } from '../lib/registry/pg-registry.js';
import { createServingApp } from './create-server.js';
import { parseServingEnv } from './env.js';
import { errorMessage } from './serving-logger.js';

/** Longest a graceful shutdown may take before the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 30_000;

async function main(): Promise<void> {
  const parsed = parseServingEnv(process.env);
  if (!parsed.ok) {
    process.stderr.write(`serving: invalid environment:\n${parsed.problems.map((p) => `  ${p}`).join('\n')}\n`);
    process.exitCode = 2;
    return;
  }
  const env = parsed.env;
  const registry = createPgRegistry({ connectionString: env.DATABASE_URL });
  const artifacts = openArtifactStore(env.MLOPS_ARTIFACTS_URL);

  let listenUrl = '';
  const serving = createServingApp({
    registry,
    artifacts,
    replicaId: env.MLOPS_REPLICA_ID,
    publicUrl: env.MLOPS_PUBLIC_URL ?? (() => listenUrl),
    pollIntervalMs: env.MLOPS_POLL_INTERVAL_MS,
    ...(env.MLOPS_ADMIN_TOKEN !== undefined ? { adminToken: env.MLOPS_ADMIN_TOKEN } : {}),
    logger: { level: env.MLOPS_LOG_LEVEL },
  });
  const { app } = serving;

  let shuttingDown = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      app.log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    shuttingDown = true;
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      app.log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'graceful shutdown timed out');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    serving
      .stop()
      .then(() => registry.close())
      .then(
        () => {
          app.log.info({}, 'stopped');
          process.exit(0);
        },
        (err: unknown) => {
          app.log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  try {
    const address = await app.listen({ port: env.PORT, host: env.HOST });
    // With HOST 0.0.0.0 the listen address is not reachable from elsewhere: report the host name instead.
    const port = new URL(address).port;
    listenUrl = env.HOST === '0.0.0.0' || env.HOST === '::' ? `http://${hostname()}:${port}` : address;
    await serving.start();
    app.log.info(
      { replicaId: env.MLOPS_REPLICA_ID, url: env.MLOPS_PUBLIC_URL ?? listenUrl, artifacts: env.MLOPS_ARTIFACTS_URL },
      'serving started',
    );
  } catch (err) {
    app.log.error({ err }, 'serving failed to start');
    await serving.stop().catch(() => undefined);
    await registry.close().catch(() => undefined);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`serving: ${errorMessage(err)}\n`);
  process.exit(1);
});
