import type { ArtifactStore } from '../artifacts/artifact-store.js';
import { enabledAlertEvents } from '../spec/alerts-spec.js';
import { temporalRunUrl, type Alert } from './alert.js';
import { deliverAlert, parseWebhookUrls, type DeliveryResult, type WebhookOptions } from './webhook.js';

/** Sends alerts to the webhooks the worker is configured with. Built once per worker process. */
export interface AlertNotifier {
  readonly urls: readonly string[];
  /** Temporal Web UI base URL for `runUrl` links, when known. */
  readonly uiUrl: string | undefined;
  /** Delivers to every URL with retries; resolves with one result per URL (never rejects for HTTP failures). */
  deliver(alert: Alert): Promise<DeliveryResult[]>;
}

export function createAlertNotifier(opts: WebhookOptions & { uiUrl?: string | undefined }): AlertNotifier {
  return {
    urls: opts.urls,
    uiUrl: opts.uiUrl,
    deliver: (alert) => deliverAlert(alert, opts),
  };
}

/**
 * The notifier the worker environment asks for: `MLOPS_ALERT_WEBHOOK_URL` (comma-separated URLs),
 * `MLOPS_ALERT_WEBHOOK_SECRET` (optional HMAC key), `TEMPORAL_UI_URL` (optional, for links). Undefined when no URL
 * is configured (alerts off). Throws on a malformed URL.
 */
export function alertNotifierFromEnv(env: {
  MLOPS_ALERT_WEBHOOK_URL?: string | undefined;
  MLOPS_ALERT_WEBHOOK_SECRET?: string | undefined;
  TEMPORAL_UI_URL?: string | undefined;
}): AlertNotifier | undefined {
  const urls = parseWebhookUrls(env.MLOPS_ALERT_WEBHOOK_URL);
  if (urls.length === 0) return undefined;
  return createAlertNotifier({
    urls,
    secret: env.MLOPS_ALERT_WEBHOOK_SECRET || undefined,
    uiUrl: env.TEMPORAL_UI_URL || undefined,
  });
}

/** Where an alert was raised: the workflow run of the activity that sends it. */
export interface AlertOrigin {
  namespace: string;
  workflowId: string;
  runId: string;
}

/** The subset of a logger the notifier writes to (the activity logger fits). */
export interface AlertLog {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
}

export type NotifyOutcome = 'not_configured' | 'not_enabled' | 'delivered' | 'failed';

/** A webhook URL as logged and recorded: its origin only (the path or query of some webhooks is a secret). */
export function redactWebhookUrl(url: string): string {
  try {
    return `${new URL(url).origin}/...`;
  } catch {
    return '(invalid URL)';
  }
}

/** Artifact key of a failed delivery's record. */
export function failedDeliveryKey(alert: Pick<Alert, 'model' | 'id'>): string {
  return `alerts/${alert.model}/failed/${alert.id.replace(/[^A-Za-z0-9._-]+/g, '_')}.json`;
}

/**
 * Sends `alert` when a notifier is configured and the model's `alerts.events` (from its spec: `alertsSpec`, absent
 * means every event) includes its type. Never throws: a webhook that is down after the retries is logged as a
 * warning and the failed delivery is recorded as an artifact (`alerts/<model>/failed/<id>.json`, with every
 * attempt), so the pipeline or monitor that raised it carries on.
 */
export async function notifyAlert(
  deps: { alerts?: AlertNotifier | undefined; artifacts: ArtifactStore },
  alert: Omit<Alert, 'runUrl'>,
  opts: { alertsSpec: unknown; origin?: AlertOrigin | undefined; log: AlertLog },
): Promise<NotifyOutcome> {
  const notifier = deps.alerts;
  if (!notifier || notifier.urls.length === 0) return 'not_configured';
  if (!enabledAlertEvents(opts.alertsSpec).has(alert.type)) return 'not_enabled';
  const full: Alert = { ...alert };
  if (notifier.uiUrl && opts.origin) {
    const { namespace, workflowId, runId } = opts.origin;
    full.runUrl = temporalRunUrl(notifier.uiUrl, namespace, workflowId, runId);
  }
  let results: DeliveryResult[];
  try {
    results = await notifier.deliver(full);
  } catch (err) {
    // Only an invalid payload gets here (a bug in the alert's builder); it must not fail the caller either.
    results = [
      {
        url: notifier.urls[0] ?? '',
        delivered: false,
        attempts: [],
        error: `invalid alert: ${(err as Error).message}`,
      },
    ];
  }
  results = results.map((r) => ({ ...r, url: redactWebhookUrl(r.url) }));
  const failed = results.filter((r) => !r.delivered);
  if (failed.length === 0) {
    opts.log.info('alert delivered', { alertId: full.id, type: full.type, urls: results.length });
    return 'delivered';
  }
  opts.log.warn('alert delivery failed', {
    alertId: full.id,
    type: full.type,
    failed: failed.map((r) => `${r.url}: ${r.error} (${r.attempts.length} attempt(s))`),
  });
  try {
    await deps.artifacts.put(
      failedDeliveryKey(full),
      JSON.stringify({ alert: full, recordedAt: new Date().toISOString(), deliveries: results }, null, 2),
      { contentType: 'application/json' },
    );
  } catch (err) {
    opts.log.warn('could not record the failed alert delivery', { alertId: full.id, error: (err as Error).message });
  }
  return 'failed';
}
