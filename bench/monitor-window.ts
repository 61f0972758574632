import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateTraffic } from '../lib/data/generate-churn.js';
import { profileTable, type DatasetProfile } from '../lib/data/profile.js';
import { recordsToTable } from '../lib/data/records.js';
import { binaryMetricsForLabels } from '../lib/eval/metrics.js';
import { loadSpecFile } from '../lib/spec/load-spec.js';
import { computeDrift } from '../lib/stats/drift.js';
import { predictionDrift, predictionProfile } from '../lib/stats/prediction-drift.js';
import {
  fmtInt,
  fmtMs,
  measureSamples,
  numberFlag,
  parseFlags,
  peakRssMiB,
  printHeader,
  printTable,
  summarize,
  writeResults,
} from './harness.js';

/**
 * Monitoring cost (issue "Continuous training", item 7), the computation of one `monitorWindow` after the registry
 * read: logged records -> columns (`recordsToTable`), feature drift against the stored training profile (`auto`),
 * prediction drift, performance on the labelled predictions (binary metrics) and latency quantiles, for a window of
 * 100,000 logged predictions (`--rows N`). Then `--models N` (default 100) monitors at once on one worker: the same
 * window computed for N models, each with its own profile, one after the other as one activity slot would, and all
 * at once (Promise.all, as concurrent activities of one worker process share its thread): total time per round of
 * windows and the memory the profiles take. History per monitor is derived from the recorded monitor history
 * (test/fixtures/histories/modelMonitor.json): bytes per window times the windows of one run before continue-as-new.
 * Not included: reading the window from PostgreSQL (the activity reads at most 200,000 rows per window) and
 * writing the report: `monitor-window-db.ts` times the whole activity against a real database.
 */

const flags = parseFlags();
const rows = Math.floor(numberFlag(flags, 'rows', 100_000));
const models = Math.floor(numberFlag(flags, 'models', 100));
printHeader(`Monitoring: one window of ${fmtInt(rows)} predictions; ${models} models on one worker`, flags);

const spec = await loadSpecFile(fileURLToPath(new URL('../examples/churn/pipeline.yaml', import.meta.url)));
const training = generateTraffic({ rows: 20_000, seed: 1 });
const reference = JSON.parse(
  JSON.stringify(profileTable(recordsToTable(training.records, spec.features), spec.features)),
) as DatasetProfile;
const outputs = predictionProfile(training.records.map((_, i) => (i % 97) / 97));
const window = generateTraffic({ rows, seed: 2, drift: 0.3 });
const scores = window.records.map((_, i) => ((i * 31) % 101) / 101);
const latencies = window.records.map((_, i) => 2 + ((i * 17) % 50) / 10);

/** The activity's computation for one window. */
function judgeWindow(profile: DatasetProfile): string {
  const table = recordsToTable(window.records, spec.features);
  const drift = computeDrift(profile, table, { method: 'auto', driftShare: spec.monitoring.driftShare });
  const outputDrift = predictionDrift(outputs, scores);
  const metrics = binaryMetricsForLabels(scores, window.labels, '1');
  const sorted = [...latencies].sort((a, b) => a - b);
  const p99 = sorted[Math.floor(0.99 * (sorted.length - 1))] ?? NaN;
  return `${drift.summary}; prediction drift ${outputDrift.drifted}; auc ${metrics.roc_auc.toFixed(3)}; p99 ${p99}`;
}

const one = summarize('one window', await measureSamples(() => judgeWindow(reference), { warmup: 1, iterations: 5 }));
let tableMs = 0;
{
  const start = performance.now();
  recordsToTable(window.records, spec.features);
  tableMs = performance.now() - start;
}

const profiles = Array.from({ length: models }, () => JSON.parse(JSON.stringify(reference)) as DatasetProfile);
// What the monitors keep between windows is the stored profile (read per window, ~its JSON size in memory).
const profilesMiB = (JSON.stringify(reference).length * models) / 1024 / 1024;
const sequential = summarize(
  `${models} windows, one after the other`,
  await measureSamples(
    () => {
      for (const p of profiles) judgeWindow(p);
    },
    { warmup: 0, iterations: 1 },
  ),
);
const concurrent = summarize(
  `${models} windows, Promise.all`,
  await measureSamples(() => Promise.all(profiles.map(async (p) => judgeWindow(p))), { warmup: 0, iterations: 1 }),
);

const history = JSON.parse(
  readFileSync(new URL('../test/fixtures/histories/modelMonitor.json', import.meta.url), 'utf8'),
) as { events: Array<{ eventType: string }> };
const historyBytes = JSON.stringify(history).length;
const windowsRecorded = history.events.filter((e) => e.eventType === 'EVENT_TYPE_TIMER_FIRED').length;
const perWindowBytes = windowsRecorded > 0 ? historyBytes / windowsRecorded : NaN;

printTable(
  ['what', 'figure'],
  [
    [`one window of ${fmtInt(rows)} predictions (median of 5)`, `${fmtMs(one.median)} ms (p95 ${fmtMs(one.p95)})`],
    ['  of which recordsToTable (logged JSON -> columns)', `${fmtMs(tableMs)} ms`],
    [`${models} models, sequentially (one activity slot)`, `${fmtMs(sequential.median)} ms`],
    [`${models} models, concurrently (one worker thread)`, `${fmtMs(concurrent.median)} ms`],
    [`stored profiles of ${models} models (JSON)`, `${profilesMiB.toFixed(1)} MiB`],
    ['profile JSON per model', `${(JSON.stringify(reference).length / 1024).toFixed(0)} KiB`],
    [
      'history per monitor window (recorded run, start event included: an upper bound)',
      `${(perWindowBytes / 1024).toFixed(1)} KiB -> ${((perWindowBytes * 100) / 1024).toFixed(0)} KiB per run of 100 windows (then continue-as-new)`,
    ],
    ['peak RSS', `${peakRssMiB().toFixed(0)} MiB`],
  ],
);
console.log(`\none window: ${judgeWindow(reference)}`);
await writeResults('monitor-window', flags, {
  rows,
  models,
  oneWindow: one,
  recordsToTableMs: tableMs,
  sequential,
  concurrent,
  profilesMiB,
  historyBytesPerWindow: perWindowBytes,
  peakRssMiB: peakRssMiB(),
});
