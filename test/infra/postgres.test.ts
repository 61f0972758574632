import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { connectTestDatabase, createTestDatabase, redactUrl, withDatabase } from '../../infra/postgres-test.js';

describe('PostgreSQL test databases', () => {
  it('creates a unique database, queries it, and drops it', async () => {
    const baseUrl = inject('databaseUrl');
    const db = await createTestDatabase({ baseUrl });
    const other = await createTestDatabase({ baseUrl });
    expect(db.name).not.toBe(other.name);
    await other.drop();

    const client = new pg.Client({ connectionString: db.url });
    client.on('error', () => undefined); // drop() terminates this session on purpose
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string; n: number }>('SELECT current_database() AS db, 40 + 2 AS n');
      expect(rows[0]).toEqual({ db: db.name, n: 42 });
      await client.query('CREATE TABLE t (id serial PRIMARY KEY, v text NOT NULL)');
      await client.query('INSERT INTO t (v) VALUES ($1), ($2)', ['a', 'b']);
      const count = await client.query<{ c: string }>('SELECT count(*) AS c FROM t');
      expect(count.rows[0]?.c).toBe('2');
    } finally {
      // Left open on purpose until after drop(): drop must force other sessions off.
      await db.drop();
      await client.end().catch(() => undefined);
    }
    await db.drop(); // idempotent

    const admin = await connectTestDatabase(baseUrl);
    try {
      const left = await admin.query('SELECT 1 FROM pg_database WHERE datname = ANY($1)', [[db.name, other.name]]);
      expect(left.rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });

  it('explains how to start PostgreSQL when none is reachable', async () => {
    const url = 'postgres://postgres:secret@127.0.0.1:1/postgres';
    const err = await connectTestDatabase(url).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain('PostgreSQL is not reachable at postgres://postgres:***@127.0.0.1:1/postgres');
    expect(message).toContain('TEST_DATABASE_URL');
    expect(message).not.toContain('secret');
    expect(redactUrl(withDatabase(url, 'x'))).toBe('postgres://postgres:***@127.0.0.1:1/x');
  });
});
