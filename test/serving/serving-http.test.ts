/**
 * The prediction service over real HTTP: a real registry (PostgreSQL), a file artifact store and real ONNX models.
 * Covers predict, metadata, feedback, the prediction log, heartbeats, metrics and admin auth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOnnxModel } from '../../lib/eval/onnx-model.js';
import {
  http,
  sha256,
  startChurnService,
  startServer,
  waitFor,
  type Backend,
  type ChurnService,
  type RunningServer,
} from './helpers.js';

const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

interface PredictBody {
  model: string;
  version: number;
  predictions: Array<{ predictionId: string; label: string; score: number }>;
}

const RECORDS = [
  { tenure_months: 2, monthly_charges: 110.5, plan: 'basic' },
  { tenure_months: 60, monthly_charges: 25, plan: 'enterprise' },
  // Nullable features may be null or left out; the unknown category is fine (all-zero one-hot).
  { tenure_months: null, monthly_charges: 70 },
  { monthly_charges: 50, plan: 'platinum' },
];

let service: ChurnService;
let backend: Backend;
let server: RunningServer;
let v1Bytes: Uint8Array;
let v1: number;
const startedAt = new Date(Date.now() - 60_000).toISOString();
const until = (): string => new Date(Date.now() + 60_000).toISOString();

beforeAll(async () => {
  service = await startChurnService({ adminToken: ADMIN_TOKEN });
  ({ backend, server, bytes: v1Bytes, version: v1 } = service);
});

afterAll(async () => {
  await service?.stop();
});

describe('predict', () => {
  it('scores records with the deployed version, exactly as the ONNX model does', async () => {
    const res = await http(`${server.url}/v1/models/churn/predict`, { body: { records: RECORDS } });
    expect(res.status).toBe(200);
    const body = res.body as PredictBody;
    expect(body.model).toBe('churn');
    expect(body.version).toBe(v1);
    expect(body.predictions).toHaveLength(RECORDS.length);
    const reference = await loadOnnxModel(v1Bytes);
    try {
      const expected = await reference.predictRecords(RECORDS);
      body.predictions.forEach((p, i) => {
        expect(p.predictionId).toMatch(/^[0-9a-f-]{36}$/);
        expect(p.score).toBeCloseTo(expected.scores[i] ?? Number.NaN, 6);
        expect(p.label).toBe(expected.labels[i]);
        expect(['0', '1']).toContain(p.label);
      });
    } finally {
      await reference.close();
    }
    expect(new Set(body.predictions.map((p) => p.predictionId)).size).toBe(RECORDS.length);
  });

  it('logs every prediction to the registry (batched), with features, version and latency', async () => {
    const res = await http(`${server.url}/v1/models/churn/predict`, { body: { records: RECORDS } });
    const ids = (res.body as PredictBody).predictions.map((p) => p.predictionId);
    const logged = await waitFor('predictions in the registry', async () => {
      const rows = await backend.registry.readPredictions('churn', startedAt, until());
      const mine = rows.filter((r) => ids.includes(r.predictionId));
      return mine.length === ids.length ? mine : undefined;
    });
    const byId = new Map(logged.map((r) => [r.predictionId, r]));
    const third = byId.get(ids[2] ?? '');
    expect(third?.version).toBe(v1);
    expect(third?.features).toEqual({ tenure_months: null, monthly_charges: 70, plan: null });
    expect(third?.latencyMs).toBeGreaterThan(0);
    expect(typeof third?.score).toBe('number');
    expect(['0', '1']).toContain(third?.prediction);
  });

  it('stores feedback for predictions (202), joinable with the prediction log', async () => {
    const res = await http(`${server.url}/v1/models/churn/predict`, { body: { records: RECORDS.slice(0, 2) } });
    const ids = (res.body as PredictBody).predictions.map((p) => p.predictionId);
    const fb = await http(`${server.url}/v1/models/churn/feedback`, {
      body: {
        feedback: [
          { predictionId: ids[0], label: '1' },
          { predictionId: ids[1], label: 0 },
        ],
      },
    });
    expect(fb.status).toBe(202);
    expect(fb.body).toEqual({ accepted: 2 });
    const labelled = await waitFor('labelled predictions', async () => {
      const rows = await backend.registry.readLabelledPredictions('churn', startedAt, until());
      const mine = rows.filter((r) => ids.includes(r.predictionId));
      return mine.length === 2 ? mine : undefined;
    });
    expect(new Map(labelled.map((r) => [r.predictionId, r.label]))).toEqual(
      new Map<string, string | number>([
        [ids[0] ?? '', '1'],
        [ids[1] ?? '', 0],
      ]),
    );
  });

  it('accepts exactly 1000 records', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => ({
      tenure_months: i % 72,
      monthly_charges: 20 + (i % 100),
      plan: 'pro',
    }));
    const res = await http(`${server.url}/v1/models/churn/predict`, { body: { records } });
    expect(res.status).toBe(200);
    expect((res.body as PredictBody).predictions).toHaveLength(1000);
  });
});

describe('metadata, health and metrics', () => {
  it('describes the loaded model', async () => {
    const res = await http(`${server.url}/v1/models/churn`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      model: 'churn',
      version: v1,
      deployedVersion: v1,
      artifactSha256: sha256(v1Bytes),
      label: { name: 'churned', task: 'binary', positive: '1' },
      loadError: null,
    });
    const body = res.body as { features: Array<{ name: string; type: string }>; loadedAt: string };
    expect(body.features.map((f) => `${f.name}:${f.type}`)).toEqual([
      'tenure_months:numeric',
      'monthly_charges:numeric',
      'plan:categorical',
    ]);
    expect(Date.parse(body.loadedAt)).not.toBeNaN();
    const list = await http(`${server.url}/v1/models`);
    expect(list.body).toEqual({
      models: [{ model: 'churn', deployedVersion: v1, loadedVersion: v1, loadedAt: body.loadedAt, error: null }],
    });
  });

  it('is alive and ready', async () => {
    expect((await http(`${server.url}/healthz`)).status).toBe(200);
    const ready = await http(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ ready: true, polled: true, missing: [], reason: null });
  });

  it('heartbeats its replica status to the registry every poll', async () => {
    const first = await waitFor('replica status', async () =>
      (await backend.registry.listReplicas('churn', 10_000)).find((r) => r.replicaId === server.replicaId),
    );
    expect(first).toMatchObject({ url: server.url, model: 'churn', version: v1, error: null });
    await waitFor('a later heartbeat', async () => {
      const again = (await backend.registry.listReplicas('churn', 10_000)).find(
        (r) => r.replicaId === server.replicaId,
      );
      return again && again.heartbeatAt > first.heartbeatAt ? again : undefined;
    });
  });

  it('exports Prometheus metrics per model and version', async () => {
    await http(`${server.url}/v1/models/churn/predict`, { body: { records: RECORDS } });
    const res = await http(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = res.body as string;
    expect(text).toMatch(
      new RegExp(
        `mlops_serving_requests_total\\{method="POST",route="/v1/models/:model/predict",status="200",model="churn",version="${v1}"\\} \\d+`,
      ),
    );
    expect(text).toMatch(
      /mlops_serving_request_duration_seconds_bucket\{le="0.005",method="POST",route="\/v1\/models\/:model\/predict",status="200",model="churn"/,
    );
    expect(text).toMatch(new RegExp(`mlops_serving_predictions_total\\{model="churn",version="${v1}"\\} \\d+`));
    expect(text).toContain('mlops_serving_prediction_log_dropped_total 0');
    expect(text).toContain('# TYPE mlops_serving_model_load_failures_total counter');
    expect(text).toMatch(/mlops_serving_loaded_model_version\{model="churn"\} \d+/);
    // The unknown model of a 404 never becomes a label value.
    await http(`${server.url}/v1/models/some-random-name/predict`, { body: { records: [] } });
    expect((await http(`${server.url}/metrics`)).body as string).not.toContain('some-random-name');
  });
});

describe('admin', () => {
  const reload = (headers: Record<string, string> = {}) =>
    http(`${server.url}/admin/reload`, { method: 'POST', headers });

  it('requires the bearer token', async () => {
    const none = await reload();
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await reload({ authorization: 'Bearer wrong-token' })).status).toBe(401);
    expect((await reload({ authorization: ADMIN_TOKEN })).status).toBe(401);
    // Authentication happens before the body is parsed.
    const badBody = await http(`${server.url}/admin/reload`, {
      rawBody: '{',
      headers: { authorization: 'Bearer nope' },
    });
    expect(badBody.status).toBe(401);
  });

  it('forces a registry poll with the right token', async () => {
    const ok = await reload({ authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ reloaded: true, ready: true, models: [{ model: 'churn', loadedVersion: v1 }] });
  });

  it('does not exist without a configured token', async () => {
    const plain = await startServer(backend);
    try {
      const res = await http(`${plain.url}/admin/reload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      expect(res.status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});
