import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateTraffic } from '../lib/data/generate-churn.js';
import { numericReferenceCounts, profileTable, type DatasetProfile } from '../lib/data/profile.js';
import { recordsToTable } from '../lib/data/records.js';
import type { FeatureTable } from '../lib/data/table.js';
import { loadSpecFile } from '../lib/spec/load-spec.js';
import type { FeatureSpec } from '../lib/spec/pipeline-spec.js';
import { npyFloat64, npyStrings } from './npy.js';
import { computeDrift, ksStatistic, PSI_EPSILON } from '../lib/stats/drift.js';
import { sortedFinite } from '../lib/stats/summary.js';
import {
  fmtInt,
  fmtMs,
  fmtRatio,
  median,
  measureInterleaved,
  measureSamples,
  numberFlag,
  parseFlags,
  peakRssMiB,
  printHeader,
  printTable,
  summarize,
  timeOnce,
  type Timing,
  writeResults,
} from './harness.js';

/**
 * Drift of a current window (default 1,000,000 rows; `--full` 3,000,000; `--rows N` overrides) of the 7 churn
 * features against a stored reference profile (`profileTable` of 100k reference rows, JSON round-tripped as the
 * monitor activity reads it): `computeDrift` (PSI per feature) timed against, in the same run,
 *  - numpy in a Python subprocess (`bench/drift_anchor.py`) computing the same PSI on the same data handed over as
 *    .npy files: np.histogram on the same edges for numeric features; for categorical ones np.unique counts
 *    (numpy's value_counts) and, as a second variant, one vectorised `==` per category;
 *  - one plain pass over the same arrays (sum of every numeric column, non-missing count of every categorical
 *    column): the floor of any one-pass algorithm in JS.
 * Also: two-sample KS of the numeric features, our `sortedFinite` + `ksStatistic` vs scipy.stats.ks_2samp.
 * Only the computation is timed on each side; loading (np.load; our recordsToTable) is reported separately.
 * Python: `BENCH_PYTHON` (default `python3`) with numpy and scipy (`pip install -r bench/requirements.txt`).
 */

const flags = parseFlags();
const REFERENCE_ROWS = 100_000;
const CHUNK = 100_000;
const rows = Math.floor(numberFlag(flags, 'rows', flags.full ? 3_000_000 : 1_000_000));
const python = process.env.BENCH_PYTHON ?? 'python3';
const rounds = Math.max(1, Math.floor(numberFlag(flags, 'rounds', flags.full ? 2 : 3)));
/** Per round, on each side. */
const perRound = { warmup: 1, iterations: flags.full ? 4 : 3 };
const ksPerRound = { warmup: 1, iterations: 1 };

printHeader(`Drift: computeDrift vs numpy/scipy vs a plain pass (${fmtInt(rows)} rows)`, flags);

