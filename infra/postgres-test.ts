/**
 * PostgreSQL for tests: a real server from `TEST_DATABASE_URL` (CI sets it) or the conventional local default,
 * and throwaway databases on it. There is no silent skip: an unreachable server is a clear error.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Used when `TEST_DATABASE_URL` is unset. */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres:postgres@127.0.0.1:5432/postgres';

/** The base URL tests connect to: `TEST_DATABASE_URL`, else {@link DEFAULT_TEST_DATABASE_URL}. */
export function testDatabaseUrl(): string {
  return process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

/** `url` with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparsable database URL>';
  }
}

/** `url` pointing at database `name` instead (credentials, host and query kept). */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

const HOW_TO_START = [
  'Start PostgreSQL and/or point TEST_DATABASE_URL at it, for example:',
  '  Debian/Ubuntu: apt-get install -y postgresql && pg_ctlcluster <version> main start',
  `                 su postgres -c "psql -c \\"ALTER USER postgres PASSWORD 'postgres'\\""`,
  '  Docker:        docker run -d -p 5432:5432 -e POSTGRES_PASSWORD=postgres postgres:16',
  '  Or run `bash .ci/run`, which does the Debian steps.',
].join('\n');

/** Connects to `url` (default {@link testDatabaseUrl}) or throws an error saying how to start PostgreSQL. */
export async function connectTestDatabase(url: string = testDatabaseUrl()): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    return client;
  } catch (err) {
    await client.end().catch(() => undefined);
    const reason = err instanceof Error ? err.message || err.name : String(err);
    throw new Error(`PostgreSQL is not reachable at ${redactUrl(url)} (${reason}).\n${HOW_TO_START}`, { cause: err });
  }
}

/** Returns the server version string, or throws the error of {@link connectTestDatabase}. */
export async function assertPostgresReachable(url: string = testDatabaseUrl()): Promise<string> {
  const client = await connectTestDatabase(url);
  try {
    const res = await client.query<{ server_version: string }>('SHOW server_version');
    return res.rows[0]?.server_version ?? 'unknown';
  } finally {
    await client.end();
  }
}

/** A database made for one test file or test. */
export interface TestDatabase {
  /** Connection URL of the new database. */
  url: string;
  /** Its name. */
  name: string;
  /** Drops it, disconnecting any session still on it. Safe to call twice. */
  drop(): Promise<void>;
}

/** Options for {@link createTestDatabase}. */
export interface CreateTestDatabaseOptions {
  /** Server URL to create it on (default {@link testDatabaseUrl}). */
  baseUrl?: string;
  /** Name prefix, lowercase letters, digits and `_` (default `mlops_test`). */
  prefix?: string;
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Creates a uniquely named empty database on the test server. */
export async function createTestDatabase(opts: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const baseUrl = opts.baseUrl ?? testDatabaseUrl();
  const prefix = opts.prefix ?? 'mlops_test';
  if (!/^[a-z_][a-z0-9_]*$/.test(prefix)) throw new Error(`invalid database name prefix: ${prefix}`);
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`.slice(0, 63);
  const admin = await connectTestDatabase(baseUrl);
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
  } finally {
    await admin.end();
  }
  let dropped = false;
  return {
    url: withDatabase(baseUrl, name),
    name,
    async drop() {
      if (dropped) return;
      const client = await connectTestDatabase(baseUrl);
      try {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      } catch (err) {
        // WITH (FORCE) needs PostgreSQL 13+; older servers: end other sessions first.
        if ((err as { code?: string }).code !== '42601') throw err;
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      } finally {
        await client.end();
      }
      dropped = true;
    },
  };
}
