import { generateTraffic } from '../lib/data/generate-churn.js';

/** Counters of a traffic run. */
export interface TrafficStats {
  requests: number;
  predictions: number;
  feedback: number;
  errors: number;
  lastVersion: number | null;
  lastError: string | null;
}

/**
 * Sends generated churn traffic to the serving process in batches (and, with `feedback`, the true labels a little
 * later, as a real label pipeline would), until stopped. `drift` can be changed while it runs.
 */
export class TrafficGenerator {
  readonly stats: TrafficStats = {
    requests: 0,
    predictions: 0,
    feedback: 0,
    errors: 0,
    lastVersion: null,
    lastError: null,
  };
  drift = 0;
  private running = false;
  private loop: Promise<void> | null = null;
  private seed = 1000;

  constructor(
    private readonly servingUrl: string,
    private readonly model: string,
    private readonly opts: { batchSize: number; intervalMs: number; feedback: boolean },
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const { records, labels } = generateTraffic({ rows: this.opts.batchSize, seed: this.seed++, drift: this.drift });
      try {
        const res = await fetch(`${this.servingUrl}/v1/models/${this.model}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ records }),
        });
        this.stats.requests++;
        if (!res.ok) throw new Error(`predict ${res.status}: ${(await res.text()).slice(0, 200)}`);
        const body = (await res.json()) as { version: number; predictions: Array<{ predictionId: string }> };
        this.stats.predictions += body.predictions.length;
        this.stats.lastVersion = body.version;
        if (this.opts.feedback) {
          const feedback = body.predictions.map((p, i) => ({ predictionId: p.predictionId, label: labels[i] }));
          const fb = await fetch(`${this.servingUrl}/v1/models/${this.model}/feedback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ feedback }),
          });
          if (!fb.ok) throw new Error(`feedback ${fb.status}: ${(await fb.text()).slice(0, 200)}`);
          this.stats.feedback += feedback.length;
        }
      } catch (err) {
        this.stats.errors++;
        this.stats.lastError = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, this.opts.intervalMs));
    }
  }
}
