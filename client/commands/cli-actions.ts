import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  controllerStatusQuery,
  monitorStatusQuery,
  newDataSignal,
  retrainNowUpdate,
} from '../../contracts/messages.js';
import { controllerWorkflowId, monitorWorkflowId, scheduleId } from '../../contracts/workflow-ids.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import { UsageError } from '../errors.js';
import { scheduleLink, workflowLink } from '../stack-settings.js';
import { withClient } from './with-client.js';
import { reportRetrain, requestRetrain } from './run.js';
import { createRetrainSchedule, describeSchedule, listSchedules, type CreateScheduleOptions } from './schedule.js';

const print = (line: string): void => console.log(line);

function controllerMissing(model: string): UsageError {
  return new UsageError(
    `model "${model}" has no retraining controller (${controllerWorkflowId(model)}); start one with \`mlops run <spec>\``,
    1,
  );
}

/** `mlops run <spec> [--wait]` */
export async function runCommand(specPath: string, opts: { wait: boolean; reason: string }): Promise<void> {
  const spec = await loadSpecFile(specPath);
  await withClient(async ({ client, settings }) => {
    const result = await requestRetrain(client, spec, { reason: opts.reason, kind: 'manual' });
    const outcome = await reportRetrain(client, settings, result, { wait: opts.wait, print });
    print(`controller: ${workflowLink(settings, controllerWorkflowId(spec.model))}`);
    if (outcome && outcome.outcome !== 'deployed' && outcome.outcome !== 'rejected') process.exitCode = 1;
  });
}

/** `mlops retrain <model> --reason` */
export async function retrainCommand(model: string, opts: { reason: string; wait: boolean }): Promise<void> {
  await withClient(async ({ client, settings }) => {
    const handle = client.workflow.getHandle(controllerWorkflowId(model));
    let result;
    try {
      result = await handle.executeUpdate(retrainNowUpdate, { args: [{ reason: opts.reason, kind: 'manual' }] });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw controllerMissing(model);
      throw err;
    }
    await reportRetrain(client, settings, result, { wait: opts.wait, print });
  });
}

/** `mlops new-data <model> --dataset <uri>` */
export async function newDataCommand(model: string, datasetUri: string): Promise<void> {
  await withClient(async ({ client, settings }) => {
    try {
      await client.workflow.getHandle(controllerWorkflowId(model)).signal(newDataSignal, { datasetUri });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw controllerMissing(model);
      throw err;
    }
    print(`signalled newData(${datasetUri}) to ${controllerWorkflowId(model)}`);
    print(`  ${workflowLink(settings, controllerWorkflowId(model))}`);
  });
}

/** `mlops status <model>` */
export async function statusCommand(model: string): Promise<void> {
  await withClient(async ({ client, settings }) => {
    try {
      const s = await client.workflow.getHandle(controllerWorkflowId(model)).query(controllerStatusQuery);
      print(
        `controller ${controllerWorkflowId(model)}: ${s.phase}${s.current ? ` (${s.current.pipelineId}, trigger ${s.current.trigger.kind})` : ''}`,
      );
      print(
        `  deployed version: ${s.deployedVersion ?? 'none'}; runs started: ${s.runsStarted}; pending triggers: ${s.pending.length}`,
      );
      for (const d of s.recent.slice(-5)) print(`  ${d.at} ${d.decision} [${d.trigger.kind}] ${d.detail}`);
      print(`  ${workflowLink(settings, controllerWorkflowId(model))}`);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw controllerMissing(model);
      throw err;
    }
    try {
      const m = await client.workflow.getHandle(monitorWorkflowId(model)).query(monitorStatusQuery);
      print(
        `monitor ${monitorWorkflowId(model)}: ${m.state.lastStatus ?? 'waiting for first window'}; windows ${m.state.windowsRun}; signals sent ${m.state.signalsSent}`,
      );
      if (m.last) print(`  last window ${m.last.windowStart} .. ${m.last.windowEnd}: ${m.last.summary}`);
      print(`  ${workflowLink(settings, monitorWorkflowId(model))}`);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      print(`monitor ${monitorWorkflowId(model)}: not running (starts after the first deployment)`);
    }
  });
}

