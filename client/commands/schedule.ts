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
      catchupWindow: opts.catchupWindow ?? '1h',
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

/** Human description of one schedule. */
export async function describeSchedule(client: Client, id: string): Promise<string> {
  const d = await client.schedule.getHandle(id).describe();
  const spec = d.spec;
  const cadence = [
    ...(spec.calendars ?? []).map((c) => `calendar ${JSON.stringify(c)}`),
    ...(spec.intervals ?? []).map((i) => `every ${String(i.every)}`),
  ].join(', ');
  return [
    `schedule ${id}: ${d.state.paused ? 'PAUSED' : 'active'}${d.state.note ? ` (${d.state.note})` : ''}`,
    `  cadence: ${cadence || '-'}`,
    `  overlap: ${d.policies.overlap}, catch-up window: ${d.policies.catchupWindow} ms, pause on failure: ${d.policies.pauseOnFailure}`,
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
