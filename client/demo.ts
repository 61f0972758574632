import { rm } from 'node:fs/promises';
import path from 'node:path';
import { controllerStatusQuery } from '../contracts/messages.js';
import { controllerWorkflowId, monitorWorkflowId } from '../contracts/workflow-ids.js';
import { writeChurnDataset } from '../lib/data/generate-churn.js';
import { loadSpecFile } from '../lib/spec/load-spec.js';
import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';
import { reportRetrain, requestRetrain } from './commands/run.js';
import { createRetrainSchedule } from './commands/schedule.js';
import { DEFAULT_PORTS, startDevStack } from './dev-stack.js';
import { scheduleLink, workflowLink } from './stack-settings.js';
import { TrafficGenerator } from './traffic.js';

const print = (line: string): void => console.log(line);

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Options of the demo. */
export interface DemoOptions {
  specPath: string;
  keepRunning: boolean;
  /** State directory, wiped at start (default `.mlops/demo`). */
  stateDir?: string;
  /** Monitoring window for the demo (default 15s so drift is noticed quickly). */
  window?: string;
  /** Pick free ports instead of the well-known ones (tests). */
  randomPorts?: boolean;
}

/**
 * The main job: on the embedded stack, train and deploy v1, serve traffic, shift the traffic distribution, let the
 * monitor detect drift and signal the controller, which trains v2, evaluates it against v1 and deploys it; and
 * create the schedule for periodic retraining. Throws if any step does not happen.
 */
export async function runDemo(opts: DemoOptions): Promise<{ v1: number; v2: number }> {
  const stateDir = path.resolve(opts.stateDir ?? '.mlops/demo');
  await rm(stateDir, { recursive: true, force: true });
  const base = await loadSpecFile(opts.specPath);
  const datasetPath = path.join(stateDir, 'data', base.model, 'current.csv');
  const spec: PipelineSpec = {
    ...base,
    dataset: { ...base.dataset, uri: `file://${datasetPath}` },
    monitoring: { ...base.monitoring, window: opts.window ?? '15s', consecutiveBreaches: 1 },
    // The demo's drift arrives a minute after v1; a short cooldown keeps the loop quick.
    retraining: { cooldown: '5s' },
  };

  print('== 1. starting the embedded stack');
  const stack = await startDevStack({
    stateDir,
    ...(opts.randomPorts ? {} : { ports: DEFAULT_PORTS }),
    log: (l) => print(l),
  });
  const settings = { uiUrl: stack.uiUrl, namespace: stack.namespace };
  const client = stack.runtime.deps.temporal;
  const traffic = new TrafficGenerator(stack.servingUrl, spec.model, {
    batchSize: 50,
    intervalMs: 250,
    feedback: true,
  });
  try {
    print(`\n== 2. writing the training data (seeded, 6000 rows) to ${datasetPath}`);
    await writeChurnDataset(datasetPath, { rows: 6000, seed: 42, drift: 0 });

    print(`\n== 3. training and deploying v1 (${spec.trainer.resources} requested)`);
    const first = await requestRetrain(client, spec, { reason: 'initial training from the demo', kind: 'initial' });
    const r1 = await reportRetrain(client, { ...stack, source: 'demo' }, first, { wait: true, print });
    if (!r1 || r1.outcome !== 'deployed' || r1.version === null)
      throw new Error(`v1 was not deployed: ${JSON.stringify(r1)}`);
    const v1 = r1.version;

    print('\n== 4. creating the periodic retraining schedule');
    const sid = await createRetrainSchedule(client, spec, {});
    print(
      `  ${sid}: ${spec.schedule && 'cron' in spec.schedule ? `cron ${spec.schedule.cron}` : 'from spec'}  ${scheduleLink(settings, sid)}`,
    );

    print(
      `\n== 5. serving traffic from v${v1} (with delayed ground-truth labels); monitor window ${spec.monitoring.window}`,
    );
    traffic.start();
    await waitFor('the monitor to judge a window of normal traffic', 120_000, async () => {
      const s = await client.workflow.getHandle(monitorWorkflowId(spec.model)).query('monitorStatus');
      const st = s as { last: { status: string; summary: string } | null };
      return st.last && st.last.status !== 'insufficient_data' ? st.last : null;
    }).then((last) => print(`  monitor: ${last.summary}`)); // the summary starts with the status

    print('\n== 6. the world changes: new labelled data lands and traffic drifts');
    await writeChurnDataset(datasetPath, { rows: 6000, seed: 43, drift: 1 });
    traffic.drift = 1;
    const v2 = await waitFor('drift to be detected and v2 to be deployed', 300_000, async () => {
      const s = await client.workflow.getHandle(controllerWorkflowId(spec.model)).query(controllerStatusQuery);
      const done = s.recent.find((d) =>
        d.decision === 'completed' || d.decision === 'failed' ? d.trigger.kind !== 'initial' : false,
      );
      if (done && done.outcome !== 'deployed') throw new Error(`retraining did not deploy: ${done.detail}`);
      return done && s.deployedVersion !== null && s.deployedVersion > v1 ? s.deployedVersion : null;
    });
    const status = await client.workflow.getHandle(controllerWorkflowId(spec.model)).query(controllerStatusQuery);
    for (const d of status.recent) print(`  ${d.decision} [${d.trigger.kind}] ${d.detail}`);
    await waitFor(`serving to answer from v${v2}`, 30_000, async () =>
      traffic.stats.lastVersion === v2 ? true : null,
    );

    print('\n== 7. summary');
    print(`  v${v1} trained on the original data and deployed; traffic drifted; the monitor signalled drift;`);
    print(`  v${v2} was trained on the new data, beat v${v1} on the same holdout, and is now serving.`);
    print(
      `  traffic: ${traffic.stats.predictions} predictions, ${traffic.stats.feedback} labels, ${traffic.stats.errors} errors`,
    );
    print(`  controller: ${workflowLink(settings, controllerWorkflowId(spec.model))}`);
    print(`  monitor:    ${workflowLink(settings, monitorWorkflowId(spec.model))}`);
    print(`  schedule:   ${scheduleLink(settings, sid)}`);
    print(
      `  all runs:   ${stack.uiUrl}/namespaces/${stack.namespace}/workflows?query=${encodeURIComponent(`MlopsModel="${spec.model}"`)}`,
    );
    await traffic.stop();
    if (opts.keepRunning) {
      print(`\nstack kept running for inspection (Ctrl-C to stop). Web UI: ${stack.uiUrl}`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
    }
    return { v1, v2 };
  } finally {
    await traffic.stop();
    print('stopping the stack...');
    await stack.stop();
  }
}
