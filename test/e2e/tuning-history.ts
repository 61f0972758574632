import type { History } from '@temporalio/common/lib/proto-utils.js';
import type { Payload } from '@temporalio/common';

/** One `trainModel` activity of a workflow history: its summary, event IDs, times and how it ended. */
export interface TrainActivity {
  summary: string;
  scheduledEventId: number;
  /** Event ID of its completed / failed / timed-out / cancelled event (Infinity while open). */
  closedEventId: number;
  /** ms since the epoch of its (last attempt's) ActivityTaskStarted event, and of its closing event. */
  startedAt: number;
  closedAt: number;
  outcome: 'completed' | 'failed' | 'timed_out' | 'canceled' | 'open';
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(String(v)));
const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  t ? num(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : Number.NaN;

/** The `trainModel` activities of `history`, in schedule order; `decode` turns the summary payload into a string. */
export function trainActivities(history: History, decode: (p: Payload) => unknown): TrainActivity[] {
  const byScheduled = new Map<number, TrainActivity>();
  for (const e of history.events ?? []) {
    const id = num(e.eventId);
    const at = ms(e.eventTime);
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name === 'trainModel') {
      const payload = e.userMetadata?.summary;
      byScheduled.set(id, {
        summary: payload ? String(decode(payload)) : '',
        scheduledEventId: id,
        closedEventId: Number.POSITIVE_INFINITY,
        startedAt: Number.NaN,
        closedAt: Number.POSITIVE_INFINITY,
        outcome: 'open',
      });
      continue;
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const a = byScheduled.get(num(started.scheduledEventId));
      if (a) a.startedAt = at;
      continue;
    }
    const closes = [
      ['completed', e.activityTaskCompletedEventAttributes],
      ['failed', e.activityTaskFailedEventAttributes],
      ['timed_out', e.activityTaskTimedOutEventAttributes],
      ['canceled', e.activityTaskCanceledEventAttributes],
    ] as const;
    for (const [outcome, attrs] of closes) {
      if (!attrs) continue;
      const a = byScheduled.get(num(attrs.scheduledEventId));
      if (a) Object.assign(a, { closedEventId: id, closedAt: at, outcome });
    }
  }
  return [...byScheduled.values()].sort((a, b) => a.scheduledEventId - b.scheduledEventId);
}
