/**
 * The monitor's orchestration on the real dev server with 200 ms windows: hundreds of windows pass in seconds.
 * (model-monitor-time-skipping.test.ts runs 300 five-minute windows on the time-skipping test server: it needs the
 * custom search attributes registered first, or every workflow task that upserts them fails.)
 * The monitoring activity is replaced by a scripted one (this tests the workflow's decisions: hysteresis,
 * cooldown, which signal, continue-as-new), the controller by a workflow that records the signals it gets.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type {
  ModelMonitorState,
  MonitorStatus,
  MonitorWindowInput,
  MonitorWindowReport,
} from '../../contracts/monitoring.js';
import { parseSpec } from '../../lib/spec/load-spec.js';
import { readFileSync } from 'node:fs';
import { receivedQuery } from './test-workflows.js';

const spec = parseSpec(readFileSync('examples/churn/pipeline.yaml', 'utf8'));

let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  bundle = await bundleWorkflowCode({ workflowsPath: new URL('./test-workflows.ts', import.meta.url).pathname });
}, 180_000);

afterAll(async () => {
  await nativeConnection?.close();
  await connection?.close();
});

function scripted(statusOf: (window: number) => MonitorStatus, calls: MonitorWindowInput[]) {
  return {
    monitorWindow: async (input: MonitorWindowInput): Promise<MonitorWindowReport> => {
      calls.push(input);
      const status = statusOf(calls.length);
      return {
        model: input.model,
        version: 1,
        windowStart: input.windowStart,
        windowEnd: input.windowEnd,
        status,
        predictions: 500,
        labelled: 0,
        drift: null,
        performance: null,
        latencyMs: null,
        summary: `window ${calls.length}: ${status}`,
        reportUri: null,
      };
    },
  };
}

async function runMonitor(opts: {
  statusOf: (w: number) => MonitorStatus;
  consecutive: number;
  windows: number;
  id: string;
  cooldownWindows?: number;
}) {
  const calls: MonitorWindowInput[] = [];
  const taskQueue = `monitor-test-${opts.id}`;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: scripted(opts.statusOf, calls),
  });
  return worker.runUntil(async () => {
    const sink = await client.workflow.start('signalSink', { taskQueue, workflowId: `sink-${opts.id}-${Date.now()}` });
    const monitorSpec = {
      ...spec,
      monitoring: {
        ...spec.monitoring,
        window: '200ms',
        consecutiveBreaches: opts.consecutive,
        ...(opts.cooldownWindows !== undefined ? { cooldownWindows: opts.cooldownWindows } : {}),
      },
    };
    const monitor = await client.workflow.start('modelMonitor', {
      taskQueue,
      workflowId: `monitor-${opts.id}-${Date.now()}`,
      args: [
        {
          model: 'churn',
          spec: monitorSpec,
          controllerWorkflowId: sink.workflowId,
          stopAfterWindows: opts.windows,
          windowsPerRun: 20,
        },
      ],
    });

    const state = (await monitor.result()) as ModelMonitorState;
    const received = await sink.query(receivedQuery);
    await sink.terminate('test done');
    return { calls, state, received };
  });
}

describe('modelMonitor', () => {
  it('stays silent over 50 windows of a stable stream and continues as new', { timeout: 180_000 }, async () => {
    const { calls, received, state } = await runMonitor({
      id: 'stable',
      statusOf: () => 'ok',
      consecutive: 1,
      windows: 50,
    });
    expect(calls.length).toBe(50);
    expect(received).toEqual([]);
    // 20 windows per run: the state survived two continue-as-new.
    expect(state.windowsRun).toBe(50);
    // Windows span the configured window length.
    const first = calls[0]!;
    expect(Date.parse(first.windowEnd) - Date.parse(first.windowStart)).toBeGreaterThanOrEqual(200);
  });

  it('signals drift only after N consecutive breached windows, once per cooldown', { timeout: 180_000 }, async () => {
    // windows 1-2 ok, 3 drift, 4 ok (resets), 5-40 drift
    const statusOf = (w: number): MonitorStatus => (w === 3 || w >= 5 ? 'drift' : 'ok');
    const { received } = await runMonitor({ id: 'hysteresis', statusOf, consecutive: 2, windows: 26 });
    // First signal at window 6 (5 and 6 breached), then once per 10-window cooldown on the same version: 16, 26.
    expect(received).toEqual(['drift:v1', 'drift:v1', 'drift:v1']);
  });

  it('takes the cooldown from the spec (monitoring.cooldownWindows)', async () => {
    const { received } = await runMonitor({
      id: 'cooldown',
      statusOf: () => 'drift',
      consecutive: 1,
      cooldownWindows: 3,
      windows: 10,
    });
    // Signals at windows 1, 4, 7 and 10.
    expect(received).toEqual(['drift:v1', 'drift:v1', 'drift:v1', 'drift:v1']);
  });

  it('signals performanceDropped for a degraded model', async () => {
    const { received } = await runMonitor({ id: 'degraded', statusOf: () => 'degraded', consecutive: 1, windows: 3 });
    expect(received[0]).toBe('performance:v1');
  });

  it('raises no alarm when there is too little traffic', async () => {
    const { received, state } = await runMonitor({
      id: 'quiet',
      statusOf: () => 'insufficient_data',
      consecutive: 1,
      windows: 5,
    });
    expect(received).toEqual([]);
    expect(state.lastStatus).toBe('insufficient_data');
  });
});
