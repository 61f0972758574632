/**
 * The real Temporal Web UI (served by `temporal server start-dev`) in headless Chromium, read as a user reads it:
 * a real training pipeline runs on the embedded stack and its monitor watches live traffic; then the workflow list
 * filtered by `MlopsModel`, the pipeline's page and the monitor's page must show the workflow ID, the static summary,
 * the current details (the pipeline's stage checklist, the monitor's latest window) and the Mlops* search
 * attributes. Full-page screenshots land in test-results/web-ui/.
 *
 * Needs Chromium (`apt-get install -y chromium`); without it the test fails saying so, unless
 * MLOPS_SKIP_BROWSER_TESTS=1.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followPipeline, requestRetrain } from '../../client/commands/run.js';
import { startDevStack, type DevStack } from '../../client/dev-stack.js';
import { workflowLink } from '../../client/stack-settings.js';
import { TrafficGenerator } from '../../client/traffic.js';
import { monitorStatusQuery } from '../../contracts/messages.js';
import type { TrainingPipelineResult } from '../../contracts/payloads.js';
import { controllerWorkflowId, monitorWorkflowId } from '../../contracts/workflow-ids.js';
import { writeChurnDataset } from '../../lib/data/generate-churn.js';
import { loadSpecFile } from '../../lib/spec/load-spec.js';
import type { PipelineSpec } from '../../lib/spec/pipeline-spec.js';
import {
  chromiumPath,
  launchChromium,
  newContext,
  SCREENSHOT_DIR,
  screenshot,
  skipBrowserTests,
  textWhen,
  userMetadataFrame,
  withPage,
} from './browser.js';

const MODEL = 'churn';
const REASON = 'first model, from the web UI test';
const MONITOR_WINDOW = '2s';

let dir: string;
let stack: DevStack | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let traffic: TrafficGenerator | undefined;
let pipelineId: string;
let pipeline: TrainingPipelineResult;

/** Reads the Search Attributes tab (a read-only JSON code view) of the workflow page `page` is on. */
async function searchAttributesOf(page: Page): Promise<Record<string, unknown>> {
  await page.getByTestId('search-attributes-tab').click();
  const text = await textWhen(page.getByRole('textbox', { name: 'Search Attributes' }), 'MlopsModel');
  return JSON.parse(text) as Record<string, unknown>;
}

/** Opens a workflow the way the CLI links to it (`mlops run` prints this URL) and checks the header. */
async function openWorkflow(page: Page, workflowId: string, status: string): Promise<void> {
  await page.goto(workflowLink({ uiUrl: stack!.uiUrl, namespace: stack!.namespace }, workflowId), {
    waitUntil: 'domcontentloaded',
  });
  const heading = await textWhen(page.getByTestId('workflow-id-heading'), workflowId);
  if (heading.trim() !== workflowId)
    throw new Error(`the page is headed ${JSON.stringify(heading)}, not ${workflowId}`);
  await textWhen(page.getByTestId('execution-status'), status);
}

