/**
 * How registry failures surface: connection problems (refused, server-side termination 57P01) become the retryable
 * RegistryUnavailableError; an idle connection killed by the server does not crash the process.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../infra/postgres-test.js';
import {
  isConnectionError,
  RegistryConflictError,
  RegistryNotFoundError,
  RegistryUnavailableError,
  toRegistryError,
} from '../../lib/registry/errors.js';
import { createPgRegistry, type PgModelRegistry } from '../../lib/registry/pg-registry.js';
import { newVersion } from './helpers/fixtures.js';

describe('registry error mapping', () => {
  it('classifies connection errors by code and message', () => {
    const withCode = (code: string): Error => Object.assign(new Error('x'), { code });
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03', '53300', '08006', '40001']) {
      expect(isConnectionError(withCode(code)), code).toBe(true);
    }
    for (const code of ['23505', '42P01', '22P02']) expect(isConnectionError(withCode(code)), code).toBe(false);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isConnectionError(new AggregateError([withCode('ECONNREFUSED')], 'x'))).toBe(true);
    expect(isConnectionError(new RegistryNotFoundError('model', 'm'))).toBe(false);

    const mapped = toRegistryError(withCode('57P01'), 'op');
    expect(mapped).toBeInstanceOf(RegistryUnavailableError);
    expect(mapped).toMatchObject({ name: 'RegistryUnavailableError', retryable: true, code: '57P01' });
    const conflict = new RegistryConflictError('c');
    expect(toRegistryError(conflict, 'op')).toBe(conflict);
    expect(conflict).toMatchObject({ name: 'RegistryConflictError', retryable: false });
    const other = withCode('42P01');
    expect(toRegistryError(other, 'op')).toBe(other);
  });

  it('maps a refused connection to RegistryUnavailableError', async () => {
    const registry = createPgRegistry({ connectionString: 'postgres://postgres:x@127.0.0.1:1/postgres' });
    try {
      const err = await registry.listModels().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryUnavailableError);
      expect((err as RegistryUnavailableError).code).toBe('ECONNREFUSED');
      await expect(registry.migrate()).rejects.toBeInstanceOf(RegistryUnavailableError);
    } finally {
      await registry.close();
    }
  });

  describe('on PostgreSQL', () => {
    let db: TestDatabase;
    let registry: PgModelRegistry;
    let admin: pg.Client;

    beforeAll(async () => {
      db = await createTestDatabase({ baseUrl: inject('databaseUrl'), prefix: 'mlops_registry_err' });
      registry = createPgRegistry({
        connectionString: db.url,
        maxConnections: 2,
        applicationName: 'registry-under-test',
      });
      await registry.migrate();
      admin = new pg.Client({ connectionString: db.url });
      await admin.connect();
    });

    afterAll(async () => {
      await admin?.end();
      await registry?.close();
      await db?.drop();
    });

    const terminateRegistryBackends = (): Promise<unknown> =>
      admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE application_name = 'registry-under-test' AND datname = current_database()`,
      );

    it('survives idle connections being terminated by the server (57P01)', async () => {
      await registry.registerVersion(newVersion('err', 'run-err-1'));
      await terminateRegistryBackends();
      await new Promise((r) => setTimeout(r, 200));
      // The pool dropped the dead clients (without an unhandled 'error' crashing the process) and reconnects.
      expect((await registry.listVersions('err')).map((v) => v.version)).toEqual([1]);
    });

    it('maps a query killed by an administrator (57P01) to RegistryUnavailableError', async () => {
      // Hold the model's row lock so that recordDeployment waits inside the server, then kill its backend.
      await admin.query('BEGIN');
      await admin.query('SELECT name FROM models WHERE name = $1 FOR UPDATE', ['err']);
      const pending = registry
        .recordDeployment({ model: 'err', version: 1, runId: 'dep-err-1' })
        .catch((e: unknown) => e);
      for (let i = 0; i < 100; i++) {
        const waiting = await admin.query(
          `SELECT 1 FROM pg_stat_activity WHERE application_name = 'registry-under-test' AND wait_event_type = 'Lock'`,
        );
        if (waiting.rowCount) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await terminateRegistryBackends();
      const err = await pending;
      await admin.query('ROLLBACK');
      expect(err).toBeInstanceOf(RegistryUnavailableError);
      expect((err as RegistryUnavailableError).code).toBe('57P01');
      // Retrying (as Temporal would) succeeds, exactly once.
      const d = await registry.recordDeployment({ model: 'err', version: 1, runId: 'dep-err-1' });
      expect(await registry.recordDeployment({ model: 'err', version: 1, runId: 'dep-err-1' })).toEqual(d);
    });
  });
});
