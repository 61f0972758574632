/**
 * The `mlops` CLI as a separate process against a running embedded stack (found through the environment, as in
 * production): run --wait, status, models list/show, retrain, new-data and the schedule commands (policies as given,
 * a backfill whose runs go through the controller one training at a time).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevStack, type DevStack } from '../../client/dev-stack.js';
import type { ControllerDecision } from '../../contracts/controller.js';
import { controllerStatusQuery } from '../../contracts/messages.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';

const exec = promisify(execFile);
let stack: DevStack;
let dir: string;
let specPath: string;

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

async function waitIdle(runs: number): Promise<void> {
  const handle = stack.runtime.deps.temporal.workflow.getHandle('retrain-churn');
  for (let i = 0; i < 240; i++) {
    const s = await handle.query(controllerStatusQuery);
    if (s.runsStarted >= runs && s.phase === 'idle' && s.pending.length === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('controller did not become idle');
}

async function waitForValue<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The controller's decisions as the registry recorded them (`retrain_decisions`), oldest first. */
async function recordedDecisions(
  model: string,
): Promise<Array<{ id: number; decision: string; trigger: string; details: ControllerDecision }>> {
  const db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  try {
    const res = await db.query<{ id: number; decision: string; trigger: string; details: ControllerDecision }>(
      'SELECT id, decision, trigger, details FROM retrain_decisions WHERE model = $1 ORDER BY id',
      [model],
    );
    return res.rows;
  } finally {
    await db.end();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mlops-cli-stack-'));
  stack = await startDevStack({ stateDir: dir, log: () => {} });
  const csv = path.join(dir, 'churn.csv');
  await writeChurnDataset(csv, { rows: 2000, seed: 11 });
  const spec = await loadSpecFile('examples/churn/pipeline.yaml');
  specPath = path.join(dir, 'pipeline.yaml');
  await writeFile(
    specPath,
    stringify({
      ...spec,
      dataset: { ...spec.dataset, uri: `file://${csv}` },
      trainer: { ...spec.trainer, resources: 'cpu' },
      retraining: { cooldown: '0s' },
    }),
  );
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('mlops CLI against a running stack', () => {
  it('runs the pipeline and follows it to deployment', { timeout: 300_000 }, async () => {
    const r = await mlops('run', specPath, '--wait', '--reason', 'first model');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/started pipeline pipeline-churn-\d{8}T\d{6}Z/);
    expect(r.out).toContain(`${stack.uiUrl}/namespaces/default/workflows/pipeline-churn-`);
    expect(r.out).toMatch(/deployed: churn v1/);
  });

  it('shows status and the registry', { timeout: 120_000 }, async () => {
    const status = await mlops('status', 'churn');
    expect(status.code, status.out).toBe(0);
    expect(status.out).toMatch(/controller retrain-churn: idle/);
    expect(status.out).toMatch(/deployed version: 1/);
    const list = await mlops('models', 'list');
    expect(list.out).toMatch(/churn\tv1\tv1\t1\t/);
    const show = await mlops('models', 'show', 'churn@1');
    expect(show.code, show.out).toBe(0);
    expect(show.out).toMatch(/churn v1 \[champion\]/);
    expect(show.out).toMatch(/dataset: +file:\/\/.*churn\.csv sha256 [0-9a-f]{64} \(2000 rows\)/);
    expect(show.out).toMatch(/decision: +promote/);
    const unknown = await mlops('models', 'show', 'churn@9');
    expect(unknown.code).toBe(1);
    expect(unknown.out).toMatch(/unknown version churn@9/);
    const missing = await mlops('status', 'nosuchmodel');
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(/model "nosuchmodel" has no retraining controller/);
  });

  it('retrains on request and on new data, one run at a time', { timeout: 300_000 }, async () => {
    const retrain = await mlops('retrain', 'churn', '--reason', 'label fix landed', '--wait');
    expect(retrain.code, retrain.out).toBe(0);
    expect(retrain.out).toMatch(/started pipeline pipeline-churn-/);
    expect(retrain.out).toMatch(/(deployed|rejected): churn v2/);
    const csv2 = path.join(dir, 'churn-2.csv');
    await writeChurnDataset(csv2, { rows: 2000, seed: 12, drift: 0.5 });
    const nd = await mlops('new-data', 'churn', '--dataset', `file://${csv2}`);
    expect(nd.code, nd.out).toBe(0);
    expect(nd.out).toMatch(/signalled newData/);
    await waitIdle(3);
    const version = await stack.runtime.deps.registry.getVersion('churn', 3);
    expect(version?.lineage.datasetUri).toBe(`file://${csv2}`);
    expect(version?.trigger).toBe('new_data');
  });

  it(
    'diffs versions, shows lineage, promotes and rolls back through audited workflows',
    { timeout: 300_000 },
    async () => {
      const diff = await mlops('models', 'diff', 'churn@1', 'churn@3');
      expect(diff.code, diff.out).toBe(0);
      expect(diff.out).toMatch(/METRIC\tchurn@1\tchurn@3\tDELTA/);
      expect(diff.out).toMatch(/roc_auc\t0\.\d{4}\t0\.\d{4}\t[+-]\d\.\d{4}/);
      expect(diff.out).toMatch(/dataset:\n +churn@1: .*churn\.csv\n +churn@3: .*churn-2\.csv/);
      const lineage = await mlops('lineage', 'churn@3');
      expect(lineage.code, lineage.out).toBe(0);
      expect(lineage.out).toMatch(/^churn v3 /m);
      expect(lineage.out).toMatch(/^ {2}churn v\d /m);
      const registry = stack.runtime.deps.registry;
      const before = (await registry.getDeployed('churn'))!.version;
      const target = before === 3 ? 2 : 3;
      const promote = await mlops('models', 'promote', `churn@${target}`, '--reason', 'compare in production');
      expect(promote.code, promote.out).toBe(0);
      expect(promote.out).toContain(`promote churn v${before} -> v${target}: promote-churn-v${target}-`);
      expect((await registry.getDeployed('churn'))!.version).toBe(target);
      const rollback = await mlops('models', 'rollback', 'churn', '--reason', 'undo the experiment');
      expect(rollback.code, rollback.out).toBe(0);
      expect((await registry.getDeployed('churn'))!.version).toBe(before);
      const promotions = [];
      for await (const w of stack.runtime.deps.temporal.workflow.list({
        query: 'WorkflowType="modelPromotion" AND MlopsModel="churn"',
      })) {
        promotions.push(w.status.name);
      }
      expect(promotions).toEqual(['COMPLETED', 'COMPLETED']);
      const again = await mlops('models', 'promote', `churn@${before}`, '--reason', 'noop');
      expect(again.code).toBe(1);
      expect(again.out).toMatch(/is already deployed/);
      const unknown = await mlops('models', 'promote', 'churn@99', '--reason', 'x');
      expect(unknown.code).toBe(1);
      expect(unknown.out).toMatch(/unknown version churn@99/);
    },
  );

  it('manages the retraining schedule', { timeout: 300_000 }, async () => {
    const temporal = stack.runtime.deps.temporal;
    const create = await mlops(
      'schedule',
      'create',
      specPath,
      '--every',
      '1h',
      '--paused',
      '--overlap',
      'buffer_one',
      '--catchup-window',
      '10m',
      '--pause-on-failure',
    );
    expect(create.code, create.out).toBe(0);
    expect(create.out).toMatch(/created schedule-churn/);
    const list = await mlops('schedule', 'list');
    expect(list.out).toMatch(/schedule-churn\tpaused/);
    const unpause = await mlops('schedule', 'unpause', 'churn');
    expect(unpause.code, unpause.out).toBe(0);
    const describe1 = await mlops('schedule', 'describe', 'churn');
    expect(describe1.out).toMatch(/schedule schedule-churn: active/);
    expect(describe1.out).toMatch(/cadence: every 1h/);
    expect(describe1.out).toContain('overlap: buffer_one, catch-up window: 10m, pause on failure: true');
    const described = await temporal.schedule.getHandle('schedule-churn').describe();
    expect(described.policies).toMatchObject({ overlap: 'BUFFER_ONE', catchupWindow: 600_000, pauseOnFailure: true });
    const trigger = await mlops('schedule', 'trigger', 'churn');
    expect(trigger.code, trigger.out).toBe(0);
    await waitIdle(4);
    const s = await temporal.workflow.getHandle('retrain-churn').query(controllerStatusQuery);
    expect(s.recent.some((d) => d.trigger.kind === 'schedule' && d.decision === 'completed')).toBe(true);

    // Backfill three hourly slots (start exclusive, end inclusive: 01:00, 02:00, 03:00).
    const lastDecisionBefore = Math.max(0, ...(await recordedDecisions('churn')).map((d) => d.id));
    const backfill = await mlops(
      'schedule',
      'backfill',
      'churn',
      '--start',
      '2026-01-01T00:30:00Z',
      '--end',
      '2026-01-01T03:30:00Z',
    );
    expect(backfill.code, backfill.out).toBe(0);
    const backfilled = await waitForValue('the three backfilled runs to complete', 120_000, async () => {
      const runs: Array<{ workflowId: string; status: string }> = [];
      for await (const w of temporal.workflow.list({ query: 'TemporalScheduledById = "schedule-churn"' })) {
        if (w.workflowId.includes('-2026-01-01T')) runs.push({ workflowId: w.workflowId, status: w.status.name });
      }
      return runs.length === 3 && runs.every((r) => r.status !== 'RUNNING') ? runs : null;
    });
    expect(backfilled.map((r) => r.workflowId).sort()).toEqual(
      ['01', '02', '03'].map((h) => `scheduled-retrain-churn-2026-01-01T${h}:00:00Z`),
    );
    expect(backfilled.map((r) => r.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    // The three schedule triggers went through the controller: the ones arriving during a run coalesced into the
    // follow-up, so at most one training ran at a time, and every decision is in the registry.
    await waitIdle(5);
    const after = (await recordedDecisions('churn')).filter((d) => d.id > lastDecisionBefore);
    const started = after.filter((d) => d.decision === 'started');
    const coalesced = after.filter((d) => d.decision === 'coalesced');
    expect(
      [...started, ...coalesced].every((d) => d.trigger === 'schedule'),
      JSON.stringify(after),
    ).toBe(true);
    const triggersRun = started.reduce(
      (n, d) => n + ((d.details.trigger.evidence?.['coalesced'] as unknown[] | undefined) ?? [d]).length,
      0,
    );
    expect(triggersRun, JSON.stringify(after)).toBe(3);
    expect(coalesced.length, JSON.stringify(after)).toBeGreaterThanOrEqual(1);
    expect(started.length, JSON.stringify(after)).toBeLessThanOrEqual(2);
    const pipelines: Array<{ start: number; close: number }> = [];
    for await (const w of temporal.workflow.list({ query: 'WorkflowType="trainingPipeline" AND MlopsModel="churn"' })) {
      pipelines.push({ start: w.startTime.getTime(), close: w.closeTime?.getTime() ?? Infinity });
    }
    pipelines.sort((a, b) => a.start - b.start);
    expect(pipelines.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < pipelines.length; i++)
      expect(pipelines[i]!.start).toBeGreaterThanOrEqual(pipelines[i - 1]!.close);

    const badRange = await mlops(
      'schedule',
      'backfill',
      'churn',
      '--start',
      '2026-01-02T00:00:00Z',
      '--end',
      '2026-01-01T00:00:00Z',
    );
    expect(badRange.code).toBe(2);
    expect(badRange.out).toMatch(/--end .* must be after --start/);
    const pause = await mlops('schedule', 'pause', 'churn', '--note', 'maintenance');
    expect(pause.code, pause.out).toBe(0);
    const del = await mlops('schedule', 'delete', 'churn');
    expect(del.code, del.out).toBe(0);

    // The defaults, and --no-pause-on-failure, on a second model's schedule.
    const quietSpec = path.join(dir, 'pipeline-quiet.yaml');
    await writeFile(quietSpec, stringify({ ...parse(await readFile(specPath, 'utf8')), model: 'churn-quiet' }));
    const badWindow = await mlops('schedule', 'create', quietSpec, '--cron', '0 3 * * 0', '--catchup-window', 'soon');
    expect(badWindow.code).toBe(2);
    expect(badWindow.out).toMatch(/--catchup-window: invalid duration "soon"/);
    const quiet = await mlops(
      'schedule',
      'create',
      quietSpec,
      '--cron',
      '0 3 * * 0',
      '--paused',
      '--no-pause-on-failure',
    );
    expect(quiet.code, quiet.out).toBe(0);
    const describe2 = await mlops('schedule', 'describe', 'churn-quiet');
    expect(describe2.out).toMatch(/schedule schedule-churn-quiet: PAUSED/);
    expect(describe2.out).toContain('overlap: skip, catch-up window: 1h, pause on failure: false');
    expect((await mlops('schedule', 'delete', 'churn-quiet')).code).toBe(0);
    expect((await mlops('schedule', 'list')).out).toMatch(/no retraining schedules/);
  });
});
