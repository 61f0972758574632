/** Models, versions, aliases and tags on PostgreSQL. */
import type pg from 'pg';
import { RegistryConflictError, RegistryNotFoundError } from './errors.js';
import { iso, isUniqueViolation, jsonParam, num, numOrNull, type Queryable, withTransaction } from './pg-db.js';
import type { Lineage, ModelSummary, ModelVersion, NewModelVersion } from './types.js';

/** The alias that `recordDeployment` moves; `setAlias` refuses it so that it never disagrees with the deployments. */
export const CHAMPION_ALIAS = 'champion';

interface VersionRow {
  model: string;
  version: number;
  run_id: string;
  artifact_uri: string;
  artifact_sha256: string;
  metrics: Record<string, number>;
  lineage: Lineage;
  spec: unknown;
  decision: unknown;
  trigger: string;
  created_at: Date;
  aliases: string[] | null;
}

const VERSION_COLUMNS = `
  v.model, v.version, v.run_id, v.artifact_uri, v.artifact_sha256, v.metrics, v.lineage, v.spec, v.decision,
  v.trigger, v.created_at,
  (SELECT array_agg(a.alias ORDER BY a.alias) FROM aliases a WHERE a.model = v.model AND a.version = v.version)
    AS aliases`;

function toVersion(row: VersionRow): ModelVersion {
  return {
    model: row.model,
    version: num(row.version),
    runId: row.run_id,
    artifactUri: row.artifact_uri,
    artifactSha256: row.artifact_sha256,
    metrics: row.metrics,
    lineage: row.lineage,
    spec: row.spec,
    decision: row.decision,
    trigger: row.trigger,
    createdAt: iso(row.created_at),
    aliases: row.aliases ?? [],
  };
}

/** Locks the model's row (serializes writers of one model); false when the model does not exist. */
export async function lockModel(client: pg.PoolClient, model: string): Promise<boolean> {
  const res = await client.query('SELECT name FROM models WHERE name = $1 FOR UPDATE', [model]);
  return res.rowCount === 1;
}

export async function touchModel(client: pg.PoolClient, model: string): Promise<void> {
  await client.query(`UPDATE models SET updated_at = date_trunc('milliseconds', clock_timestamp()) WHERE name = $1`, [
    model,
  ]);
}

export async function versionExists(db: Queryable, model: string, version: number): Promise<boolean> {
  const res = await db.query('SELECT 1 FROM model_versions WHERE model = $1 AND version = $2', [model, version]);
  return res.rowCount === 1;
}

export async function registerVersion(
  pool: pg.Pool,
  input: NewModelVersion,
): Promise<{ version: number; created: boolean }> {
  return withTransaction(
    pool,
    async (client) => {
      await client.query('INSERT INTO models (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [input.model]);
      await lockModel(client, input.model);
      const existing = await client.query<{ model: string; version: number; artifact_sha256: string }>(
        'SELECT model, version, artifact_sha256 FROM model_versions WHERE run_id = $1',
        [input.runId],
      );
      const found = existing.rows[0];
      if (found) {
        if (found.model !== input.model) {
          throw new RegistryConflictError(
            `registry: run ${input.runId} already registered version ${found.version} of model ${found.model}, not ${input.model}`,
          );
        }
        if (found.artifact_sha256 !== input.artifactSha256) {
          // The same run produced different bytes (e.g. a reset run retrained into the same key): never let the
          // version silently point at an artifact that no longer matches its checksum.
          throw new RegistryConflictError(
            `registry: run ${input.runId} already registered ${found.model} v${found.version} with artifact sha256 ` +
              `${found.artifact_sha256}, but this attempt has ${input.artifactSha256}`,
          );
        }
        return { version: num(found.version), created: false };
      }
      const next = await client.query<{ next: number }>(
        'SELECT (COALESCE(MAX(version), 0) + 1)::int AS next FROM model_versions WHERE model = $1',
        [input.model],
      );
      const version = num(next.rows[0]?.next ?? 1);
      await client.query(
        `INSERT INTO model_versions
           (model, version, run_id, artifact_uri, artifact_sha256, metrics, lineage, spec, decision, trigger, created_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb, $9::jsonb, $10,
                 date_trunc('milliseconds', clock_timestamp()))`,
        [
          input.model,
          version,
          input.runId,
          input.artifactUri,
          input.artifactSha256,
          jsonParam(input.metrics),
          jsonParam(input.lineage),
          jsonParam(input.spec),
          jsonParam(input.decision),
          input.trigger,
        ],
      );
      await touchModel(client, input.model);
      return { version, created: true };
    },
    // The same run registered concurrently for another model: the retry reads the winner's row and reports it.
    { retryOnUnique: (err) => isUniqueViolation(err, 'model_versions_run_id_key') },
  );
}

export async function getVersion(db: Queryable, model: string, version: number): Promise<ModelVersion | null> {
  const res = await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM model_versions v WHERE v.model = $1 AND v.version = $2`,
    [model, version],
  );
  const row = res.rows[0];
  return row ? toVersion(row) : null;
}

export async function getVersionByAlias(db: Queryable, model: string, alias: string): Promise<ModelVersion | null> {
  const res = await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS}
       FROM aliases al JOIN model_versions v ON v.model = al.model AND v.version = al.version
      WHERE al.model = $1 AND al.alias = $2`,
    [model, alias],
  );
  const row = res.rows[0];
  return row ? toVersion(row) : null;
}

