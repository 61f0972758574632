/** Serving-side records on PostgreSQL: prediction log, feedback, replica heartbeats. */
import type { LabelledPrediction, WindowPrediction } from './model-registry.js';
import { iso, isoOrNull, jsonParam, num, numOrNull, type Queryable, timestampParam } from './pg-db.js';
import type { FeedbackEntry, PredictionLogEntry, ReplicaStatus } from './types.js';

/**
 * Inserts a batch in one statement (the batch travels as one jsonb parameter). Idempotent on `predictionId`: a
 * retried batch inserts nothing twice.
 */
export async function logPredictions(db: Queryable, entries: PredictionLogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map((e) => ({
    prediction_id: e.predictionId,
    model: e.model,
    version: e.version,
    features: e.features,
    prediction: e.prediction,
    score: e.score,
    latency_ms: e.latencyMs,
    created_at: timestampParam(e.createdAt, 'prediction createdAt'),
  }));
  await db.query(
    `INSERT INTO prediction_log (prediction_id, model, version, features, prediction, score, latency_ms, created_at)
     SELECT x.prediction_id, x.model, x.version, x.features, x.prediction, x.score, x.latency_ms,
            date_trunc('milliseconds', x.created_at)
       FROM jsonb_to_recordset($1::jsonb) AS x(prediction_id text, model text, version integer, features jsonb,
            prediction jsonb, score double precision, latency_ms double precision, created_at timestamptz)
     ON CONFLICT (prediction_id) DO NOTHING`,
    [jsonParam(rows)],
  );
}

/** Records ground-truth labels; a later label for the same prediction replaces the earlier one. */
export async function recordFeedback(db: Queryable, entries: FeedbackEntry[]): Promise<void> {
  if (entries.length === 0) return;
  // One row per prediction (the last label of the batch wins): ON CONFLICT DO UPDATE cannot touch a row twice.
  const latest = new Map(entries.map((e) => [e.predictionId, e]));
  const rows = [...latest.values()].map((e) => ({
    prediction_id: e.predictionId,
    model: e.model,
    label: e.label,
    created_at: timestampParam(e.createdAt, 'feedback createdAt'),
  }));
  await db.query(
    `INSERT INTO feedback (prediction_id, model, label, created_at)
     SELECT x.prediction_id, x.model, x.label, date_trunc('milliseconds', x.created_at)
       FROM jsonb_to_recordset($1::jsonb) AS x(prediction_id text, model text, label jsonb, created_at timestamptz)
     ON CONFLICT (prediction_id) DO UPDATE SET model = EXCLUDED.model, label = EXCLUDED.label,
        created_at = EXCLUDED.created_at`,
    [jsonParam(rows)],
  );
}

interface PredictionRow {
  prediction_id: string;
  model: string;
  version: number;
  features: Record<string, unknown>;
  prediction: string | number;
  score: number | null;
  latency_ms: number;
  created_at: Date;
}

function toPrediction(r: PredictionRow): PredictionLogEntry {
  return {
    predictionId: r.prediction_id,
    model: r.model,
    version: num(r.version),
    features: r.features,
    prediction: r.prediction,
    score: r.score,
    latencyMs: r.latency_ms,
    createdAt: iso(r.created_at),
  };
}

const PREDICTION_COLUMNS =
  'p.prediction_id, p.model, p.version, p.features, p.prediction, p.score, p.latency_ms, p.created_at';

export async function readPredictions(
  db: Queryable,
  model: string,
  from: string,
  to: string,
  limit?: number,
): Promise<PredictionLogEntry[]> {
  const res = await db.query<PredictionRow>(
    `SELECT ${PREDICTION_COLUMNS} FROM prediction_log p
      WHERE p.model = $1 AND p.created_at >= $2::timestamptz AND p.created_at < $3::timestamptz
      ORDER BY p.created_at, p.prediction_id LIMIT $4`,
    [model, timestampParam(from, 'from'), timestampParam(to, 'to'), limit ?? null],
  );
  return res.rows.map(toPrediction);
}

