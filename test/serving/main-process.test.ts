/**
 * `serving/main.ts` as a real process: environment validation (exit code 2, no secrets echoed), serving from the
 * registry, and graceful SIGTERM shutdown that flushes the prediction log.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, deployVersion, freePort, http, trainChurnModel, waitFor, type Backend } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SECRET_TOKEN = 'super-secret-admin-token-42424242';

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function startMain(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<Exited>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'serving/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exited>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, output: () => output, exited };
}

describe('serving/main.ts', () => {
  let backend: Backend;

  beforeAll(async () => {
    backend = await createBackend();
    await deployVersion(backend, await trainChurnModel(10));
  });

  afterAll(async () => {
    await backend?.cleanup();
  });

  it('exits 2 with a clear message on a bad environment, without echoing secrets', async () => {
    const run = startMain({
      PORT: 'abc',
      MLOPS_POLL_INTERVAL_MS: '-5',
      MLOPS_ADMIN_TOKEN: 'short',
      MLOPS_ARTIFACTS_URL: 'http://x',
    });
    const exit = await run.exited;
    expect(exit.code).toBe(2);
    const out = run.output();
    expect(out).toContain('invalid environment');
    expect(out).toContain('DATABASE_URL: required');
    expect(out).toContain('PORT: expected an integer from 0 to 65535, found "abc"');
    expect(out).toContain('MLOPS_POLL_INTERVAL_MS: expected an integer');
    expect(out).toContain('MLOPS_ARTIFACTS_URL: expected a file:// or s3:// URL, found "http://x"');
    expect(out).toContain('MLOPS_ADMIN_TOKEN: too short');
    expect(out).not.toContain('short"');
  });

  it('serves the deployed model and shuts down gracefully on SIGTERM, flushing the prediction log', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const run = startMain({
      DATABASE_URL: backend.databaseUrl,
      MLOPS_ARTIFACTS_URL: backend.artifactsUrl,
      PORT: String(port),
      MLOPS_REPLICA_ID: 'main-process-test',
      MLOPS_ADMIN_TOKEN: SECRET_TOKEN,
      MLOPS_POLL_INTERVAL_MS: '200',
    });
    try {
      await waitFor('ready', async () => ((await http(`${url}/readyz`)).status === 200 ? true : undefined), 30_000);
      const reload = await http(`${url}/admin/reload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET_TOKEN}` },
      });
      expect(reload.status).toBe(200);
      const res = await http(`${url}/v1/models/churn/predict`, {
        body: { records: [{ tenure_months: 3, monthly_charges: 99, plan: 'basic' }] },
      });
      expect(res.status).toBe(200);
      const id = (res.body as { predictions: Array<{ predictionId: string }> }).predictions[0]?.predictionId ?? '';
      // Stop at once: the entry is still buffered (flush period 500 ms) and must be written during shutdown.
      run.child.kill('SIGTERM');
      const exit = await run.exited;
      expect(exit, run.output()).toEqual({ code: 0, signal: null });
      const logged = await backend.registry.readPredictions(
        'churn',
        new Date(Date.now() - 60_000).toISOString(),
        new Date(Date.now() + 60_000).toISOString(),
      );
      expect(logged.map((p) => p.predictionId)).toContain(id);
      const replica = (await backend.registry.listReplicas('churn', 60_000)).find(
        (r) => r.replicaId === 'main-process-test',
      );
      expect(replica).toMatchObject({ url, version: 1, error: null });
      expect(run.output()).toContain('shutting down');
      expect(run.output()).not.toContain(SECRET_TOKEN);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });
});
