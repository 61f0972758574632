/** The serving request counter: per-second buckets, batched writes, a failed batch retried with the same id. */
import { describe, expect, it } from 'vitest';
import type { RequestCountEntry } from '../../lib/registry/pg-request-counts.js';
import { RequestCounter } from '../../serving/request-counter.js';

describe('RequestCounter', () => {
  it('aggregates per model, version, status and second, and retries a failed batch under the same id', async () => {
    let now = Date.UTC(2026, 10, 23, 12, 0, 0, 200);
    const writes: Array<{ batchId: string; entries: RequestCountEntry[] }> = [];
    let failNext = true;
    const counter = new RequestCounter({
      now: () => now,
      write: async (batchId, entries) => {
        writes.push({ batchId, entries });
        if (failNext) {
          failNext = false;
          throw new Error('registry down');
        }
      },
    });
    counter.record('m', 1, 200);
    counter.record('m', 1, 200);
    counter.record('m', 1, 500);
    now += 1000;
    counter.record('m', 1, 400);
    await counter.flush(); // fails
    counter.record('m', 2, 200);
    await counter.flush(); // the failed batch again (same id), then the new counts
    expect(writes).toHaveLength(3);
    expect(writes[1]!.batchId).toBe(writes[0]!.batchId);
    expect(writes[1]!.entries).toEqual([
      { model: 'm', version: 1, status: 200, bucket: '2026-11-23T12:00:00.000Z', requests: 2 },
      { model: 'm', version: 1, status: 500, bucket: '2026-11-23T12:00:00.000Z', requests: 1 },
      { model: 'm', version: 1, status: 400, bucket: '2026-11-23T12:00:01.000Z', requests: 1 },
    ]);
    expect(writes[2]!.batchId).not.toBe(writes[0]!.batchId);
    expect(writes[2]!.entries).toEqual([
      { model: 'm', version: 2, status: 200, bucket: '2026-11-23T12:00:01.000Z', requests: 1 },
    ]);
    await counter.stop();
    expect(writes).toHaveLength(3); // nothing left
  });

  it('stops counting new keys beyond maxKeys and reports the drop', () => {
    let dropped = 0;
    const counter = new RequestCounter({ write: async () => undefined, maxKeys: 1, onDrop: (n) => (dropped += n) });
    counter.record('m', 1, 200);
    counter.record('m', 1, 200);
    counter.record('m', 1, 500);
    expect(dropped).toBe(1);
  });
});
