import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { profileTable, type DatasetProfile } from '../lib/data/profile.js';
import type { FeatureTable } from '../lib/data/table.js';
import type { FeatureSpec } from '../lib/spec/pipeline-spec.js';
import { computeDrift } from '../lib/stats/drift.js';
import { createRng } from '../lib/random.js';
import {
  fmtInt,
  fmtMs,
  fmtRatio,
  measureInterleaved,
  median,
  numberFlag,
  parseFlags,
  peakRssMiB,
  printHeader,
  printTable,
  rssMiB,
  summarize,
  timeOnce,
  writeResults,
} from './harness.js';
import { npyFloat64, npyInt32 } from './npy.js';

/**
 * Profile and drift at scale (issue 3, item 7): a reference and a current window of 3,000,000 rows (`--rows N`)
 * by 10 columns (7 numeric, 3 categorical), as typed arrays (categorical columns dictionary-encoded, as the
 * reader builds them). Measures:
 *  - `profileTable` of the reference (and the memory it takes beyond the data);
 *  - `computeDrift` of the window against the stored (JSON round-tripped) profile with the default method `auto`
 *    (normalised Wasserstein for numeric, Jensen-Shannon for categorical columns: a reference over 1000 rows);
 *  - one plain pass over the same arrays (a NaN-skipping sum of every numeric column, a sum of every code column);
 *  - the same drift computed the way Evidently does it, in Python in the same run (bench/drift_scale_anchor.py):
 *    scipy.stats.wasserstein_distance(reference, current) / std(reference) per numeric column, and pandas
 *    value_counts of both sides + scipy's jensenshannon per categorical column (the raw reference is kept and
 *    read again every time: there is no stored profile in that path);
 *  - the reference profile itself, ours (`profileTable`, timed once more per round) vs numpy/pandas computing the
 *    same statistics in the anchor.
 * Goals: ours >= 5x faster than the scipy path; ours <= 2x one plain pass.
 */

const flags = parseFlags();
const rows = Math.floor(numberFlag(flags, 'rows', 3_000_000));
const rounds = Math.max(1, Math.floor(numberFlag(flags, 'rounds', 2)));
const python = process.env.BENCH_PYTHON ?? 'python3';
printHeader(`Drift at scale: ${fmtInt(rows)} rows x 10 columns, ours vs the scipy path vs a plain pass`, flags);

const probe = spawnSync(python, ['-c', 'import numpy, scipy, pandas'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error(`the anchor needs ${python} with numpy, scipy and pandas (pip install -r bench/requirements.txt)`);
  process.exit(1);
}

const NUMERIC = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
const CATEGORICAL: ReadonlyArray<{ name: string; values: string[] }> = [
  { name: 'plan', values: ['basic', 'standard', 'premium', 'family'] },
  { name: 'region', values: ['north', 'south', 'east', 'west', 'central', 'islands'] },
  { name: 'device', values: Array.from({ length: 40 }, (_, i) => `model-${i}`) },
];
const constraints = { nullable: true, maxMissingRate: 0.3 };
const features: FeatureSpec[] = [
  ...NUMERIC.map((name) => ({ name, type: 'numeric' as const, constraints })),
  ...CATEGORICAL.map(({ name }) => ({ name, type: 'categorical' as const, constraints })),
];

/** A table of `n` rows: numeric columns of assorted shapes (2% missing), categorical ones skewed; `shift` drifts. */
function makeTable(n: number, seed: number, shift: number): FeatureTable {
  const rng = createRng(seed);
  const rand = (): number => rng.next();
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const numeric: FeatureTable['numeric'] = {};
  NUMERIC.forEach((name, k) => {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (rand() < 0.02) col[i] = NaN;
      else if (k % 3 === 0) col[i] = 50 + 10 * gauss() + shift * 5 * (k + 1);
      else if (k % 3 === 1) col[i] = Math.exp(1 + 0.6 * gauss() + shift * 0.2);
      else col[i] = Math.floor(-Math.log(1 - rand()) * (3 + shift * 2));
    }
    numeric[name] = col;
  });
  const categorical: FeatureTable['categorical'] = {};
  const categoricalCodes: NonNullable<FeatureTable['categoricalCodes']> = {};
  for (const { name, values } of CATEGORICAL) {
    const codes = new Int32Array(n);
    const strings = new Array<string | null>(n);
    for (let i = 0; i < n; i++) {
      const u = rand();
      const c = u < 0.01 ? -1 : Math.min(values.length - 1, Math.floor(values.length * (u * u + shift * 0.3 * u)));
      codes[i] = c;
      strings[i] = c < 0 ? null : (values[c] as string);
    }
    categorical[name] = strings;
    categoricalCodes[name] = { codes, dictionary: values };
  }
  return { rowCount: n, numeric, categorical, categoricalCodes, label: null };
}

