import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArtifactStore } from '../artifacts/open-store.js';
import type { ArtifactStore } from '../artifacts/artifact-store.js';
import type { Alert } from './alert.js';
import { pipelineFailedAlert } from './events.js';
import {
  alertNotifierFromEnv,
  createAlertNotifier,
  failedDeliveryKey,
  notifyAlert,
  redactWebhookUrl,
  type AlertLog,
} from './notifier.js';

let dir: string;
let artifacts: ArtifactStore;
let server: Server;
let url: string;
const bodies: Alert[] = [];
let failNext = 0;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'alerts-notifier-'));
  artifacts = openArtifactStore(`file://${dir}/`);
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (failNext > 0) {
        failNext--;
        res.writeHead(500).end('down');
        return;
      }
      bodies.push(JSON.parse(body) as Alert);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?token=abc`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

function logger(): AlertLog & { lines: Array<[string, string, Record<string, unknown> | undefined]> } {
  const lines: Array<[string, string, Record<string, unknown> | undefined]> = [];
  return {
    lines,
    info: (m, meta) => lines.push(['info', m, meta]),
    warn: (m, meta) => lines.push(['warn', m, meta]),
  };
}

const draft = pipelineFailedAlert({
  pipelineId: 'pipeline-churn-20261123T100000Z',
  model: 'churn',
  outcome: 'failed',
  error: 'training diverged',
  trigger: { kind: 'manual', reason: 'test' },
  completedStages: ['validating'],
  occurredAt: '2026-11-23T10:06:00.000Z',
});
const origin = { namespace: 'default', workflowId: 'pipeline-churn-20261123T100000Z', runId: 'run-1' };

describe('notifyAlert', () => {
  it('does nothing without a notifier or when the model opted out of the event', async () => {
    const log = logger();
    expect(await notifyAlert({ artifacts }, draft, { alertsSpec: undefined, log })).toBe('not_configured');
    const alerts = createAlertNotifier({ urls: [url], timeoutMs: 1000 });
    expect(await notifyAlert({ alerts, artifacts }, draft, { alertsSpec: { events: ['drift'] }, log })).toBe(
      'not_enabled',
    );
    expect(bodies).toHaveLength(0);
  });

  it('delivers with a Web UI link when the UI is known', async () => {
    const log = logger();
    const alerts = createAlertNotifier({ urls: [url], timeoutMs: 1000, uiUrl: 'http://localhost:8233/' });
    expect(await notifyAlert({ alerts, artifacts }, draft, { alertsSpec: undefined, origin, log })).toBe('delivered');
    expect(bodies.at(-1)).toEqual({
      ...draft,
      runUrl: 'http://localhost:8233/namespaces/default/workflows/pipeline-churn-20261123T100000Z/run-1/history',
    });
    expect(log.lines[0]![0]).toBe('info');
  });

  it('logs and records a delivery that failed after its retries, without throwing', async () => {
    failNext = 2;
    const log = logger();
    const alerts = createAlertNotifier({ urls: [url], attempts: 2, initialBackoffMs: 10, timeoutMs: 1000 });
    expect(await notifyAlert({ alerts, artifacts }, draft, { alertsSpec: {}, origin, log })).toBe('failed');
    const warn = log.lines.find((l) => l[0] === 'warn')!;
    expect(warn[1]).toBe('alert delivery failed');
    expect(JSON.stringify(warn[2])).not.toContain('token=abc');
    const record = JSON.parse(await readFile(path.join(dir, failedDeliveryKey(draft)), 'utf8')) as {
      alert: Alert;
      deliveries: Array<{ url: string; attempts: unknown[]; error: string }>;
    };
    expect(record.alert.id).toBe(draft.id);
    expect(record.deliveries).toEqual([
      expect.objectContaining({ url: redactWebhookUrl(url), error: 'HTTP 500: down', delivered: false }),
    ]);
    expect(record.deliveries[0]!.attempts).toHaveLength(2);
    expect(failedDeliveryKey(draft)).toBe('alerts/churn/failed/pipeline-churn-20261123T100000Z_pipeline_failed.json');
  });
});

describe('alertNotifierFromEnv', () => {
  it('is off without a URL and reads several URLs, the secret and the UI', () => {
    expect(alertNotifierFromEnv({})).toBeUndefined();
    expect(alertNotifierFromEnv({ MLOPS_ALERT_WEBHOOK_URL: ' ' })).toBeUndefined();
    const n = alertNotifierFromEnv({
      MLOPS_ALERT_WEBHOOK_URL: 'https://a.example/x, https://b.example/y',
      MLOPS_ALERT_WEBHOOK_SECRET: 's',
      TEMPORAL_UI_URL: 'http://ui:8233',
    })!;
    expect(n.urls).toEqual(['https://a.example/x', 'https://b.example/y']);
    expect(n.uiUrl).toBe('http://ui:8233');
    expect(() => alertNotifierFromEnv({ MLOPS_ALERT_WEBHOOK_URL: 'nope' })).toThrow('not a URL');
  });
});
