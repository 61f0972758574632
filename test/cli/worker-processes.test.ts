/** Worker processes as operators start them. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { probeGpu } from '../../workers/gpu-check.js';

const run = promisify(execFile);

describe('gpu worker process', () => {
  it(
    'refuses to start on a host without a GPU unless told to serve the queue on CPU',
    { timeout: 60_000 },
    async (ctx) => {
      if ((await probeGpu()).available) ctx.skip(); // this host has a GPU: the refusal cannot be observed here
      const err = await run('node', ['--import', 'tsx', 'workers/gpu-worker.ts'], { timeout: 45_000 }).then(
        () => null,
        (e: unknown) => e as { code: number; stderr: string },
      );
      expect(err?.code).toBe(3);
      expect(err?.stderr).toMatch(/gpu worker refuses to start: nvidia-smi/);
      expect(err?.stderr).toMatch(/--allow-cpu/);
    },
  );

  it('rejects a bad environment with a message naming the variable', { timeout: 60_000 }, async () => {
    const err = await run('node', ['--import', 'tsx', 'workers/cpu-worker.ts'], {
      timeout: 45_000,
      env: { ...process.env, DATABASE_URL: 'mysql://nope' },
    }).then(
      () => null,
      (e: unknown) => e as { code: number; stderr: string },
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/invalid environment:\s+DATABASE_URL: expected a postgres:\/\/ URL/);
  });
});
