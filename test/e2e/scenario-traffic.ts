import { expect } from 'vitest';
import type { MonitorWindowReport } from '../../contracts/monitoring.js';
import { generateTraffic } from '../../lib/data/generate-churn.js';
import type { PgModelRegistry } from '../../lib/registry/pg-registry.js';
import type { E2eStack } from './e2e-stack.js';

/** What the traffic looks like: generator options and whether ground-truth feedback follows each batch. */
export interface TrafficMode {
  covariateShift?: number;
  conceptDrift?: number;
  feedback: boolean;
}

/**
 * Churn traffic to the serving app: a batch of predict requests every `intervalMs` and, in modes with feedback, the
 * true labels right after. The mode can change while it runs; {@link ScenarioTraffic.switch} returns once every
 * later prediction follows the new mode.
 */
export class ScenarioTraffic {
  /** Rejected requests (a failing batch fails the scenario at `stop`). */
  readonly errors: string[] = [];
  private running = false;
  private loop: Promise<void> | null = null;
  private waiting: Array<() => void> = [];

  constructor(
    private readonly servingUrl: string,
    private readonly model: string,
    private mode: TrafficMode,
    private seed: number,
    private readonly opts = { batchSize: 100, intervalMs: 200 },
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Changes the mode; resolves (with the ISO time) once the batch in flight under the old mode is done. */
  async switch(mode: TrafficMode): Promise<string> {
    this.mode = mode;
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    return new Date().toISOString();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const mode = this.mode;
      for (const resolve of this.waiting.splice(0)) resolve();
      const { feedback: withFeedback, ...generator } = mode;
      const { records, labels } = generateTraffic({ rows: this.opts.batchSize, seed: this.seed++, ...generator });
      try {
        const res = await post(`${this.servingUrl}/v1/models/${this.model}/predict`, { records });
        if (!res.ok) throw new Error(`predict ${res.status}: ${(await res.text()).slice(0, 200)}`);
        const { predictions } = (await res.json()) as { predictions: Array<{ predictionId: string }> };
        if (withFeedback) {
          const feedback = predictions.map((p, i) => ({ predictionId: p.predictionId, label: labels[i] }));
          const fb = await post(`${this.servingUrl}/v1/models/${this.model}/feedback`, { feedback });
          if (fb.status !== 202) throw new Error(`feedback ${fb.status}: ${(await fb.text()).slice(0, 200)}`);
        }
      } catch (err) {
        this.errors.push((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, this.opts.intervalMs));
    }
  }
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** One stored window: the `monitor_reports` row. */
export interface StoredWindow {
  status: string;
  report: MonitorWindowReport;
}

/** The monitor's stored windows of `model`, oldest first, read from the registry's `monitor_reports` table. */
export async function storedWindows(stack: E2eStack, model: string): Promise<StoredWindow[]> {
  const registry = stack.deps.registry as Partial<PgModelRegistry>;
  if (!registry.pool) throw new Error('the e2e stack has no PostgreSQL registry');
  const res = await registry.pool.query<StoredWindow>(
    'SELECT status, report FROM monitor_reports WHERE model = $1 ORDER BY window_end',
    [model],
  );
  return res.rows;
}

/**
 * Checks what a judged window stored: the registry row agrees with the report, whose artifact (at the row's
 * `reportUri`) is the same report, and the served traffic's latency quantiles are there.
 */
export async function expectStoredReport(stack: E2eStack, stored: StoredWindow): Promise<void> {
  const { report } = stored;
  expect(stored.status).toBe(report.status);
  expect(report.latencyMs?.p50, report.summary).toBeGreaterThan(0);
  expect(report.latencyMs?.p99).toBeGreaterThanOrEqual(report.latencyMs?.p50 ?? Infinity);
  expect(report.reportUri).toMatch(/^file:\/\/.*\/monitoring\/.*\.json$/);
  const artifact = JSON.parse(new TextDecoder().decode(await stack.deps.artifacts.get(report.reportUri!))) as unknown;
  // The artifact is written first; the row then records where it lies.
  expect(artifact).toEqual({ ...report, reportUri: null });
}

/** Polls `probe` every 500 ms until it returns a value other than null (throws after `timeoutMs`). */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
