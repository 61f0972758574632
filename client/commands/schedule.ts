import {
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import { MODEL_KEY, TRIGGER_KEY } from '../../contracts/search-attributes.js';
import { CPU_TASK_QUEUE } from '../../contracts/task-queues.js';
import { scheduleId } from '../../contracts/workflow-ids.js';
import { parseDuration } from '../../lib/spec/duration.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import type { scheduledRetrain } from '../../workflows/scheduled-retrain.js';
import { UsageError } from '../errors.js';

export interface CreateScheduleOptions {
  cron?: string;
  every?: string;
  overlap?: 'skip' | 'buffer_one' | 'buffer_all' | 'cancel_other' | 'terminate_other' | 'allow_all';
  catchupWindow?: string;
  pauseOnFailure?: boolean;
  paused?: boolean;
}

const OVERLAP: Record<NonNullable<CreateScheduleOptions['overlap']>, ScheduleOverlapPolicy> = {
  skip: ScheduleOverlapPolicy.SKIP,
  buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
  buffer_all: ScheduleOverlapPolicy.BUFFER_ALL,
  cancel_other: ScheduleOverlapPolicy.CANCEL_OTHER,
  terminate_other: ScheduleOverlapPolicy.TERMINATE_OTHER,
  allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
};

/**
 * Creates `schedule-<model>`: a Temporal Schedule whose action starts `scheduledRetrain`, which hands a `schedule`
 * trigger to the model's controller (so scheduled runs obey the controller's one-at-a-time rule).
 * The cadence comes from the options, else from the spec's `schedule` section.
 */
export async function createRetrainSchedule(
  client: Client,
  spec: PipelineSpec,
  opts: CreateScheduleOptions,
): Promise<string> {
  const cron = opts.cron ?? (spec.schedule && 'cron' in spec.schedule ? spec.schedule.cron : undefined);
  const every = opts.every ?? (spec.schedule && 'every' in spec.schedule ? spec.schedule.every : undefined);
  if (opts.cron && opts.every) throw new UsageError('give either --cron or --every, not both');
  if (!cron && !every)
    throw new UsageError(`no cadence: pass --cron or --every, or add a "schedule" section to the spec`);
  if (every) parseDuration(every);
  const catchupWindow = opts.catchupWindow ?? '1h';
  try {
    parseDuration(catchupWindow);
  } catch (err) {
    throw new UsageError(`--catchup-window: ${(err as Error).message}`);
  }
  const id = scheduleId(spec.model);
  const options: ScheduleOptions<ScheduleOptionsStartWorkflowAction<typeof scheduledRetrain>> = {
    scheduleId: id,
    spec: opts.cron || (cron && !opts.every) ? { cronExpressions: [cron!] } : { intervals: [{ every: every! }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'scheduledRetrain',
      taskQueue: CPU_TASK_QUEUE,
      workflowId: `scheduled-retrain-${spec.model}`,
      args: [{ model: spec.model, spec }],
      staticSummary: `Scheduled retraining of ${spec.model}: signals retrain-${spec.model}`,
      typedSearchAttributes: [
        { key: MODEL_KEY, value: spec.model },
        { key: TRIGGER_KEY, value: 'schedule' },
      ],
    },
    policies: {
      overlap: OVERLAP[opts.overlap ?? 'skip'],
      catchupWindow,
      pauseOnFailure: opts.pauseOnFailure ?? true,
    },
    state: {
      note: `periodic retraining of ${spec.model} (${cron ? `cron ${cron}` : `every ${every}`})`,
      paused: opts.paused ?? false,
    },
  };
  await client.schedule.create(options);
  return id;
}

/** One line per schedule of this project. */
export async function listSchedules(client: Client): Promise<string[]> {
  const lines: string[] = [];
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith('schedule-')) continue;
    const next = s.info.nextActionTimes[0]?.toISOString() ?? '-';
    lines.push(`${s.scheduleId}\t${s.state.paused ? 'paused' : 'active'}\tnext ${next}\t${s.state.note ?? ''}`);
  }
  return lines;
}

/** Milliseconds in the largest unit that divides them: 600000 -> `10m`, 5400000 -> `90m`, 1500 -> `1500ms`. */
function formatMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * Human description of one schedule: cadence, policies as `schedule create` takes them (`overlap: buffer_one,
 * catch-up window: 10m, pause on failure: true`), run counts, next and recent runs.
 */
export async function describeSchedule(client: Client, id: string): Promise<string> {
  const d = await client.schedule.getHandle(id).describe();
  const spec = d.spec;
  const cadence = [
    ...(spec.calendars ?? []).map((c) => `calendar ${JSON.stringify(c)}`),
    ...(spec.intervals ?? []).map((i) => `every ${typeof i.every === 'number' ? formatMs(i.every) : String(i.every)}`),
  ].join(', ');
  return [
    `schedule ${id}: ${d.state.paused ? 'PAUSED' : 'active'}${d.state.note ? ` (${d.state.note})` : ''}`,
    `  cadence: ${cadence || '-'}`,
    `  overlap: ${(d.policies.overlap ?? 'SKIP').toLowerCase()}, catch-up window: ${formatMs(d.policies.catchupWindow)}, pause on failure: ${d.policies.pauseOnFailure}`,
    `  runs: ${d.info.numActionsTaken} taken, ${d.info.numActionsMissedCatchupWindow} missed, ${d.info.numActionsSkippedOverlap} skipped (overlap)`,
    `  next: ${
      d.info.nextActionTimes
        .slice(0, 3)
        .map((t) => t.toISOString())
        .join(', ') || '-'
    }`,
    ...d.info.recentActions
      .slice(-5)
      .map((a) => `  recent: ${a.scheduledAt.toISOString()} -> ${a.action.workflow.workflowId}`),
  ].join('\n');
}
