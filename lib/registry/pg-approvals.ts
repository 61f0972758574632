/** Approval decisions of pipeline runs (`deployment.approval`), on PostgreSQL. */
import { iso, numOrNull, type Queryable, timestampParam } from './pg-db.js';
import type { ApprovalRecord } from './types.js';

interface ApprovalRow {
  run_id: string;
  model: string;
  version: number | null;
  decision: 'approved' | 'rejected';
  timed_out: boolean;
  decided_by: string;
  reason: string;
  decided_at: Date;
  recorded_at: Date;
}

const COLUMNS = 'run_id, model, version, decision, timed_out, decided_by, reason, decided_at, recorded_at';

function toRecord(row: ApprovalRow): ApprovalRecord {
  return {
    runId: row.run_id,
    model: row.model,
    version: numOrNull(row.version),
    decision: row.decision,
    timedOut: row.timed_out,
    by: row.decided_by,
    reason: row.reason,
    decidedAt: iso(row.decided_at),
    recordedAt: iso(row.recorded_at),
  };
}

/** Idempotent on `runId`: the first decision stands; a retry or later call only fills in a missing version. */
export async function recordApproval(db: Queryable, input: Omit<ApprovalRecord, 'recordedAt'>): Promise<void> {
  if (input.by.trim() === '') throw new TypeError('registry: an approval needs who decided (by)');
  await db.query(
    `INSERT INTO approvals (run_id, model, version, decision, timed_out, decided_by, reason, decided_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, date_trunc('milliseconds', $8::timestamptz))
     ON CONFLICT (run_id) DO UPDATE SET version = COALESCE(approvals.version, EXCLUDED.version)`,
    [
      input.runId,
      input.model,
      input.version,
      input.decision,
      input.timedOut,
      input.by,
      input.reason,
      timestampParam(input.decidedAt, 'approval decidedAt'),
    ],
  );
}

export async function getApproval(db: Queryable, runId: string): Promise<ApprovalRecord | null> {
  const res = await db.query<ApprovalRow>(`SELECT ${COLUMNS} FROM approvals WHERE run_id = $1`, [runId]);
  const row = res.rows[0];
  return row ? toRecord(row) : null;
}

export async function listApprovals(db: Queryable, model: string): Promise<ApprovalRecord[]> {
  const res = await db.query<ApprovalRow>(
    `SELECT ${COLUMNS} FROM approvals WHERE model = $1 ORDER BY decided_at, run_id`,
    [model],
  );
  return res.rows.map(toRecord);
}
