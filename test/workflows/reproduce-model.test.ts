/**
 * `reproduceModel` (`mlops reproduce <model>@<version>`) on REAL servers: the embedded stack (Temporal dev server,
 * PGlite registry over the wire, file artifacts, the CPU worker with the real activities, serving).
 *  - a version trained and registered by the real pipeline retrains from its lineage to the identical ONNX bytes,
 *    under its own run ID (the original artifact is untouched), registering and deploying nothing, and the outcome
 *    is recorded as the version's `reproduced` tag;
 *  - the CLI prints the outcome and exits 0 on match, 1 on mismatch (registered sha256 tampered with), 2 on usage;
 *  - a dataset changed since training fails the reproduction non-retryably, naming both hashes.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ApplicationFailure, WorkflowFailedError, type Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../../client/dev-stack.js';
import type { TrainingPipelineResult } from '../../contracts/payloads.js';
import { DATASET_CHANGED, REPRODUCED_TAG, type ReproduceModelResult } from '../../contracts/reproduce.js';
import { CPU_TASK_QUEUE } from '../../contracts/task-queues.js';
import { pipelineWorkflowId, reproduceWorkflowId } from '../../contracts/workflow-ids.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { createPgRegistry, type PgModelRegistry } from '../../lib/registry/pg-registry.js';
import type { ModelVersion } from '../../lib/registry/types.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import type { reproduceModel } from '../../workflows/reproduce-model.js';

const exec = promisify(execFile);
const MODEL = 'churn';
const TAG_VALUE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z:(match|mismatch)$/;
const REPRODUCE_ID = /reproduce churn v1: reproduce-churn-v1-\d{8}T\d{6}Z/;

let dir: string;
let stack: DevStack;
let client: Client;
/** A second registry connection for checks and for tampering with a row. */
let registry: PgModelRegistry;
let csv: string;
let datasetUri: string;
let spec: PipelineSpec;
/** v1 as the real pipeline registered it. */
let v1: ModelVersion;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function mlops(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await exec('node', ['--import', 'tsx', 'client/main.ts', ...args], {
      timeout: 240_000,
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: stack.temporalAddress,
        TEMPORAL_NAMESPACE: stack.namespace,
        TEMPORAL_UI_URL: stack.uiUrl,
        DATABASE_URL: stack.databaseUrl,
      },
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: e.stdout + e.stderr };
  }
}

function reproduce(version: number): { workflowId: string; run: Promise<ReproduceModelResult> } {
  const workflowId = reproduceWorkflowId(MODEL, version, Date.now());
  const run = client.workflow.execute<typeof reproduceModel>('reproduceModel', {
    workflowId,
    taskQueue: CPU_TASK_QUEUE,
    args: [{ model: MODEL, version, requestedBy: 'test' }],
  });
  return { workflowId, run };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-reproduce-'));
  csv = path.join(dir, 'churn.csv');
  await writeChurnDataset(csv, { rows: 1500, seed: 21 });
  datasetUri = `file://${csv}`;
  const fromYaml = await loadSpecFile('examples/churn/pipeline.yaml');
  spec = {
    ...fromYaml,
    dataset: { ...fromYaml.dataset, uri: datasetUri },
    trainer: {
      ...fromYaml.trainer,
      resources: 'cpu',
      hyperparameters: { ...fromYaml.trainer.hyperparameters, epochs: 8 },
    },
  };
  stack = await startDevStack({ stateDir: path.join(dir, 'stack'), gpuWorker: false, log: () => {} });
  client = stack.runtime.deps.temporal;
  registry = createPgRegistry({ connectionString: stack.databaseUrl, maxConnections: 1 });

  // v1 from the real pipeline: validate -> train -> evaluate -> register (-> deploy).
  const pipeline = (await client.workflow.execute('trainingPipeline', {
    workflowId: pipelineWorkflowId(MODEL, Date.now()),
    taskQueue: CPU_TASK_QUEUE,
    args: [{ spec, trigger: { kind: 'initial', reason: 'reproduce test', at: new Date().toISOString() } }],
  })) as TrainingPipelineResult;
  expect(pipeline.version).toBe(1);
  v1 = (await registry.getVersion(MODEL, 1))!;
  expect(v1.lineage.datasetSha256).toBe(sha256(await readFile(csv)));
}, 300_000);

