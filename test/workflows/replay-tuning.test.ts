/**
 * Replay of a tuned training pipeline (spec `tuning`: 4 grid trials, at most 2 at once, one diverging), recorded by
 * `RECORD_TUNING_HISTORY=1 npx vitest run --project integration test/e2e/tuning.test.ts` into
 * test/fixtures/histories-tuning/ (kept apart from test/fixtures/histories, whose replay test wants exactly one
 * history per workflow type). A change to the tuning branch of the workflow that is not replay-safe fails here;
 * version it with another `patched()`, or re-record when the change is meant to break old histories.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { DefaultLogger, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../workers/create-workers.js';

const DIR = fileURLToPath(new URL('../fixtures/histories-tuning/', import.meta.url));
const quiet = { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

describe('tuned pipeline history', () => {
  it('replays against the current workflow code', { timeout: 180_000 }, async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('WARN') });
    } catch {
      // already installed
    }
    const { workflowId } = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8')) as { workflowId: string };
    const history = historyFromJSON(JSON.parse(readFileSync(`${DIR}trainingPipeline-tuned.json`, 'utf8')));
    const scheduled = (history.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainModel',
    );
    expect(scheduled).toHaveLength(4);
    const workflowBundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
    await expect(
      Worker.runReplayHistory({ workflowBundle, replayName: 'replay-tuned-pipeline' }, history, workflowId),
    ).resolves.toBeUndefined();
  });
});
