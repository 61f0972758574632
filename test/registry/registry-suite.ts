/**
 * The model registry contract, run against every backend (real PostgreSQL, embedded PGlite server) by
 * `describeRegistrySuite`. Each backend hands out a fresh, empty database URL per call of `freshDatabase`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryConflictError, RegistryNotFoundError } from '../../lib/registry/errors.js';
import { MIGRATIONS_TABLE } from '../../lib/registry/pg-db.js';
import { createPgRegistry, type PgModelRegistry } from '../../lib/registry/pg-registry.js';
import type { PredictionLogEntry } from '../../lib/registry/types.js';
import { lineage, newVersion } from './helpers/fixtures.js';

export interface RegistryBackend {
  /** A new empty database; `drop` removes it (may be a no-op). */
  freshDatabase(): Promise<{ url: string; drop(): Promise<void> }>;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

export function describeRegistrySuite(name: string, backend: () => RegistryBackend): void {
  describe(`ModelRegistry on ${name}`, () => {
    let db: { url: string; drop(): Promise<void> };
    let registry: PgModelRegistry;

    beforeAll(async () => {
      db = await backend().freshDatabase();
      registry = createPgRegistry({ connectionString: db.url, maxConnections: 8 });
      await registry.migrate();
    });

    afterAll(async () => {
      await registry?.close();
      await db?.drop();
    });

    it('applies migrations once: a second run and concurrent runs apply nothing', async () => {
      expect(await registry.migrateVerbose()).toEqual([]);
      const others = [1, 2, 3].map(() => createPgRegistry({ connectionString: db.url, maxConnections: 2 }));
      try {
        const applied = await Promise.all(others.map((r) => r.migrateVerbose()));
        expect(applied).toEqual([[], [], []]);
      } finally {
        await Promise.all(others.map((r) => r.close()));
      }
      const rows = await registry.pool.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`);
      expect(rows.rows.map((r) => r.name)).toEqual([
        '0001_registry',
        '0002_approvals',
        '0003_serving_request_counts',
        '0004_retrain_decision_keys',
      ]);
    });

    it('migrates a fresh database from several registries at once', async () => {
      const fresh = await backend().freshDatabase();
      const regs = [1, 2, 3].map(() => createPgRegistry({ connectionString: fresh.url, maxConnections: 2 }));
      try {
        const applied = await Promise.all(regs.map((r) => r.migrateVerbose()));
        expect(applied.flat()).toEqual([
          '0001_registry',
          '0002_approvals',
          '0003_serving_request_counts',
          '0004_retrain_decision_keys',
        ]);
        const rows = await regs[0]!.pool.query(`SELECT name FROM ${MIGRATIONS_TABLE}`);
        expect(rows.rowCount).toBe(4);
      } finally {
        await Promise.all(regs.map((r) => r.close()));
        await fresh.drop();
      }
    });

    it('registers idempotently on runId and round-trips every field with JS types', async () => {
      const input = newVersion('idem', 'run-idem-1');
      expect(await registry.registerVersion(input)).toEqual({ version: 1, created: true });
      expect(await registry.registerVersion(input)).toEqual({ version: 1, created: false });
      const concurrent = await Promise.all([1, 2, 3, 4].map(() => registry.registerVersion(input)));
      expect(concurrent).toEqual(Array(4).fill({ version: 1, created: false }));
      // The same run with different bytes is a conflict, never a silent re-point.
      await expect(registry.registerVersion({ ...input, artifactSha256: 'f'.repeat(64) })).rejects.toThrow(
        /already registered idem v1 with artifact sha256/,
      );

      const v = await registry.getVersion('idem', 1);
      expect(v).not.toBeNull();
      expect(v).toMatchObject({ ...input, version: 1, aliases: [] });
      expect(typeof v!.version).toBe('number');
      expect(v!.createdAt).toMatch(ISO);
      expect(v!.lineage.hyperparameters).toEqual({ epochs: 10, lr: 0.1, balanced: true, solver: 'sgd' });
      expect(await registry.listVersions('idem')).toHaveLength(1);
      expect(await registry.getVersion('idem', 2)).toBeNull();
      expect(await registry.getVersion('nope', 1)).toBeNull();
    });

    it('numbers concurrent registrations of different runs sequentially, without gaps or duplicates', async () => {
      const runs = Array.from({ length: 12 }, (_, i) => `run-seq-${i}`);
      // Each run twice, all at once: retries racing the first attempt.
      const results = await Promise.all(
        [...runs, ...runs].map((runId) => registry.registerVersion(newVersion('seq', runId))),
      );
      const created = results.filter((r) => r.created).map((r) => r.version);
      expect(created.sort((a, b) => a - b)).toEqual(runs.map((_, i) => i + 1));
      for (let i = 0; i < runs.length; i++) expect(results[i]!.version).toBe(results[i + runs.length]!.version);
      const listed = await registry.listVersions('seq');
      expect(listed.map((v) => v.version)).toEqual(runs.map((_, i) => i + 1));
      expect(new Set(listed.map((v) => v.runId))).toEqual(new Set(runs));
    });

    it('refuses a runId already used by another model', async () => {
      await registry.registerVersion(newVersion('conflict-a', 'run-shared'));
      await expect(registry.registerVersion(newVersion('conflict-b', 'run-shared'))).rejects.toBeInstanceOf(
        RegistryConflictError,
      );
    });

    it('stores null spec/decision and keeps JSON arrays intact', async () => {
      const input = newVersion('json', 'run-json', { spec: undefined, decision: [1, 'two', { three: 3 }] });
      await registry.registerVersion(input);
      const v = await registry.getVersion('json', 1);
      expect(v!.spec).toBeNull();
      expect(v!.decision).toEqual([1, 'two', { three: 3 }]);
    });

    it('moves aliases, lists them on versions and summarizes models', async () => {
      for (const i of [1, 2, 3]) await registry.registerVersion(newVersion('alias', `run-alias-${i}`));
      await registry.setAlias('alias', 'staging', 2);
      await registry.setAlias('alias', 'candidate', 2);
      expect((await registry.getVersionByAlias('alias', 'staging'))?.version).toBe(2);
      expect((await registry.getVersion('alias', 2))?.aliases).toEqual(['candidate', 'staging']);
      await registry.setAlias('alias', 'staging', 3);
      expect((await registry.getVersionByAlias('alias', 'staging'))?.version).toBe(3);
      expect((await registry.getVersion('alias', 2))?.aliases).toEqual(['candidate']);
      expect(await registry.getVersionByAlias('alias', 'missing')).toBeNull();

      await expect(registry.setAlias('alias', 'staging', 9)).rejects.toBeInstanceOf(RegistryNotFoundError);
      await expect(registry.setAlias('unknown-model', 'staging', 1)).rejects.toBeInstanceOf(RegistryNotFoundError);
      await expect(registry.setAlias('alias', 'champion', 1)).rejects.toBeInstanceOf(RegistryConflictError);

      const summary = (await registry.listModels()).find((m) => m.model === 'alias');
      expect(summary).toEqual({
        model: 'alias',
        latestVersion: 3,
        championVersion: null,
        versions: 3,
        updatedAt: expect.stringMatching(ISO) as unknown,
      });
    });

    it('records approval decisions per pipeline run: first decision stands, version filled in later', async () => {
      const model = 'approvals';
      await registry.registerVersion(newVersion(model, 'run-appr-1'));
      const decidedAt = '2026-11-23T10:00:00.123Z';
      // Recorded before registration (no version yet), then again with the version: the decision stays.
      await registry.recordApproval({
        runId: 'run-appr-1',
        model,
        version: null,
        decision: 'approved',
        timedOut: false,
        by: 'alice',
        reason: 'A/B looks good',
        decidedAt,
      });
      await registry.recordApproval({
        runId: 'run-appr-1',
        model,
        version: 1,
        decision: 'rejected',
        timedOut: true,
        by: 'bob',
        reason: 'retry',
        decidedAt: new Date().toISOString(),
      });
      const first = await registry.getApproval('run-appr-1');
      expect(first).toEqual({
        runId: 'run-appr-1',
        model,
        version: 1,
        decision: 'approved',
        timedOut: false,
        by: 'alice',
        reason: 'A/B looks good',
        decidedAt,
        recordedAt: expect.stringMatching(ISO) as unknown,
      });
      await registry.recordApproval({
        runId: 'run-appr-2',
        model,
        version: null,
        decision: 'rejected',
        timedOut: true,
        by: 'timeout',
        reason: 'approval timed out after 3s',
        decidedAt: '2026-11-23T11:00:00.000Z',
      });
      const listed = await registry.listApprovals(model);
      expect(listed.map((a) => [a.runId, a.decision, a.timedOut, a.version])).toEqual([
        ['run-appr-1', 'approved', false, 1],
        ['run-appr-2', 'rejected', true, null],
      ]);
      expect(await registry.getApproval('run-appr-none')).toBeNull();
      expect(await registry.listApprovals('no-such-model')).toEqual([]);
      await expect(registry.recordApproval({ ...first!, runId: 'run-appr-3', by: ' ' })).rejects.toBeInstanceOf(
        TypeError,
      );
      // A version that does not exist is refused by the foreign key.
      await expect(registry.recordApproval({ ...first!, runId: 'run-appr-4', version: 99 })).rejects.toThrow();
    });

    it('sets and reads tags', async () => {
      await registry.registerVersion(newVersion('tags', 'run-tags-1'));
      await registry.setTags('tags', 1, { owner: 'ml-team', stage: 'exp' });
      await registry.setTags('tags', 1, { stage: 'prod' });
      expect(await registry.getTags('tags', 1)).toEqual({ owner: 'ml-team', stage: 'prod' });
      await expect(registry.setTags('tags', 2, { a: 'b' })).rejects.toBeInstanceOf(RegistryNotFoundError);
    });

    it('records deployments: champion moves, history answers "which version served at T"', async () => {
      const model = 'deploy';
      for (const i of [1, 2, 3]) {
        await registry.registerVersion(
          newVersion(model, `run-dep-${i}`, { lineage: lineage({ profileUri: `file:///profiles/${i}.json` }) }),
        );
      }
      const before = new Date(Date.now() - 1000).toISOString();
      expect(await registry.getDeployed(model)).toBeNull();

      const d1 = await registry.recordDeployment({ model, version: 1, runId: 'deploy-run-1' });
      expect(d1).toMatchObject({ model, version: 1, runId: 'deploy-run-1', replacedAt: null });
      expect(typeof d1.id).toBe('number');
      expect(d1.deployedAt).toMatch(ISO);
      expect(await registry.recordDeployment({ model, version: 1, runId: 'deploy-run-1' })).toEqual(d1);
      await sleep(20);
      const d2 = await registry.recordDeployment({ model, version: 2, runId: 'deploy-run-2' });
      await sleep(20);
      // Concurrent retries of the same deployment: one row.
      const d3s = await Promise.all(
        [1, 2, 3].map(() => registry.recordDeployment({ model, version: 3, runId: 'deploy-run-3' })),
      );
      const d3 = d3s[0]!;
      expect(d3s).toEqual([d3, d3, d3]);
      await sleep(20);
      // Roll back to version 1 under a new run.
      const d4 = await registry.recordDeployment({ model, version: 1, runId: 'deploy-run-4' });

      const history = await registry.listDeployments(model);
      expect(history.map((d) => [d.version, d.runId])).toEqual([
        [1, 'deploy-run-1'],
        [2, 'deploy-run-2'],
        [3, 'deploy-run-3'],
        [1, 'deploy-run-4'],
      ]);
      expect(history[0]!.replacedAt).toBe(d2.deployedAt);
      expect(history[1]!.replacedAt).toBe(d3.deployedAt);
      expect(history[2]!.replacedAt).toBe(d4.deployedAt);
      expect(history[3]!.replacedAt).toBeNull();

      expect(await registry.deploymentAt(model, before)).toBeNull();
      expect((await registry.deploymentAt(model, d1.deployedAt))?.runId).toBe('deploy-run-1');
      const mid = new Date((Date.parse(d1.deployedAt) + Date.parse(d2.deployedAt)) / 2).toISOString();
      expect((await registry.deploymentAt(model, mid))?.version).toBe(1);
      expect((await registry.deploymentAt(model, d2.deployedAt))?.version).toBe(2);
      expect((await registry.deploymentAt(model, d3.deployedAt))?.version).toBe(3);
      expect((await registry.deploymentAt(model, new Date(Date.now() + 60_000).toISOString()))?.runId).toBe(
        'deploy-run-4',
      );
      await expect(registry.deploymentAt(model, 'not a time')).rejects.toBeInstanceOf(TypeError);

      expect((await registry.getVersionByAlias(model, 'champion'))?.version).toBe(1);
      expect((await registry.listModels()).find((m) => m.model === model)?.championVersion).toBe(1);
      const deployed = await registry.getDeployed(model);
      expect(deployed).toEqual({
        model,
        version: 1,
        artifactUri: `file:///artifacts/models/${model}/runs/run-dep-1/model.onnx`,
        artifactSha256: 'c'.repeat(64),
        features: [
          { name: 'tenure', type: 'numeric' },
          { name: 'plan', type: 'categorical' },
        ],
        label: { name: 'churned', task: 'binary', positive: '1' },
        profileUri: 'file:///profiles/1.json',
        deployedAt: d4.deployedAt,
      });
      expect((await registry.listDeployed()).filter((d) => d.model === model)).toEqual([deployed]);
    });

    it('rejects deployments of unknown versions and reused run IDs', async () => {
      await registry.registerVersion(newVersion('deploy-bad', 'run-dbad-1'));
      await expect(
        registry.recordDeployment({ model: 'deploy-bad', version: 7, runId: 'dbad-1' }),
      ).rejects.toBeInstanceOf(RegistryNotFoundError);
      await expect(
        registry.recordDeployment({ model: 'no-such-model', version: 1, runId: 'dbad-2' }),
      ).rejects.toBeInstanceOf(RegistryNotFoundError);
      await registry.recordDeployment({ model: 'deploy-bad', version: 1, runId: 'dbad-3' });
      await registry.registerVersion(newVersion('deploy-bad', 'run-dbad-2'));
      await expect(
        registry.recordDeployment({ model: 'deploy-bad', version: 2, runId: 'dbad-3' }),
      ).rejects.toBeInstanceOf(RegistryConflictError);
    });

    it('keeps one open deployment per model under concurrent deployments', async () => {
      const model = 'deploy-race';
      for (const i of [1, 2, 3, 4]) await registry.registerVersion(newVersion(model, `run-race-${i}`));
      await Promise.all([1, 2, 3, 4].map((v) => registry.recordDeployment({ model, version: v, runId: `race-${v}` })));
      const history = await registry.listDeployments(model);
      expect(history).toHaveLength(4);
      expect(history.filter((d) => d.replacedAt === null)).toHaveLength(1);
      for (let i = 0; i + 1 < history.length; i++) expect(history[i]!.replacedAt).toBe(history[i + 1]!.deployedAt);
      const current = history.at(-1)!;
      expect((await registry.getVersionByAlias(model, 'champion'))?.version).toBe(current.version);
    });

    it('records pipeline runs and stages idempotently; stages never go backwards', async () => {
      const runId = 'pipeline-1';
      await registry.recordPipelineRun({ runId, model: 'pipe', trigger: 'schedule', specHash: 'h1' });
      await registry.recordPipelineRun({ runId, model: 'pipe', trigger: 'schedule', specHash: 'h1' });
      const t0 = new Date().toISOString();
      await registry.recordStage({
        runId,
        stage: 'train',
        status: 'started',
        startedAt: t0,
        finishedAt: null,
        details: null,
      });
      const t1 = new Date(Date.now() + 1500).toISOString();
      await registry.recordStage({
        runId,
        stage: 'train',
        status: 'completed',
        startedAt: t0,
        finishedAt: t1,
        details: { epochs: 3 },
      });
      // A late retry of "started" must not undo "completed".
      await registry.recordStage({
        runId,
        stage: 'train',
        status: 'started',
        startedAt: t0,
        finishedAt: null,
        details: null,
      });
      await registry.finishPipelineRun({ runId, outcome: 'registered', version: 1, error: null });
      await registry.finishPipelineRun({ runId, outcome: 'registered', version: 1, error: null });
      await expect(
        registry.finishPipelineRun({ runId: 'missing', outcome: 'x', version: null, error: null }),
      ).rejects.toBeInstanceOf(RegistryNotFoundError);

      const stage = await registry.pool.query<{ status: string; finished_at: Date; details: unknown }>(
        'SELECT status, finished_at, details FROM pipeline_stages WHERE run_id = $1',
        [runId],
      );
      expect(stage.rows).toEqual([{ status: 'completed', finished_at: new Date(t1), details: { epochs: 3 } }]);
      const run = await registry.pool.query<{ outcome: string; version: number; finished_at: Date | null }>(
        'SELECT outcome, version, finished_at FROM pipeline_runs WHERE run_id = $1',
        [runId],
      );
      expect(run.rows[0]).toMatchObject({ outcome: 'registered', version: 1 });
      expect(run.rows[0]?.finished_at).toBeInstanceOf(Date);
    });

    it('logs predictions in batches, joins feedback, and reads windows [from, to)', async () => {
      const model = 'serve';
      const base = Date.parse('2030-01-01T00:00:00.000Z');
      const at = (s: number): string => new Date(base + s * 1000).toISOString();
      const entries: PredictionLogEntry[] = Array.from({ length: 50 }, (_, i) => ({
        predictionId: `p-${String(i).padStart(3, '0')}`,
        model,
        version: 1 + (i % 2),
        features: { tenure: i, plan: i % 3 === 0 ? 'pro' : 'basic', tags: ['a', 'b'] },
        prediction: i % 2 === 0 ? '1' : '0',
        score: i % 5 === 0 ? null : i / 50,
        latencyMs: 1.25,
        createdAt: at(i),
      }));
      await registry.logPredictions(entries);
      await registry.logPredictions(entries.slice(0, 10)); // a retried batch
      await registry.logPredictions([]);

      const all = await registry.readPredictions(model, at(0), at(50));
      expect(all).toHaveLength(50);
      expect(all[0]).toEqual(entries[0]);
      expect(all[1]).toEqual(entries[1]);
      expect(await registry.readPredictions(model, at(10), at(20))).toHaveLength(10);
      expect((await registry.readPredictions(model, at(10), at(20), 3)).map((p) => p.predictionId)).toEqual([
        'p-010',
        'p-011',
        'p-012',
      ]);
      expect(await registry.readPredictions('other-model', at(0), at(50))).toEqual([]);

      await registry.recordFeedback([
        { predictionId: 'p-001', model, label: '1', createdAt: at(100) },
        { predictionId: 'p-002', model, label: 0, createdAt: at(100) },
        { predictionId: 'p-003', model, label: '0', createdAt: at(100) },
        { predictionId: 'p-003', model, label: '1', createdAt: at(101) }, // correction in the same batch
        { predictionId: 'p-999', model, label: '1', createdAt: at(100) }, // prediction not logged (yet)
      ]);
      await registry.recordFeedback([{ predictionId: 'p-001', model, label: '0', createdAt: at(102) }]);
      const labelled = await registry.readLabelledPredictions(model, at(0), at(50));
      expect(labelled.map((p) => [p.predictionId, p.label])).toEqual([
        ['p-001', '0'],
        ['p-002', 0],
        ['p-003', '1'],
      ]);
      expect(labelled[1]).toMatchObject({ ...entries[2], label: 0 });
      expect(await registry.readLabelledPredictions(model, at(0), at(50), 1)).toHaveLength(1);

      // The monitor's window: one read, labels or null, the version filtered before the limit.
      const window = await registry.readWindowPredictions(model, at(0), at(6));
      expect(window.map((p) => [p.predictionId, p.label])).toEqual([
        ['p-000', null],
        ['p-001', '0'],
        ['p-002', 0],
        ['p-003', '1'],
        ['p-004', null],
        ['p-005', null],
      ]);
      expect(window[2]).toEqual({ ...entries[2], label: 0 });
      const v2 = await registry.readWindowPredictions(model, at(0), at(50), { version: 2, limit: 3 });
      expect(v2.map((p) => [p.predictionId, p.label])).toEqual([
        ['p-001', '0'],
        ['p-003', '1'],
        ['p-005', null],
      ]);
      expect(await registry.readWindowPredictions(model, at(0), at(50), { version: 3 })).toEqual([]);
    });

    it('lists only replicas with a fresh heartbeat', async () => {
      const now = new Date().toISOString();
      await registry.reportReplica({
        replicaId: 'r1',
        url: 'http://a:1',
        model: 'rep',
        version: 2,
        loadedAt: now,
        heartbeatAt: now,
        error: null,
      });
      await registry.reportReplica({
        replicaId: 'r2',
        url: 'http://b:1',
        model: 'rep',
        version: null,
        loadedAt: null,
        heartbeatAt: now,
        error: 'load failed',
      });
      const stale = new Date(Date.now() - 60_000).toISOString();
      await registry.reportReplica({
        replicaId: 'r3',
        url: 'http://c:1',
        model: 'rep',
        version: 1,
        loadedAt: stale,
        heartbeatAt: stale,
        error: null,
      });
      // r1 reports again (upsert), now with version 3.
      await registry.reportReplica({
        replicaId: 'r1',
        url: 'http://a:1',
        model: 'rep',
        version: 3,
        loadedAt: now,
        heartbeatAt: now,
        error: null,
      });
      const fresh = await registry.listReplicas('rep', 10_000);
      expect(fresh).toEqual([
        { replicaId: 'r1', url: 'http://a:1', model: 'rep', version: 3, loadedAt: now, heartbeatAt: now, error: null },
        {
          replicaId: 'r2',
          url: 'http://b:1',
          model: 'rep',
          version: null,
          loadedAt: null,
          heartbeatAt: now,
          error: 'load failed',
        },
      ]);
      expect((await registry.listReplicas('rep', 120_000)).map((r) => r.replicaId)).toEqual(['r1', 'r2', 'r3']);
    });

    it('upserts monitor reports per window and records each controller decision once', async () => {
      const w = {
        model: 'mon',
        version: 1,
        windowStart: '2030-01-01T00:00:00.000Z',
        windowEnd: '2030-01-01T00:05:00.000Z',
      };
      await registry.recordMonitorReport({ ...w, status: 'ok', report: { drift: 0.1 } });
      await registry.recordMonitorReport({ ...w, status: 'drift', report: { drift: 0.4 } });
      const reports = await registry.pool.query('SELECT status, report FROM monitor_reports WHERE model = $1', ['mon']);
      expect(reports.rows).toEqual([{ status: 'drift', report: { drift: 0.4 } }]);

      const decision = {
        model: 'mon',
        key: 'started:pipe-mon-1:drift:t1',
        trigger: 'drift',
        decision: 'started',
        pipelineId: 'pipe-mon-1',
        details: { share: 0.6 },
      };
      // A retried recording inserts nothing; every decision of the same pipeline is kept, and so are decisions
      // without a pipeline, each once.
      await registry.recordRetrainDecision(decision);
      await registry.recordRetrainDecision(decision);
      const completed = { ...decision, key: 'completed:pipe-mon-1:drift:t2', decision: 'completed' };
      await registry.recordRetrainDecision(completed);
      const coalesced = { ...decision, key: 'coalesced:-:manual:t3', decision: 'coalesced', pipelineId: null };
      await registry.recordRetrainDecision(coalesced);
      await registry.recordRetrainDecision(coalesced);
      const decisions = await registry.pool.query(
        'SELECT decision, pipeline_id, details FROM retrain_decisions ORDER BY id',
      );
      expect(decisions.rows).toEqual([
        { decision: 'started', pipeline_id: 'pipe-mon-1', details: { share: 0.6 } },
        { decision: 'completed', pipeline_id: 'pipe-mon-1', details: { share: 0.6 } },
        { decision: 'coalesced', pipeline_id: null, details: { share: 0.6 } },
      ]);
    });
  });
}