afterAll(async () => {
  await registry?.close();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

describe('reproduceModel on the dev stack', () => {
  it(
    'retrains v1 from its lineage to the identical ONNX bytes without registering or deploying',
    { timeout: 300_000 },
    async () => {
      const deploymentsBefore = await registry.listDeployments(MODEL);
      const { workflowId, run } = reproduce(1);
      const result = await run;
      expect(result).toEqual({
        model: MODEL,
        version: 1,
        match: true,
        expectedSha256: v1.artifactSha256,
        actualSha256: v1.artifactSha256,
        datasetSha256: v1.lineage.datasetSha256,
        specHash: v1.lineage.specHash,
        trainer: 'logistic_regression',
        modelUri: expect.stringContaining(`models/${MODEL}/runs/${workflowId}/model.onnx`) as unknown,
        recordedCodeVersion: v1.lineage.codeVersion,
        currentCodeVersion: v1.lineage.codeVersion,
        durationMs: expect.any(Number) as unknown,
      });

      // Trained under its own run ID: a second file, and the original artifact still has its registered bytes.
      const artifacts = stack.runtime.deps.artifacts;
      expect(result.modelUri).not.toBe(v1.artifactUri);
      expect(sha256(await artifacts.get(result.modelUri))).toBe(v1.artifactSha256);
      expect(sha256(await artifacts.get(v1.artifactUri))).toBe(v1.artifactSha256);

      // Nothing registered or deployed; the outcome is a tag on v1.
      expect((await registry.listVersions(MODEL)).map((v) => v.version)).toEqual([1]);
      expect(await registry.listDeployments(MODEL)).toEqual(deploymentsBefore);
      const tag = (await registry.getTags(MODEL, 1))[REPRODUCED_TAG];
      expect(tag).toMatch(TAG_VALUE);
      expect(tag).toMatch(/:match$/);

      // Visible like the other workflows: search attributes and current details.
      const description = await client.workflow.getHandle(workflowId).describe();
      const attrs = Object.fromEntries(description.typedSearchAttributes.getAll().map((p) => [p.key.name, p.value]));
      expect(attrs).toMatchObject({ MlopsModel: MODEL, MlopsVersion: 1, MlopsStage: 'reproduced' });
    },
  );

  it(
    'mlops reproduce prints the outcome: exit 0 on match, 1 on mismatch, 2 on wrong usage',
    { timeout: 300_000 },
    async () => {
      const ok = await mlops('reproduce', `${MODEL}@1`, '--wait');
      expect(ok.code, ok.out).toBe(0);
      expect(ok.out).toMatch(REPRODUCE_ID);
      expect(ok.out).toContain(`${stack.uiUrl}/namespaces/default/workflows/reproduce-churn-v1-`);
      expect(ok.out).toMatch(/match: churn v1 reproduced bit for bit/);
      expect(ok.out).toContain(`registered sha256: ${v1.artifactSha256}`);
      expect(ok.out).toContain(`retrained sha256:  ${v1.artifactSha256}`);

      // A registered sha256 that the retrained bytes cannot have: mismatch, exit 1, tagged as such.
      const bogus = '0'.repeat(64);
      await registry.pool.query('UPDATE model_versions SET artifact_sha256 = $1 WHERE model = $2 AND version = 1', [
        bogus,
        MODEL,
      ]);
      try {
        const miss = await mlops('reproduce', `${MODEL}@1`, '--wait');
        expect(miss.code, miss.out).toBe(1);
        expect(miss.out).toMatch(REPRODUCE_ID);
        expect(miss.out).toMatch(/mismatch: churn v1 did not reproduce/);
        expect(miss.out).toContain(`registered sha256: ${bogus}`);
        expect(miss.out).toContain(`retrained sha256:  ${v1.artifactSha256}`);
        expect((await registry.getTags(MODEL, 1))[REPRODUCED_TAG]).toMatch(/:mismatch$/);
      } finally {
        await registry.pool.query('UPDATE model_versions SET artifact_sha256 = $1 WHERE model = $2 AND version = 1', [
          v1.artifactSha256,
          MODEL,
        ]);
      }

      const noWait = await mlops('reproduce', `${MODEL}@1`);
      expect(noWait.code, noWait.out).toBe(0);
      expect(noWait.out).toMatch(REPRODUCE_ID);
      // Started, not awaited by the CLI: let it finish before the next test changes the dataset.
      const startedId = /reproduce-churn-v1-\d{8}T\d{6}Z/.exec(noWait.out)![0];
      await expect(client.workflow.getHandle(startedId).result()).resolves.toMatchObject({ match: true });
      const noVersion = await mlops('reproduce', MODEL);
      expect(noVersion.code).toBe(2);
      expect(noVersion.out).toMatch(/expected <model>@<version>, found "churn"/);
      const noArg = await mlops('reproduce');
      expect(noArg.code).toBe(2);
      expect(noArg.out).toMatch(/missing required argument 'ref'/);
      const unknown = await mlops('reproduce', `${MODEL}@9`);
      expect(unknown.code).toBe(1);
      expect(unknown.out).toMatch(/unknown version churn@9/);
    },
  );

  it(
    'fails non-retryably, naming both hashes, when the dataset has changed since training',
    { timeout: 300_000 },
    async () => {
      const tagBefore = (await registry.getTags(MODEL, 1))[REPRODUCED_TAG];
      await writeChurnDataset(csv, { rows: 1500, seed: 22 });
      const now = sha256(await readFile(csv));
      expect(now).not.toBe(v1.lineage.datasetSha256);
      const message = `dataset at ${datasetUri} is now ${now}, the version was trained on ${v1.lineage.datasetSha256}`;

      const { workflowId, run } = reproduce(1);
      const err: unknown = await run.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect(cause).toMatchObject({ type: DATASET_CHANGED, nonRetryable: true, message });

      // One attempt of the check, nothing trained, and the last recorded outcome left as it was.
      const history = await client.workflow.getHandle(workflowId).fetchHistory();
      const failed = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes);
      expect(failed).toHaveLength(1);
      expect(failed[0]!.activityTaskFailedEventAttributes!.failure?.applicationFailureInfo?.nonRetryable).toBe(true);
      const scheduled = (history.events ?? []).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
      expect(scheduled.filter(Boolean)).toEqual(['loadReproductionSource', 'verifyDatasetVersion']);
      expect((await registry.getTags(MODEL, 1))[REPRODUCED_TAG]).toBe(tagBefore);

      const cli = await mlops('reproduce', `${MODEL}@1`, '--wait');
      expect(cli.code, cli.out).toBe(1);
      expect(cli.out).toContain(`mlops: reproduce churn v1 failed: ${message}`);
    },
  );
});