export async function readLabelledPredictions(
  db: Queryable,
  model: string,
  from: string,
  to: string,
  limit?: number,
): Promise<LabelledPrediction[]> {
  const res = await db.query<PredictionRow & { label: string | number }>(
    `SELECT ${PREDICTION_COLUMNS}, f.label FROM prediction_log p
       JOIN feedback f ON f.prediction_id = p.prediction_id AND f.model = p.model
      WHERE p.model = $1 AND p.created_at >= $2::timestamptz AND p.created_at < $3::timestamptz
      ORDER BY p.created_at, p.prediction_id LIMIT $4`,
    [model, timestampParam(from, 'from'), timestampParam(to, 'to'), limit ?? null],
  );
  return res.rows.map((r) => ({ ...toPrediction(r), label: r.label }));
}

/**
 * The monitor's window in one query: the logged predictions of `model` (of `version` when given, filtered before the
 * LIMIT so other versions' rows cannot crowd the window out) in [from, to), ordered by createdAt then predictionId,
 * each with its feedback label or null. Replaces a read of every row plus a second read of the labelled ones
 * (which fetched their features again).
 */
export async function readWindowPredictions(
  db: Queryable,
  model: string,
  from: string,
  to: string,
  options: { version?: number | null; limit?: number | null } = {},
): Promise<WindowPrediction[]> {
  const res = await db.query<PredictionRow & { label: string | number | null }>(
    `SELECT ${PREDICTION_COLUMNS}, f.label FROM prediction_log p
       LEFT JOIN feedback f ON f.prediction_id = p.prediction_id AND f.model = p.model
      WHERE p.model = $1 AND p.created_at >= $2::timestamptz AND p.created_at < $3::timestamptz
        AND ($4::integer IS NULL OR p.version = $4)
      ORDER BY p.created_at, p.prediction_id LIMIT $5`,
    [model, timestampParam(from, 'from'), timestampParam(to, 'to'), options.version ?? null, options.limit ?? null],
  );
  return res.rows.map((r) => ({ ...toPrediction(r), label: r.label ?? null }));
}

export async function reportReplica(db: Queryable, s: ReplicaStatus): Promise<void> {
  await db.query(
    `INSERT INTO serving_replicas (replica_id, model, url, version, loaded_at, heartbeat_at, error)
     VALUES ($1, $2, $3, $4, date_trunc('milliseconds', $5::timestamptz), date_trunc('milliseconds', $6::timestamptz), $7)
     ON CONFLICT (replica_id, model) DO UPDATE SET url = EXCLUDED.url, version = EXCLUDED.version,
        loaded_at = EXCLUDED.loaded_at, heartbeat_at = EXCLUDED.heartbeat_at, error = EXCLUDED.error`,
    [
      s.replicaId,
      s.model,
      s.url,
      s.version,
      s.loadedAt === null ? null : timestampParam(s.loadedAt, 'loadedAt'),
      timestampParam(s.heartbeatAt, 'heartbeatAt'),
      s.error,
    ],
  );
}

/** Replicas of `model` whose reported heartbeat is within `freshWithinMs` of the database's clock. */
export async function listReplicas(db: Queryable, model: string, freshWithinMs: number): Promise<ReplicaStatus[]> {
  const res = await db.query<{
    replica_id: string;
    url: string;
    model: string;
    version: number | null;
    loaded_at: Date | null;
    heartbeat_at: Date;
    error: string | null;
  }>(
    `SELECT replica_id, url, model, version, loaded_at, heartbeat_at, error FROM serving_replicas
      WHERE model = $1 AND heartbeat_at >= now() - $2::double precision * interval '1 millisecond'
      ORDER BY replica_id`,
    [model, freshWithinMs],
  );
  return res.rows.map((r) => ({
    replicaId: r.replica_id,
    url: r.url,
    model: r.model,
    version: numOrNull(r.version),
    loadedAt: isoOrNull(r.loaded_at),
    heartbeatAt: iso(r.heartbeat_at),
    error: r.error,
  }));
}
