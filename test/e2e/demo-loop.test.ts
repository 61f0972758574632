/**
 * The main job, end to end, on real servers: the embedded stack (Temporal dev server, PGlite over the wire,
 * file artifacts, workers, serving over HTTP) runs the whole loop: v1 trained and deployed, traffic drifts, the
 * monitor signals drift, v2 is trained, beats v1, and is deployed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../client/demo.js';

describe('demo loop', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('trains v1, detects drift, retrains and deploys v2', { timeout: 420_000 }, async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), 'mlops-demo-'));
    dirs.push(stateDir);
    const lines: string[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    };
    let result: { v1: number; v2: number };
    try {
      result = await runDemo({
        specPath: 'examples/churn/pipeline.yaml',
        keepRunning: false,
        stateDir,
        window: '8s',
        randomPorts: true,
      });
    } finally {
      console.log = original;
    }
    const output = lines.join('\n');
    expect(result.v1).toBe(1);
    expect(result.v2).toBe(2);
    expect(output).toMatch(/started pipeline pipeline-churn-\d{8}T\d{6}Z/);
    expect(output).toMatch(/deployed: churn v1/);
    expect(output).toMatch(/completed \[drift\]/);
    expect(output).toMatch(/schedule-churn/);
  });
});
