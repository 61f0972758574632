import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import protoPkg from '@temporalio/proto';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { MonitorWindowInput, MonitorWindowReport } from '../contracts/monitoring.js';
import { startDevServer } from '../infra/dev-server.js';
import { generateTraffic } from '../lib/data/generate-churn.js';
import { profileTable, type DatasetProfile } from '../lib/data/profile.js';
import { recordsToTable } from '../lib/data/records.js';
import { windowPerformance } from '../lib/monitoring/window-performance.js';
import { loadSpecFile } from '../lib/spec/load-spec.js';
import { computeDrift } from '../lib/stats/drift.js';
import { predictionDrift, predictionProfile } from '../lib/stats/prediction-drift.js';
import { fmtInt, fmtMs, numberFlag, parseFlags, peakRssMiB, printHeader, printTable, writeResults } from './harness.js';

/**
 * 100 monitors on one worker (issue "Continuous training", item 7): `--models N` (default 100) real `modelMonitor`
 * workflows on one CPU worker against a Temporal dev server, `--windows W` windows each (default 6) of `--window-ms`
 * (default 2000), continuing as new every 3 windows. The monitoring activity is the real window computation (columns,
 * feature drift vs a stored profile, prediction drift, performance on labels, latency) on `--rows R` (default 2,000)
 * logged predictions held in memory: the registry read is left out. Reports the worker process's CPU time, the dev
 * server's CPU time, peak RSS and the history of every monitor (events and bytes per run and per workflow).
 * Anchor, same run: the same N x W window computations in a plain loop, without Temporal; the worker's CPU over the
 * anchor's is what orchestrating the fleet costs on top of the monitoring itself.
 */
const { temporal } = protoPkg;
const flags = parseFlags();
const models = Math.floor(numberFlag(flags, 'models', 100));
const windows = Math.floor(numberFlag(flags, 'windows', 6));
const windowMs = Math.floor(numberFlag(flags, 'window-ms', 2000));
const rows = Math.floor(numberFlag(flags, 'rows', 2000));
printHeader(`Monitor fleet: ${models} modelMonitor workflows x ${windows} windows on one worker`, flags);

const spec = await loadSpecFile(fileURLToPath(new URL('../examples/churn/pipeline.yaml', import.meta.url)));
const training = generateTraffic({ rows: 20_000, seed: 1 });
const profile = JSON.parse(
  JSON.stringify(profileTable(recordsToTable(training.records, spec.features), spec.features)),
) as DatasetProfile;
const outputs = predictionProfile(training.records.map((_, i) => (i % 97) / 97));
const traffic = generateTraffic({ rows, seed: 2 });
const scores = traffic.records.map((_, i) => ((i * 31) % 101) / 101);
const labelled = traffic.labels.map((label, i) => ({
  prediction: scores[i]! >= 0.5 ? '1' : '0',
  score: scores[i]!,
  label,
}));

/** The monitoring activity's computation for one window (after the registry read). */
function judge(): { status: 'ok' | 'drift'; summary: string } {
  const drift = computeDrift(profile, recordsToTable(traffic.records, spec.features), {
    method: 'auto',
    driftShare: spec.monitoring.driftShare,
  });
  const out = predictionDrift(outputs, scores);
  const perf = windowPerformance({
    task: 'binary',
    rows: labelled,
    positive: '1',
    primaryMetric: 'roc_auc',
    baseline: null,
    floor: null,
    tolerance: null,
  });
  const sorted = traffic.records.map((_, i) => 2 + ((i * 17) % 50) / 10).sort((a, b) => a - b);
  return {
    status: drift.datasetDrift ? 'drift' : 'ok',
    summary: `${drift.summary}; prediction drift ${out.drifted}; auc ${perf?.value.toFixed(3)}; p99 ${sorted.at(-1)}`,
  };
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;
/** utime + stime of a process in ms (Linux /proc; NaN elsewhere). */
function processCpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}

// Anchor: the same computations, no Temporal.
judge();
const anchorStart = process.cpuUsage();
for (let i = 0; i < models * windows; i++) judge();
const anchorCpuMs = cpuMs(process.cpuUsage(anchorStart));