/** `mlops schedule create <spec> ...` */
export async function scheduleCreateCommand(specPath: string, raw: Record<string, unknown>): Promise<void> {
  const spec = await loadSpecFile(specPath);
  const opts: CreateScheduleOptions = {
    overlap: raw['overlap'] as NonNullable<CreateScheduleOptions['overlap']>,
    catchupWindow: raw['catchupWindow'] as string,
    pauseOnFailure: raw['pauseOnFailure'] !== false,
    paused: raw['paused'] === true,
  };
  if (typeof raw['cron'] === 'string') opts.cron = raw['cron'];
  if (typeof raw['every'] === 'string') opts.every = raw['every'];
  await withClient(async ({ client, settings }) => {
    const id = await createRetrainSchedule(client, spec, opts);
    print(`created ${id}`);
    print(`  ${scheduleLink(settings, id)}`);
  });
}

/** `mlops schedule list` */
export async function scheduleListCommand(): Promise<void> {
  await withClient(async ({ client }) => {
    const lines = await listSchedules(client);
    print(lines.length ? lines.join('\n') : 'no retraining schedules');
  });
}

/** `mlops schedule describe|pause|unpause|trigger|delete <model>` */
export async function scheduleActionCommand(action: string, model: string, note?: string): Promise<void> {
  await withClient(async ({ client, settings }) => {
    const id = scheduleId(model);
    const handle = client.schedule.getHandle(id);
    switch (action) {
      case 'describe':
        print(await describeSchedule(client, id));
        print(`  ${scheduleLink(settings, id)}`);
        return;
      case 'pause':
        await handle.pause(note ?? 'paused from the mlops CLI');
        break;
      case 'unpause':
        await handle.unpause(note ?? 'unpaused from the mlops CLI');
        break;
      case 'trigger':
        await handle.trigger();
        break;
      case 'delete':
        await handle.delete();
        break;
      default:
        throw new UsageError(`unknown schedule action "${action}"`);
    }
    print(`${action}: ${id} done`);
  });
}

/** `mlops schedule backfill <model> --start --end` */
export async function scheduleBackfillCommand(
  model: string,
  opts: { start: string; end: string; overlap: string },
): Promise<void> {
  const start = new Date(opts.start);
  const end = new Date(opts.end);
  if (Number.isNaN(start.getTime())) throw new UsageError(`--start: expected an ISO time, found "${opts.start}"`);
  if (Number.isNaN(end.getTime())) throw new UsageError(`--end: expected an ISO time, found "${opts.end}"`);
  if (end <= start) throw new UsageError(`--end (${opts.end}) must be after --start (${opts.start})`);
  const { ScheduleOverlapPolicy } = await import('@temporalio/client');
  const overlap =
    {
      skip: ScheduleOverlapPolicy.SKIP,
      buffer_one: ScheduleOverlapPolicy.BUFFER_ONE,
      buffer_all: ScheduleOverlapPolicy.BUFFER_ALL,
      allow_all: ScheduleOverlapPolicy.ALLOW_ALL,
    }[opts.overlap] ?? ScheduleOverlapPolicy.BUFFER_ALL;
  await withClient(async ({ client }) => {
    await client.schedule.getHandle(scheduleId(model)).backfill({ start, end, overlap });
    print(`backfill requested for ${scheduleId(model)}: ${start.toISOString()} .. ${end.toISOString()}`);
  });
}

/** `mlops data generate --out <path>` */
export async function dataGenerateCommand(opts: {
  out: string;
  rows: number;
  seed: number;
  drift: number;
}): Promise<void> {
  await mkdir(path.dirname(path.resolve(opts.out)), { recursive: true });
  const written = await writeChurnDataset(opts.out, { rows: opts.rows, seed: opts.seed, drift: opts.drift });
  print(
    `wrote ${written.rows} rows (seed ${opts.seed}, drift ${opts.drift}) to ${written.path}, sha256 ${written.sha256}`,
  );
}
