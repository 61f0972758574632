/**
 * Records real workflow histories for the replay test (test/workflows/replay.test.ts).
 *
 *   npx tsx scripts/record-histories.ts [outDir]     (default test/fixtures/histories)
 *
 * Runs a short loop on the embedded stack (temp state dir, free ports, no GPU worker, CPU training):
 *  - the retraining controller starts (update-with-start) and runs pipeline 1, which deploys v1; a manual trigger
 *    sent while it runs is coalesced into pipeline 2;
 *  - the Temporal Schedule is created and triggered once: `scheduledRetrain` signals the controller (pipeline 3);
 *  - a `modelMonitor` with 1 s windows over drifted traffic runs 3 windows, signals driftDetected to the controller
 *    (pipeline 4) and completes;
 * then writes one history per workflow type to `<outDir>/<workflowType>.json` (`historyToJSON` of the SDK, the same JSON as
 * `temporal workflow show --output json`). The controller never completes; its history is taken while it runs
 * (idle, after pipeline 4). Re-record after an intended change of workflow code.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { requestRetrain } from '../client/commands/run.js';
import { createRetrainSchedule } from '../client/commands/schedule.js';
import { startDevStack } from '../client/dev-stack.js';
import { TrafficGenerator } from '../client/traffic.js';
import { STACK_STATE_FILE } from '../client/stack-settings.js';
import type { ControllerStatus } from '../contracts/controller.js';
import { controllerStatusQuery, manualRetrainSignal } from '../contracts/messages.js';
import type { ModelMonitorState } from '../contracts/monitoring.js';
import type { TrainingPipelineResult } from '../contracts/payloads.js';
import { CPU_TASK_QUEUE } from '../contracts/task-queues.js';
import { controllerWorkflowId } from '../contracts/workflow-ids.js';
import { writeChurnDataset } from '../lib/data/generate-churn.js';
import { loadSpecFile } from '../lib/spec/load-spec.js';
import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';

/** Lists the recorded histories (file, workflow ID, run ID, status); not itself a history. */
const MANIFEST_FILE = 'manifest.json';
const outDir = path.resolve(process.argv[2] ?? 'test/fixtures/histories');
const started = Date.now();
const print = (line: string): void =>
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** What the replay test needs besides the events: histories do not carry the workflow ID. */
interface RecordedHistory {
  file: string;
  workflowType: string;
  workflowId: string;
  runId: string;
  status: string;
  events: number;
}
const manifest: Record<string, RecordedHistory> = {};

async function save(handle: WorkflowHandle, workflowType: string): Promise<void> {
  const [history, description] = await Promise.all([handle.fetchHistory(), handle.describe()]);
  const file = `${workflowType}.json`;
  const json = historyToJSON(history);
  await writeFile(path.join(outDir, file), `${json}\n`);
  const events = history.events?.length ?? 0;
  manifest[workflowType] = {
    file,
    workflowType,
    workflowId: description.workflowId,
    runId: description.runId,
    status: description.status.name,
    events,
  };
  print(
    `wrote ${file}: ${events} events, ${(json.length / 1024).toFixed(1)} KiB (${description.workflowId}, ${description.status.name})`,
  );
}

async function controllerStatus(client: Client, model: string): Promise<ControllerStatus> {
  return client.workflow.getHandle(controllerWorkflowId(model)).query(controllerStatusQuery);
}

