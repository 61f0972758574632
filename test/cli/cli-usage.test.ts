/** The `mlops` CLI as a user runs it: wrong arguments get a usage message and exit 2; bad specs name their problems. */
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function mlops(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', ['--import', 'tsx', 'client/main.ts', ...args], {
      env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1' },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('mlops CLI', () => {
  it('prints help and exits 0', async () => {
    const r = await mlops('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: mlops/);
    expect(r.stdout).toMatch(/schedule/);
  });

  it.each([
    [['run'], /missing required argument 'spec'/],
    [['retrain', 'churn'], /required option '--reason <text>' not specified/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['data', 'generate', '--out', 'x.csv', '--rows', 'many'], /--rows.*expected a positive integer/],
    [['schedule', 'create', 'x.yaml', '--overlap', 'sometimes'], /--overlap.*Allowed choices/],
    [['new-data', 'churn', '--dataset', 'http://example.com/x.csv'], /expected a file:\/\/ or s3:\/\/ URI/],
  ])('rejects %j with a usage message and exit 2', async (args, message) => {
    const r = await mlops(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('rejects an invalid spec with every problem and exit 2, before contacting Temporal', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mlops-cli-'));
    const file = path.join(dir, 'bad.yaml');
    await writeFile(file, 'apiVersion: mlops/v1\nmodel: churn\ndataset: { uri: ftp://x, format: csv }\n');
    const r = await mlops('run', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`invalid pipeline spec ${file}`);
    expect(r.stderr).toMatch(/line 3: dataset.uri: expected a "file:\/\/" or "s3:\/\/" URI; found "ftp:\/\/x"/);
    expect(r.stderr).toMatch(/features: required field is missing/);
  });

  it('says clearly when Temporal is unreachable (exit 1)', async () => {
    const r = await mlops('run', 'examples/churn/pipeline.yaml');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach Temporal at 127.0.0.1:1/);
  });
});
