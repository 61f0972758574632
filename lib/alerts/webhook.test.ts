import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Alert } from './alert.js';
import { deliverAlert, parseWebhookUrls, signAlertBody, verifyAlertSignature, type WebhookOptions } from './webhook.js';

interface Received {
  at: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP receiver answering each request with the next scripted behaviour (the last one repeats). */
async function receiver(script: Array<number | 'hang'>): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ at: Date.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const step = script[Math.min(received.length - 1, script.length - 1)]!;
      if (step === 'hang') return; // never answers: the client's timeout must fire
      res.writeHead(step, { 'content-type': 'text/plain' }).end(step >= 300 ? `scripted ${step}` : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/mlops`, received };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

const alert: Alert = {
  id: 'monitor-churn:drift:v3:2026-11-23T10:05:00.000Z',
  type: 'drift',
  model: 'churn',
  version: 3,
  severity: 'warning',
  summary: 'churn v3: drift: 4/7 features drifted',
  details: { driftShare: 0.57, driftedFeatures: [{ name: 'plan', score: 0.61, drifted: true }] },
  occurredAt: '2026-11-23T10:05:00.000Z',
  runUrl: 'http://localhost:8233/namespaces/default/workflows/monitor-churn/r1/history',
};

const fast: Partial<WebhookOptions> = { initialBackoffMs: 50, timeoutMs: 1000 };

describe('deliverAlert', () => {
  it('POSTs the alert as JSON with its idempotency key, event and a verifiable signature', async () => {
    const r = await receiver([204]);
    const results = await deliverAlert(alert, { urls: [r.url], secret: 's3cret', ...fast });
    expect(results).toEqual([
      expect.objectContaining({ url: r.url, delivered: true, error: null, attempts: [expect.anything()] }),
    ]);
    expect(r.received).toHaveLength(1);
    const { headers, body } = r.received[0]!;
    expect(JSON.parse(body)).toEqual(alert);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['idempotency-key']).toBe(alert.id);
    expect(headers['x-mlops-event']).toBe('drift');
    expect(headers['x-mlops-delivery-attempt']).toBe('1');
    const timestamp = headers['x-mlops-timestamp'] as string;
    expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5);
    expect(headers['x-mlops-signature']).toBe(signAlertBody(body, Number(timestamp), 's3cret'));
    const signature = headers['x-mlops-signature'] as string;
    expect(verifyAlertSignature({ body, timestamp, signature, secret: 's3cret' })).toBe(true);
    expect(verifyAlertSignature({ body: body.replace('0.57', '0.58'), timestamp, signature, secret: 's3cret' })).toBe(
      false,
    );
    expect(verifyAlertSignature({ body, timestamp, signature, secret: 'other' })).toBe(false);
    // A captured request replayed ten minutes later is refused.
    expect(verifyAlertSignature({ body, timestamp, signature, secret: 's3cret', nowMs: Date.now() + 600_000 })).toBe(
      false,
    );
  });

  it('sends no signature without a secret', async () => {
    const r = await receiver([200]);
    await deliverAlert(alert, { urls: [r.url], ...fast });
    expect(r.received[0]!.headers['x-mlops-signature']).toBeUndefined();
    expect(r.received[0]!.headers['x-mlops-timestamp']).toBeUndefined();
    expect(r.received[0]!.headers['idempotency-key']).toBe(alert.id);
  });

  it('retries server errors with exponential backoff and the same body and key', async () => {
    const r = await receiver([503, 500, 200]);
    const [result] = await deliverAlert(alert, { urls: [r.url], secret: 'k', ...fast });
    expect(result!.delivered).toBe(true);
    expect(result!.attempts.map((a) => a.status)).toEqual([503, 500, 200]);
    expect(result!.attempts[0]!.error).toBe('HTTP 503: scripted 503');
    expect(r.received.map((x) => x.headers['x-mlops-delivery-attempt'])).toEqual(['1', '2', '3']);
    expect(new Set(r.received.map((x) => x.body)).size).toBe(1);
    expect(new Set(r.received.map((x) => x.headers['idempotency-key'])).size).toBe(1);
    // Waits of 50 ms then 100 ms between attempts.
    const gaps = [r.received[1]!.at - r.received[0]!.at, r.received[2]!.at - r.received[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[1]).toBeGreaterThanOrEqual(95);
  });

  it('uses the documented schedule by default: 3 attempts, waits of 1 s then 2 s', async () => {
    const r = await receiver([500]);
    const waits: number[] = [];
    const [result] = await deliverAlert(alert, {
      urls: [r.url],
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    expect(result).toMatchObject({ delivered: false, error: 'HTTP 500: scripted 500' });
    expect(result!.attempts).toHaveLength(3);
    expect(r.received).toHaveLength(3);
    expect(waits).toEqual([1000, 2000]);
  });

  it('does not retry a client error', async () => {
    const r = await receiver([400, 200]);
    const [result] = await deliverAlert(alert, { urls: [r.url], ...fast });
    expect(result).toMatchObject({ delivered: false, error: 'HTTP 400: scripted 400' });
    expect(r.received).toHaveLength(1);
  });

  it('retries 429 and a request that times out', async () => {
    const r = await receiver(['hang', 429, 201]);
    const [result] = await deliverAlert(alert, { urls: [r.url], initialBackoffMs: 10, timeoutMs: 300 });
    expect(result!.delivered).toBe(true);
    expect(result!.attempts.map((a) => [a.status, a.error])).toEqual([
      [null, 'no response within 300 ms'],
      [429, 'HTTP 429: scripted 429'],
      [201, null],
    ]);
    expect(result!.attempts[0]!.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('reports an unreachable endpoint after its attempts, without throwing', async () => {
    const r = await receiver([200]);
    const dead = r.url;
    servers[0]!.closeAllConnections();
    await new Promise((resolve) => servers.splice(0)[0]!.close(resolve));
    const [result] = await deliverAlert(alert, { urls: [dead], attempts: 2, initialBackoffMs: 10 });
    expect(result!.delivered).toBe(false);
    expect(result!.attempts).toHaveLength(2);
    expect(result!.error).toMatch(/ECONNREFUSED|fetch failed/);
  });

  it('delivers to every URL independently', async () => {
    const ok = await receiver([200]);
    const flaky = await receiver([502, 200]);
    const results = await deliverAlert(alert, { urls: [ok.url, flaky.url], ...fast });
    expect(results.map((x) => [x.delivered, x.attempts.length])).toEqual([
      [true, 1],
      [true, 2],
    ]);
  });

  it('validates the payload before sending anything', async () => {
    const r = await receiver([200]);
    const bad = [
      { ...alert, type: 'latency' },
      { ...alert, id: '' },
      { ...alert, occurredAt: 'yesterday' },
      { ...alert, version: 0 },
      { ...alert, runUrl: 'not a url' },
      { ...alert, extra: true },
    ];
    for (const b of bad) {
      await expect(deliverAlert(b as unknown as Alert, { urls: [r.url], ...fast })).rejects.toThrow();
    }
    expect(r.received).toHaveLength(0);
    const { runUrl: _omitted, ...withoutLink } = alert;
    await expect(deliverAlert({ ...withoutLink, version: null }, { urls: [r.url], ...fast })).resolves.toEqual([
      expect.objectContaining({ delivered: true }),
    ]);
  });
});

describe('parseWebhookUrls', () => {
  it('reads a comma-separated list of http(s) URLs', () => {
    expect(parseWebhookUrls(undefined)).toEqual([]);
    expect(parseWebhookUrls(' ')).toEqual([]);
    expect(parseWebhookUrls('https://a.example/hook, http://b:8080/x,,https://a.example/hook')).toEqual([
      'https://a.example/hook',
      'http://b:8080/x',
    ]);
  });

  it('names a bad entry', () => {
    expect(() => parseWebhookUrls('https://ok.example,ftp://files')).toThrow(
      'expected an http:// or https:// URL, found "ftp://files"',
    );
    expect(() => parseWebhookUrls('hooks.example.com')).toThrow('not a URL: "hooks.example.com"');
  });
});