async function main(): Promise<void> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'mlops-record-'));
  // startDevStack writes .mlops/stack.json relative to the working directory without creating .mlops/.
  await mkdir(path.dirname(STACK_STATE_FILE), { recursive: true });
  await mkdir(outDir, { recursive: true });

  const base = await loadSpecFile('examples/churn/pipeline.yaml');
  const datasetPath = path.join(stateDir, 'data', 'churn.csv');
  const spec: PipelineSpec = {
    ...base,
    dataset: { ...base.dataset, uri: `file://${datasetPath}` },
    trainer: { ...base.trainer, resources: 'cpu', hyperparameters: { ...base.trainer.hyperparameters, epochs: 200 } },
  };
  await writeChurnDataset(datasetPath, { rows: 3000, seed: 42, drift: 0 });

  print(`starting the stack in ${stateDir}`);
  const stack = await startDevStack({ stateDir, gpuWorker: false, log: (l) => print(l) });
  const client = stack.runtime.deps.temporal;
  try {
    // 1. Controller + pipeline 1 (deploys v1), with a trigger coalesced while it runs.
    const first = await requestRetrain(client, spec, {
      reason: 'initial training (record-histories)',
      kind: 'initial',
    });
    if (first.disposition !== 'started' || !first.pipelineId)
      throw new Error(`expected a started pipeline: ${JSON.stringify(first)}`);
    print(`controller started ${first.pipelineId}`);
    const controller = client.workflow.getHandle(controllerWorkflowId(spec.model));
    await controller.signal(manualRetrainSignal, { reason: 'manual trigger while pipeline 1 runs' });
    const pipeline = client.workflow.getHandle(first.pipelineId);
    const r1 = (await pipeline.result()) as TrainingPipelineResult;
    if (r1.outcome !== 'deployed') throw new Error(`pipeline 1 did not deploy: ${JSON.stringify(r1)}`);
    print(`${first.pipelineId}: ${r1.outcome} v${r1.version}`);
    await save(pipeline, 'trainingPipeline');

    let status = await waitFor('the coalesced follow-up run to finish', 240_000, async () => {
      const s = await controllerStatus(client, spec.model);
      return s.runsStarted === 2 && s.phase === 'idle' ? s : null;
    });
    const coalesced = status.recent.filter((d) => d.decision === 'coalesced').length;
    if (coalesced !== 1) throw new Error(`expected 1 coalesced decision: ${JSON.stringify(status.recent)}`);
    print(`pipeline 2: ${status.recent.at(-1)?.detail}`);

    // 2. The schedule, triggered once: scheduledRetrain signals the controller (pipeline 3).
    const sid = await createRetrainSchedule(client, spec, {});
    await client.schedule.getHandle(sid).trigger();
    const scheduled = await waitFor('the scheduledRetrain run', 120_000, async () => {
      for await (const wf of client.workflow.list({ query: 'WorkflowType="scheduledRetrain"' })) return wf;
      return null;
    });
    const scheduledHandle = client.workflow.getHandle(scheduled.workflowId, scheduled.runId);
    print(`scheduledRetrain ${scheduled.workflowId} -> ${String(await scheduledHandle.result())}`);
    await client.schedule.getHandle(sid).delete();
    await save(scheduledHandle, 'scheduledRetrain');

    status = await waitFor('the scheduled run to finish', 240_000, async () => {
      const s = await controllerStatus(client, spec.model);
      return s.runsStarted === 3 && s.phase === 'idle' ? s : null;
    });
    print(`pipeline 3: ${status.recent.at(-1)?.detail}`);

    // 3. A monitor with 1 s windows over drifted traffic: it signals driftDetected to the controller (pipeline 4)
    //    and completes after 3 windows.
    const traffic = new TrafficGenerator(stack.servingUrl, spec.model, {
      batchSize: 100,
      intervalMs: 100,
      feedback: false,
    });
    traffic.drift = 1;
    traffic.start();
    let signalsSent = 0;
    try {
      const monitor = await client.workflow.start('modelMonitor', {
        taskQueue: CPU_TASK_QUEUE,
        workflowId: `monitor-${spec.model}-recorded`,
        args: [
          {
            model: spec.model,
            spec: { ...spec, monitoring: { ...spec.monitoring, window: '1s', minSamples: 50, consecutiveBreaches: 1 } },
            controllerWorkflowId: controller.workflowId,
            stopAfterWindows: 3,
          },
        ],
      });
      const monitorState = (await monitor.result()) as ModelMonitorState;
      print(
        `modelMonitor: ${monitorState.windowsRun} windows, ${monitorState.signalsSent} signal(s), last ${monitorState.lastStatus}: ${monitorState.lastSummary}`,
      );
      await save(monitor, 'modelMonitor');
      signalsSent = monitorState.signalsSent;
      if (signalsSent < 1) print('WARNING: the monitor sent no signal (too little traffic?)');
    } finally {
      await traffic.stop();
      print(`traffic: ${traffic.stats.predictions} predictions, ${traffic.stats.errors} errors`);
    }

    status = await waitFor('the controller to be idle again', 240_000, async () => {
      const s = await controllerStatus(client, spec.model);
      return s.runsStarted === 3 + signalsSent && s.phase === 'idle' && s.pending.length === 0 ? s : null;
    });
    print(`controller: ${status.runsStarted} runs; last: ${status.recent.at(-1)?.detail}`);
    await save(controller, 'retrainingController');
    await writeFile(path.join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    print(`wrote ${MANIFEST_FILE}`);
  } finally {
    print('stopping the stack');
    await stack.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
  print('done');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
