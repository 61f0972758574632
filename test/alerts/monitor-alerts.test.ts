/**
 * Webhook alerts from the real monitor workflow on the dev server: the monitoring activity is scripted (drifted
 * windows), wrapped exactly as the worker wraps it (`withMonitorAlerts`), and a local HTTP receiver stands in for the
 * webhook. The receiver must get one signed alert for each signal the monitor sends the controller (hysteresis and
 * cooldown included), and none when the model's spec opts out of the event.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { withMonitorAlerts } from '../../activities/control.js';
import type { ActivityDeps } from '../../activities/deps.js';
import type { MonitorStatus, MonitorWindowInput, MonitorWindowReport } from '../../contracts/monitoring.js';
import type { Alert } from '../../lib/alerts/alert.js';
import { createAlertNotifier } from '../../lib/alerts/notifier.js';
import { verifyAlertSignature } from '../../lib/alerts/webhook.js';
import { openArtifactStore } from '../../lib/artifacts/open-store.js';
import type { AlertEvent } from '../../lib/spec/alerts-spec.js';
import { parseSpec } from '../../lib/spec/load-spec.js';
import { receivedQuery } from '../workflows/test-workflows.js';

const SECRET = 'alert-test-secret';
const spec = parseSpec(readFileSync('examples/churn/pipeline.yaml', 'utf8'));

let connection: Connection;
let nativeConnection: NativeConnection;
let client: Client;
let bundle: WorkflowBundleWithSourceMap;
let server: Server;
let hookUrl: string;
let dir: string;
/** Alerts the receiver accepted (signature verified), and how many requests it refused. */
const received: Array<{ alert: Alert; key: string | undefined }> = [];
let refuseNext = 0;

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  bundle = await bundleWorkflowCode({
    workflowsPath: new URL('../workflows/test-workflows.ts', import.meta.url).pathname,
  });
  dir = await mkdtemp(path.join(tmpdir(), 'monitor-alerts-'));
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (refuseNext > 0) {
        refuseNext--;
        res.writeHead(503).end('busy');
        return;
      }
      const ok = verifyAlertSignature({
        body,
        timestamp: req.headers['x-mlops-timestamp'] as string | undefined,
        signature: req.headers['x-mlops-signature'] as string | undefined,
        secret: SECRET,
      });
      if (!ok) {
        res.writeHead(401).end('bad signature');
        return;
      }
      received.push({ alert: JSON.parse(body) as Alert, key: req.headers['idempotency-key'] as string | undefined });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
}, 180_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await nativeConnection?.close();
  await connection?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function scripted(statusOf: (window: number) => MonitorStatus, calls: MonitorWindowInput[]) {
  return async (input: MonitorWindowInput): Promise<MonitorWindowReport> => {
    calls.push(input);
    const status = statusOf(calls.length);
    return {
      model: input.model,
      version: 1,
      windowStart: input.windowStart,
      windowEnd: input.windowEnd,
      status,
      predictions: 500,
      labelled: status === 'degraded' ? 200 : 0,
      drift:
        status === 'drift'
          ? { share: 0.5, datasetDrift: true, features: [{ name: 'plan', score: 0.6, drifted: true, method: 'psi' }] }
          : null,
      performance: status === 'degraded' ? { metric: 'roc_auc', value: 0.55, floor: 0.7 } : null,
      latencyMs: null,
      summary: `window ${calls.length}: ${status}`,
      reportUri: null,
    };
  };
}

async function runMonitor(opts: {
  id: string;
  statusOf: (w: number) => MonitorStatus;
  consecutive: number;
  windows: number;
  events?: AlertEvent[];
}) {
  const calls: MonitorWindowInput[] = [];
  const taskQueue = `monitor-alerts-${opts.id}`;
  const deps = {
    temporal: client,
    artifacts: openArtifactStore(`file://${dir}/`),
    alerts: createAlertNotifier({
      urls: [hookUrl],
      secret: SECRET,
      initialBackoffMs: 20,
      uiUrl: inject('temporalUiUrl'),
    }),
  } as unknown as ActivityDeps;
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: { monitorWindow: withMonitorAlerts(deps, scripted(opts.statusOf, calls)) },
  });
  return worker.runUntil(async () => {
    const sink = await client.workflow.start('signalSink', { taskQueue, workflowId: `sink-${opts.id}-${Date.now()}` });
    const monitor = await client.workflow.start('modelMonitor', {
      taskQueue,
      workflowId: `monitor-alerts-${opts.id}-${Date.now()}`,
      args: [
        {
          model: 'churn',
          spec: {
            ...spec,
            monitoring: { ...spec.monitoring, window: '200ms', consecutiveBreaches: opts.consecutive },
            alerts: { events: opts.events ?? spec.alerts.events },
          },
          controllerWorkflowId: sink.workflowId,
          stopAfterWindows: opts.windows,
          windowsPerRun: 20,
        },
      ],
    });
    await monitor.result();
    const signals = await sink.query(receivedQuery);
    await sink.terminate('test done');
    return { calls, signals, monitorId: monitor.workflowId };
  });
}

describe('monitor alerts', () => {
  it('posts one signed drift alert per signal the monitor sends', { timeout: 180_000 }, async () => {
    received.length = 0;
    // A refused first delivery is retried within the activity.
    refuseNext = 1;
    // windows 1-2 ok, 3 drift, 4 ok (resets), 5-26 drift: signals at windows 6, 16 and 26 (2 consecutive, cooldown 10).
    const statusOf = (w: number): MonitorStatus => (w === 3 || w >= 5 ? 'drift' : 'ok');
    const { calls, signals, monitorId } = await runMonitor({ id: 'drift', statusOf, consecutive: 2, windows: 26 });
    expect(signals).toEqual(['drift:v1', 'drift:v1', 'drift:v1']);
    expect(refuseNext).toBe(0);
    expect(received.map((r) => r.alert.id)).toEqual(
      [6, 16, 26].map((w) => `${monitorId}:drift:v1:${calls[w - 1]!.windowEnd}`),
    );
    const first = received[0]!;
    expect(first.key).toBe(first.alert.id);
    expect(first.alert).toMatchObject({
      type: 'drift',
      model: 'churn',
      version: 1,
      severity: 'warning',
      summary: 'churn v1: window 6: drift',
      occurredAt: calls[5]!.windowEnd,
      details: { driftShare: 0.5, driftedFeatures: [{ name: 'plan', score: 0.6, drifted: true, method: 'psi' }] },
    });
    // The link names the monitor run that signalled (it continued as new after 20 windows).
    expect(first.alert.runUrl).toMatch(new RegExp(`/namespaces/default/workflows/${monitorId}/[0-9a-f-]+/history$`));
    expect(received[2]!.alert.runUrl).not.toBe(first.alert.runUrl);
  });

  it('posts a performance alert for degraded windows, and nothing for events the spec leaves out', async () => {
    received.length = 0;
    const degraded = await runMonitor({ id: 'degraded', statusOf: () => 'degraded', consecutive: 1, windows: 2 });
    expect(degraded.signals).toEqual(['performance:v1']);
    expect(received.map((r) => [r.alert.type, r.alert.severity, r.alert.details['performance']])).toEqual([
      ['performance', 'critical', { metric: 'roc_auc', value: 0.55, floor: 0.7 }],
    ]);

    received.length = 0;
    const optedOut = await runMonitor({
      id: 'opted-out',
      statusOf: () => 'drift',
      consecutive: 1,
      windows: 2,
      events: ['pipeline_failed', 'rollback'],
    });
    expect(optedOut.signals).toEqual(['drift:v1']);
    expect(received).toEqual([]);
  });
});
