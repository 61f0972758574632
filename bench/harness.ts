import { mkdir, writeFile } from 'node:fs/promises';
import { arch, cpus, platform, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/**
 * Tiny shared helpers for the benchmarks in `bench/`: flags, warm-up + repeated timing (median / p95 via
 * `process.hrtime.bigint`), peak RSS, a plain-text table printer and optional JSON output.
 *
 * Rule of the project: every figure is printed next to an anchor measured in the same run, as a ratio, because
 * the machines these run on are shared and noisy; absolute milliseconds are only comparable within one run.
 */

/** Flags every benchmark understands. */
export interface BenchFlags {
  /** `--full`: bigger sizes / more repetitions (may take minutes). */
  full: boolean;
  /** `--json`: also write `bench/results/<name>.json`. */
  json: boolean;
  /** Everything after the script name, as given. */
  argv: string[];
}

/** Parses `--full` and `--json`; other flags are left to the benchmark (see {@link numberFlag}). */
export function parseFlags(argv: readonly string[] = process.argv.slice(2)): BenchFlags {
  return { full: argv.includes('--full'), json: argv.includes('--json'), argv: [...argv] };
}

/** `--name=value` or `--name value` as a positive number, else `fallback`. Accepts `1e6` and `1_000_000`. */
export function numberFlag(flags: BenchFlags, name: string, fallback: number): number {
  const { argv } = flags;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    let raw: string | undefined;
    if (arg.startsWith(`--${name}=`)) raw = arg.slice(name.length + 3);
    else if (arg === `--${name}`) raw = argv[i + 1];
    if (raw === undefined) continue;
    const value = Number(raw.replaceAll('_', ''));
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} expects a positive number, got "${raw}"`);
    return value;
  }
  return fallback;
}

/** Summary of repeated timings, in milliseconds. */
export interface Timing {
  label: string;
  iterations: number;
  median: number;
  p95: number;
  mean: number;
  min: number;
  max: number;
}

/** Options of {@link measure}. */
export interface MeasureOptions {
  /** Untimed calls first (JIT, caches, onnxruntime arenas). */
  warmup: number;
  /** Timed calls. */
  iterations: number;
}

let sink: unknown;

/** Keeps a result alive so the JIT cannot drop the work that produced it. */
export function consume(value: unknown): void {
  sink = value;
}

/** The last value passed to {@link consume} (only so `sink` counts as read). */
export function lastConsumed(): unknown {
  return sink;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Quantile `q` (0..1) of ascending `sorted` values, linear interpolation (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** Median of raw samples. */
export function median(samples: readonly number[]): number {
  return quantile(
    [...samples].sort((a, b) => a - b),
    0.5,
  );
}

/** Median / p95 / mean / min / max of raw samples (ms). */
export function summarize(label: string, samples: readonly number[]): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  let sum = 0;
  for (const s of sorted) sum += s;
  return {
    label,
    iterations: sorted.length,
    median: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    mean: sorted.length > 0 ? sum / sorted.length : NaN,
    min: sorted[0] ?? NaN,
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

/** One call of `fn`, timed with `process.hrtime.bigint()` (a returned promise is awaited inside the span). */
async function timeCall(fn: (iteration: number) => unknown, iteration: number): Promise<number> {
  const start = process.hrtime.bigint();
  let r = fn(iteration);
  if (isPromiseLike(r)) r = await r;
  const end = process.hrtime.bigint();
  consume(r);
  return Number(end - start) / 1e6;
}

/**
 * Calls `fn(i)` `warmup` times untimed, then `iterations` times, timing each call on its own; returns the samples
 * in ms. Results are passed to {@link consume}.
 */
export async function measureSamples(fn: (iteration: number) => unknown, options: MeasureOptions): Promise<number[]> {
  for (let i = 0; i < options.warmup; i++) await timeCall(fn, i);
  const samples = new Array<number>(options.iterations);
  for (let i = 0; i < options.iterations; i++) samples[i] = await timeCall(fn, options.warmup + i);
  return samples;
}

/** {@link measureSamples}, summarized. */
export async function measure(
  label: string,
  fn: (iteration: number) => unknown,
  options: MeasureOptions,
): Promise<Timing> {
  return summarize(label, await measureSamples(fn, options));
}

/**
 * Times several functions interleaved: every iteration calls each once (the starting one rotates), so a noisy
 * neighbour slows all of them alike and their ratios stay meaningful. Returns the samples (ms) per function, in
 * the order given; `warmup` rounds run first, untimed.
 */
export async function measureInterleaved(
  fns: ReadonlyArray<(iteration: number) => unknown>,
  options: MeasureOptions,
): Promise<number[][]> {
  const samples = fns.map(() => [] as number[]);
  for (let i = 0; i < options.warmup + options.iterations; i++) {
    for (let k = 0; k < fns.length; k++) {
      const which = (i + k) % fns.length;
      const ms = await timeCall(fns[which]!, i);
      if (i >= options.warmup) samples[which]!.push(ms);
    }
  }
  return samples;
}

/** Wall time of one call of `fn`, in ms (for setup steps reported for context, not compared). */
export async function timeOnce<T>(fn: () => T | Promise<T>): Promise<{ value: T; ms: number }> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

/** Peak resident set size of this process so far, in MiB (`maxRSS` is in KiB on Linux and macOS). */
export function peakRssMiB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

/** Current resident set size in MiB. */
export function rssMiB(): number {
  return process.memoryUsage.rss() / (1024 * 1024);
}

/** Formats milliseconds with about three significant digits. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

/** `a / b` as "1.23x". */
export function fmtRatio(a: number, b: number): string {
  const r = a / b;
  if (!Number.isFinite(r)) return 'n/a';
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}x`;
}

