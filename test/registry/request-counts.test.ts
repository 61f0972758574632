/** Serving request counts (the monitor's error rate) on PostgreSQL: batches idempotent on their id, sums per version. */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase } from '../../infra/postgres-test.js';
import { createPgRegistry } from '../../lib/registry/pg-registry.js';

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let registry: ReturnType<typeof createPgRegistry>;

beforeAll(async () => {
  db = await createTestDatabase({ baseUrl: inject('databaseUrl'), prefix: 'mlops_request_counts' });
  registry = createPgRegistry({ connectionString: db.url, maxConnections: 2 });
  await registry.migrate();
});

afterAll(async () => {
  await registry?.close();
  await db?.drop();
});

describe('request counts', () => {
  it('sums requests per version by outcome over buckets in [from, to); a retried batch counts once', async () => {
    const at = (s: number): string => new Date(Date.UTC(2026, 10, 23, 12, 0, s)).toISOString();
    const batch = [
      { model: 'm', version: 1, status: 200, bucket: at(0), requests: 40 },
      { model: 'm', version: 1, status: 400, bucket: at(0), requests: 3 },
      { model: 'm', version: 1, status: 422, bucket: at(1), requests: 2 },
      { model: 'm', version: 1, status: 500, bucket: at(1), requests: 4 },
      { model: 'm', version: 2, status: 503, bucket: at(2), requests: 1 },
      { model: 'm', version: 1, status: 200, bucket: at(5), requests: 100 }, // outside [0 s, 5 s)
      { model: 'other', version: 1, status: 500, bucket: at(1), requests: 9 },
    ];
    await registry.logRequestCounts('batch-1', batch);
    await registry.logRequestCounts('batch-1', batch); // retried
    await registry.logRequestCounts('batch-2', [{ model: 'm', version: 1, status: 200, bucket: at(4), requests: 1 }]);
    await registry.logRequestCounts('batch-3', []);
    expect(await registry.readRequestCounts('m', at(0), at(5))).toEqual([
      { version: 1, total: 50, clientErrors: 5, serverErrors: 4 },
      { version: 2, total: 1, clientErrors: 0, serverErrors: 1 },
    ]);
    expect(await registry.readRequestCounts('m', at(10), at(20))).toEqual([]);
  });
});
