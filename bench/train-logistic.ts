import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FeatureRecord, FeatureTable } from '../lib/data/table.js';
import { loadOnnxModel } from '../lib/eval/onnx-model.js';
import type { FeatureSpec } from '../lib/spec/pipeline-spec.js';
import { binaryTargets } from '../lib/train/labels.js';
import { logisticRegressionTrainer, predictProbabilities } from '../lib/train/logistic-regression.js';
import { fitPreprocessor, transform } from '../lib/train/preprocess.js';
import { epochPermutation, mulberry32 } from '../lib/train/rng.js';
import { type Hyperparameters, type TrainInput, type TrainResult, trainingFingerprint } from '../lib/train/trainer.js';
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
  summarize,
  timeOnce,
  type Timing,
  writeResults,
} from './harness.js';
import { npyFloat64, npyHeader, npyInt8 } from './npy.js';

/**
 * Training time of the built-in logistic regression (`logisticRegressionTrainer.train`, standardisation included)
 * on 1,000,000 x 20 numeric rows (`--rows N`; `--quick`: 100,000), against scikit-learn's
 * `StandardScaler` + `SGDClassifier(loss="log_loss")` fitted on the same rows in the same run (`bench/train_anchor.py`,
 * data handed over as .npy files), with the validation log loss of both on the same held-out 20%. Goal: ours
 * within 2x of sklearn's fit time at equal or better validation log loss (printed, with the ratio).
 *
 * Settings mapping (ours -> sklearn; both minimise mean log loss + l2/2 * |w|^2 with an unpenalised intercept):
 *   epochs E          -> max_iter=E, tol=None (exactly E passes, no early stop), shuffle=True
 *   l2                -> alpha=l2, penalty="l2"
 *   learningRate lr, batchSize B (constant step on the mini-batch mean gradient)
 *                     -> learning_rate="constant", eta0=lr/B: sklearn steps once per row, so B of its steps move
 *                        the weights as far as one of ours (and decay them by (1-lr*l2/B)^B ~ 1-lr*l2, as ours).
 * sklearn's default schedule (learning_rate="optimal") is fitted once too, for reference only.
 *
 * Hyperparameters: learningRate 0.1, batchSize 256, l2 1e-4 (the spec defaults) and 5 epochs (`--lr`, `--batch`,
 * `--l2`, `--epochs` override them). The sklearn side gets a different random_state every round (its shuffles
 * differ from ours anyway), so the spread of its validation loss over seeds is printed too.
 *
 * Rounds (`--rounds`, default 3; 2 from 500k rows unless `--full`): each round fits ours once (wall time and
 * process CPU time), then runs the Python subprocess, which loads the .npy files (untimed) and fits once; the two
 * cannot be interleaved call by call. Then ONNX inference latency of the trained model (onnxruntime-node via
 * `loadOnnxModel`, 1 and 1000 records) against the trainer's pure-JS `predictProbabilities`, interleaved (as in
 * bench/onnx-inference.ts, which covers the 7-feature churn model). Exit code 1 when a check fails: ONNX vs JS
 * probabilities within 1e-5, our validation log loss computed in JS and in Python within 1e-9. The time and loss
 * goal only prints its verdict.
 * Python: `BENCH_PYTHON` (default `python3`) with numpy and scikit-learn (`pip install -r bench/requirements.txt`).
 */

const flags = parseFlags();
const quick = flags.argv.includes('--quick');
const rows = Math.floor(numberFlag(flags, 'rows', quick ? 100_000 : 1_000_000));
const rounds = Math.max(1, Math.floor(numberFlag(flags, 'rounds', rows >= 500_000 && !flags.full ? 2 : 3)));
const FEATURES = 20;
const SEED = 42;
const trainRows = Math.floor(rows * 0.8);
const valRows = rows - trainRows;
const hyperparameters: Hyperparameters = {
  learningRate: numberFlag(flags, 'lr', 0.1),
  epochs: Math.floor(numberFlag(flags, 'epochs', 5)),
  batchSize: Math.floor(numberFlag(flags, 'batch', 256)),
  l2: numberFlag(flags, 'l2', 1e-4),
};
const python = process.env.BENCH_PYTHON ?? 'python3';

