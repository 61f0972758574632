/**
 * Following the registry without restarts: hot swap of a new version under traffic, corrupt and invalid artifacts
 * (the previous version keeps serving and the error is reported), readiness, and an unreachable registry.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgRegistry } from '../../lib/registry/pg-registry.js';
import {
  createBackend,
  deployVersion,
  freePort,
  http,
  SPEC,
  startServer,
  trainChurnModel,
  waitFor,
  type Backend,
  type RunningServer,
} from './helpers.js';

interface ModelBody {
  version: number;
  deployedVersion: number;
  loadError: string | null;
}

const RECORD = { tenure_months: 12, monthly_charges: 80, plan: 'basic' };

let backend: Backend;
let v1Bytes: Uint8Array;
let v2Bytes: Uint8Array;

beforeAll(async () => {
  backend = await createBackend();
  [v1Bytes, v2Bytes] = await Promise.all([trainChurnModel(5), trainChurnModel(40)]);
});

afterAll(async () => {
  await backend?.cleanup();
});

const metadata = async (server: RunningServer, model = 'churn'): Promise<ModelBody | undefined> => {
  const res = await http(`${server.url}/v1/models/${model}`);
  return res.status === 200 ? (res.body as ModelBody) : undefined;
};

describe('following the registry', () => {
  let server: RunningServer;

  beforeAll(async () => {
    await deployVersion(backend, v1Bytes);
    server = await startServer(backend);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('picks up a newly deployed version without a restart, serving every request during the swap', async () => {
    await waitFor('v1 loaded', async () => ((await metadata(server))?.version === 1 ? true : undefined));
    let stop = false;
    const statuses: number[] = [];
    const versions = new Set<number>();
    const traffic = (async () => {
      while (!stop) {
        const res = await http(`${server.url}/v1/models/churn/predict`, { body: { records: [RECORD, RECORD] } });
        statuses.push(res.status);
        if (res.status === 200) versions.add((res.body as { version: number }).version);
      }
    })();
    try {
      const v2 = await deployVersion(backend, v2Bytes);
      expect(v2).toBe(2);
      await waitFor('v2 served', async () => ((await metadata(server))?.version === 2 ? true : undefined));
      await waitFor('a request answered by v2', async () => (versions.has(2) ? true : undefined));
    } finally {
      stop = true;
      await traffic;
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect([...versions].sort()).toEqual([1, 2]);
    const replica = await waitFor('replica reports v2', async () =>
      (await backend.registry.listReplicas('churn', 10_000)).find(
        (r) => r.replicaId === server.replicaId && r.version === 2,
      ),
    );
    expect(replica.error).toBeNull();
  });

  it('keeps serving the previous version when the new artifact is corrupt, and reports the error', async () => {
    const bad = await deployVersion(backend, v1Bytes, { recordedSha256: 'f'.repeat(64) });
    const status = await waitFor('replica reports the load error', async () =>
      (await backend.registry.listReplicas('churn', 10_000)).find(
        (r) => r.replicaId === server.replicaId && r.error !== null,
      ),
    );
    expect(status.version).toBe(2);
    expect(status.error).toContain(`v${bad}`);
    expect(status.error).toMatch(/sha256|corrupt|checksum/i);
    const meta = await metadata(server);
    expect(meta).toMatchObject({ version: 2, deployedVersion: bad });
    expect(meta?.loadError).toContain(`v${bad}`);
    const res = await http(`${server.url}/v1/models/churn/predict`, { body: { records: [RECORD] } });
    expect(res.status).toBe(200);
    expect((res.body as { version: number }).version).toBe(2);
    // Still ready: a version is loaded.
    expect((await http(`${server.url}/readyz`)).status).toBe(200);
    const metrics = (await http(`${server.url}/metrics`)).body as string;
    expect(metrics).toMatch(/mlops_serving_model_load_failures_total\{model="churn"\} [1-9]/);
  });

  it('keeps serving when the artifact is not a loadable model (checksum correct), then recovers on a good version', async () => {
    const garbage = new TextEncoder().encode('this is not an onnx model');
    const bad = await deployVersion(backend, garbage);
    const status = await waitFor('replica reports the invalid model', async () =>
      (await backend.registry.listReplicas('churn', 10_000)).find(
        (r) => r.replicaId === server.replicaId && r.error?.includes(`v${bad}`),
      ),
    );
    expect(status.version).toBe(2);
    expect(status.error).toMatch(/ONNX/i);
    expect((await metadata(server))?.version).toBe(2);

    const good = await deployVersion(backend, v1Bytes);
    await waitFor('the good version', async () => ((await metadata(server))?.version === good ? true : undefined));
    const recovered = await waitFor('replica error cleared', async () =>
      (await backend.registry.listReplicas('churn', 10_000)).find(
        (r) => r.replicaId === server.replicaId && r.version === good && r.error === null,
      ),
    );
    expect(recovered.loadedAt).not.toBeNull();
  });
});

describe('readiness', () => {
  it('is not ready (503) while a deployed model has nothing loaded, and becomes ready once it loads', async () => {
    const spec = { ...SPEC, model: 'fraud' };
    const bad = await deployVersion(backend, v1Bytes, { spec, recordedSha256: '0'.repeat(64) });
    const server = await startServer(backend);
    try {
      const notReady = await waitFor('first poll', async () => {
        const res = await http(`${server.url}/readyz`);
        return (res.body as { polled: boolean }).polled ? res : undefined;
      });
      expect(notReady.status).toBe(503);
      expect(notReady.body).toMatchObject({
        ready: false,
        missing: [{ model: 'fraud', deployedVersion: bad, loadedVersion: null }],
      });
      expect((notReady.body as { reason: string }).reason).toContain(`fraud v${bad}`);
      expect((notReady.body as { missing: Array<{ error: string }> }).missing[0]?.error).toMatch(/corrupt|sha256/i);

      const predict = await http(`${server.url}/v1/models/fraud/predict`, { body: { records: [RECORD] } });
      expect(predict.status).toBe(503);
      expect(predict.body).toMatchObject({ error: 'model_not_loaded', model: 'fraud', deployedVersion: bad });
      expect(predict.headers.get('retry-after')).toBe('1');
      expect((await http(`${server.url}/v1/models/fraud`)).status).toBe(503);
      expect((await http(`${server.url}/healthz`)).status).toBe(200);

      const good = await deployVersion(backend, v2Bytes, { spec });
      await waitFor('ready', async () => ((await http(`${server.url}/readyz`)).status === 200 ? true : undefined));
      const res = await http(`${server.url}/v1/models/fraud/predict`, { body: { records: [RECORD] } });
      expect(res.status).toBe(200);
      expect((res.body as { version: number }).version).toBe(good);
    } finally {
      await server.stop();
    }
  });

  it('is alive but not ready while the registry is unreachable, and shuts down cleanly', async () => {
    const port = await freePort();
    const registry = createPgRegistry({
      connectionString: `postgres://postgres:postgres@127.0.0.1:${port}/none`,
      connectionTimeoutMs: 500,
    });
    const server = await startServer({ ...backend, registry });
    try {
      const res = await waitFor('a failed poll', async () => {
        const r = await http(`${server.url}/readyz`);
        return (r.body as { lastPollError: string | null }).lastPollError ? r : undefined;
      });
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ ready: false, polled: false });
      expect((res.body as { reason: string }).reason).toMatch(/^registry not reachable yet/);
      expect((await http(`${server.url}/healthz`)).status).toBe(200);
      const predict = await http(`${server.url}/v1/models/churn/predict`, { body: { records: [RECORD] } });
      expect(predict.status).toBe(503);
      expect(predict.body).toMatchObject({ error: 'not_ready' });
    } finally {
      const started = Date.now();
      await server.stop();
      expect(Date.now() - started).toBeLessThan(5_000);
      await registry.close();
    }
  });
});
