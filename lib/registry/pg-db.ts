/** Plumbing shared by the PostgreSQL registry modules: queries, transactions, migrations, value conversion. */
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import type pg from 'pg';
import { isConnectionError, toRegistryError } from './errors.js';

/** Anything that runs a query: the pool or a client checked out of it. */
export type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** Directory of the versioned SQL migrations (`migrations/` at the repository root). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));
export const MIGRATIONS_TABLE = 'mlops_migrations';

/** SQLSTATEs after which a whole transaction may simply be run again. */
const RETRY_TRANSACTION = new Set(['40001', '40P01']);
const UNIQUE_VIOLATION = '23505';

export function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (pgCode(err) !== UNIQUE_VIOLATION) return false;
  return constraint === undefined || (err as { constraint?: unknown }).constraint === constraint;
}

/** Runs `fn` and maps its failure to registry errors (connection failures become `RegistryUnavailableError`). */
export async function guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toRegistryError(err, operation);
  }
}

/**
 * Runs `fn` in a transaction on one pooled client. Serialization failures and deadlocks run it again (up to 3 times),
 * and so does a unique violation when `retryOnUnique` says so (a concurrent writer won a race; the retry reads its
 * row). A client whose connection broke is discarded instead of going back to the pool.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  options: { retryOnUnique?: (err: unknown) => boolean } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let discard = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      discard = isConnectionError(err);
      if (!discard) {
        await client.query('ROLLBACK').catch(() => {
          discard = true;
        });
      }
      const code = pgCode(err);
      const again = (code !== undefined && RETRY_TRANSACTION.has(code)) || (options.retryOnUnique?.(err) ?? false);
      if (!again || attempt >= 3) throw err;
    } finally {
      client.release(discard);
    }
  }
}

export interface MigrateLogger {
  debug?: (msg: string) => void;
  info: (msg: string) => void;
  warn: (msg: string) => void;
  error: (msg: string) => void;
}

const quietLogger: MigrateLogger = {
  info: () => undefined,
  warn: (msg) => console.warn(`[registry migrate] ${msg}`),
  error: (msg) => console.error(`[registry migrate] ${msg}`),
};

/**
 * Applies pending migrations from {@link MIGRATIONS_DIR} with node-pg-migrate: all pending files in one transaction,
 * recorded in `mlops_migrations`, under node-pg-migrate's advisory lock (waiting for it), so that workers starting at
 * once apply them exactly once on PostgreSQL. On the embedded server all connections share one session and the
 * advisory lock does not exclude; there a racing migrator fails on "already exists" and the retry finds nothing to do.
 * Returns the names of the migrations applied.
 */
export async function migrate(pool: pg.Pool, logger: MigrateLogger = quietLogger): Promise<string[]> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    // Warnings and errors of an attempt are held back: a lost race is retried and should not flood stderr.
    const held: Array<['warn' | 'error', string]> = [];
    const flush = (): void => held.forEach(([level, msg]) => logger[level](msg));
    const client = await pool.connect();
    let discard = false;
    try {
      const applied = await runner({
        dbClient: client,
        dir: MIGRATIONS_DIR,
        // Only *.sql files are migrations (a README or editor backup must never be run).
        ignorePattern: '(?:(?!.*\\.sql$)|\\.).*',
        migrationsTable: MIGRATIONS_TABLE,
        direction: 'up',
        singleTransaction: true,
        checkOrder: true,
        advisoryLockMode: 'wait',
        logger: {
          ...(logger.debug ? { debug: logger.debug } : {}),
          info: logger.info,
          warn: (msg: string) => held.push(['warn', msg]),
          error: (msg: string) => held.push(['error', msg]),
        },
      });
      flush();
      return applied.map((m) => m.name);
    } catch (err) {
      lastError = err;
      discard = isConnectionError(err);
      if (discard || attempt === 3) {
        flush();
        break;
      }
      await new Promise((r) => setTimeout(r, 50 * attempt));
    } finally {
      client.release(discard);
    }
  }
  throw lastError;
}

// --- value conversion ---------------------------------------------------------------------------------------------

/** ISO string of a timestamptz column value (pg returns Date). */
export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

export function isoOrNull(value: Date | string | null): string | null {
  return value === null ? null : iso(value);
}

/** Integer column value: pg returns int4 as number but int8/numeric as string. */
export function num(value: number | string): number {
  return typeof value === 'number' ? value : Number(value);
}

export function numOrNull(value: number | string | null): number | null {
  return value === null ? null : num(value);
}

/**
 * JSON parameter for a `$n::jsonb` placeholder. Always stringify ourselves: pg would turn a JS array into a
 * PostgreSQL array literal. `undefined` becomes SQL NULL.
 */
export function jsonParam(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/** Validates an ISO timestamp parameter (a malformed one is a caller bug, not a database error). */
export function timestampParam(value: string, what: string): string {
  if (Number.isNaN(Date.parse(value))) throw new TypeError(`registry: ${what} is not a valid timestamp: ${value}`);
  return value;
}
