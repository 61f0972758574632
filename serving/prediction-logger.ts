import { setTimeout as delay } from 'node:timers/promises';
import type { PredictionLogEntry } from '../lib/registry/types.js';

/** Options of {@link PredictionLogger}. */
export interface PredictionLoggerOptions {
  /** Where batches go, normally `registry.logPredictions` (idempotent on `predictionId`, so retries are safe). */
  write: (entries: PredictionLogEntry[]) => Promise<void>;
  /** Flush period (default 500 ms). */
  flushIntervalMs?: number;
  /** Entries per write; reaching this many buffered entries also triggers a flush (default 500). */
  batchSize?: number;
  /** Most entries held; beyond it the oldest are dropped (default 50,000). */
  maxBuffered?: number;
  /** Longest {@link PredictionLogger.stop} waits for the final flush (default 5,000 ms). */
  stopTimeoutMs?: number;
  /** Called with the number of entries dropped. */
  onDrop?: (count: number) => void;
  /** Called when a write fails (the batch stays buffered and is retried). */
  onWriteError?: (error: unknown, batchSize: number) => void;
}

/**
 * Batched, bounded, never-blocking prediction log.
 *
 * `log` only appends to an in-memory buffer. Batches are written every `flushIntervalMs` or as soon as `batchSize`
 * entries are waiting; one write is in flight at a time. When the registry is down the batch is put back and retried
 * on the next tick, and once `maxBuffered` is exceeded the oldest entries are dropped and counted: requests are never
 * slowed down by logging. `stop` writes what is left (bounded by `stopTimeoutMs`).
 */
export class PredictionLogger {
  private buffer: PredictionLogEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private failing = false;
  private stopped = false;
  /** Entries of the write in flight (not yet confirmed). */
  private writing = 0;
  private droppedTotal = 0;
  private writtenTotal = 0;
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly stopTimeoutMs: number;

  constructor(private readonly options: PredictionLoggerOptions) {
    this.flushIntervalMs = options.flushIntervalMs ?? 500;
    this.batchSize = options.batchSize ?? 500;
    this.maxBuffered = Math.max(options.maxBuffered ?? 50_000, this.batchSize);
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  }

  /** Entries waiting to be written. */
  get buffered(): number {
    return this.buffer.length;
  }

  /** Entries dropped since creation. */
  get dropped(): number {
    return this.droppedTotal;
  }

  /** Entries written since creation. */
  get written(): number {
    return this.writtenTotal;
  }

  /** Starts the periodic flush. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.flushInBackground(), this.flushIntervalMs);
    this.timer.unref();
  }

  /** Buffers entries (synchronous, never throws, never waits on the registry). After `stop` they are dropped. */
  log(entries: readonly PredictionLogEntry[]): void {
    if (this.stopped) {
      this.drop(entries.length);
      return;
    }
    for (const entry of entries) this.buffer.push(entry);
    this.trim();
    if (this.buffer.length >= this.batchSize && !this.failing) this.flushInBackground();
  }

  /** Writes everything buffered now; resolves when the buffer is empty or a write failed. */
  async flush(): Promise<void> {
    while (this.inFlight) await this.inFlight;
    this.inFlight = this.drain().finally(() => {
      this.inFlight = null;
    });
    await this.inFlight;
  }

  /** Stops the timer and writes what is left; whatever cannot be written in time is counted as dropped. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timeout = setTimeout(resolve, this.stopTimeoutMs);
    });
    const deadline = Date.now() + this.stopTimeoutMs;
    const finalFlush = async (): Promise<void> => {
      // Keep retrying (a registry blip during shutdown) until empty or out of time.
      while (!this.stopped) {
        await this.flush();
        if (this.buffer.length === 0 || Date.now() >= deadline) return;
        await delay(100);
      }
    };
    try {
      await Promise.race([finalFlush(), timedOut]);
    } finally {
      clearTimeout(timeout);
    }
    // Whatever is still buffered or in a write that did not finish in time is given up on.
    this.stopped = true;
    const left = this.buffer.length + this.writing;
    this.buffer = [];
    this.writing = 0;
    this.drop(left);
  }

  private flushInBackground(): void {
    if (this.inFlight || this.buffer.length === 0) return;
    // drain() reports failures through onWriteError and never rejects.
    void this.flush();
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0 && !this.stopped) {
      const batch = this.buffer.splice(0, this.batchSize);
      this.writing = batch.length;
      try {
        await this.options.write(batch);
        if (this.stopped) return;
        this.writing = 0;
        this.writtenTotal += batch.length;
        this.failing = false;
      } catch (error) {
        if (this.stopped) return;
        this.writing = 0;
        this.failing = true;
        // Put the batch back in front (oldest first) and let the next tick retry.
        this.buffer = batch.concat(this.buffer);
        this.trim();
        this.options.onWriteError?.(error, batch.length);
        return;
      }
    }
  }

  private trim(): void {
    const overflow = this.buffer.length - this.maxBuffered;
    if (overflow > 0) {
      this.buffer.splice(0, overflow);
      this.drop(overflow);
    }
  }

  private drop(count: number): void {
    if (count === 0) return;
    this.droppedTotal += count;
    this.options.onDrop?.(count);
  }
}
