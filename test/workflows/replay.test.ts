/**
 * Replay: every history recorded from a real run (test/fixtures/histories, written by scripts/record-histories.ts)
 * must replay against today's workflow code without a DeterminismViolationError. A workflow change that is not
 * replay-safe (reordered or removed commands) fails here; version it with `patched()`, or re-record the fixtures
 * when the change is meant to break old histories (no open executions in production).
 * The negative check replays the pipeline history against a deliberately reordered pipeline and expects the error.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import {
  DefaultLogger,
  Runtime,
  Worker,
  bundleWorkflowCode,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { beforeAll, describe, expect, it } from 'vitest';
import { WORKFLOWS_PATH } from '../../workers/create-workers.js';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';

const HISTORIES_DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
const MANIFEST_FILE = 'manifest.json';
/** Every workflow type the workers register (workflows/index.ts) must have a recorded history. */
const WORKFLOW_TYPES = ['trainingPipeline', 'retrainingController', 'modelMonitor', 'scheduledRetrain'];

interface RecordedHistory {
  file: string;
  workflowType: string;
  workflowId: string;
  runId: string;
  status: string;
  events: number;
}

const manifest = JSON.parse(readFileSync(path.join(HISTORIES_DIR, MANIFEST_FILE), 'utf8')) as Record<
  string,
  RecordedHistory
>;
const historyFiles = readdirSync(HISTORIES_DIR)
  .filter((f) => f.endsWith('.json') && f !== MANIFEST_FILE)
  .sort();

function loadHistory(file: string): History {
  return historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
}

/** Which recording a history file is (the manifest knows its workflow ID; histories do not carry it). */
function recordingOf(file: string): RecordedHistory {
  const entry = Object.values(manifest).find((m) => m.file === file);
  if (!entry) throw new Error(`${file} is not listed in ${MANIFEST_FILE}; re-run scripts/record-histories.ts`);
  return entry;
}

const quiet = { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
let realBundle: WorkflowBundleWithSourceMap;
let reorderedBundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  // Replay workers log every state change at INFO: quiet them (only possible before the runtime exists; a worker
  // process shared with another Temporal test keeps that one's runtime, which only means more log lines).
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // already installed
  }
  [realBundle, reorderedBundle] = await Promise.all([
    bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet }),
    bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('./reordered-workflows.ts', import.meta.url)),
      logger: quiet,
    }),
  ]);
}, 180_000);

describe('recorded histories', () => {
  it('cover every workflow type, one file per type, as the manifest lists them', () => {
    expect(historyFiles).toEqual(WORKFLOW_TYPES.map((t) => `${t}.json`).sort());
    for (const type of WORKFLOW_TYPES) {
      const entry = manifest[type];
      expect(entry, `manifest entry for ${type}`).toBeDefined();
      expect(entry!.file).toBe(`${type}.json`);
      const history = loadHistory(entry!.file);
      expect(history.events?.length).toBe(entry!.events);
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
      expect(started?.workflowType?.name).toBe(type);
    }
  });

  it.each(historyFiles)('%s replays against the current workflow code', { timeout: 120_000 }, async (file) => {
    const { workflowId, workflowType } = recordingOf(file);
    const history = loadHistory(file);
    await expect(
      Worker.runReplayHistory(
        { workflowBundle: realBundle, replayName: `replay-${workflowType}` },
        history,
        workflowId,
      ),
    ).resolves.toBeUndefined();
  });

  it('all of them replay in one batch (runReplayHistories) without errors', { timeout: 120_000 }, async () => {
    const inputs = historyFiles.map((file) => ({
      workflowId: recordingOf(file).workflowId,
      history: loadHistory(file),
    }));
    const results: Array<{ workflowId: string; error: string | null }> = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: realBundle, replayName: 'replay-all' }, inputs)) {
      results.push({ workflowId: r.workflowId, error: r.error ? `${r.error.name}: ${r.error.message}` : null });
    }
    expect(results).toEqual(inputs.map((i) => ({ workflowId: i.workflowId, error: null })));
  });
});

describe('replay catches a non-deterministic change', () => {
  it(
    'the pipeline history fails against a pipeline that validates before recording the run',
    { timeout: 120_000 },
    async () => {
      const { workflowId } = manifest['trainingPipeline']!;
      const history = loadHistory('trainingPipeline.json');
      const replay = Worker.runReplayHistory(
        { workflowBundle: reorderedBundle, replayName: 'replay-reordered' },
        history,
        workflowId,
      );
      const err: unknown = await replay.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DeterminismViolationError);
      // Core names the mismatch: the history scheduled recordPipelineRun where the code now schedules validateData.
      expect((err as Error).message).toMatch(
        /Nondeterminism error: Activity type of scheduled event 'recordPipelineRun' does not match .*'validateData'/,
      );
    },
  );
});