/** Integer with thousands separators. */
export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Rows per second as e.g. "2.41M/s". */
export function fmtRate(rows: number, ms: number): string {
  const perSecond = (rows / ms) * 1000;
  if (!Number.isFinite(perSecond)) return 'n/a';
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M/s`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k/s`;
  return `${perSecond.toFixed(0)}/s`;
}

/** Prints a table: first column left-aligned, the others right-aligned. */
export function printTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): void {
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/** The machine and runtime, printed in each benchmark's header and stored with JSON results. */
export function environment(): Record<string, string | number> {
  const cpuList = cpus();
  return {
    node: process.version,
    platform: `${platform()}-${arch()}`,
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
  };
}

/** Prints the benchmark title and the environment. */
export function printHeader(title: string, flags: BenchFlags): void {
  const env = environment();
  console.log(`# ${title}${flags.full ? ' (--full)' : ''}`);
  console.log(
    `node ${env.node}, ${env.platform}, ${env.cpus} CPUs (${env.cpuModel}), ${env.memoryGiB} GiB; ` +
      'shared machine: compare the ratios, not the absolute times across runs',
  );
  console.log();
}

/** Directory of JSON results (not git-ignored on purpose: just do not commit them). */
export const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));

/**
 * With `--json`, writes `bench/results/<name>.json` (formatted with the repo's prettier config when prettier is
 * installed, so `prettier --check` stays clean) and returns its path; otherwise does nothing.
 */
export async function writeResults(name: string, flags: BenchFlags, results: unknown): Promise<string | null> {
  if (!flags.json) return null;
  const path = `${RESULTS_DIR}${name}.json`;
  const document = {
    name,
    date: new Date().toISOString(),
    argv: flags.argv,
    environment: environment(),
    peakRssMiB: peakRssMiB(),
    results,
  };
  let text = `${JSON.stringify(document, null, 2)}\n`;
  try {
    const prettier = await import('prettier');
    const config = (await prettier.resolveConfig(path)) ?? {};
    text = await prettier.format(text, { ...config, filepath: path });
  } catch {
    // prettier is a dev dependency; without it the plain JSON is still valid.
  }
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(path, text);
  console.log(`\nwrote ${path}`);
  return path;
}
