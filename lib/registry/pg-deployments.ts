/** Deployment history ("which version served at time T") and the currently deployed models, on PostgreSQL. */
import type pg from 'pg';
import { RegistryConflictError, RegistryNotFoundError } from './errors.js';
import { iso, isoOrNull, isUniqueViolation, num, type Queryable, timestampParam, withTransaction } from './pg-db.js';
import { CHAMPION_ALIAS, lockModel, touchModel, upsertAlias, versionExists } from './pg-versions.js';
import type { DeployedModel, Deployment } from './types.js';

interface DeploymentRow {
  id: number;
  model: string;
  version: number;
  run_id: string;
  deployed_at: Date;
  replaced_at: Date | null;
}

const DEPLOYMENT_COLUMNS = 'id, model, version, run_id, deployed_at, replaced_at';

function toDeployment(row: DeploymentRow): Deployment {
  return {
    id: num(row.id),
    model: row.model,
    version: num(row.version),
    runId: row.run_id,
    deployedAt: iso(row.deployed_at),
    replacedAt: isoOrNull(row.replaced_at),
  };
}

/**
 * Makes `version` the deployed one: closes the open deployment (replaced_at), appends the new one and moves the
 * champion alias, in one transaction under the model's row lock. Idempotent on `runId`; the same run ID for another
 * model/version is a conflict.
 */
export async function recordDeployment(
  pool: pg.Pool,
  input: { model: string; version: number; runId: string },
): Promise<Deployment> {
  return withTransaction(
    pool,
    async (client) => {
      const existing = await client.query<DeploymentRow>(
        `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments WHERE run_id = $1`,
        [input.runId],
      );
      const found = existing.rows[0];
      if (found) return sameDeployment(found, input);
      if (!(await lockModel(client, input.model))) throw new RegistryNotFoundError('model', input.model);
      // Re-check under the lock: a concurrent call with this run ID may have committed while we waited.
      const again = await client.query<DeploymentRow>(
        `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments WHERE run_id = $1`,
        [input.runId],
      );
      if (again.rows[0]) return sameDeployment(again.rows[0], input);
      if (!(await versionExists(client, input.model, input.version))) {
        throw new RegistryNotFoundError('version', `${input.model}@${input.version}`);
      }
      // Wall-clock time taken under the lock, never before the previous deployment (clock steps, same millisecond).
      const now = await client.query<{ at: Date }>(
        `SELECT GREATEST(date_trunc('milliseconds', clock_timestamp()),
                         COALESCE((SELECT MAX(deployed_at) FROM deployments WHERE model = $1), '-infinity')) AS at`,
        [input.model],
      );
      const at = now.rows[0]?.at;
      await client.query('UPDATE deployments SET replaced_at = $2 WHERE model = $1 AND replaced_at IS NULL', [
        input.model,
        at,
      ]);
      const inserted = await client.query<DeploymentRow>(
        `INSERT INTO deployments (model, version, run_id, deployed_at) VALUES ($1, $2, $3, $4)
         RETURNING ${DEPLOYMENT_COLUMNS}`,
        [input.model, input.version, input.runId, at],
      );
      await upsertAlias(client, input.model, CHAMPION_ALIAS, input.version);
      await touchModel(client, input.model);
      const row = inserted.rows[0];
      if (!row) throw new Error('registry: INSERT ... RETURNING returned no row');
      return toDeployment(row);
    },
    { retryOnUnique: (err) => isUniqueViolation(err, 'deployments_run_id_key') },
  );
}

function sameDeployment(row: DeploymentRow, input: { model: string; version: number; runId: string }): Deployment {
  if (row.model !== input.model || num(row.version) !== input.version) {
    throw new RegistryConflictError(
      `registry: run ${input.runId} already deployed ${row.model}@${row.version}, not ${input.model}@${input.version}`,
    );
  }
  return toDeployment(row);
}

export async function listDeployments(db: Queryable, model: string): Promise<Deployment[]> {
  const res = await db.query<DeploymentRow>(
    `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments WHERE model = $1 ORDER BY deployed_at, id`,
    [model],
  );
  return res.rows.map(toDeployment);
}

/** The deployment whose interval [deployed_at, replaced_at) contains `at`. */
export async function deploymentAt(db: Queryable, model: string, at: string): Promise<Deployment | null> {
  const res = await db.query<DeploymentRow>(
    `SELECT ${DEPLOYMENT_COLUMNS} FROM deployments
      WHERE model = $1 AND deployed_at <= $2::timestamptz AND (replaced_at IS NULL OR replaced_at > $2::timestamptz)
      ORDER BY deployed_at DESC, id DESC LIMIT 1`,
    [model, timestampParam(at, 'deploymentAt time')],
  );
  const row = res.rows[0];
  return row ? toDeployment(row) : null;
}

interface DeployedRow {
  model: string;
  version: number;
  artifact_uri: string;
  artifact_sha256: string;
  features: unknown;
  label: unknown;
  profile_uri: string | null;
  deployed_at: Date;
}

/** Open deployments joined with their versions; `model` null lists every model. */
export async function listDeployed(db: Queryable, model: string | null): Promise<DeployedModel[]> {
  const res = await db.query<DeployedRow>(
    `SELECT d.model, d.version, v.artifact_uri, v.artifact_sha256, v.spec -> 'features' AS features,
            v.spec -> 'label' AS label, v.lineage ->> 'profileUri' AS profile_uri, d.deployed_at
       FROM deployments d JOIN model_versions v ON v.model = d.model AND v.version = d.version
      WHERE d.replaced_at IS NULL AND ($1::text IS NULL OR d.model = $1::text)
      ORDER BY d.model`,
    [model],
  );
  return res.rows.map((r) => ({
    model: r.model,
    version: num(r.version),
    artifactUri: r.artifact_uri,
    artifactSha256: r.artifact_sha256,
    features: r.features ?? null,
    label: r.label ?? null,
    profileUri: r.profile_uri ?? '',
    deployedAt: iso(r.deployed_at),
  }));
}
