import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { generateChurn, generateTraffic, toCsv } from '../lib/data/generate-churn.js';
import { readDataset } from '../lib/data/read-dataset.js';
import { recordsToTable } from '../lib/data/records.js';
import type { FeatureRecord, FeatureTable } from '../lib/data/table.js';
import { loadOnnxModel } from '../lib/eval/onnx-model.js';
import { loadSpecFile } from '../lib/spec/load-spec.js';
import { logisticRegressionTrainer, predictProbabilities } from '../lib/train/logistic-regression.js';
import {
  fmtInt,
  fmtMs,
  fmtRate,
  fmtRatio,
  measureInterleaved,
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
 * ONNX inference latency of the churn logistic regression (onnxruntime-node, via `loadOnnxModel`), against the
 * trainer's own pure-JS `predictProbabilities` on the same rows in the same run.
 *
 * Cases: `predictRecords` of 1 record and of 1000 records (what serving does per request; the JS anchor includes
 * the same record -> column conversion via `recordsToTable`), and `predictTable` of a 100k-row table (batch
 * scoring / evaluation; the anchor scores the same table). `--full`: a 1M-row table and more repetitions.
 * `--table-rows N` overrides the table size.
 */

const flags = parseFlags();
const TRAIN_ROWS = 20_000;
const tableRows = Math.floor(numberFlag(flags, 'table-rows', flags.full ? 1_000_000 : 100_000));
const scale = flags.full ? 3 : 1;

printHeader('ONNX inference (onnxruntime-node) vs pure-JS predictProbabilities', flags);

const spec = await loadSpecFile(fileURLToPath(new URL('../examples/churn/pipeline.yaml', import.meta.url)));
const { features } = spec;

const setup = await timeOnce(async () => {
  const csv = new TextEncoder().encode(toCsv(generateChurn({ rows: TRAIN_ROWS, seed: 1 })));
  const { table } = readDataset(csv, { format: 'csv', features, labelName: spec.label.name, source: 'bench' });
  return logisticRegressionTrainer.train({
    table,
    features,
    label: { name: spec.label.name, task: spec.label.task, positive: spec.label.positive },
    hyperparameters: spec.trainer.hyperparameters,
    seed: spec.split.seed,
  });
});
const trained = setup.value;
const model = await loadOnnxModel(trained.onnx);
const { records } = generateTraffic({ rows: tableRows, seed: 2, drift: 0.3 });
const table = recordsToTable(records, features);
console.log(
  `trained ${spec.trainer.algorithm} on ${fmtInt(TRAIN_ROWS)} rows x ${features.length} features ` +
    `(${spec.trainer.hyperparameters.epochs} epochs, ${trained.metadata.columns.length} design columns, ` +
    `train log loss ${trained.metrics.train_log_loss?.toFixed(4)}) in ${fmtMs(setup.ms)} ms; ` +
    `ONNX model ${fmtInt(trained.onnx.byteLength)} bytes`,
);

// Agreement first: the ONNX graph computes in float32, the trainer in float64.
const check = await model.predictTable(table);
const reference = predictProbabilities(trained.metadata, table);
let maxDiff = 0;
for (let i = 0; i < table.rowCount; i++) maxDiff = Math.max(maxDiff, Math.abs(check.scores[i]! - reference[i]!));
console.log(`max |ONNX - JS| probability over ${fmtInt(table.rowCount)} rows: ${maxDiff.toExponential(2)}\n`);

/** Consecutive `size`-record slices of the traffic, cycling, so each iteration scores different rows. */
function batch(size: number, iteration: number): FeatureRecord[] {
  const start = (iteration * size) % Math.max(1, records.length - size);
  return records.slice(start, start + size);
}

interface CaseResult {
  case: string;
  rows: number;
  onnx: Timing;
  js: Timing;
  ratio: number;
}

const results: CaseResult[] = [];

/** Times ONNX and the JS anchor interleaved (see `measureInterleaved`) and records the case. */
async function compare(
  name: string,
  rows: number,
  onnxFn: (i: number) => unknown,
  jsFn: (i: number) => unknown,
  warmup: number,
  iterations: number,
): Promise<void> {
  const [onnxSamples, jsSamples] = await measureInterleaved([onnxFn, jsFn], { warmup, iterations });
  const onnx = summarize(`onnx ${name}`, onnxSamples!);
  const js = summarize(`js ${name}`, jsSamples!);
  results.push({ case: name, rows, onnx, js, ratio: onnx.median / js.median });
}

async function recordsCase(size: number, warmup: number, iterations: number): Promise<void> {
  const batches = Array.from({ length: 64 }, (_, i) => batch(size, i));
  const pick = (i: number): FeatureRecord[] => batches[i % batches.length]!;
  await compare(
    `predictRecords, ${size} record${size === 1 ? '' : 's'}`,
    size,
    (i) => model.predictRecords(pick(i)),
    (i) => predictProbabilities(trained.metadata, recordsToTable(pick(i), features)),
    warmup,
    iterations,
  );
}

async function tableCase(t: FeatureTable, warmup: number, iterations: number): Promise<void> {
  await compare(
    `predictTable, ${fmtInt(t.rowCount)} rows`,
    t.rowCount,
    () => model.predictTable(t),
    () => predictProbabilities(trained.metadata, t),
    warmup,
    iterations,
  );
}

/**
 * Where `predictTable`'s time goes: building the input tensors (float32 copies, string arrays) vs
 * `session.run` on prebuilt feeds, on a second session of the same bytes.
 */
async function tableBreakdown(t: FeatureTable, warmup: number, iterations: number): Promise<Timing[]> {
  const session = await ort.InferenceSession.create(trained.onnx, { logSeverityLevel: 3 });
  const n = t.rowCount;
  const buildFeeds = (): Record<string, ort.Tensor> => {
    const feeds: Record<string, ort.Tensor> = {};
    for (const f of features) {
      feeds[f.name] =
        f.type === 'numeric'
          ? new ort.Tensor('float32', Float32Array.from(t.numeric[f.name]!), [n, 1])
          : new ort.Tensor(
              'string',
              t.categorical[f.name]!.map((v) => v ?? ''),
              [n, 1],
            );
    }
    return feeds;
  };
  const feeds = buildFeeds();
  const samples = await measureInterleaved(
    [buildFeeds, () => session.run(feeds), () => predictProbabilities(trained.metadata, t)],
    { warmup, iterations },
  );
  await session.release();
  return ['build input tensors', 'session.run (prebuilt feeds)', 'JS predictProbabilities (anchor)'].map((label, k) =>
    summarize(label, samples[k]!),
  );
}

await recordsCase(1, 500, 3000 * scale);
await recordsCase(1000, 30, 300 * scale);
await tableCase(table, 3, flags.full ? 10 : 15);
const breakdown = await tableBreakdown(table, 2, flags.full ? 8 : 10);

printTable(
  [
    'case',
    'ONNX median ms',
    'ONNX p95 ms',
    'JS median ms',
    'JS p95 ms',
    'ONNX/JS (median)',
    'ONNX/JS (p95)',
    'ONNX rows/s',
  ],
  results.map((r) => [
    r.case,
    fmtMs(r.onnx.median),
    fmtMs(r.onnx.p95),
    fmtMs(r.js.median),
    fmtMs(r.js.p95),
    fmtRatio(r.onnx.median, r.js.median),
    fmtRatio(r.onnx.p95, r.js.p95),
    fmtRate(r.rows, r.onnx.median),
  ]),
);
console.log(
  `\nwhere predictTable's time goes, ${fmtInt(table.rowCount)} rows (each step interleaved with the anchor):`,
);
const jsTable = breakdown[breakdown.length - 1]!;
printTable(
  ['step', 'median ms', 'p95 ms', '/ JS median'],
  breakdown.map((b) => [b.label, fmtMs(b.median), fmtMs(b.p95), fmtRatio(b.median, jsTable.median)]),
);
console.log(
  `\niterations: ${results.map((r) => `${r.case}: ${r.onnx.iterations}`).join('; ')}. ` +
    `peak RSS ${peakRssMiB().toFixed(0)} MiB`,
);
console.log(
  "anchor: the trainer's float64 pure-JS predictProbabilities on the same rows (records cases include recordsToTable); " +
    'ratio > 1 means onnxruntime is slower',
);

await model.close();
await writeResults('onnx-inference', flags, {
  trainRows: TRAIN_ROWS,
  tableRows,
  maxAbsDiff: maxDiff,
  trainMs: setup.ms,
  cases: results,
  predictTableBreakdown: breakdown,
});