export async function listVersions(db: Queryable, model: string): Promise<ModelVersion[]> {
  const res = await db.query<VersionRow>(
    `SELECT ${VERSION_COLUMNS} FROM model_versions v WHERE v.model = $1 ORDER BY v.version`,
    [model],
  );
  return res.rows.map(toVersion);
}

export async function listModels(db: Queryable): Promise<ModelSummary[]> {
  const res = await db.query<{
    model: string;
    latest_version: number;
    champion_version: number | null;
    versions: number;
    updated_at: Date;
  }>(
    `SELECT m.name AS model, MAX(v.version)::int AS latest_version, COUNT(*)::int AS versions,
            (SELECT a.version FROM aliases a WHERE a.model = m.name AND a.alias = $1) AS champion_version,
            m.updated_at
       FROM models m JOIN model_versions v ON v.model = m.name
      GROUP BY m.name, m.updated_at
      ORDER BY m.name`,
    [CHAMPION_ALIAS],
  );
  return res.rows.map((r) => ({
    model: r.model,
    latestVersion: num(r.latest_version),
    championVersion: numOrNull(r.champion_version),
    versions: num(r.versions),
    updatedAt: iso(r.updated_at),
  }));
}

export async function setAlias(pool: pg.Pool, model: string, alias: string, version: number): Promise<void> {
  if (alias === CHAMPION_ALIAS) {
    throw new RegistryConflictError(`registry: the "${CHAMPION_ALIAS}" alias moves only with recordDeployment`);
  }
  if (alias.trim() === '') throw new RegistryConflictError('registry: empty alias');
  await withTransaction(pool, async (client) => {
    if (!(await lockModel(client, model))) throw new RegistryNotFoundError('model', model);
    if (!(await versionExists(client, model, version)))
      throw new RegistryNotFoundError('version', `${model}@${version}`);
    await upsertAlias(client, model, alias, version);
    await touchModel(client, model);
  });
}

export async function upsertAlias(client: pg.PoolClient, model: string, alias: string, version: number): Promise<void> {
  await client.query(
    `INSERT INTO aliases (model, alias, version, updated_at)
     VALUES ($1, $2, $3, date_trunc('milliseconds', clock_timestamp()))
     ON CONFLICT (model, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at`,
    [model, alias, version],
  );
}

export async function setTags(
  pool: pg.Pool,
  model: string,
  version: number,
  tags: Record<string, string>,
): Promise<void> {
  const entries = Object.entries(tags);
  await withTransaction(pool, async (client) => {
    if (!(await versionExists(client, model, version)))
      throw new RegistryNotFoundError('version', `${model}@${version}`);
    if (entries.length === 0) return;
    await client.query(
      `INSERT INTO tags (model, version, key, value)
       SELECT $1, $2, t.key, t.value FROM jsonb_each_text($3::jsonb) AS t(key, value)
       ON CONFLICT (model, version, key) DO UPDATE SET value = EXCLUDED.value`,
      [model, version, jsonParam(Object.fromEntries(entries))],
    );
  });
}

export async function getTags(db: Queryable, model: string, version: number): Promise<Record<string, string>> {
  const res = await db.query<{ key: string; value: string }>(
    'SELECT key, value FROM tags WHERE model = $1 AND version = $2 ORDER BY key',
    [model, version],
  );
  return Object.fromEntries(res.rows.map((r) => [r.key, r.value]));
}