printHeader(
  `Training: logisticRegressionTrainer vs scikit-learn SGDClassifier (${fmtInt(rows)} x ${FEATURES} rows)`,
  flags,
);

const probe = spawnSync(python, ['-c', 'import numpy, sklearn'], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error(
    `the anchor needs ${python} with numpy and scikit-learn (pip install -r bench/requirements.txt, or set BENCH_PYTHON):\n` +
      `${probe.error?.message ?? probe.stderr}`,
  );
  process.exit(1);
}

// ---- deterministic synthetic data: a known logistic model ------------------------------------------------------

/** True weights per standardised feature (some zero: features that carry no signal). */
const TRUE_WEIGHTS = [
  1.2, -0.8, 0.6, 0, 0.4, -1.0, 0, 0.3, -0.5, 0.9, 0, -0.2, 0.7, 0, -0.6, 0.25, 0, 0.5, -0.35, 0.15,
] as const;
const TRUE_BIAS = -0.4;
const names = Array.from({ length: FEATURES }, (_, j) => `f${String(j).padStart(2, '0')}`);
/** Feature j ~ N(MEANS[j], SCALES[j]^2): different locations and spreads, so standardisation matters. */
const MEANS = names.map((_, j) => ((j % 7) - 3) * 5);
const SCALES = names.map((_, j) => 0.5 + (j % 5) * 2);
const features: FeatureSpec[] = names.map((name) => ({
  name,
  type: 'numeric',
  constraints: { nullable: true, maxMissingRate: 0.3 },
}));
const label = { name: 'target', task: 'binary' as const, positive: 'yes' };

/**
 * `n` rows: x_j = MEANS[j] + SCALES[j] * N(0, 1) (mulberry32 + Box-Muller), true logit
 * z = TRUE_BIAS + sum_j TRUE_WEIGHTS[j] * (x_j - MEANS[j]) / SCALES[j], label "yes" with probability sigmoid(z)
 * (i.e. z + standard logistic noise > 0: the noise is the label's own Bernoulli draw).
 */
function generate(
  n: number,
  seed: number,
): { columns: Float64Array[]; labels: string[]; y: Int8Array; z: Float64Array } {
  const next = mulberry32(seed);
  let spare = NaN;
  const normal = (): number => {
    if (spare === spare) {
      const s = spare;
      spare = NaN;
      return s;
    }
    const u = 1 - next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  const columns = names.map(() => new Float64Array(n));
  const labels = new Array<string>(n);
  const y = new Int8Array(n);
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let logit = TRUE_BIAS;
    for (let j = 0; j < FEATURES; j++) {
      const e = normal();
      columns[j]![i] = MEANS[j]! + SCALES[j]! * e;
      logit += TRUE_WEIGHTS[j]! * e;
    }
    z[i] = logit;
    const positive = next() < 1 / (1 + Math.exp(-logit));
    y[i] = positive ? 1 : 0;
    labels[i] = positive ? 'yes' : 'no';
  }
  return { columns, labels, y, z };
}

function tableOf(data: ReturnType<typeof generate>, from: number, to: number): FeatureTable {
  return {
    rowCount: to - from,
    numeric: Object.fromEntries(names.map((name, j) => [name, data.columns[j]!.subarray(from, to)])),
    categorical: {},
    label: data.labels.slice(from, to),
  };
}

/** Mean log loss from logits, `mean(softplus(z) - y z)` (the formula of lib/train and of the Python side). */
function logLossFromLogits(z: Float64Array, y: Int8Array): number {
  let total = 0;
  for (let i = 0; i < z.length; i++) {
    const v = z[i]!;
    const softplus = v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v));
    total += softplus - y[i]! * v;
  }
  return total / z.length;
}

