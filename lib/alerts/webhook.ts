import { createHmac, timingSafeEqual } from 'node:crypto';
import { alertSchema, type Alert } from './alert.js';

/** Header carrying the alert's deterministic ID, for receivers to deduplicate. */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Unix seconds at which the request was signed (part of the signed text). */
export const TIMESTAMP_HEADER = 'X-Mlops-Timestamp';
/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`, sent when a secret is configured. */
export const SIGNATURE_HEADER = 'X-Mlops-Signature';
export const EVENT_HEADER = 'X-Mlops-Event';
export const ATTEMPT_HEADER = 'X-Mlops-Delivery-Attempt';

/** How alerts are posted. Defaults: 3 attempts, backoff 1 s then 2 s, 5 s per request (at most about 18 s). */
export interface WebhookOptions {
  /** Endpoints; each gets every alert (in parallel). */
  urls: readonly string[];
  /** HMAC-SHA256 key; no signature header without it. */
  secret?: string | undefined;
  /** Requests per URL, first included (default 3). */
  attempts?: number;
  /** Wait before the second attempt (default 1000 ms), multiplied by `backoffFactor` after each retry. */
  initialBackoffMs?: number;
  /** Default 2: waits of 1 s, 2 s, 4 s... */
  backoffFactor?: number;
  /** Timeout of each request, response body included (default 5000 ms). */
  timeoutMs?: number;
  /** Replaceable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Clock for the signature timestamp (ms since the epoch). */
  now?: () => number;
}

/** One HTTP request of a delivery. */
export interface DeliveryAttempt {
  attempt: number;
  /** HTTP status, or null when no response came (network error, timeout). */
  status: number | null;
  error: string | null;
  durationMs: number;
}

/** Outcome of delivering one alert to one URL. */
export interface DeliveryResult {
  url: string;
  delivered: boolean;
  attempts: DeliveryAttempt[];
  /** Why it was not delivered (the last attempt's error). */
  error: string | null;
}

const DEFAULTS = { attempts: 3, initialBackoffMs: 1000, backoffFactor: 2, timeoutMs: 5000 } as const;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Statuses worth retrying: timeouts, rate limiting and server errors. Other failures are the request's fault. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** The signature header's value for `body` signed at `timestamp` (unix seconds). */
export function signAlertBody(body: string, timestamp: number, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * For receivers (and tests): whether `signature` is the HMAC of `body` at `timestamp` under `secret`, and the
 * timestamp is within `toleranceSec` (default 300) of now, so a captured request cannot be replayed later.
 */
export function verifyAlertSignature(input: {
  body: string;
  timestamp: string | undefined;
  signature: string | undefined;
  secret: string;
  toleranceSec?: number;
  nowMs?: number;
}): boolean {
  const ts = Number(input.timestamp);
  if (!input.signature || !Number.isInteger(ts)) return false;
  const now = (input.nowMs ?? Date.now()) / 1000;
  if (Math.abs(now - ts) > (input.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(signAlertBody(input.body, ts, input.secret));
  const given = Buffer.from(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/**
 * Parses `MLOPS_ALERT_WEBHOOK_URL`: comma-separated http(s) URLs (blanks ignored). Throws naming the bad entry.
 */
export function parseWebhookUrls(value: string | undefined): string[] {
  const urls = (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`not a URL: "${url}"`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new Error(`expected an http:// or https:// URL, found "${url}"`);
    }
  }
  return [...new Set(urls)];
}

async function postOnce(
  url: string,
  body: string,
  alert: Alert,
  attempt: number,
  opts: WebhookOptions,
  timeoutMs: number,
): Promise<{ status: number | null; error: string | null; retryable: boolean }> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'temporal-mlops-alerts/1',
    [IDEMPOTENCY_HEADER]: alert.id,
    [EVENT_HEADER]: alert.type,
    [ATTEMPT_HEADER]: String(attempt),
  };
  if (opts.secret) {
    const timestamp = Math.floor((opts.now ?? Date.now)() / 1000);
    headers[TIMESTAMP_HEADER] = String(timestamp);
    headers[SIGNATURE_HEADER] = signAlertBody(body, timestamp, opts.secret);
  }
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    // No redirects: a redirected POST may become a GET, and the signature covers the configured endpoint only.
    const res = await fetch(url, { method: 'POST', headers, body, signal, redirect: 'manual' });
    const text = (await res.text()).slice(0, 200);
    if (res.status >= 200 && res.status < 300) return { status: res.status, error: null, retryable: false };
    const why = `HTTP ${res.status}${text ? `: ${text.replace(/\s+/g, ' ').trim()}` : ''}`;
    return { status: res.status, error: why, retryable: isRetryableStatus(res.status) };
  } catch (err) {
    const e = err as Error & { cause?: unknown };
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError';
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
    const error = timedOut ? `no response within ${timeoutMs} ms` : `${e.message}${cause}`;
    return { status: null, error, retryable: true };
  }
}

/** Posts to one URL with retries; never throws. */
async function deliverTo(url: string, body: string, alert: Alert, opts: WebhookOptions): Promise<DeliveryResult> {
  const attempts = Math.max(1, opts.attempts ?? DEFAULTS.attempts);
  const factor = opts.backoffFactor ?? DEFAULTS.backoffFactor;
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  const sleep = opts.sleep ?? defaultSleep;
  let backoff = opts.initialBackoffMs ?? DEFAULTS.initialBackoffMs;
  const log: DeliveryAttempt[] = [];
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    const r = await postOnce(url, body, alert, attempt, opts, timeoutMs);
    log.push({ attempt, status: r.status, error: r.error, durationMs: Date.now() - started });
    if (r.error === null) return { url, delivered: true, attempts: log, error: null };
    if (!r.retryable || attempt >= attempts) return { url, delivered: false, attempts: log, error: r.error };
    await sleep(backoff);
    backoff *= factor;
  }
}

/**
 * Validates `alert` against the payload schema (a bad alert throws before any request) and POSTs it as JSON to every
 * URL, each with its own retries: network errors, timeouts, 408/425/429 and 5xx are retried with exponential
 * backoff; other statuses (and redirects) are final. Every request carries the `Idempotency-Key` header (the alert's
 * ID) and, with a secret, a timestamp and HMAC-SHA256 signature. Resolves with one result per URL; a failed delivery
 * is a result, not an exception.
 */
export async function deliverAlert(alert: Alert, opts: WebhookOptions): Promise<DeliveryResult[]> {
  const valid = alertSchema.parse(alert);
  const body = JSON.stringify(valid);
  return Promise.all(opts.urls.map((url) => deliverTo(url, body, valid, opts)));
}
