import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The Python packages the example external trainer (`examples/trainers/sklearn_logistic.py`) needs, installed by
 * `npm run provision` with `pip install --target .tools/python` (no virtual environment, no PEP 668 conflict).
 * pip resolves their own dependencies (scipy, joblib, protobuf, ...) into the same folder.
 */
export const PYTHON_REQUIREMENTS: readonly string[] = [
  'numpy==2.4.6',
  'scikit-learn==1.9.1',
  'onnx==1.23.2',
  'skl2onnx==1.20.0',
];

/** Modules that must import for the example trainer to run. */
export const PYTHON_MODULES: readonly string[] = ['numpy', 'sklearn', 'onnx', 'skl2onnx'];

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** `<root>/.tools/python`: the project-local Python package folder (git-ignored). */
export const PYTHON_TOOLS_DIR: string = path.join(PROJECT_ROOT, '.tools', 'python');

/** File inside {@link PYTHON_TOOLS_DIR} recording the requirements it was installed from (one per line). */
export const PYTHON_TOOLS_MARKER: string = path.join(PYTHON_TOOLS_DIR, '.mlops-requirements.txt');

/**
 * The environment that makes `python3` see the project-local packages: `{ PYTHONPATH: <root>/.tools/python }`.
 * Pass it as a command trainer's `env` (tests, local runs) or export it before starting a worker.
 */
export function pythonToolsEnv(): Record<string, string> {
  return { PYTHONPATH: PYTHON_TOOLS_DIR };
}

/** True when {@link PYTHON_TOOLS_DIR} was installed from exactly {@link PYTHON_REQUIREMENTS}. */
export async function pythonToolsCurrent(): Promise<boolean> {
  const recorded = await readFile(PYTHON_TOOLS_MARKER, 'utf8').catch(() => null);
  return recorded !== null && recorded.trim() === PYTHON_REQUIREMENTS.join('\n');
}

/**
 * Checks that `python` finds {@link PYTHON_MODULES} with {@link pythonToolsEnv}: with `importThem` (default false)
 * it imports them (thorough, several seconds for skl2onnx), otherwise it only locates them (fast). Resolves to null
 * when they are there, otherwise to the reason (missing interpreter, missing module or the import error).
 */
export function pythonToolsProblem(options: { python?: string; importThem?: boolean } = {}): Promise<string | null> {
  const python = options.python ?? 'python3';
  const modules = PYTHON_MODULES.map((m) => JSON.stringify(m)).join(', ');
  const script =
    options.importThem === true
      ? `import ${PYTHON_MODULES.join(', ')}`
      : `import importlib.util, sys\nmissing = [m for m in [${modules}] if importlib.util.find_spec(m) is None]\n` +
        `sys.exit("missing modules: " + ", ".join(missing) if missing else 0)`;
  return new Promise((resolve) => {
    const child = spawn(python, ['-c', script], {
      env: { ...process.env, ...pythonToolsEnv() },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    child.on('error', (error) => resolve(`cannot run ${python}: ${error.message}`));
    child.on('close', (code) =>
      resolve(
        code === 0 ? null : `${python} cannot use the packages in ${PYTHON_TOOLS_DIR} (exit ${code}): ${stderr.trim()}`,
      ),
    );
  });
}
