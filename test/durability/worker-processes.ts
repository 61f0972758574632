/**
 * Worker processes for the durability tests: `node --import tsx test/durability/crash-worker.ts` with the test's
 * environment, output kept for failure messages, and a workflow bundle built once for all of them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { readUri } from '../../lib/artifacts/open-store.js';
import { readDataset } from '../../lib/data/read-dataset.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import { logisticRegressionTrainer } from '../../lib/train/logistic-regression.js';
import { WORKFLOWS_PATH } from '../../workers/create-workers.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER_ENTRY = fileURLToPath(new URL('./crash-worker.ts', import.meta.url));

/** A worker process a test started. */
export interface WorkerProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** stdout and stderr chunks (the last 400). */
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Whether it has exited. */
  done: boolean;
}

/** Bundles the production workflows once and writes the bundle to `file` (CRASH_TEST_WORKFLOW_BUNDLE). */
export async function writeWorkflowBundle(file: string): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error: (m) => console.error(m), log() {} },
  });
  await writeFile(file, code);
  return file;
}

/** Starts crash-worker.ts with `env` added to this process's environment. */
export function startWorkerProcess(name: string, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_ENTRY], {
    cwd: REPO_ROOT,
    env: { ...process.env, TEMPORAL_NAMESPACE: 'default', MLOPS_DB_POOL_SIZE: '4', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`worker ${name} did not start`);
  const output: string[] = [];
  const keep = (chunk: Buffer): void => {
    output.push(chunk.toString('utf8'));
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const w: WorkerProcess = {
    name,
    child,
    pid: child.pid,
    output,
    done: false,
    exited: new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        w.done = true;
        resolve({ code, signal });
      });
    }),
  };
  return w;
}

/** Resolves once the worker logs that it polls `taskQueue`; rejects if it exits first or takes too long. */
export async function waitUntilPolling(w: WorkerProcess, taskQueue: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!w.output.join('').includes(`polling ${taskQueue} `)) {
    if (w.done) throw new Error(`worker ${w.name} exited before polling:\n${w.output.join('')}`);
    if (Date.now() > deadline)
      throw new Error(`worker ${w.name} not polling after ${timeoutMs} ms:\n${w.output.join('')}`);
    await sleep(100);
  }
}

/** Waits for the worker to exit (it is expected to kill itself); rejects after `timeoutMs`. */
export async function waitForExit(
  w: WorkerProcess,
  timeoutMs: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const timedOut = sleep(timeoutMs).then(() => null);
  const exit = await Promise.race([w.exited, timedOut]);
  if (!exit) throw new Error(`worker ${w.name} still running after ${timeoutMs} ms:\n${w.output.join('')}`);
  return exit;
}

/** SIGTERM (graceful shutdown), then SIGKILL if it lingers. */
export async function stopWorker(w: WorkerProcess): Promise<void> {
  if (w.done) return;
  w.child.kill('SIGTERM');
  const stopped = await Promise.race([w.exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    w.child.kill('SIGKILL');
    await w.exited;
  }
}

/**
 * Times a few epochs of the spec's logistic regression in this process (after a warm-up) on the training share of
 * the CSV dataset at `csvPath`, and returns the number of epochs whose computation lasts about `targetMs` (at least
 * 200): a pipeline trained for that many epochs is still training when a test acts on it, on any machine.
 */
export async function calibrateEpochs(
  csvPath: string,
  spec: PipelineSpec,
  targetMs: number,
): Promise<{ epochs: number; perEpochMs: number }> {
  const { table } = readDataset(await readUri(`file://${csvPath}`), {
    format: 'csv',
    features: spec.features,
    labelName: spec.label.name,
    source: csvPath,
  });
  const WARMUP = 5;
  const TIMED = 15;
  let timedFrom = 0;
  let timedTo = 0;
  await logisticRegressionTrainer.train({
    table,
    features: spec.features,
    label: spec.label,
    hyperparameters: { ...spec.trainer.hyperparameters, epochs: WARMUP + TIMED },
    seed: spec.split.seed,
    onProgress: (p) => {
      if (p.epoch === WARMUP) timedFrom = performance.now();
      if (p.epoch === WARMUP + TIMED) timedTo = performance.now();
    },
  });
  const perEpochMs = ((timedTo - timedFrom) / TIMED) * (1 - spec.split.holdoutFraction);
  return { epochs: Math.min(20_000, Math.max(200, Math.ceil(targetMs / perEpochMs))), perEpochMs };
}
