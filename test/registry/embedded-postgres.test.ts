/**
 * The embedded PGlite server as several processes use it: concurrent connections and processes, transactions that
 * exclude each other, clients vanishing mid-transaction, persistence, the data-directory lock, connection limits.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EmbeddedPostgresInUseError,
  findRunningEmbeddedPostgres,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../../infra/embedded-postgres.js';
import { RegistryUnavailableError } from '../../lib/registry/errors.js';
import { createPgRegistry } from '../../lib/registry/pg-registry.js';
import type { Deployment } from '../../lib/registry/types.js';
import { newVersion } from './helpers/fixtures.js';

const run = promisify(execFile);
const CHILD = fileURLToPath(new URL('./helpers/registry-child.ts', import.meta.url));

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

describe('embedded PostgreSQL server', () => {
  let dir: string;
  let server: EmbeddedPostgres | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'mlops-embedded-pg-'));
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves several processes with their own pools at once', async () => {
    server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pgdata'), port: 0 });
    expect(server.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    expect(server.port).toBeGreaterThan(0);
    expect(await findRunningEmbeddedPostgres(path.join(dir, 'pgdata'))).toBe(server.url);

    // Three processes (pool of 4 each) plus this one register versions of one model concurrently.
    const url = server.url;
    const children = [1, 2, 3].map((n) =>
      run(process.execPath, ['--import', 'tsx', CHILD, url, 'multi', `child${n}`, '10'], { timeout: 120_000 }),
    );
    const registry = createPgRegistry({ connectionString: url, maxConnections: 4 });
    try {
      await registry.migrate();
      const mine = await Promise.all(
        Array.from({ length: 10 }, (_, i) => registry.registerVersion(newVersion('multi', `parent-${i}`))),
      );
      const outputs = (await Promise.all(children)).map(
        (c) => JSON.parse(c.stdout) as { results: { version: number; created: boolean }[]; deployed: Deployment },
      );
      const versions = [...mine, ...outputs.flatMap((o) => o.results)].map((r) => r.version).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));

      const history = await registry.listDeployments('multi');
      expect(history).toHaveLength(3);
      expect(history.filter((d) => d.replacedAt === null)).toHaveLength(1);
      expect((await registry.listVersions('multi')).map((v) => v.version)).toEqual(versions);
    } finally {
      await registry.close();
    }
    // Closed pools leave no server-side connections behind.
    for (let i = 0; i < 50 && server.stats().connections > 0; i++) await sleep(20);
    expect(server.stats().connections).toBe(0);
  });

  it('persists across a restart and refuses a second server on the same data directory', async () => {
    const dataDir = path.join(dir, 'pgdata');
    const inUse = await startEmbeddedPostgres({ dataDir, port: 0 }).catch((e: unknown) => e);
    expect(inUse).toBeInstanceOf(EmbeddedPostgresInUseError);
    expect((inUse as EmbeddedPostgresInUseError).url).toBe(server!.url);
    expect((inUse as EmbeddedPostgresInUseError).pid).toBe(process.pid);
    await server!.stop();
    await server!.stop(); // idempotent
    expect(await findRunningEmbeddedPostgres(dataDir)).toBeNull();

    server = await startEmbeddedPostgres({ dataDir, port: 0 });
    const registry = createPgRegistry({ connectionString: server.url });
    try {
      expect(await registry.migrateVerbose()).toEqual([]);
      expect(await registry.listVersions('multi')).toHaveLength(40);
    } finally {
      await registry.close();
    }
  });

  it('fails clearly when the port is taken, leaving no lock behind', async () => {
    const dataDir = path.join(dir, 'other');
    await expect(startEmbeddedPostgres({ dataDir, port: server!.port })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
    expect(await findRunningEmbeddedPostgres(dataDir)).toBeNull();
  });

  it('runs one transaction at a time and rolls back a client that vanishes mid-transaction', async () => {
    const url = server!.url;
    const a = await connect(url);
    const b = await connect(url);
    try {
      await a.query('CREATE TABLE IF NOT EXISTS tx_probe (id int PRIMARY KEY)');
      await a.query('BEGIN');
      await a.query('INSERT INTO tx_probe VALUES ($1)', [1]);
      // b's statement waits while a's transaction is open.
      let bDone = false;
      const bQuery = b.query<{ n: number }>('SELECT count(*)::int AS n FROM tx_probe WHERE id = $1', [1]).then((r) => {
        bDone = true;
        return r;
      });
      await sleep(200);
      expect(bDone).toBe(false);
      expect(server!.stats().waiting).toBe(1);
      // a disappears without COMMIT: its transaction is rolled back and b proceeds.
      (a as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy();
      expect((await bQuery).rows[0]?.n).toBe(0);
      await b.query('BEGIN');
      await b.query('INSERT INTO tx_probe VALUES ($1)', [2]);
      await b.query('COMMIT');
      expect((await b.query('SELECT id FROM tx_probe ORDER BY id')).rows).toEqual([{ id: 2 }]);
    } finally {
      await a.end().catch(() => undefined);
      await b.end();
    }
  });

  it('keeps concurrent parameterized queries of different connections apart', async () => {
    const clients = await Promise.all([1, 2, 3, 4, 5, 6].map(() => connect(server!.url)));
    try {
      let wrong = 0;
      await Promise.all(
        clients.map(async (c, i) => {
          for (let k = 0; k < 100; k++) {
            const r = await c.query<{ a: number; b: string }>('SELECT $1::int AS a, $2::text AS b', [k, `c${i}`]);
            if (r.rows[0]?.a !== k || r.rows[0]?.b !== `c${i}`) wrong++;
          }
        }),
      );
      expect(wrong).toBe(0);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('refuses connections over the limit with a PostgreSQL error, and maps a stopped server to RegistryUnavailableError', async () => {
    const small = await startEmbeddedPostgres({ dataDir: 'memory://', port: 0, maxConnections: 1 });
    const first = await connect(small.url);
    const second = new pg.Client({ connectionString: small.url });
    second.on('error', () => undefined);
    await expect(second.connect()).rejects.toMatchObject({ code: '53300' });
    await first.end();

    const registry = createPgRegistry({ connectionString: small.url, maxConnections: 1, connectionTimeoutMs: 2000 });
    try {
      await registry.migrate();
      expect(await registry.listModels()).toEqual([]);
      await small.stop();
      const err = await registry.listModels().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RegistryUnavailableError);
      expect((err as RegistryUnavailableError).retryable).toBe(true);
    } finally {
      await registry.close();
      await small.stop();
    }
  });
});
