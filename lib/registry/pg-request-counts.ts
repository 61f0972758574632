/** Serving request counts on PostgreSQL: what the monitor's error rate is computed from. */
import { jsonParam, num, type Queryable, timestampParam } from './pg-db.js';

/** Predict requests of one model version with one HTTP status in one bucket (one second) of one replica. */
export interface RequestCountEntry {
  model: string;
  version: number;
  /** HTTP status of the responses. */
  status: number;
  /** Start of the bucket (ISO time). */
  bucket: string;
  requests: number;
}

/** Requests of one model version in a time range, by outcome. */
export interface VersionRequestCounts {
  version: number;
  total: number;
  /** 4xx responses. */
  clientErrors: number;
  /** 5xx responses. */
  serverErrors: number;
}

/** Writes one batch of counts; idempotent on `batchId` (a retried batch inserts nothing twice). */
export async function logRequestCounts(db: Queryable, batchId: string, entries: RequestCountEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const rows = entries.map((e) => ({
    model: e.model,
    version: e.version,
    status: e.status,
    bucket: timestampParam(e.bucket, 'request count bucket'),
    requests: e.requests,
  }));
  await db.query(
    `INSERT INTO serving_request_counts (batch_id, model, version, status, bucket, requests)
     SELECT $1, x.model, x.version, x.status, date_trunc('milliseconds', x.bucket), x.requests
       FROM jsonb_to_recordset($2::jsonb) AS x(model text, version integer, status integer, bucket timestamptz,
            requests integer)
     ON CONFLICT DO NOTHING`,
    [batchId, jsonParam(rows)],
  );
}

/** Request counts of `model` per version over buckets in [from, to). */
export async function readRequestCounts(
  db: Queryable,
  model: string,
  from: string,
  to: string,
): Promise<VersionRequestCounts[]> {
  const res = await db.query<{ version: number; total: string; client: string; server: string }>(
    `SELECT version, sum(requests) AS total,
            coalesce(sum(requests) FILTER (WHERE status BETWEEN 400 AND 499), 0) AS client,
            coalesce(sum(requests) FILTER (WHERE status >= 500), 0) AS server
       FROM serving_request_counts
      WHERE model = $1 AND bucket >= $2::timestamptz AND bucket < $3::timestamptz
      GROUP BY version ORDER BY version`,
    [model, timestampParam(from, 'from'), timestampParam(to, 'to')],
  );
  return res.rows.map((r) => ({
    version: num(r.version),
    total: num(r.total),
    clientErrors: num(r.client),
    serverErrors: num(r.server),
  }));
}