const rssStart = rssMiB();
const built = await timeOnce(() => ({ reference: makeTable(rows, 1, 0), current: makeTable(rows, 2, 0.3) }));
const { reference, current } = built.value;
const rssData = rssMiB();
console.log(
  `generated reference + window in ${fmtMs(built.ms)} ms; RSS ${rssStart.toFixed(0)} -> ${rssData.toFixed(0)} MiB`,
);

const profiled = await timeOnce(() => profileTable(reference, features));
const profileJson = JSON.stringify(profiled.value);
const profile = JSON.parse(profileJson) as DatasetProfile;
console.log(
  `profileTable of the reference: ${fmtMs(profiled.ms)} ms, ${(profileJson.length / 1024).toFixed(0)} KiB of JSON; ` +
    `peak RSS so far ${peakRssMiB().toFixed(0)} MiB (data alone ${rssData.toFixed(0)} MiB)`,
);

const numericColumns = NUMERIC.map((name) => current.numeric[name] as Float64Array);
const codeColumns = CATEGORICAL.map(({ name }) => current.categoricalCodes?.[name]?.codes as Int32Array);
const plainPass = (): number => {
  let total = 0;
  for (const col of numericColumns) {
    for (let i = 0; i < col.length; i++) {
      const v = col[i] as number;
      if (v === v) total += v;
    }
  }
  for (const col of codeColumns) for (let i = 0; i < col.length; i++) total += col[i] as number;
  return total;
};
const ours = (): unknown => computeDrift(profile, current, { driftShare: 0.5 });

