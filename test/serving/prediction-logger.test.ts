/** The batched prediction log: batching by size and time, a bounded buffer while the registry is down, flush on stop. */
import { describe, expect, it } from 'vitest';
import type { PredictionLogEntry } from '../../lib/registry/types.js';
import { PredictionLogger } from '../../serving/prediction-logger.js';

const entry = (i: number): PredictionLogEntry => ({
  predictionId: `p${i}`,
  model: 'churn',
  version: 1,
  features: { x: i },
  prediction: '1',
  score: 0.5,
  latencyMs: 1,
  createdAt: new Date().toISOString(),
});
const entries = (from: number, count: number): PredictionLogEntry[] =>
  Array.from({ length: count }, (_, i) => entry(from + i));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PredictionLogger', () => {
  it('writes a full batch at once and the rest on the timer', async () => {
    const batches: string[][] = [];
    const log = new PredictionLogger({
      write: async (b) => void batches.push(b.map((e) => e.predictionId)),
      flushIntervalMs: 200,
      batchSize: 500,
    });
    log.start();
    log.log(entries(0, 499));
    await sleep(20);
    expect(batches).toEqual([]);
    log.log(entries(499, 2));
    await sleep(20);
    expect(batches.map((b) => b.length)).toEqual([500, 1]);
    log.log(entries(501, 3));
    await sleep(20);
    expect(batches).toHaveLength(2);
    await sleep(300);
    expect(batches.map((b) => b.length)).toEqual([500, 1, 3]);
    expect(batches.flat()).toEqual(entries(0, 504).map((e) => e.predictionId));
    expect(log.written).toBe(504);
    await log.stop();
  });

  it('never blocks while the registry is down, drops the oldest beyond the bound, and retries in order', async () => {
    let down = true;
    const written: string[] = [];
    let dropped = 0;
    let failures = 0;
    const log = new PredictionLogger({
      write: async (b) => {
        if (down) throw new Error('registry down');
        written.push(...b.map((e) => e.predictionId));
      },
      flushIntervalMs: 50,
      batchSize: 10,
      maxBuffered: 100,
      onDrop: (n) => (dropped += n),
      onWriteError: () => (failures += 1),
    });
    log.start();
    const started = performance.now();
    for (let i = 0; i < 150; i += 10) log.log(entries(i, 10));
    expect(performance.now() - started).toBeLessThan(50);
    await sleep(150);
    expect(failures).toBeGreaterThan(0);
    expect(log.buffered).toBe(100);
    expect(dropped).toBe(50);
    expect(log.dropped).toBe(50);
    down = false;
    await sleep(200);
    expect(written).toEqual(entries(50, 100).map((e) => e.predictionId));
    expect(log.buffered).toBe(0);
    await log.stop();
  });

  it('flushes what is left on stop, and counts what cannot be written as dropped', async () => {
    const written: string[] = [];
    const log = new PredictionLogger({
      write: async (b) => void written.push(...b.map((e) => e.predictionId)),
      flushIntervalMs: 10_000,
    });
    log.start();
    log.log(entries(0, 7));
    await log.stop();
    expect(written).toHaveLength(7);

    const failing = new PredictionLogger({
      write: () => Promise.reject(new Error('down')),
      flushIntervalMs: 10_000,
      stopTimeoutMs: 200,
    });
    failing.log(entries(0, 3));
    await failing.stop();
    expect(failing.dropped).toBe(3);
    expect(failing.buffered).toBe(0);

    const hanging = new PredictionLogger({
      write: () => new Promise(() => {}),
      flushIntervalMs: 10_000,
      stopTimeoutMs: 100,
    });
    hanging.log(entries(0, 2));
    const t0 = Date.now();
    await hanging.stop();
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(hanging.dropped).toBe(2);
  });
});