const generated = await timeOnce(() => generate(rows, SEED));
const data = generated.value;
const trainTable = tableOf(data, 0, trainRows);
const valTable = tableOf(data, trainRows, rows);
const yVal = data.y.subarray(trainRows);
const trueValLoss = logLossFromLogits(data.z.subarray(trainRows), yVal);
let positives = 0;
for (let i = 0; i < trainRows; i++) positives += data.y[i]!;
console.log(
  `generated ${fmtInt(rows)} rows x ${FEATURES} numeric features in ${fmtMs(generated.ms)} ms ` +
    `(train ${fmtInt(trainRows)}, held-out validation ${fmtInt(valRows)}; positive rate ${(positives / trainRows).toFixed(3)}); ` +
    `validation log loss of the true model: ${trueValLoss.toFixed(5)}`,
);
console.log(
  `hyperparameters: ${JSON.stringify(hyperparameters)}; sklearn: alpha=${hyperparameters.l2}, ` +
    `eta0=${hyperparameters.learningRate}/${hyperparameters.batchSize}=${(hyperparameters.learningRate / hyperparameters.batchSize).toPrecision(4)} ` +
    `(constant), max_iter=${hyperparameters.epochs}, tol=None`,
);

// ---- .npy hand-over -----------------------------------------------------------------------------------------

function bytesOf(a: Float64Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Writes the columns as one C-order (rows x features) float64 matrix, in 64k-row chunks. */
async function writeMatrix(path: string, columns: readonly Float64Array[], n: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.write(npyHeader('<f8', [n, columns.length]));
    const CHUNK = 65_536;
    const buffer = new Float64Array(CHUNK * columns.length);
    for (let begin = 0; begin < n; begin += CHUNK) {
      const end = Math.min(n, begin + CHUNK);
      for (let i = begin; i < end; i++) {
        const base = (i - begin) * columns.length;
        for (let j = 0; j < columns.length; j++) buffer[base + j] = columns[j]![i]!;
      }
      await file.write(bytesOf(buffer.subarray(0, (end - begin) * columns.length)));
    }
  } finally {
    await file.close();
  }
}

async function writeVector(path: string, values: Float64Array | Int8Array): Promise<void> {
  await writeFile(path, values instanceof Float64Array ? npyFloat64(values) : npyInt8(values));
}

// ---- the Python subprocess -----------------------------------------------------------------------------------

interface SklearnModel {
  valLogLoss: number;
  valLogLossSklearn: number;
  nIter: number;
  tUpdates: number;
  coef: number[];
  intercept: number;
}

interface AnchorResult {
  numpy: string;
  sklearn: string;
  python: string;
  loadMs: number;
  samples: Record<'scale' | 'sgd' | 'fit' | 'scaleCpu' | 'sgdCpu' | 'fitCpu', number[]>;
  constant: SklearnModel;
  optimal?: SklearnModel & { fitMs: number; sgdMs: number };
  oursValLogLoss?: number;
  peakRssMiB: number;
}