const dir = await mkdtemp(join(tmpdir(), 'mlops-bench-drift-scale-'));
try {
  const manifest = { rows, warmup: 1, repeats: 2, numeric: [] as unknown[], categorical: [] as unknown[] };
  for (const name of NUMERIC) {
    const ref = join(dir, `${name}.ref.npy`);
    const cur = join(dir, `${name}.cur.npy`);
    await writeFile(ref, npyFloat64(reference.numeric[name] as Float64Array));
    await writeFile(cur, npyFloat64(current.numeric[name] as Float64Array));
    manifest.numeric.push({ name, reference: ref, current: cur });
  }
  for (const { name, values } of CATEGORICAL) {
    const ref = join(dir, `${name}.ref.npy`);
    const cur = join(dir, `${name}.cur.npy`);
    await writeFile(ref, npyInt32(reference.categoricalCodes?.[name]?.codes as Int32Array));
    await writeFile(cur, npyInt32(current.categoricalCodes?.[name]?.codes as Int32Array));
    manifest.categorical.push({ name, reference: ref, current: cur, dictionary: values });
  }
  const manifestPath = join(dir, 'manifest.json');
  await writeFile(manifestPath, JSON.stringify(manifest));

  const oursSamples: number[] = [];
  const plainSamples: number[] = [];
  const pySamples: number[] = [];
  const profileSamples: number[] = [profiled.ms];
  const pyProfileSamples: number[] = [];
  let anchor: AnchorResult | null = null;
  for (let round = 0; round < rounds; round++) {
    const [o, p] = await measureInterleaved([ours, plainPass], { warmup: 1, iterations: 5 });
    oursSamples.push(...(o ?? []));
    plainSamples.push(...(p ?? []));
    anchor = await runAnchor(manifestPath);
    pySamples.push(...anchor.samples);
    pyProfileSamples.push(...anchor.profileSamples);
    profileSamples.push((await timeOnce(() => profileTable(reference, features))).ms);
    console.log(
      `round ${round + 1}/${rounds}: ours ${fmtMs(median(o ?? []))} ms, plain pass ${fmtMs(median(p ?? []))} ms, ` +
        `scipy path ${fmtMs(median(anchor.samples))} ms`,
    );
  }
  if (anchor === null) throw new Error('no rounds ran');
  const o = summarize('ours', oursSamples);
  const p = summarize('plain pass', plainSamples);
  const s = summarize('scipy path', pySamples);
  const pr = summarize('profile', profileSamples);
  const npr = summarize('numpy profile', pyProfileSamples);
  const report = computeDrift(profile, current, { driftShare: 0.5 });
  console.log();
  printTable(
    ['computation', 'median ms', 'p95 ms', 'ratio'],
    [
      ['ours: computeDrift (auto) vs stored profile', fmtMs(o.median), fmtMs(o.p95), ''],
      [
        'one plain pass over the same arrays',
        fmtMs(p.median),
        fmtMs(p.p95),
        `ours/plain ${fmtRatio(o.median, p.median)}`,
      ],
      [
        'Evidently path: scipy + pandas on raw data',
        fmtMs(s.median),
        fmtMs(s.p95),
        `scipy/ours ${fmtRatio(s.median, o.median)}`,
      ],
      ['ours: profileTable of the reference', fmtMs(pr.median), fmtMs(pr.p95), ''],
      [
        'numpy/pandas: the same profile',
        fmtMs(npr.median),
        fmtMs(npr.p95),
        `ours/numpy ${fmtRatio(pr.median, npr.median)}`,
      ],
    ],
  );
  const agreement = report.features.map((f) => {
    const theirs = anchor.scores[f.name] ?? NaN;
    return { name: f.name, method: f.method, ours: f.score, theirs, diff: Math.abs(f.score - theirs) };
  });
  console.log('\nscores (ours on the stored profile vs the scipy path on raw data)');
  printTable(
    ['feature', 'method', 'ours', 'scipy path', '|diff|'],
    agreement.map((a) => [a.name, a.method, a.ours.toFixed(5), a.theirs.toFixed(5), a.diff.toExponential(1)]),
  );
  const fastEnough = s.median / o.median >= 5;
  const nearPlain = o.median / p.median <= 2;
  console.log(
    `\ngoals: >= 5x faster than the scipy path: ${fastEnough ? 'MET' : 'NOT MET'} (${fmtRatio(s.median, o.median)}); ` +
      `within 2x of a plain pass: ${nearPlain ? 'MET' : 'NOT MET'} (${fmtRatio(o.median, p.median)})`,
  );
  console.log(
    `peak RSS: node ${peakRssMiB().toFixed(0)} MiB (reference + window ${rssData.toFixed(0)} MiB), ` +
      `python ${anchor.peakRssMiB.toFixed(0)} MiB; numpy ${anchor.numpy}, scipy ${anchor.scipy}, pandas ${anchor.pandas}`,
  );
  console.log(report.summary);
  await writeResults('drift-scale', flags, {
    rows,
    columns: 10,
    profileMs: profiled.ms,
    profile: pr,
    numpyProfile: npr,
    profileJsonBytes: profileJson.length,
    ours: o,
    plainPass: p,
    scipyPath: s,
    goals: { fiveTimesScipy: fastEnough, withinTwicePlainPass: nearPlain },
    agreement,
    peakRssMiB: { node: peakRssMiB(), python: anchor.peakRssMiB },
  });
} finally {
  await rm(dir, { recursive: true, force: true });
}

interface AnchorResult {
  numpy: string;
  scipy: string;
  pandas: string;
  samples: number[];
  profileSamples: number[];
  scores: Record<string, number>;
  peakRssMiB: number;
}

function runAnchor(manifestPath: string): Promise<AnchorResult> {
  const script = fileURLToPath(new URL('./drift_scale_anchor.py', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, manifestPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`drift_scale_anchor.py exited with ${code}`));
      else resolve(JSON.parse(out) as AnchorResult);
    });
  });
}
