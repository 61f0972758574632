/** Pipeline run metadata (per-stage timings), monitoring reports and controller decisions, on PostgreSQL. */
import { RegistryNotFoundError } from './errors.js';
import type { StageRecord } from './model-registry.js';
import { jsonParam, type Queryable, timestampParam } from './pg-db.js';

/** Idempotent on `runId`: a second call leaves the first record as it is. */
export async function recordPipelineRun(
  db: Queryable,
  input: { runId: string; model: string; trigger: string; specHash: string },
): Promise<void> {
  await db.query(
    `INSERT INTO pipeline_runs (run_id, model, trigger, spec_hash) VALUES ($1, $2, $3, $4)
     ON CONFLICT (run_id) DO NOTHING`,
    [input.runId, input.model, input.trigger, input.specHash],
  );
}

/**
 * Upserts a stage on (runId, stage). A retried `started` never overwrites a finished stage (completed, failed,
 * skipped), so records cannot go backwards when activities are retried out of order.
 */
export async function recordStage(db: Queryable, stage: StageRecord): Promise<void> {
  await db.query(
    `INSERT INTO pipeline_stages (run_id, stage, status, started_at, finished_at, details)
     VALUES ($1, $2, $3, date_trunc('milliseconds', $4::timestamptz), date_trunc('milliseconds', $5::timestamptz), $6::jsonb)
     ON CONFLICT (run_id, stage) DO UPDATE SET status = EXCLUDED.status, started_at = EXCLUDED.started_at,
        finished_at = EXCLUDED.finished_at, details = EXCLUDED.details
      WHERE pipeline_stages.status = 'started' OR EXCLUDED.status <> 'started'`,
    [
      stage.runId,
      stage.stage,
      stage.status,
      timestampParam(stage.startedAt, 'stage startedAt'),
      stage.finishedAt === null ? null : timestampParam(stage.finishedAt, 'stage finishedAt'),
      jsonParam(stage.details),
    ],
  );
}

/** Sets the outcome of a run recorded by `recordPipelineRun` (RegistryNotFoundError otherwise). Idempotent. */
export async function finishPipelineRun(
  db: Queryable,
  input: { runId: string; outcome: string; version: number | null; error: string | null },
): Promise<void> {
  const res = await db.query(
    `UPDATE pipeline_runs
        SET finished_at = COALESCE(finished_at, date_trunc('milliseconds', clock_timestamp())),
            outcome = $2, version = $3, error = $4
      WHERE run_id = $1`,
    [input.runId, input.outcome, input.version, input.error],
  );
  if (res.rowCount === 0) throw new RegistryNotFoundError('pipeline_run', input.runId);
}

/** Upserts on (model, version, windowStart, windowEnd): re-running a monitoring window replaces its report. */
export async function recordMonitorReport(
  db: Queryable,
  input: { model: string; version: number; windowStart: string; windowEnd: string; status: string; report: unknown },
): Promise<void> {
  await db.query(
    `INSERT INTO monitor_reports (model, version, window_start, window_end, status, report)
     VALUES ($1, $2, $3::timestamptz, $4::timestamptz, $5, $6::jsonb)
     ON CONFLICT (model, version, window_start, window_end)
     DO UPDATE SET status = EXCLUDED.status, report = EXCLUDED.report`,
    [
      input.model,
      input.version,
      timestampParam(input.windowStart, 'windowStart'),
      timestampParam(input.windowEnd, 'windowEnd'),
      input.status,
      jsonParam(input.report),
    ],
  );
}

/**
 * Appends a controller decision, once: idempotent on `(model, key)`, the decision's own identity (see
 * `retrainDecisionKey`), so a retried recording activity inserts nothing twice.
 */
export async function recordRetrainDecision(
  db: Queryable,
  input: { model: string; key: string; trigger: string; decision: string; pipelineId: string | null; details: unknown },
): Promise<void> {
  await db.query(
    `INSERT INTO retrain_decisions (model, decision_key, trigger, decision, pipeline_id, details)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb)
     ON CONFLICT (model, decision_key) DO NOTHING`,
    [input.model, input.key, input.trigger, input.decision, input.pipelineId, jsonParam(input.details)],
  );
}