// The three pages are read at the same time (each test has its own page; use the test's own `expect`).
describe.skipIf(skipBrowserTests)('Temporal Web UI in a real browser', { concurrent: true }, () => {
  beforeAll(async () => {
    chromiumPath(); // fail first, and clearly, where there is no browser
    await rm(SCREENSHOT_DIR, { recursive: true, force: true });
    const t0 = Date.now();
    const lap = (what: string): void => void process.stderr.write(`[web-ui] ${what} at ${Date.now() - t0} ms\n`);
    dir = await mkdtemp(path.join(tmpdir(), 'mlops-web-ui-'));
    const [started, launched] = await Promise.allSettled([
      startDevStack({ stateDir: dir, gpuWorker: false, log: () => {} }),
      launchChromium(),
    ]);
    if (started.status === 'fulfilled') stack = started.value;
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'rejected') throw started.reason;
    if (launched.status === 'rejected') throw launched.reason;
    context = await newContext(browser!);
    lap('stack and browser up');
    // Load the UI once while the pipeline runs, so the tests' pages find its scripts in the context's cache.
    const warmUp = context.newPage().then(async (page) => {
      await page.goto(`${stack!.uiUrl}/namespaces/${stack!.namespace}/workflows`).catch(() => undefined);
      await page.close();
    });

    const csv = path.join(dir, 'churn.csv');
    await writeChurnDataset(csv, { rows: 2000, seed: 11 });
    const base = await loadSpecFile('examples/churn/pipeline.yaml');
    const spec: PipelineSpec = {
      ...base,
      dataset: { ...base.dataset, uri: `file://${csv}` },
      trainer: { ...base.trainer, resources: 'cpu' },
      // Short windows so the monitor judges live traffic within seconds; the spec's cooldown keeps any alarm from
      // starting a second pipeline during the test.
      monitoring: { ...base.monitoring, window: MONITOR_WINDOW, minSamples: 50 },
    };
    const client = stack!.runtime.deps.temporal;
    const started1 = await requestRetrain(client, spec, { reason: REASON, kind: 'initial' });
    expect(started1.disposition).toBe('started');
    pipelineId = started1.pipelineId!;
    pipeline = await followPipeline(client, pipelineId, () => {});
    expect(pipeline.outcome, JSON.stringify(pipeline)).toBe('deployed');
    lap('pipeline deployed');

    // The deployment started monitor-churn; give it traffic and wait until it has judged a window of it.
    traffic = new TrafficGenerator(stack!.servingUrl, MODEL, { batchSize: 50, intervalMs: 250, feedback: true });
    traffic.start();
    const monitor = client.workflow.getHandle(monitorWorkflowId(MODEL));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await monitor.query(monitorStatusQuery).catch(() => null);
      if (status?.last && status.last.status !== 'insufficient_data') break;
      if (Date.now() > deadline) {
        throw new Error(`the monitor judged no window of traffic in 30 s: ${JSON.stringify(status)}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await warmUp;
    lap('monitor judged a window');
  }, 120_000);

  afterAll(async () => {
    await traffic?.stop();
    await browser?.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists the model’s workflows for the query MlopsModel="churn"', async ({ expect }) => {
    await withPage(context, 'workflow-list', async (page) => {
      const query = `MlopsModel="${MODEL}"`;
      await page.goto(`${stack!.uiUrl}/namespaces/${stack!.namespace}/workflows?query=${encodeURIComponent(query)}`, {
        waitUntil: 'domcontentloaded',
      });
      const main = page.locator('main');
      for (const id of [pipelineId, monitorWorkflowId(MODEL), controllerWorkflowId(MODEL)]) {
        await page.getByRole('link', { name: id, exact: true }).waitFor();
      }
      const text = await textWhen(main, /\b3\s+Workflows\b/);
      // The filter the user typed is shown as a chip, and each row carries the workflow type.
      expect(text).toContain(`MlopsModel = "${MODEL}"`);
      for (const type of ['trainingPipeline', 'modelMonitor', 'retrainingController']) {
        await page.getByRole('link', { name: type, exact: true }).waitFor();
      }
      await screenshot(page, 'workflow-list');

      // The filter is applied: another model's query lists nothing.
      await page.goto(
        `${stack!.uiUrl}/namespaces/${stack!.namespace}/workflows?query=${encodeURIComponent('MlopsModel="nosuchmodel"')}`,
        { waitUntil: 'domcontentloaded' },
      );
      await textWhen(main, /No Workflows/i);
      expect(await page.getByRole('link', { name: pipelineId }).count()).toBe(0);
    });
  });

  it('shows the pipeline run: ID, summary, stage checklist and search attributes', async ({ expect }) => {
    await withPage(context, 'pipeline', async (page) => {
      await openWorkflow(page, pipelineId, 'COMPLETED');
      const main = page.locator('main');
      const header = await textWhen(main, 'trainingPipeline');
      expect(header).toContain(controllerWorkflowId(MODEL)); // Parent Workflow
      // The timeline names each activity by its summary.
      await page.getByText(`Deploy ${MODEL} v${pipeline.version} and wait for serving`).first().waitFor();
      await screenshot(page, 'pipeline-timeline');

      await page.getByTestId('user-metadata-tab').click();
      const summary = await textWhen(userMetadataFrame(page, 'summary').locator('body'), 'Retrain');
      expect(summary.trim()).toBe(`Retrain ${MODEL} (initial): ${REASON}`);
      const details = await textWhen(userMetadataFrame(page, 'current-details').locator('body'), 'Result:');
      // The markdown renders (bold title, no raw `**`) and lists every stage with its timing and outcome.
      expect(details).toMatch(/^Training pipeline for .churn. \(trigger: initial\)$/m);
      expect(details).not.toContain('**');
      expect(details).toMatch(/validating \(\d+\.\ds\): 2000 rows, 0 errors/);
      expect(details).toMatch(/training \(\d+\.\ds\): logistic_regression on cpu/);
      expect(details).toMatch(/evaluating \(\d+\.\ds\): roc_auc 0\.\d{4} \(no champion yet\): promote/);
      expect(details).toMatch(/registering \(\d+\.\ds\): churn v1/);
      expect(details).toMatch(/deploying \(\d+\.\ds\): v1 serving on 1 replica/);
      expect(details).toMatch(/Result: v1 deployed \(roc_auc 0\.\d{4}\)/);
      expect(details).toContain(`trigger: initial: ${REASON}`);
      expect(details).toContain(`run ${pipelineId}`);
      await screenshot(page, 'pipeline-user-metadata');

      const attrs = await searchAttributesOf(page);
      expect(attrs).toMatchObject({
        MlopsModel: MODEL,
        MlopsStage: 'deployed',
        MlopsTrigger: 'initial',
        MlopsVersion: pipeline.version,
      });
      await screenshot(page, 'pipeline-search-attributes');
    });
  });

  it('shows the monitor run: ID, summary, latest window and search attributes', async ({ expect }) => {
    await withPage(context, 'monitor', async (page) => {
      await openWorkflow(page, monitorWorkflowId(MODEL), 'RUNNING');
      await textWhen(page.locator('main'), 'modelMonitor');

      await page.getByTestId('user-metadata-tab').click();
      const summary = await textWhen(userMetadataFrame(page, 'summary').locator('body'), 'Monitor');
      expect(summary.trim()).toBe(`Monitor ${MODEL}: drift and performance every ${MONITOR_WINDOW}`);
      const details = await textWhen(userMetadataFrame(page, 'current-details').locator('body'), 'windows:');
      expect(details).toMatch(/^Monitoring .churn. v1: (ok|drift|degraded|insufficient_data)$/m);
      expect(details).not.toContain('**');
      expect(details).toMatch(/windows: \d+; consecutive breaches: \d+\/1; signals sent: \d+/);
      expect(details).toMatch(/report: file:\/\/.*\/monitoring\/churn\/v1\/.*\.json/);
      await screenshot(page, 'monitor-user-metadata');

      const attrs = await searchAttributesOf(page);
      expect(attrs).toMatchObject({ MlopsModel: MODEL, MlopsVersion: pipeline.version });
      // The stage is the latest window's status (traffic is judged every 2 s; under load a window may be thin).
      expect(['ok', 'drift', 'degraded', 'insufficient_data']).toContain(attrs['MlopsStage']);
      await screenshot(page, 'monitor-search-attributes');
    });
  });
});