const dir = await mkdtemp(path.join(tmpdir(), 'mlops-monitor-fleet-'));
const server = await startDevServer({ dbFilename: path.join(dir, 'temporal.db') });
const runsOf = new Map<string, Set<string>>();
let windowsJudged = 0;
try {
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const taskQueue = 'monitor-fleet';
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: server.address }),
    taskQueue,
    workflowsPath: fileURLToPath(new URL('./monitor-fleet-workflows.ts', import.meta.url)),
    maxConcurrentActivityTaskExecutions: 4,
    activities: {
      monitorWindow: async (input: MonitorWindowInput): Promise<MonitorWindowReport> => {
        const { workflowId, runId } = Context.current().info.workflowExecution ?? { workflowId: '?', runId: '?' };
        if (!runsOf.has(workflowId)) runsOf.set(workflowId, new Set());
        runsOf.get(workflowId)!.add(runId);
        const { status, summary } = judge();
        windowsJudged++;
        return {
          ...input,
          version: 1,
          status,
          predictions: rows,
          labelled: rows,
          drift: null,
          performance: null,
          latencyMs: null,
          summary,
          reportUri: null,
        };
      },
    },
  });
  const serverCpuBefore = processCpuMs(server.pid);
  const cpuBefore = process.cpuUsage();
  const wallStart = performance.now();
  await worker.runUntil(async () => {
    const controller = await client.workflow.start('fleetController', { taskQueue, workflowId: 'fleet-controller' });
    const monitorSpec = { ...spec, monitoring: { ...spec.monitoring, window: `${windowMs}ms` } };
    const handles = await Promise.all(
      Array.from({ length: models }, (_, m) =>
        client.workflow.start('modelMonitor', {
          taskQueue,
          workflowId: `monitor-fleet-${m}`,
          args: [
            {
              model: `model-${m}`,
              spec: monitorSpec,
              controllerWorkflowId: controller.workflowId,
              stopAfterWindows: windows,
              windowsPerRun: 3,
            },
          ],
        }),
      ),
    );
    await Promise.all(handles.map((h) => h.result()));
    await controller.terminate('bench done');
  });
  const wallMs = performance.now() - wallStart;
  const workerCpuMs = cpuMs(process.cpuUsage(cpuBefore));
  const serverCpuMs = processCpuMs(server.pid) - serverCpuBefore;

  const perWorkflow: Array<{ events: number; bytes: number; runs: number; maxRunEvents: number }> = [];
  for (const [workflowId, runIds] of runsOf) {
    let events = 0;
    let bytes = 0;
    let maxRunEvents = 0;
    for (const runId of runIds) {
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      const n = history.events?.length ?? 0;
      events += n;
      bytes += temporal.api.history.v1.History.encode(history).finish().length;
      maxRunEvents = Math.max(maxRunEvents, n);
    }
    perWorkflow.push({ events, bytes, runs: runIds.size, maxRunEvents });
  }
  const mean = (f: (w: (typeof perWorkflow)[number]) => number): number =>
    perWorkflow.reduce((s, w) => s + f(w), 0) / perWorkflow.length;
  const totalWindows = models * windows;
  printTable(
    ['what', 'figure'],
    [
      [`windows judged (${models} monitors x ${windows})`, fmtInt(windowsJudged)],
      [`wall time (${windows} windows of ${windowMs} ms)`, `${fmtMs(wallMs)} ms`],
      ['worker process CPU (workflows + activities)', `${fmtMs(workerCpuMs)} ms`],
      [`anchor: the same ${fmtInt(totalWindows)} window computations, plain loop`, `${fmtMs(anchorCpuMs)} ms`],
      ['worker CPU / anchor', `${(workerCpuMs / anchorCpuMs).toFixed(2)}x`],
      ['orchestration CPU per window (worker - anchor)', `${fmtMs((workerCpuMs - anchorCpuMs) / totalWindows)} ms`],
      ['dev server CPU', `${fmtMs(serverCpuMs)} ms`],
      ['history per monitor: runs', mean((w) => w.runs).toFixed(1)],
      [
        'history per monitor: events / bytes (all runs)',
        `${mean((w) => w.events).toFixed(0)} / ${fmtInt(Math.round(mean((w) => w.bytes)))}`,
      ],
      [
        'history per window: events / bytes',
        `${(mean((w) => w.events) / windows).toFixed(1)} / ${fmtInt(Math.round(mean((w) => w.bytes) / windows))}`,
      ],
      ['largest run (events)', fmtInt(Math.max(...perWorkflow.map((w) => w.maxRunEvents)))],
      ['peak RSS (worker process)', `${peakRssMiB().toFixed(0)} MiB`],
    ],
  );
  await writeResults('monitor-fleet', flags, {
    models,
    windows,
    windowMs,
    rows,
    wallMs,
    workerCpuMs,
    anchorCpuMs,
    serverCpuMs,
    windowsJudged,
    historyPerMonitor: { events: mean((w) => w.events), bytes: mean((w) => w.bytes), runs: mean((w) => w.runs) },
    peakRssMiB: peakRssMiB(),
  });
  await connection.close();
} finally {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
}