const probe = spawnSync(python, ['-c', 'import numpy, scipy'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error(
    `the anchor needs ${python} with numpy and scipy (pip install -r bench/requirements.txt, or set BENCH_PYTHON):\n` +
      `${probe.error?.message ?? probe.stderr}`,
  );
  process.exit(1);
}

const spec = await loadSpecFile(fileURLToPath(new URL('../examples/churn/pipeline.yaml', import.meta.url)));
const features: readonly FeatureSpec[] = spec.features;
const monitoring = { method: 'psi' as const, threshold: 0.2, driftShare: spec.monitoring.driftShare };
const numericFeatures = features.filter((f) => f.type === 'numeric');
const categoricalFeatures = features.filter((f) => f.type === 'categorical');

/**
 * A table of `n` generated traffic rows, generated and converted in chunks (as the monitor converts logged
 * records with `recordsToTable`) so the records never all live at once. Returns the time spent in recordsToTable.
 */
function buildTable(n: number, seed: number, drift: number): { table: FeatureTable; recordsToTableMs: number } {
  const numeric: Record<string, Float64Array> = {};
  const categorical: Record<string, Array<string | null>> = {};
  for (const f of numericFeatures) numeric[f.name] = new Float64Array(n);
  for (const f of categoricalFeatures) categorical[f.name] = [];
  let convertMs = 0;
  for (let offset = 0, chunk = 0; offset < n; offset += CHUNK, chunk++) {
    const size = Math.min(CHUNK, n - offset);
    const { records } = generateTraffic({ rows: size, seed: seed * 1000 + chunk, drift });
    const start = process.hrtime.bigint();
    const part = recordsToTable(records, features);
    convertMs += Number(process.hrtime.bigint() - start) / 1e6;
    for (const f of numericFeatures) numeric[f.name]!.set(part.numeric[f.name]!, offset);
    for (const f of categoricalFeatures) {
      const out = categorical[f.name]!;
      for (const v of part.categorical[f.name]!) out.push(v);
    }
  }
  return { table: { rowCount: n, numeric, categorical, label: null }, recordsToTableMs: convertMs };
}

const generated = await timeOnce(() => {
  const reference = buildTable(REFERENCE_ROWS, 1, 0).table;
  // Stored as JSON by training, read back by the monitor activity.
  const profile = JSON.parse(JSON.stringify(profileTable(reference, features))) as DatasetProfile;
  return { reference, profile, current: buildTable(rows, 2, 0.3) };
});
const { reference, profile, current } = generated.value;
const table = current.table;
console.log(
  `generated ${fmtInt(REFERENCE_ROWS)} reference rows (profiled) + ${fmtInt(rows)} current rows (drift 0.3) ` +
    `in ${fmtMs(generated.ms)} ms (recordsToTable of the window: ${fmtMs(current.recordsToTableMs)} ms)`,
);

// ---- hand the same data to Python as .npy files ------------------------------------------------------------

const dir = await mkdtemp(join(tmpdir(), 'mlops-bench-drift-'));
const manifestPath = join(dir, 'manifest.json');
try {
  const written = await timeOnce(async () => {
    const manifestFeatures: unknown[] = [];
    for (const fp of profile.features) {
      const path = join(dir, `${fp.name}.npy`);
      if (fp.type === 'numeric') {
        const refPath = join(dir, `${fp.name}.reference.npy`);
        await writeFile(path, npyFloat64(table.numeric[fp.name]!));
        await writeFile(refPath, npyFloat64(reference.numeric[fp.name]!));
        manifestFeatures.push({
          name: fp.name,
          type: 'numeric',
          current: path,
          reference: refPath,
          edges: fp.histogram.edges,
          referenceCounts: numericReferenceCounts(fp),
        });
      } else {
        await writeFile(path, npyStrings(table.categorical[fp.name]!));
        manifestFeatures.push({
          name: fp.name,
          type: 'categorical',
          current: path,
          categories: fp.top.map((c) => c.value),
          referenceCounts: [...fp.top.map((c) => c.count), fp.other, fp.missing],
        });
      }
    }
    const manifest = {
      rows,
      warmup: perRound.warmup,
      repeats: perRound.iterations,
      ksRepeats: ksPerRound.iterations,
      epsilon: PSI_EPSILON,
      features: manifestFeatures,
    };
    await writeFile(manifestPath, JSON.stringify(manifest));
  });
  console.log(`wrote the window and the reference as .npy files in ${fmtMs(written.ms)} ms (${dir})\n`);

  // ---- measure: rounds of (ours and the plain passes, interleaved) then (Python) ---------------------------

  const subProfile = (type: 'numeric' | 'categorical'): DatasetProfile => ({
    ...profile,
    features: profile.features.filter((f) => f.type === type),
  });
  const numericProfile = subProfile('numeric');
  const categoricalProfile = subProfile('categorical');
  const numericColumns = numericFeatures.map((f) => table.numeric[f.name]!);
  const categoricalColumns = categoricalFeatures.map((f) => table.categorical[f.name]!);
  const referenceColumns = numericFeatures.map((f) => reference.numeric[f.name]!);

  const sumNumeric = (): number => {
    let total = 0;
    for (const col of numericColumns) {
      let s = 0;
      for (let i = 0; i < col.length; i++) {
        const v = col[i]!;
        if (v === v) s += v; // skip NaN
      }
      total += s;
    }
    return total;
  };
  const countCategorical = (): number => {
    let total = 0;
    for (const col of categoricalColumns) {
      for (let i = 0; i < col.length; i++) {
        const v = col[i];
        if (v !== null && v !== '') total++;
      }
    }
    return total;
  };
  const ourKs = (): number[] =>
    numericColumns.map((col, k) => ksStatistic(sortedFinite(referenceColumns[k]!), sortedFinite(col)));

  const ours = {
    all: () => computeDrift(profile, table, monitoring),
    numeric: () => computeDrift(numericProfile, table, monitoring),
    categorical: () => computeDrift(categoricalProfile, table, monitoring),
    plainAll: () => sumNumeric() + countCategorical(),
    plainNumeric: sumNumeric,
    plainCategorical: countCategorical,
  };
  const keys = Object.keys(ours) as Array<keyof typeof ours>;
  const ourSamples = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<keyof typeof ours, number[]>;
  const ourKsSamples: number[] = [];
  const pySamples: Record<string, number[]> = {};
  const pyLoadMs: number[] = [];
  const pyWallMs: number[] = [];
  let anchor: AnchorResult | null = null;
  for (let round = 0; round < rounds; round++) {
    const samples = await measureInterleaved(
      keys.map((k) => ours[k]),
      perRound,
    );
    keys.forEach((k, i) => ourSamples[k].push(...samples[i]!));
    ourKsSamples.push(...(await measureSamples(ourKs, ksPerRound)));
    const run = await timeOnce(() => runAnchor(manifestPath));
    anchor = run.value;
    pyWallMs.push(run.ms);
    pyLoadMs.push(anchor.loadMs);
    for (const [key, values] of Object.entries(anchor.samples)) (pySamples[key] ??= []).push(...values);
    console.log(
      `round ${round + 1}/${rounds}: computeDrift ${fmtMs(median(samples[keys.indexOf('all')]!))} ms, ` +
        `numpy (==) ${fmtMs(median(anchor.samples.psi_eq ?? []))} ms, plain pass ${fmtMs(median(samples[keys.indexOf('plainAll')]!))} ms`,
    );
  }
  if (anchor === null) throw new Error('no rounds ran');
  console.log();
  const timing = (label: string, samples: readonly number[] | undefined): Timing => {
    if (samples === undefined || samples.length === 0) throw new Error(`no samples for "${label}"`);
    return summarize(label, samples);
  };
  const oursAll = timing('computeDrift, 7 features', ourSamples.all);
  const oursNumeric = timing('computeDrift, 4 numeric', ourSamples.numeric);
  const oursCategorical = timing('computeDrift, 3 categorical', ourSamples.categorical);
  const plainAll = timing('plain pass, 7 columns', ourSamples.plainAll);
  const plainNumeric = timing('plain pass, 4 numeric', ourSamples.plainNumeric);
  const plainCategorical = timing('plain pass, 3 categorical', ourSamples.plainCategorical);
  const oursKs = timing('sortedFinite x2 + ksStatistic, 4 numeric', ourKsSamples);
  const npUnique = timing('numpy psi, np.unique', pySamples.psi_unique);
  const npEq = timing('numpy psi, ==', pySamples.psi_eq);
  const npNumeric = timing('numpy psi, numeric (np.histogram)', pySamples.psi_numeric);
  const npUniqueCat = timing('numpy psi, categorical (np.unique)', pySamples.psi_unique_categorical);
  const npEqCat = timing('numpy psi, categorical (==)', pySamples.psi_eq_categorical);
  const npKs = timing('scipy ks_2samp, 4 numeric', pySamples.ks);
  const npLoad = timing('np.load', pyLoadMs);

  // ---- agreement -------------------------------------------------------------------------------------------

  const report = computeDrift(profile, table, monitoring);
  const ksValues = ourKs();
  let psiDiff = 0;
  let psiDiffEq = 0;
  for (const f of report.features) {
    psiDiff = Math.max(psiDiff, Math.abs(f.score - (anchor.psi_unique[f.name] ?? NaN)));
    psiDiffEq = Math.max(psiDiffEq, Math.abs(f.score - (anchor.psi_eq[f.name] ?? NaN)));
  }
  let ksDiff = 0;
  numericFeatures.forEach((f, k) => {
    ksDiff = Math.max(ksDiff, Math.abs(ksValues[k]! - (anchor.ks[f.name]?.statistic ?? NaN)));
  });
  const psiOk = psiDiff <= 1e-9 && psiDiffEq <= 1e-9;

  // ---- report ----------------------------------------------------------------------------------------------

  console.log(
    `PSI, ${fmtInt(rows)} rows: median ms over ${oursAll.iterations} runs per column ` +
      `(${rounds} rounds; within a round ours and the plain passes interleave, then Python runs)`,
  );
  printTable(
    [
      'features',
      'ours',
      'ours p95',
      'numpy (unique)',
      'numpy (==)',
      'plain pass',
      'ours/numpy(unique)',
      'ours/numpy(==)',
      'ours/plain',
    ],
    [
      ['all 7', oursAll, npUnique, npEq, plainAll] as const,
      ['4 numeric', oursNumeric, npNumeric, npNumeric, plainNumeric] as const,
      ['3 categorical', oursCategorical, npUniqueCat, npEqCat, plainCategorical] as const,
    ].map(([name, o, a, b, plain]) => [
      name,
      fmtMs(o.median),
      fmtMs(o.p95),
      fmtMs(a.median),
      fmtMs(b.median),
      fmtMs(plain.median),
      fmtRatio(o.median, a.median),
      fmtRatio(o.median, b.median),
      fmtRatio(o.median, plain.median),
    ]),
  );
  console.log(`\nKS, 4 numeric features, ${fmtInt(REFERENCE_ROWS)} reference vs ${fmtInt(rows)} current rows`);
  printTable(
    ['method', 'median ms', 'p95 ms', 'ours/scipy'],
    [
      [
        'ours: sortedFinite x2 + ksStatistic',
        fmtMs(oursKs.median),
        fmtMs(oursKs.p95),
        fmtRatio(oursKs.median, npKs.median),
      ],
      ['scipy.stats.ks_2samp (+ NaN filter)', fmtMs(npKs.median), fmtMs(npKs.p95), ''],
    ],
  );
  console.log('\nloading (not in the timings above)');
  printTable(
    ['step', 'median ms'],
    [
      ['np.load of the .npy files (window + reference numeric)', fmtMs(npLoad.median)],
      ['ours: recordsToTable of the window (records -> columns), once', fmtMs(current.recordsToTableMs)],
      ['python subprocess wall time per round (start, load, runs)', fmtMs(timing('wall', pyWallMs).median)],
    ],
  );
  console.log(
    `\nagreement: max |PSI ours - numpy| = ${psiDiff.toExponential(2)} (unique), ${psiDiffEq.toExponential(2)} (==)` +
      ` -> ${psiOk ? 'OK' : 'FAIL'} (tolerance 1e-9); max |KS ours - scipy| = ${ksDiff.toExponential(2)}`,
  );
  console.log(
    `per feature: ${report.features.map((f) => `${f.name} ${f.score.toFixed(4)}`).join(', ')}\n${report.summary}`,
  );
  console.log(
    `peak RSS: node ${peakRssMiB().toFixed(0)} MiB (holds reference + window + generation garbage), ` +
      `python ${anchor.peakRssMiB.toFixed(0)} MiB; numpy ${anchor.numpy}, scipy ${anchor.scipy}, python ${anchor.python}`,
  );

  await writeResults('drift', flags, {
    rows,
    referenceRows: REFERENCE_ROWS,
    rounds,
    ours: { all: oursAll, numeric: oursNumeric, categorical: oursCategorical, ks: oursKs },
    plainPass: { all: plainAll, numeric: plainNumeric, categorical: plainCategorical },
    numpy: {
      versions: { numpy: anchor.numpy, scipy: anchor.scipy, python: anchor.python },
      psiUnique: npUnique,
      psiEq: npEq,
      psiNumeric: npNumeric,
      psiUniqueCategorical: npUniqueCat,
      psiEqCategorical: npEqCat,
      ks: npKs,
      load: npLoad,
      peakRssMiB: anchor.peakRssMiB,
    },
    recordsToTableMs: current.recordsToTableMs,
    agreement: { psiMaxAbsDiff: Math.max(psiDiff, psiDiffEq), ksMaxAbsDiff: ksDiff },
    psi: Object.fromEntries(report.features.map((f) => [f.name, f.score])),
    ks: Object.fromEntries(numericFeatures.map((f, k) => [f.name, ksValues[k]])),
  });
  if (!psiOk) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}

// ---- the Python subprocess -----------------------------------------------------------------------------------

interface AnchorResult {
  numpy: string;
  scipy: string;
  python: string;
  rows: number;
  loadMs: number;
  /** Timed samples in ms per computation (psi_unique, psi_eq, psi_numeric, ..._categorical, ks). */
  samples: Record<string, number[]>;
  psi_unique: Record<string, number>;
  psi_eq: Record<string, number>;
  ks: Record<string, { statistic: number; pvalue: number }>;
  peakRssMiB: number;
}

function runAnchor(manifestPath: string): Promise<AnchorResult> {
  const script = fileURLToPath(new URL('./drift_anchor.py', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, manifestPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${python} drift_anchor.py exited with ${code}`));
      else {
        try {
          resolve(JSON.parse(stdout) as AnchorResult);
        } catch (error) {
          reject(new Error(`drift_anchor.py printed no JSON: ${(error as Error).message}\n${stdout.slice(0, 500)}`));
        }
      }
    });
  });
}
