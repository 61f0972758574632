/** The lint rule that keeps workflow code deterministic really rejects Node built-ins and I/O libraries there. */
import { rm, writeFile } from 'node:fs/promises';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });
let seq = 0;

/** Lints `code` as a real file at `dir/` (type-aware linting needs the file on disk), then removes it. */
async function lint(file: string, code: string): Promise<string[]> {
  const probe = file.replace(/probe\.ts$/, `zz-lint-probe-${process.pid}-${seq++}.ts`);
  await writeFile(probe, code);
  try {
    const [result] = await eslint.lintFiles([probe]);
    const fatal = (result?.messages ?? []).filter((m) => m.fatal);
    if (fatal.length > 0)
      throw new Error(`eslint could not parse the probe: ${fatal.map((m) => m.message).join('; ')}`);
    return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  } finally {
    await rm(probe, { force: true });
  }
}

describe('workflow determinism lint', () => {
  it.each([
    ["import { readFile } from 'node:fs/promises';", 'Node built-ins'],
    ["import { createHash } from 'crypto';", 'Node built-ins'],
    ["import pg from 'pg';", 'I/O libraries'],
    ["import { S3Client } from '@aws-sdk/client-s3';", 'I/O libraries'],
    ["import * as ort from 'onnxruntime-node';", 'I/O libraries'],
    ["import { createActivities } from '../activities/index.js';", 'I/O libraries'],
  ])('rejects %s in workflows/', async (statement, why) => {
    const messages = await lint('workflows/probe.ts', `${statement}\nexport const x = 1;\n`);
    expect(messages.join('\n')).toContain(why);
  });

  it('allows type-only imports of activities and the workflow SDK', async () => {
    const messages = await lint(
      'workflows/probe.ts',
      "import type { Activities } from '../activities/index.js';\nimport { sleep } from '@temporalio/workflow';\nexport type A = Activities;\nexport const s = sleep;\n",
    );
    expect(messages).toEqual([]);
  });

  it('does not restrict activities/', async () => {
    expect(
      await lint('activities/probe.ts', "import { readFile } from 'node:fs/promises';\nexport const r = readFile;\n"),
    ).toEqual([]);
  });
});
