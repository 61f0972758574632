/**
 * Fixtures for the serving tests: a throwaway PostgreSQL database with the real registry, a file artifact store in
 * a temp dir, real ONNX models from the logistic-regression trainer, and a real HTTP server on a free port.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { inject } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../infra/postgres-test.js';
import type { ArtifactStore } from '../../lib/artifacts/artifact-store.js';
import { openArtifactStore } from '../../lib/artifacts/open-store.js';
import type { FeatureTable } from '../../lib/data/table.js';
import { createPgRegistry, type PgModelRegistry } from '../../lib/registry/pg-registry.js';
import { pipelineSpecSchema, type PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { logisticRegressionTrainer } from '../../lib/train/logistic-regression.js';
import { createServingApp, type ServingApp, type ServingDeps } from '../../serving/create-server.js';

/** The churn spec every serving test model is trained from. */
export const SPEC: PipelineSpec = pipelineSpecSchema.parse({
  apiVersion: 'mlops/v1',
  model: 'churn',
  dataset: { uri: 'file:///data/churn.csv', format: 'csv' },
  features: [
    { name: 'tenure_months', type: 'numeric' },
    { name: 'monthly_charges', type: 'numeric', constraints: { nullable: false } },
    { name: 'plan', type: 'categorical', constraints: { values: ['basic', 'pro', 'enterprise'] } },
  ],
  label: { name: 'churned', task: 'binary', positive: '1' },
  trainer: { algorithm: 'logistic_regression', hyperparameters: { epochs: 20, batchSize: 32 } },
  evaluation: { primaryMetric: 'roc_auc', minimum: 0.5 },
});

/** Deterministic synthetic churn data: short tenure and high charges churn. */
export function churnTable(rows: number, seed: number): FeatureTable {
  let state = seed >>> 0 || 1;
  const rand = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const plans = ['basic', 'pro', 'enterprise'];
  const tenure = new Float64Array(rows);
  const charges = new Float64Array(rows);
  const plan: Array<string | null> = [];
  const label: Array<string | null> = [];
  for (let i = 0; i < rows; i++) {
    tenure[i] = Math.floor(rand() * 72);
    charges[i] = 20 + rand() * 100;
    plan.push(plans[Math.floor(rand() * 3)] ?? null);
    const z =
      -0.06 * (tenure[i] ?? 0) + 0.03 * ((charges[i] ?? 0) - 70) + (plan[i] === 'basic' ? 0.8 : 0) + (rand() - 0.5);
    label.push(z > -0.5 ? '1' : '0');
  }
  return { rowCount: rows, numeric: { tenure_months: tenure, monthly_charges: charges }, categorical: { plan }, label };
}

/** Trains a real logistic regression and returns its ONNX bytes; different `epochs` give different bytes. */
export async function trainChurnModel(epochs: number): Promise<Uint8Array> {
  const result = await logisticRegressionTrainer.train({
    table: churnTable(400, 7),
    features: SPEC.features,
    label: SPEC.label,
    hyperparameters: { ...SPEC.trainer.hyperparameters, epochs },
    seed: 42,
  });
  return result.onnx;
}

export const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** A migrated registry on a fresh database, a file artifact store in a temp dir; `cleanup` removes both. */
export interface Backend {
  registry: PgModelRegistry;
  artifacts: ArtifactStore;
  databaseUrl: string;
  artifactsUrl: string;
  cleanup(): Promise<void>;
}

export async function createBackend(): Promise<Backend> {
  const db: TestDatabase = await createTestDatabase({ baseUrl: inject('databaseUrl'), prefix: 'serving_test' });
  const registry = createPgRegistry({ connectionString: db.url, migrateLogger: { info() {}, warn() {}, error() {} } });
  await registry.migrate();
  const dir = await mkdtemp(join(tmpdir(), 'serving-artifacts-'));
  const artifactsUrl = pathToFileURL(`${dir}/`).href;
  const artifacts = openArtifactStore(artifactsUrl);
  return {
    registry,
    artifacts,
    databaseUrl: db.url,
    artifactsUrl,
    async cleanup() {
      await registry.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let runCounter = 0;

/**
 * Stores `bytes` as an artifact, registers a version and deploys it. `recordedSha256` overrides the checksum written
 * to the registry (to simulate a corrupt artifact).
 */
export async function deployVersion(
  backend: Backend,
  bytes: Uint8Array,
  options: { model?: string; recordedSha256?: string; spec?: PipelineSpec } = {},
): Promise<number> {
  const spec = options.spec ?? SPEC;
  const model = options.model ?? spec.model;
  const runId = `serving-test-${process.pid}-${Date.now()}-${runCounter++}`;
  const ref = await backend.artifacts.put(`models/${model}/runs/${runId}/model.onnx`, bytes);
  const { version } = await backend.registry.registerVersion({
    model,
    runId,
    artifactUri: ref.uri,
    artifactSha256: options.recordedSha256 ?? ref.sha256,
    metrics: { roc_auc: 0.8 },
    lineage: {
      datasetUri: spec.dataset.uri,
      datasetSha256: sha256('dataset'),
      datasetRows: 400,
      schemaFingerprint: 'test',
      profileUri: '',
      specHash: sha256(JSON.stringify(spec)),
      codeVersion: 'test',
      trainer: 'logistic_regression',
      hyperparameters: {},
      parentVersion: null,
    },
    spec: { ...spec, model },
    decision: { accepted: true },
    trigger: 'manual',
  });
  await backend.registry.recordDeployment({ model, version, runId: `deploy-${runId}` });
  return version;
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A serving app listening on a real port. */
export interface RunningServer {
  serving: ServingApp;
  url: string;
  replicaId: string;
  stop(): Promise<void>;
}

export async function startServer(backend: Backend, deps: Partial<ServingDeps> = {}): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const replicaId = deps.replicaId ?? `test-replica-${port}`;
  const serving = createServingApp({
    registry: backend.registry,
    artifacts: backend.artifacts,
    replicaId,
    publicUrl: url,
    pollIntervalMs: 100,
    logger: { level: process.env['SERVING_TEST_LOG'] === '1' ? 'debug' : 'silent' },
    ...deps,
  });
  await serving.app.listen({ port, host: '127.0.0.1' });
  await serving.start();
  return { serving, url, replicaId, stop: () => serving.stop() };
}

/** Polls `check` until it returns a non-undefined value or `timeoutMs` passes. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `fetch` returning status and parsed JSON body. */
export async function http(
  url: string,
  init: { method?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.rawBody !== undefined) body = init.rawBody;
  else if (init.body !== undefined) body = JSON.stringify(init.body);
  if (body !== undefined) headers['content-type'] ??= 'application/json';
  const res = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (e.g. /metrics)
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** A backend with a trained churn model deployed and a ready server in front of it. */
export interface ChurnService {
  backend: Backend;
  server: RunningServer;
  bytes: Uint8Array;
  version: number;
  stop(): Promise<void>;
}

export async function startChurnService(deps: Partial<ServingDeps> = {}): Promise<ChurnService> {
  const backend = await createBackend();
  try {
    const bytes = await trainChurnModel(20);
    const version = await deployVersion(backend, bytes);
    const server = await startServer(backend, deps);
    await waitFor('readiness', async () => ((await http(`${server.url}/readyz`)).status === 200 ? true : undefined));
    return {
      backend,
      server,
      bytes,
      version,
      async stop() {
        await server.stop();
        await backend.cleanup();
      },
    };
  } catch (error) {
    await backend.cleanup();
    throw error;
  }
}