function runAnchor(manifestPath: string): Promise<AnchorResult> {
  const script = fileURLToPath(new URL('./train_anchor.py', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, manifestPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${python} train_anchor.py exited with ${code}`));
      else {
        try {
          resolve(JSON.parse(stdout) as AnchorResult);
        } catch (error) {
          reject(new Error(`train_anchor.py printed no JSON: ${(error as Error).message}\n${stdout.slice(0, 500)}`));
        }
      }
    });
  });
}

// ---- ours ----------------------------------------------------------------------------------------------------

const input: TrainInput = { table: trainTable, features, label, hyperparameters, seed: SEED };

/** Logits of a trained model on the validation rows (standardisation of the model, float64). */
function valLogits(trained: TrainResult): Float64Array {
  const pre = trained.metadata.preprocessor;
  const x = transform(pre, valTable);
  const w = trained.metadata.weights;
  const out = new Float64Array(valRows);
  for (let i = 0; i < valRows; i++) {
    let v = trained.metadata.bias;
    for (let j = 0; j < pre.width; j++) v += w[j]! * x[i * pre.width + j]!;
    out[i] = v;
  }
  return out;
}

const dir = await mkdtemp(join(tmpdir(), 'mlops-bench-train-'));
try {
  const written = await timeOnce(async () => {
    await writeMatrix(join(dir, 'x.npy'), data.columns, rows);
    await writeVector(join(dir, 'y.npy'), data.y);
  });
  console.log(`wrote the rows as .npy files in ${fmtMs(written.ms)} ms (${dir})\n`);

  const oursFit: number[] = [];
  const oursCpu: number[] = [];
  const oursEpochMs: number[] = [];
  const sk: Record<'scale' | 'sgd' | 'fit' | 'scaleCpu' | 'sgdCpu' | 'fitCpu' | 'valLoss', number[]> = {
    scale: [],
    sgd: [],
    fit: [],
    scaleCpu: [],
    sgdCpu: [],
    fitCpu: [],
    valLoss: [],
  };
  let trained: TrainResult | null = null;
  let anchor: AnchorResult | null = null;
  let optimal: AnchorResult['optimal'];
  let oursValLossPython: number | undefined;
  const pyWallMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const marks: bigint[] = [];
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    const result = await logisticRegressionTrainer.train({
      ...input,
      onProgress: () => void marks.push(process.hrtime.bigint()),
    });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const cpu = process.cpuUsage(cpuStart);
    oursFit.push(ms);
    oursCpu.push((cpu.user + cpu.system) / 1000);
    for (let k = 1; k < marks.length; k++) oursEpochMs.push(Number(marks[k]! - marks[k - 1]!) / 1e6);
    if (trained !== null && !Buffer.from(trained.onnx).equals(Buffer.from(result.onnx))) {
      throw new Error('two fits of ours gave different ONNX bytes');
    }
    trained = result;

    const logitsPath = join(dir, 'ours-val-logits.npy');
    if (round === 0) await writeVector(logitsPath, valLogits(result));
    const manifest = {
      x: join(dir, 'x.npy'),
      y: join(dir, 'y.npy'),
      trainRows,
      hyperparameters,
      seed: SEED + round,
      repeats: 1,
      defaultSchedule: round === 0,
      oursValLogits: round === 0 ? logitsPath : null,
    };
    const manifestPath = join(dir, 'manifest.json');
    await writeFile(manifestPath, JSON.stringify(manifest));
    const run = await timeOnce(() => runAnchor(manifestPath));
    anchor = run.value;
    pyWallMs.push(run.ms);
    for (const key of ['scale', 'sgd', 'fit', 'scaleCpu', 'sgdCpu', 'fitCpu'] as const)
      sk[key].push(...anchor.samples[key]);
    sk.valLoss.push(anchor.constant.valLogLoss);
    if (round === 0) {
      optimal = anchor.optimal;
      oursValLossPython = anchor.oursValLogLoss;
    }
    console.log(
      `round ${round + 1}/${rounds}: ours ${fmtMs(ms)} ms (CPU ${fmtMs(oursCpu.at(-1)!)}), sklearn (scaler + SGD) ` +
        `${fmtMs(anchor.samples.fit.at(-1)!)} ms (CPU ${fmtMs(anchor.samples.fitCpu.at(-1)!)}) -> ` +
        `${fmtRatio(ms, anchor.samples.fit.at(-1)!)} wall, ${fmtRatio(oursCpu.at(-1)!, anchor.samples.fitCpu.at(-1)!)} CPU; ` +
        `sklearn val log loss ${anchor.constant.valLogLoss.toFixed(5)} (random_state ${SEED + round})`,
    );
  }
  if (trained === null || anchor === null) throw new Error('no rounds ran');

  // ---- where our time goes (each step timed once, outside the fits above) ------------------------------------

  const fingerprintMs = (await timeOnce(() => trainingFingerprint('logistic_regression', input))).ms;
  const targetsMs = (await timeOnce(() => binaryTargets(trainTable.label, label.positive))).ms;
  const preprocess = await timeOnce(() => transform(fitPreprocessor(trainTable, features), trainTable));
  const permutationMs = (await timeOnce(() => epochPermutation(trainRows, SEED, 0))).ms;

  // ---- quality ------------------------------------------------------------------------------------------------

  const oursValLoss = logLossFromLogits(valLogits(trained), yVal);
  const skValLoss = median(sk.valLoss);
  const w = trained.metadata.weights;
  let oursWeightErr = 0;
  let skWeightErr = 0;
  let oursSkDiff = 0;
  for (let j = 0; j < FEATURES; j++) {
    oursWeightErr = Math.max(oursWeightErr, Math.abs(w[j]! - TRUE_WEIGHTS[j]!));
    skWeightErr = Math.max(skWeightErr, Math.abs(anchor.constant.coef[j]! - TRUE_WEIGHTS[j]!));
    oursSkDiff = Math.max(oursSkDiff, Math.abs(w[j]! - anchor.constant.coef[j]!));
  }

  const ours = summarize('ours: logisticRegressionTrainer.train', oursFit);
  const skFit = summarize('sklearn: StandardScaler + SGDClassifier.fit', sk.fit);
  const skScale = summarize('sklearn: StandardScaler fit_transform', sk.scale);
  const skSgd = summarize('sklearn: SGDClassifier.fit', sk.sgd);
  const cpuOf = new Map<string, Timing>([
    [ours.label, summarize('ours cpu', oursCpu)],
    [skFit.label, summarize('sklearn fit cpu', sk.fitCpu)],
    [skScale.label, summarize('sklearn scale cpu', sk.scaleCpu)],
    [skSgd.label, summarize('sklearn sgd cpu', sk.sgdCpu)],
  ]);
  const oursCpuT = cpuOf.get(ours.label)!;
  const skFitCpu = cpuOf.get(skFit.label)!;
  const cpuRatio = oursCpuT.median / skFitCpu.median;
  const epoch = summarize('ours: one epoch (onProgress to onProgress)', oursEpochMs);
  const ratio = ours.median / skFit.median;
  const ratios = oursFit.map((o, k) => o / sk.fit[k]!);
  /**
   * "Equal" validation log loss: within 1e-4 (absolute) of sklearn's; the spread of sklearn's own loss over its
   * random_state seeds is printed next to it to show what such a difference means.
   */
  const LOSS_TOLERANCE = 1e-4;
  const timeOk = ratio <= 2;
  const lossOk = oursValLoss <= skValLoss + LOSS_TOLERANCE;

  console.log(
    `\nfit time, ${fmtInt(trainRows)} training rows x ${FEATURES} features, ${hyperparameters.epochs} epochs ` +
      '(wall: hrtime / perf_counter; CPU: process.cpuUsage / process_time, less sensitive to a loaded machine)',
  );
  printTable(
    ['what', 'wall median ms', 'wall min..max', 'CPU median ms', 'runs', '/ sklearn fit (wall)', '/ sklearn fit (CPU)'],
    [ours, skFit, skScale, skSgd].map((t) => [
      t.label,
      fmtMs(t.median),
      `${fmtMs(t.min)}..${fmtMs(t.max)}`,
      fmtMs(cpuOf.get(t.label)!.median),
      String(t.iterations),
      fmtRatio(t.median, skFit.median),
      fmtRatio(cpuOf.get(t.label)!.median, skFitCpu.median),
    ]),
  );
  console.log(
    `\nratio ours / sklearn fit per round: wall ${ratios.map((r) => `${r.toFixed(2)}x`).join(', ')}; ` +
      `CPU ${oursCpu.map((o, k) => `${(o / sk.fitCpu[k]!).toFixed(2)}x`).join(', ')}; ` +
      `ours / sklearn SGD alone (wall medians): ${fmtRatio(ours.median, skSgd.median)}`,
  );

  console.log(`\nwhere our fit's time goes (steps timed once on their own; per-epoch from the fits above)`);
  const perEpoch = epoch.iterations > 0 ? epoch.median : NaN;
  printTable(
    ['step', 'ms', 'x per fit', '/ our fit'],
    [
      ['checkpoint fingerprint (sha256 of the columns)', fingerprintMs, 1],
      ['binaryTargets (label strings -> 0/1)', targetsMs, 1],
      [
        'fitPreprocessor + transform (standardisation; the trainer then copies into its training matrix)',
        preprocess.ms,
        1,
      ],
      ['epochPermutation (shuffle)', permutationMs, hyperparameters.epochs],
      ['one epoch: shuffle + SGD + train log loss pass', perEpoch, hyperparameters.epochs],
    ].map(([name, ms, times]) => [
      name as string,
      fmtMs(ms as number),
      String(times),
      `${(((ms as number) * (times as number) * 100) / ours.median).toFixed(0)}%`,
    ]),
  );

  console.log(`\nvalidation log loss, same ${fmtInt(valRows)} held-out rows`);
  const skLosses = [...sk.valLoss].sort((a, b) => a - b);
  printTable(
    ['model', 'val log loss', 'max |w - true w|'],
    [
      ['true model (the generator)', trueValLoss.toFixed(5), '0'],
      ['ours', oursValLoss.toFixed(5), oursWeightErr.toFixed(4)],
      [
        `sklearn SGD, constant eta0 (median of ${sk.valLoss.length} seeds, ${skLosses[0]!.toFixed(5)}..${skLosses.at(-1)!.toFixed(5)})`,
        skValLoss.toFixed(5),
        skWeightErr.toFixed(4),
      ],
      ...(optimal === undefined
        ? []
        : [
            [
              `sklearn SGD, default learning_rate="optimal" (fit ${fmtMs(optimal.fitMs)} ms)`,
              optimal.valLogLoss.toFixed(5),
              Math.max(...optimal.coef.map((c, j) => Math.abs(c - TRUE_WEIGHTS[j]!))).toFixed(4),
            ],
          ]),
    ],
  );
  console.log(
    `ours - sklearn = ${(oursValLoss - skValLoss).toExponential(2)}; ours computed by Python: ` +
      `${oursValLossPython?.toFixed(6) ?? 'n/a'} (JS ${oursValLoss.toFixed(6)}, must agree within 1e-9); ` +
      `sklearn.metrics.log_loss of sklearn's ` +
      `predict_proba: ${anchor.constant.valLogLossSklearn.toFixed(6)}; max |w ours - w sklearn| ${oursSkDiff.toFixed(4)}`,
  );

  console.log(
    `\nGOAL (ours within 2x of sklearn's fit time at equal or better validation log loss): ` +
      `wall ${ratio.toFixed(2)}x ${timeOk ? '<=' : '>'} 2x -> ${timeOk ? 'met' : 'NOT met'} ` +
      `(CPU ${cpuRatio.toFixed(2)}x: ${cpuRatio <= 2 ? 'met' : 'NOT met'}); ` +
      `val log loss ${oursValLoss.toFixed(5)} vs ${skValLoss.toFixed(5)} ` +
      `(${lossOk ? 'equal or better' : 'WORSE'}, tolerance ${LOSS_TOLERANCE}) -> ` +
      `${timeOk && lossOk ? 'GOAL MET' : 'GOAL NOT MET'}`,
  );

  // ---- ONNX inference of the trained model ---------------------------------------------------------------------

  const model = await loadOnnxModel(trained.onnx);
  const check = await model.predictTable(valTable);
  const reference = predictProbabilities(trained.metadata, valTable);
  let maxDiff = 0;
  for (let i = 0; i < valRows; i++) maxDiff = Math.max(maxDiff, Math.abs(check.scores[i]! - reference[i]!));
  const recordCount = Math.min(valRows, 65_000);
  const records: FeatureRecord[] = Array.from({ length: recordCount }, (_, i) =>
    Object.fromEntries(names.map((name, j) => [name, data.columns[j]![trainRows + i]!])),
  );
  const inference: Array<{ case: string; onnx: Timing; js: Timing }> = [];
  for (const [size, warmup, iterations] of [
    [1, 500, flags.full ? 9000 : 3000],
    [1000, 30, flags.full ? 900 : 300],
  ] as const) {
    const batches = Array.from({ length: 64 }, (_, k) => {
      const from = (k * size) % Math.max(1, recordCount - size);
      return records.slice(from, from + size);
    });
    const pick = (i: number): FeatureRecord[] => batches[i % batches.length]!;
    const [onnxSamples, jsSamples] = await measureInterleaved(
      [
        (i) => model.predictRecords(pick(i)),
        (i) => {
          const batch = pick(i);
          const table: FeatureTable = {
            rowCount: batch.length,
            numeric: Object.fromEntries(
              names.map((name) => [name, Float64Array.from(batch, (r) => r[name] as number)]),
            ),
            categorical: {},
            label: null,
          };
          return predictProbabilities(trained.metadata, table);
        },
      ],
      { warmup, iterations },
    );
    const name = `predictRecords, ${size} record${size === 1 ? '' : 's'}`;
    inference.push({
      case: name,
      onnx: summarize(`onnx ${name}`, onnxSamples!),
      js: summarize(`js ${name}`, jsSamples!),
    });
  }
  await model.close();
  /** Agreement checks (exit code 1 when one fails); the time and loss goal only prints its verdict. */
  const ONNX_TOLERANCE = 1e-5;
  const lossAgreement = Math.abs((oursValLossPython ?? NaN) - oursValLoss);
  const agreementOk = maxDiff <= ONNX_TOLERANCE && lossAgreement <= 1e-9;
  console.log(
    `\nONNX inference of this ${FEATURES}-feature model (onnxruntime-node, loadOnnxModel defaults; ` +
      `${fmtInt(trained.onnx.byteLength)} bytes); max |ONNX - JS| probability over the validation rows: ` +
      `${maxDiff.toExponential(2)} (${maxDiff <= ONNX_TOLERANCE ? 'OK' : 'FAIL'}, tolerance ${ONNX_TOLERANCE}: float32 graph)`,
  );
  printTable(
    ['case', 'ONNX median ms', 'ONNX p95 ms', 'JS median ms', 'JS p95 ms', 'ONNX/JS', 'iterations'],
    inference.map((r) => [
      r.case,
      fmtMs(r.onnx.median),
      fmtMs(r.onnx.p95),
      fmtMs(r.js.median),
      fmtMs(r.js.p95),
      fmtRatio(r.onnx.median, r.js.median),
      String(r.onnx.iterations),
    ]),
  );
  console.log('JS anchor: records -> Float64Array columns, then predictProbabilities (float64), interleaved with ONNX');

  console.log(
    `\npeak RSS: node ${peakRssMiB().toFixed(0)} MiB (the rows as columns, the trainer's training matrix, the ONNX session), ` +
      `python ${anchor.peakRssMiB.toFixed(0)} MiB; numpy ${anchor.numpy}, scikit-learn ${anchor.sklearn}, ` +
      `python ${anchor.python}; np.load ${fmtMs(anchor.loadMs)} ms, python wall per round ${fmtMs(median(pyWallMs))} ms`,
  );

  await writeResults('train-logistic', flags, {
    rows,
    trainRows,
    valRows,
    features: FEATURES,
    hyperparameters,
    sklearnSettings: {
      loss: 'log_loss',
      penalty: 'l2',
      alpha: hyperparameters.l2,
      learning_rate: 'constant',
      eta0: hyperparameters.learningRate / hyperparameters.batchSize,
      max_iter: hyperparameters.epochs,
      tol: null,
      shuffle: true,
    },
    rounds,
    fit: {
      ours,
      sklearn: skFit,
      sklearnScale: skScale,
      sklearnSgd: skSgd,
      ratio,
      ratios,
      oursEpoch: epoch,
      cpu: { ours: oursCpuT, sklearn: skFitCpu, ratio: cpuRatio },
    },
    breakdownMs: {
      fingerprint: fingerprintMs,
      binaryTargets: targetsMs,
      preprocess: preprocess.ms,
      permutation: permutationMs,
    },
    valLogLoss: {
      trueModel: trueValLoss,
      ours: oursValLoss,
      oursByPython: oursValLossPython,
      sklearn: skValLoss,
      sklearnSeeds: sk.valLoss,
      sklearnOptimal: optimal?.valLogLoss,
    },
    goal: { timeRatio: ratio, cpuRatio, timeOk, lossOk, met: timeOk && lossOk, lossTolerance: LOSS_TOLERANCE },
    inference: { maxAbsDiff: maxDiff, cases: inference },
    agreement: { ok: agreementOk, onnxMaxAbsDiff: maxDiff, oursValLogLossJsVsPython: lossAgreement },
    versions: { numpy: anchor.numpy, sklearn: anchor.sklearn, python: anchor.python },
    peakRssMiB: { node: peakRssMiB(), python: anchor.peakRssMiB },
  });
  if (!agreementOk) {
    console.error(`agreement check failed: ONNX ${maxDiff}, val log loss JS vs Python ${lossAgreement}`);
    process.exitCode = 1;
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
