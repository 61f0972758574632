import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  fmtInt,
  fmtMs,
  fmtRatio,
  median,
  numberFlag,
  parseFlags,
  printHeader,
  printTable,
  timeOnce,
  writeResults,
} from './harness.js';
import { writeReadScaleCsv } from './read-scale-data.js';

/**
 * Reading a dataset at scale (issue 3, items 1 and 7): 3,000,000 rows (`--rows N`) x 10 columns + label, as CSV
 * (~290 MB) and as Parquet (snappy, written by pyarrow), read into typed columns by the dataset reader:
 *  - whole: the file read into one buffer, then `readDataset` (what a naive reader does);
 *  - stream: `openUriStream` + `readDatasetStream`, hashing on the way (what validateData does): CSV parsed as the
 *    chunks arrive, Parquet spooled to a temporary file and read one column chunk at a time;
 *  - anchor, in the same run: pandas.read_csv (C engine) and pyarrow.parquet.read_table().to_pandas().
 * Every read runs in a fresh process (`read-scale-child.ts`, `read_scale_anchor.py`) so its peak RSS is its own;
 * `--rounds N` (default 2) repeats each, the medians are printed. Reported: time, peak RSS, and the peak above the
 * process's baseline (the runtime itself).
 */

const flags = parseFlags();
const rows = Math.floor(numberFlag(flags, 'rows', 3_000_000));
const rounds = Math.max(1, Math.floor(numberFlag(flags, 'rounds', 2)));
const python = process.env.BENCH_PYTHON ?? 'python3';
printHeader(`Dataset reads at scale: ${fmtInt(rows)} rows x 10 columns, whole vs streamed vs pandas/pyarrow`, flags);

const probe = spawnSync(python, ['-c', 'import pandas, pyarrow'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error(`the anchor needs ${python} with pandas and pyarrow (pip install -r bench/requirements.txt)`);
  process.exit(1);
}

interface Reading {
  ms: number;
  rows: number;
  peakRssMiB: number;
  baselineRssMiB: number;
  pandas?: string;
  pyarrow?: string;
}

function runJson(command: string, args: string[]): Promise<Reading> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`${args.join(' ')} exited with ${code}`));
      else resolve(JSON.parse(line) as Reading);
    });
  });
}

const childScript = fileURLToPath(new URL('./read-scale-child.ts', import.meta.url));
const anchorScript = fileURLToPath(new URL('./read_scale_anchor.py', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
const node = (mode: string, format: string, path: string): Promise<Reading> =>
  runJson(tsx, [childScript, mode, format, path]);
const anchor = (format: string, path: string): Promise<Reading> =>
  runJson(python, [anchorScript, 'read', format, path]);

const dir = await mkdtemp(join(tmpdir(), 'mlops-bench-read-scale-'));
try {
  const csv = join(dir, 'data.csv');
  const parquet = join(dir, 'data.parquet');
  const written = await timeOnce(() => writeReadScaleCsv(csv, rows));
  const converted = spawnSync(python, [anchorScript, 'to-parquet', csv, parquet], { stdio: 'inherit' });
  if (converted.status !== 0) throw new Error('writing the Parquet file failed');
  const sizes = { csv: (await stat(csv)).size, parquet: (await stat(parquet)).size };
  console.log(
    `wrote ${(sizes.csv / 2 ** 20).toFixed(0)} MiB of CSV in ${fmtMs(written.ms)} ms and ` +
      `${(sizes.parquet / 2 ** 20).toFixed(0)} MiB of Parquet (pyarrow, snappy)\n`,
  );

  const table: string[][] = [];
  const results: Record<string, Record<string, Reading>> = {};
  for (const [format, path] of [
    ['csv', csv],
    ['parquet', parquet],
  ] as const) {
    const samples: Record<string, Reading[]> = { whole: [], stream: [], anchor: [] };
    for (let round = 0; round < rounds; round++) {
      samples.whole!.push(await node('whole', format, path));
      samples.stream!.push(await node('stream', format, path));
      samples.anchor!.push(await anchor(format, path));
    }
    const pick = (list: Reading[]): Reading => ({
      ...list[0]!,
      ms: median(list.map((r) => r.ms)),
      peakRssMiB: median(list.map((r) => r.peakRssMiB)),
      baselineRssMiB: median(list.map((r) => r.baselineRssMiB)),
    });
    const whole = pick(samples.whole!);
    const stream = pick(samples.stream!);
    const py = pick(samples.anchor!);
    for (const r of [whole, stream, py]) {
      if (r.rows !== rows) throw new Error(`a ${format} read gave ${r.rows} rows, expected ${rows}`);
    }
    results[format] = { whole, stream, anchor: py };
    const anchorName = format === 'csv' ? `pandas ${py.pandas} read_csv` : `pyarrow ${py.pyarrow} read_table`;
    const row = (name: string, r: Reading, note: string): string[] => [
      `${format}: ${name}`,
      fmtMs(r.ms),
      r.peakRssMiB.toFixed(0),
      (r.peakRssMiB - r.baselineRssMiB).toFixed(0),
      note,
    ];
    table.push(row('ours, whole file in memory', whole, ''));
    table.push(
      row(
        'ours, streamed (validateData)',
        stream,
        `peak above baseline ${fmtRatio(stream.peakRssMiB - stream.baselineRssMiB, whole.peakRssMiB - whole.baselineRssMiB)} of whole`,
      ),
    );
    table.push(row(anchorName, py, `ours streamed / anchor time ${fmtRatio(stream.ms, py.ms)}`));
  }
  printTable(['read', 'median ms', 'peak RSS MiB', 'above baseline MiB', ''], table);
  console.log(
    '\nThe table itself (7 Float64 columns, 3 string columns with Int32 codes, the label) is about ' +
      `${((rows * (7 * 8 + 3 * (8 + 4) + 8)) / 2 ** 20).toFixed(0)} MiB; the rest of "above baseline" is transient.`,
  );
  await writeResults('read-scale', flags, { rows, rounds, sizes, results });
} finally {
  await rm(dir, { recursive: true, force: true });
}
