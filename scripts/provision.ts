/**
 * Installs the project's native tools into `.tools/` (unless found via env or PATH) and prints their paths:
 * the Temporal CLI, the Temporal time-skipping test server and SeaweedFS `weed`; and the pinned Python packages
 * of the example external trainer (scikit-learn, skl2onnx, onnx, numpy) into `.tools/python` (`pip --target`).
 * Idempotent: a rerun finds everything installed and only checks it (about a second).
 *
 * Usage: `npx tsx scripts/provision.ts` (or `npm run provision`). Exits 1 if a tool could not be provided.
 */
import { spawn } from 'node:child_process';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { resolveTemporalCli, resolveTestServer, type ResolvedTool } from '../infra/temporal-cli.js';
import { resolveWeed } from '../infra/seaweedfs.js';
import {
  PYTHON_REQUIREMENTS,
  PYTHON_TOOLS_DIR,
  PYTHON_TOOLS_MARKER,
  pythonToolsCurrent,
  pythonToolsProblem,
} from '../lib/train/command-python.js';

function pip(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('python3', ['-m', 'pip', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => resolve({ code: null, output: `${output}\n${err.message}` }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Installs {@link PYTHON_REQUIREMENTS} into `.tools/python` unless an install of exactly those pins is there and
 * imports. Installs into a staging folder renamed into place, so an interrupted install never looks complete.
 */
async function installPythonTools(): Promise<ResolvedTool | null> {
  if ((await pythonToolsCurrent()) && (await pythonToolsProblem()) === null) {
    return { path: PYTHON_TOOLS_DIR, source: 'local' };
  }
  const staging = `${PYTHON_TOOLS_DIR}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(path.dirname(PYTHON_TOOLS_DIR), { recursive: true });
  process.stderr.write(
    `[provision] python3 -m pip install --target ${PYTHON_TOOLS_DIR} ${PYTHON_REQUIREMENTS.join(' ')}\n`,
  );
  const started = Date.now();
  const flags = ['--disable-pip-version-check', '--no-input', '--quiet', '--no-warn-script-location'];
  const { code, output } = await pip(['install', ...flags, '--target', staging, ...PYTHON_REQUIREMENTS]);
  if (code !== 0) {
    await rm(staging, { recursive: true, force: true });
    process.stderr.write(`[provision] pip install failed (exit ${code}):\n${output.trim()}\n`);
    return null;
  }
  await writeFile(path.join(staging, path.basename(PYTHON_TOOLS_MARKER)), `${PYTHON_REQUIREMENTS.join('\n')}\n`);
  await rm(PYTHON_TOOLS_DIR, { recursive: true, force: true });
  try {
    await rename(staging, PYTHON_TOOLS_DIR);
  } catch {
    await rm(staging, { recursive: true, force: true }); // a concurrent provisioning won the race; use its install
  }
  process.stderr.write(`[provision] Python packages installed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  const problem = await pythonToolsProblem({ importThem: true });
  if (problem !== null) {
    process.stderr.write(`[provision] the installed Python packages do not import: ${problem}\n`);
    return null;
  }
  return { path: PYTHON_TOOLS_DIR, source: 'installed' };
}

const tools: Array<[string, () => Promise<ResolvedTool | null>]> = [
  ['temporal', () => resolveTemporalCli({ log: false })],
  ['temporal-test-server', () => resolveTestServer({ log: false })],
  ['weed', () => resolveWeed({ log: false })],
  ['python-packages', installPythonTools],
];

let failed = false;
for (const [name, resolve] of tools) {
  const tool = await resolve();
  if (tool) {
    console.log(`${name.padEnd(22)} ${tool.path} (${tool.source})`);
  } else {
    failed = true;
    console.log(`${name.padEnd(22)} NOT AVAILABLE`);
  }
}
if (failed) {
  console.error('Some tools could not be installed: check python3 -m pip and access to PyPI (see messages above).');
  process.exitCode = 1;
}
