import { z } from 'zod';

/** Events a model can raise as webhook alerts. */
export const ALERT_EVENTS = ['drift', 'performance', 'pipeline_failed', 'rollback'] as const;

export const alertEventSchema = z.enum(ALERT_EVENTS);

/**
 * The spec's `alerts` section: which events of this model are sent to the webhook(s) the workers are configured
 * with (`MLOPS_ALERT_WEBHOOK_URL`). Only the choice of events lives here: webhook URLs and secrets come from the
 * worker environment, never from the spec (the spec is recorded in workflow history). `events: []` opts the model
 * out; the default is every event.
 */
export const alertsSchema = z.strictObject({
  events: z
    .array(alertEventSchema)
    .refine((events) => new Set(events).size === events.length, 'expected each event at most once')
    .default([...ALERT_EVENTS]),
});

export type AlertEvent = z.output<typeof alertEventSchema>;
export type AlertsSpec = z.output<typeof alertsSchema>;

/**
 * The events enabled by a spec's `alerts` section as found in a stored spec or workflow input (which may predate the
 * section, or be any JSON): absent or unreadable means every event.
 */
export function enabledAlertEvents(alerts: unknown): ReadonlySet<AlertEvent> {
  const parsed = alertsSchema.safeParse(alerts ?? {});
  return new Set(parsed.success ? parsed.data.events : ALERT_EVENTS);
}
