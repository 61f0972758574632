import { randomUUID } from 'node:crypto';
import type { RequestCountEntry } from '../lib/registry/pg-request-counts.js';

/** Options of {@link RequestCounter}. */
export interface RequestCounterOptions {
  /** Where batches go, normally `registry.logRequestCounts` (idempotent on the batch id, so retries are safe). */
  write: (batchId: string, entries: RequestCountEntry[]) => Promise<void>;
  /** Flush period (default 1000 ms). */
  flushIntervalMs?: number;
  /** Most distinct (model, version, status, second) counters held while the registry is down (default 100,000). */
  maxKeys?: number;
  /** Called with the number of requests not counted because `maxKeys` was reached. */
  onDrop?: (count: number) => void;
  /** Called when a write fails (the batch is kept and retried with the same id). */
  onWriteError?: (error: unknown) => void;
  /** Clock (tests). */
  now?: () => number;
}

const SEP = '\u0000';

/**
 * Counts predict requests per model version, HTTP status and second, and writes the counts in batches: `record`
 * only increments an in-memory counter (the request path never waits on the registry). A failed batch is retried
 * with the same id until it is written; counts recorded meanwhile wait for the next batch.
 */
export class RequestCounter {
  private counts = new Map<string, number>();
  private pending: { batchId: string; entries: RequestCountEntry[] } | null = null;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly options: RequestCounterOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Counts one response of `model` v`version` with `status` (synchronous, never throws). */
  record(model: string, version: number, status: number): void {
    const bucket = Math.floor(this.now() / 1000) * 1000;
    const key = [model, version, status, bucket].join(SEP);
    const current = this.counts.get(key);
    if (current === undefined && this.counts.size >= (this.options.maxKeys ?? 100_000)) {
      this.options.onDrop?.(1);
      return;
    }
    this.counts.set(key, (current ?? 0) + 1);
  }

  /** Starts the periodic flush. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Writes the pending batch (if a previous write failed) and then the counts recorded so far. Never rejects. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    this.inFlight = this.drain().finally(() => {
      this.inFlight = null;
    });
    await this.inFlight;
  }

  /** Stops the timer and writes what is left (one attempt). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async drain(): Promise<void> {
    for (let i = 0; i < 2; i++) {
      if (!this.pending) {
        if (this.counts.size === 0) return;
        const entries = [...this.counts].map(([key, requests]) => {
          const [model, version, status, bucket] = key.split(SEP) as [string, string, string, string];
          return {
            model,
            version: Number(version),
            status: Number(status),
            bucket: new Date(Number(bucket)).toISOString(),
            requests,
          };
        });
        this.counts = new Map();
        this.pending = { batchId: randomUUID(), entries };
      }
      try {
        await this.options.write(this.pending.batchId, this.pending.entries);
        this.pending = null;
      } catch (error) {
        this.options.onWriteError?.(error);
        return;
      }
    }
  }
}
