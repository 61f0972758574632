/**
 * Infra-validation entry of the prediction service: `node --import tsx serving/validate-main.ts --config <file>`.
 *
 * Runs the real serving app (same model loading, request validation, predict route) on one given model artifact
 * instead of following the registry: the config file (JSON, {@link ValidationServingConfig}) names the artifact
 * (`file://` or `s3://`, checksum verified), its version and its feature schema and label. Nothing is written to the
 * registry (no replica heartbeat, no prediction log, no feedback). Started by the `infraValidateModel` activity.
 *
 * Environment: `HOST` (127.0.0.1), `PORT` (0: a free port), `MLOPS_LOG_LEVEL` (warn). Once listening it prints one
 * JSON line `{"validationServingUrl":"http://127.0.0.1:<port>"}` to stdout. Test-only: `MLOPS_VALIDATE_FAULT=predict_500`
 * makes every predict request answer 500 (a model that loads but cannot serve).
 *
 * Options: `--exit-with-parent` stops the server when its stdin closes (the parent, e.g. a worker, died: no orphaned
 * server); `--max-lifetime-ms <n>` stops it after n ms whatever happens.
 *
 * Exit codes: 0 after SIGTERM/SIGINT (or the two options above), 1 on a startup failure, 2 on a bad config.
 */
import { readFile } from 'node:fs/promises';
import { readUri } from '../lib/artifacts/open-store.js';
import type { DeployedModel } from '../lib/registry/types.js';
import { createServingApp, type LogLevel, type ServingRegistry } from './create-server.js';
import { errorMessage } from './serving-logger.js';

/** What the validation server loads: one model version, as a deployment record would describe it. */
export interface ValidationServingConfig {
  model: string;
  version: number;
  artifactUri: string;
  artifactSha256: string;
  /** The spec's features (the schema requests are validated against). */
  features: unknown;
  label: unknown;
}

/** The stdout line key announcing the listen URL. */
export const VALIDATION_URL_KEY = 'validationServingUrl';

/** A registry stand-in that "deploys" exactly one version and records nothing. */
function pinnedRegistry(deployed: DeployedModel): ServingRegistry {
  return {
    listDeployed: async () => [deployed],
    reportReplica: async () => undefined,
    logPredictions: async () => undefined,
    recordFeedback: async () => undefined,
  };
}

function parseConfig(raw: unknown): ValidationServingConfig | string {
  if (typeof raw !== 'object' || raw === null) return 'expected a JSON object';
  const c = raw as Record<string, unknown>;
  if (typeof c['model'] !== 'string' || c['model'] === '') return 'model: expected a non-empty string';
  if (typeof c['version'] !== 'number' || !Number.isInteger(c['version'])) return 'version: expected an integer';
  if (typeof c['artifactUri'] !== 'string' || !/^(file|s3):\/\/.+/.test(c['artifactUri']))
    return 'artifactUri: expected a file:// or s3:// URI';
  if (typeof c['artifactSha256'] !== 'string' || !/^[0-9a-f]{64}$/.test(c['artifactSha256']))
    return 'artifactSha256: expected a sha256 hex digest';
  if (!Array.isArray(c['features'])) return 'features: expected the spec features array';
  return c as unknown as ValidationServingConfig;
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--config');
  const file = at >= 0 ? process.argv[at + 1] : undefined;
  if (file === undefined) {
    process.stderr.write('usage: validate-main.ts --config <file.json>\n');
    process.exitCode = 2;
    return;
  }
  let config: ValidationServingConfig | string;
  try {
    config = parseConfig(JSON.parse(await readFile(file, 'utf8')));
  } catch (err) {
    config = errorMessage(err);
  }
  if (typeof config === 'string') {
    process.stderr.write(`validation serving: bad config ${file}: ${config}\n`);
    process.exitCode = 2;
    return;
  }
  const level = (process.env['MLOPS_LOG_LEVEL'] || 'warn') as LogLevel;
  const deployed: DeployedModel = {
    model: config.model,
    version: config.version,
    artifactUri: config.artifactUri,
    artifactSha256: config.artifactSha256,
    features: config.features,
    label: config.label,
    profileUri: '',
    deployedAt: new Date().toISOString(),
  };
  const serving = createServingApp({
    registry: pinnedRegistry(deployed),
    artifacts: { get: (uri, sha256) => readUri(uri, sha256 === undefined ? {} : { expectedSha256: sha256 }) },
    replicaId: `infra-validation-${process.pid}`,
    publicUrl: '',
    pollIntervalMs: 200,
    logger: { level },
  });
  const { app } = serving;
  if (process.env['MLOPS_VALIDATE_FAULT'] === 'predict_500') {
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.endsWith('/predict'))
        return reply.code(500).send({ error: 'injected_fault', message: 'MLOPS_VALIDATE_FAULT=predict_500' });
    });
  }
  let stopping = false;
  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    serving.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  if (process.argv.includes('--exit-with-parent')) {
    process.stdin.once('close', shutdown);
    process.stdin.resume();
  }
  const lifetimeAt = process.argv.indexOf('--max-lifetime-ms');
  const lifetime = lifetimeAt >= 0 ? Number(process.argv[lifetimeAt + 1]) : NaN;
  if (Number.isFinite(lifetime) && lifetime > 0) setTimeout(shutdown, lifetime).unref();
  try {
    const address = await app.listen({
      port: Number(process.env['PORT'] || 0),
      host: process.env['HOST'] || '127.0.0.1',
    });
    await serving.start();
    process.stdout.write(`${JSON.stringify({ [VALIDATION_URL_KEY]: address })}\n`);
  } catch (err) {
    process.stderr.write(`validation serving failed to start: ${errorMessage(err)}\n`);
    await serving.stop().catch(() => undefined);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`validation serving: ${errorMessage(err)}\n`);
  process.exit(1);
});
