import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs every benchmark in turn, each in its own process (`npx tsx bench/<name>.ts`), forwarding the flags.
 *
 *   npm run bench                       # all, default sizes
 *   npm run bench -- --full --json      # all, bigger sizes, results in bench/results/*.json
 *   npm run bench -- drift              # only the named benchmark(s)
 *   npm run bench -- train-logistic --quick   # flags are forwarded to every selected benchmark
 *
 * Exits non-zero when any benchmark fails (they also fail when their correctness check does).
 */

const BENCHMARKS = [
  'onnx-inference',
  'drift',
  'drift-scale',
  'read-scale',
  'train-logistic',
  'monitor-window',
  'monitor-window-db',
  'monitor-fleet',
] as const;

const args = process.argv.slice(2);
const names = args.filter((a) => !a.startsWith('-') && (BENCHMARKS as readonly string[]).includes(a));
const forwarded = args.filter((a) => !names.includes(a));
const selected = names.length > 0 ? names : [...BENCHMARKS];
const root = fileURLToPath(new URL('..', import.meta.url));

function run(name: string): Promise<number> {
  const script = `bench/${name}.ts`;
  console.log(`\n=== ${script} ${forwarded.join(' ')}`.trimEnd());
  return new Promise((resolve) => {
    const child = spawn('npx', ['tsx', script, ...forwarded], { cwd: root, stdio: 'inherit' });
    child.on('error', (error) => {
      console.error(`cannot start ${script}: ${error.message}`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal !== null ? 1 : 0)));
  });
}

const failed: string[] = [];
for (const name of selected) {
  const start = process.hrtime.bigint();
  const code = await run(name);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`=== ${name}: ${code === 0 ? 'ok' : `failed (exit ${code})`} in ${seconds.toFixed(1)} s`);
  if (code !== 0) failed.push(name);
}
if (failed.length > 0) {
  console.error(`\nfailed: ${failed.join(', ')}`);
  process.exitCode = 1;
}
