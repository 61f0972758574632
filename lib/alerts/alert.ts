import { z } from 'zod';
import { alertEventSchema } from '../spec/alerts-spec.js';

export const alertSeveritySchema = z.enum(['info', 'warning', 'critical']);

/**
 * The JSON body of every webhook alert. `id` is deterministic per event (e.g. `<workflowId>:<event>:...`), so a
 * receiver can deduplicate the retries of one delivery and the re-sends of a retried activity; it is also sent as the
 * `Idempotency-Key` header.
 */
export const alertSchema = z.strictObject({
  id: z.string().min(1).max(512),
  type: alertEventSchema,
  model: z.string().min(1),
  /** The model version concerned (the monitored, failed-to-deploy or produced version), null when there is none. */
  version: z.number().int().min(1).nullable(),
  severity: alertSeveritySchema,
  /** One human line. */
  summary: z.string().min(1).max(2000),
  /** Event-specific evidence (drift scores, error message, versions). JSON. */
  details: z.record(z.string(), z.unknown()),
  /** ISO-8601 time of the event. */
  occurredAt: z.iso.datetime({ offset: true }),
  /** Temporal Web UI link of the workflow run that raised it, when the workers know the UI's address. */
  runUrl: z.url().optional(),
});

export type Alert = z.output<typeof alertSchema>;
export type AlertSeverity = z.output<typeof alertSeveritySchema>;

/** Link to a workflow run in the Temporal Web UI (`base` e.g. `http://localhost:8233`). */
export function temporalRunUrl(base: string, namespace: string, workflowId: string, runId?: string): string {
  const root = `${base.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${root}/${encodeURIComponent(runId)}/history` : root;
}
