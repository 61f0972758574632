/**
 * The monitor over 300 five-minute windows (25 hours of workflow time) on the Java time-skipping test server, in
 * seconds of wall time. The monitoring activity is scripted (this checks the workflow's orchestration: hysteresis,
 * cooldown, a new version resetting the cooldown, which signal, continue-as-new), the controller is a workflow that
 * records the signals it gets. Custom search attributes are registered on the test server first: without them it
 * fails every workflow task that upserts `MlopsModel` (which is why monitors once seemed never to run activities).
 */
import { Context } from '@temporalio/activity';
import protoPkg from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelMonitorInput } from '../../contracts/controller.js';
import type {
  ModelMonitorState,
  MonitorStatus,
  MonitorWindowInput,
  MonitorWindowReport,
} from '../../contracts/monitoring.js';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../contracts/search-attributes.js';
import { testServerExecutable } from '../../infra/temporal-cli.js';
import { parseSpec } from '../../lib/spec/load-spec.js';
import { signalsQuery } from './time-skipping-workflows.js';

const { temporal } = protoPkg;
const spec = parseSpec(readFileSync('examples/churn/pipeline.yaml', 'utf8'));
const WINDOWS = 300;
const WINDOWS_PER_RUN = 40;
const CONSECUTIVE = 3;
const COOLDOWN = 20;

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: await testServerExecutable() } });
  const types = temporal.api.enums.v1.IndexedValueType;
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      CUSTOM_SEARCH_ATTRIBUTES.map((a) => [
        a.name,
        a.type === 'Int' ? types.INDEXED_VALUE_TYPE_INT : types.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
}, 120_000);

afterAll(async () => {
  await env?.teardown();
});

/** Windows 1-100 ok; 101 drift; 102 ok; 103-180 drift; 181-220 ok; 221-300 degraded, v2 deployed from 261. */
function scenario(w: number): { status: MonitorStatus; version: number } {
  const version = w >= 261 ? 2 : 1;
  if (w === 101 || (w >= 103 && w <= 180)) return { status: 'drift', version };
  if (w >= 221) return { status: 'degraded', version };
  return { status: 'ok', version };
}

/**
 * Windows 103-105 are the first 3 consecutive breaches: signal at 105, then every 20 windows on v1 (125, 145, 165;
 * 181 is ok). 221-223: signal at 223, then 243. v2 from 261 resets the cooldown: the breaches since 244 signal at
 * 261, then 281.
 */
const EXPECTED = [
  'drift:v1@105',
  'drift:v1@125',
  'drift:v1@145',
  'drift:v1@165',
  'performance:v1@223',
  'performance:v1@243',
  'performance:v2@261',
  'performance:v2@281',
];

describe('modelMonitor on the time-skipping test server', () => {
  it(`runs ${WINDOWS} windows with continue-as-new, bounded history, hysteresis and cooldown`, async () => {
    const calls: Array<{ input: MonitorWindowInput; runId: string }> = [];
    const taskQueue = 'monitor-time-skipping';
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: new URL('./time-skipping-workflows.ts', import.meta.url).pathname,
      activities: {
        monitorWindow: async (input: MonitorWindowInput): Promise<MonitorWindowReport> => {
          calls.push({ input, runId: Context.current().info.workflowExecution?.runId ?? '' });
          const { status, version } = scenario(calls.length);
          return {
            model: input.model,
            version,
            windowStart: input.windowStart,
            windowEnd: input.windowEnd,
            status,
            predictions: 500,
            labelled: 0,
            drift: null,
            performance: null,
            latencyMs: null,
            summary: String(calls.length),
            reportUri: null,
          };
        },
      },
    });
    const started = Date.now();
    const { state, received, monitorId } = await worker.runUntil(async () => {
      const sink = await env.client.workflow.start('windowSignalSink', { taskQueue, workflowId: 'sink-time-skipping' });
      const input: ModelMonitorInput = {
        model: 'churn',
        spec: {
          ...spec,
          monitoring: { ...spec.monitoring, window: '5m', consecutiveBreaches: CONSECUTIVE, cooldownWindows: COOLDOWN },
        },
        controllerWorkflowId: sink.workflowId,
        stopAfterWindows: WINDOWS,
        windowsPerRun: WINDOWS_PER_RUN,
      };
      const monitor = await env.client.workflow.start('modelMonitor', {
        taskQueue,
        workflowId: 'monitor-time-skipping',
        args: [input],
      });
      const state = (await monitor.result()) as ModelMonitorState;
      const received = await sink.query(signalsQuery);
      // (The test server sometimes reports the idle sink as completed once the monitor is done.)
      await sink.terminate('test done').catch(() => undefined);
      return { state, received, monitorId: monitor.workflowId };
    });
    const wallMs = Date.now() - started;

    expect(calls).toHaveLength(WINDOWS);
    expect(state.windowsRun).toBe(WINDOWS);
    // Each window spans the configured 5 minutes of (skipped) workflow time: 25 hours pass.
    const first = calls[0]!.input;
    const last = calls[WINDOWS - 1]!.input;
    expect(Date.parse(first.windowEnd) - Date.parse(first.windowStart)).toBeGreaterThanOrEqual(300_000);
    expect(Date.parse(last.windowEnd) - Date.parse(first.windowStart)).toBeGreaterThanOrEqual(WINDOWS * 300_000);

    // The sink records `<kind>:v<version>@<window>` (the scripted report's summary is its window number).
    expect(received).toEqual(EXPECTED);
    expect(state.signalsSent).toBe(EXPECTED.length);
    const withWindow = state as ModelMonitorState & { signalledAtWindow?: number; signalledVersion?: number };
    expect(withWindow.signalledAtWindow).toBe(281);
    expect(withWindow.signalledVersion).toBe(2);

    // Continue-as-new every 40 windows: 8 runs, each history bounded by the windows per run, not the total.
    const runIds = [...new Set(calls.map((c) => c.runId))];
    expect(runIds).toHaveLength(Math.ceil(WINDOWS / WINDOWS_PER_RUN));
    const sizes: Array<{ events: number; bytes: number }> = [];
    for (const runId of runIds) {
      const history = await env.client.workflow.getHandle(monitorId, runId).fetchHistory();
      const bytes = temporal.api.history.v1.History.encode(history).finish().length;
      sizes.push({ events: history.events?.length ?? 0, bytes });
    }
    const maxEvents = Math.max(...sizes.map((s) => s.events));
    const maxBytes = Math.max(...sizes.map((s) => s.bytes));
    // About 10 events per window (timer, activity, workflow tasks, search attribute upserts, signals).
    expect(maxEvents).toBeLessThan(WINDOWS_PER_RUN * 16);
    expect(maxBytes).toBeLessThan(1_000_000);
    console.log(
      `[time-skipping monitor] ${WINDOWS} windows (${(WINDOWS * 5) / 60} h of workflow time) in ${wallMs} ms; ` +
        `${runIds.length} runs; history per run: max ${maxEvents} events, ${maxBytes} bytes ` +
        `(${sizes.map((s) => s.events).join(', ')} events)`,
    );
  }, 180_000);
});
