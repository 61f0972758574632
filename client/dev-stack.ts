import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { startDevServer, type DevServerHandle } from '../infra/dev-server.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../infra/embedded-postgres.js';
import { createServingApp, type ServingApp } from '../serving/create-server.js';
import { createCpuWorker, createGpuWorker } from '../workers/create-workers.js';
import { createWorkerRuntime, type WorkerRuntime } from '../workers/runtime.js';
import { STACK_STATE_FILE, type StackState } from './stack-settings.js';

/** Options of the embedded stack. */
export interface DevStackOptions {
  /** State directory (default `.mlops`): Temporal's SQLite file, PGlite data, artifacts. */
  stateDir?: string;
  /** Ports; leave out (all of them) to pick free ones (tests), or pass {@link DEFAULT_PORTS}. */
  ports?: { temporal: number; ui: number; postgres: number; serving: number };
  /** Start a GPU worker that serves `mlops-gpu` on CPU (dev mode), default true. */
  gpuWorker?: boolean;
  /** Serving's registry poll period (ms). */
  servingPollMs?: number;
  log?: (line: string) => void;
  /**
   * Write `.mlops/stack.json` so CLI commands find this stack (default: only with well-known `ports`, i.e. for
   * `mlops dev`/`mlops demo`; stacks on free ports, as tests start them, leave it alone).
   */
  writeStateFile?: boolean;
}

/** The well-known local ports: Temporal 7233, Web UI 8233, embedded PostgreSQL 5433, serving 8080. */
export const DEFAULT_PORTS = { temporal: 7233, ui: 8233, postgres: 5433, serving: 8080 } as const;

/** A running embedded stack. */
export interface DevStack extends StackState {
  runtime: WorkerRuntime;
  stop(): Promise<void>;
}

/**
 * Starts everything on one machine with no external services: the Temporal dev server (Web UI), an embedded
 * PostgreSQL (PGlite over the wire protocol, so the same `pg` code runs), a `file://` artifact store, the CPU worker,
 * a dev-mode GPU worker and the serving process.
 */
export async function startDevStack(opts: DevStackOptions = {}): Promise<DevStack> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const stateDir = path.resolve(opts.stateDir ?? '.mlops');
  await mkdir(stateDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) {
      await stop().catch((err: unknown) => log(`stop failed: ${(err as Error).message}`));
    }
    stops.length = 0;
  };
  try {
    log('starting Temporal dev server...');
    const temporal: DevServerHandle = await startDevServer({
      dbFilename: path.join(stateDir, 'temporal.db'),
      ...(opts.ports ? { port: opts.ports.temporal, uiPort: opts.ports.ui } : {}),
    });
    stops.push(() => temporal.stop());
    log(`  Temporal ${temporal.address}, Web UI ${temporal.uiUrl}`);

    log('starting embedded PostgreSQL (PGlite)...');
    const pg: EmbeddedPostgres = await startEmbeddedPostgres({
      dataDir: path.join(stateDir, 'pgdata'),
      port: opts.ports?.postgres ?? 0,
    });
    stops.push(() => pg.stop());
    log(`  registry ${pg.url}`);

    const artifactsUrl = `file://${path.join(stateDir, 'artifacts')}/`;
    const config = {
      TEMPORAL_ADDRESS: temporal.address,
      TEMPORAL_NAMESPACE: temporal.namespace,
      DATABASE_URL: pg.url,
      MLOPS_ARTIFACTS_URL: artifactsUrl,
      MLOPS_DB_POOL_SIZE: 4,
      ...(temporal.uiUrl ? { TEMPORAL_UI_URL: temporal.uiUrl } : {}),
      // Alerts go where the developer's environment says (unset: none).
      ...(process.env.MLOPS_ALERT_WEBHOOK_URL ? { MLOPS_ALERT_WEBHOOK_URL: process.env.MLOPS_ALERT_WEBHOOK_URL } : {}),
      ...(process.env.MLOPS_ALERT_WEBHOOK_SECRET
        ? { MLOPS_ALERT_WEBHOOK_SECRET: process.env.MLOPS_ALERT_WEBHOOK_SECRET }
        : {}),
    };
    const runtime = await createWorkerRuntime(config, {
      device: 'cpu',
      identity: `cpu-worker@dev-stack:${process.pid}`,
    });
    stops.push(() => runtime.close());

    const workers: Array<{ worker: Worker; done: Promise<void> }> = [];
    const cpu = await createCpuWorker({ address: temporal.address, namespace: temporal.namespace, deps: runtime.deps });
    workers.push({ worker: cpu, done: cpu.run() });
    log('  cpu worker polling mlops-cpu');
    if (opts.gpuWorker ?? true) {
      const gpuDeps = {
        ...runtime.deps,
        device: 'cpu' as const,
        workerIdentity: `gpu-worker@dev-stack:${process.pid}(cpu-dev-mode)`,
      };
      const gpu = await createGpuWorker({ address: temporal.address, namespace: temporal.namespace, deps: gpuDeps });
      workers.push({ worker: gpu, done: gpu.run() });
      log('  gpu worker polling mlops-gpu (DEV MODE: no GPU on this host, training runs on CPU)');
    }
    stops.push(async () => {
      for (const w of workers) w.worker.shutdown();
      await Promise.allSettled(workers.map((w) => w.done));
    });

    let servingUrl = '';
    const serving: ServingApp = createServingApp({
      registry: runtime.deps.registry,
      artifacts: runtime.deps.artifacts,
      replicaId: `serving@dev-stack:${process.pid}`,
      publicUrl: () => servingUrl,
      pollIntervalMs: opts.servingPollMs ?? 1000,
      logger: false,
    });
    await serving.app.listen({ host: '127.0.0.1', port: opts.ports?.serving ?? 0 });
    const address = serving.app.server.address();
    servingUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    await serving.start();
    stops.push(() => serving.stop());
    log(`  serving ${servingUrl}`);

    const state: StackState = {
      temporalAddress: temporal.address,
      namespace: temporal.namespace,
      uiUrl: temporal.uiUrl,
      databaseUrl: pg.url,
      artifactsUrl,
      servingUrl,
      pid: process.pid,
    };
    if (opts.writeStateFile ?? opts.ports !== undefined) {
      await mkdir(path.dirname(STACK_STATE_FILE), { recursive: true });
      await writeFile(STACK_STATE_FILE, JSON.stringify(state, null, 2));
      stops.unshift(() => rm(STACK_STATE_FILE, { force: true }));
    }
    return { ...state, runtime, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** `mlops dev`: starts the stack and keeps it up until Ctrl-C. */
export async function runDevStackUntilSignalled(opts: DevStackOptions): Promise<void> {
  const stack = await startDevStack({ ports: DEFAULT_PORTS, ...opts });
  console.log(`\nstack is up. Web UI: ${stack.uiUrl}   (Ctrl-C to stop)`);
  console.log('  try: npm run mlops -- run examples/churn/pipeline.yaml --wait');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('stopping...');
  await stack.stop();
}
