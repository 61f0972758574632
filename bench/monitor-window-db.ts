import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMonitorModel } from '../activities/monitor-model.js';
import type { ActivityDeps } from '../activities/deps.js';
import type { MonitorWindowInput } from '../contracts/monitoring.js';
import { startEmbeddedPostgres } from '../infra/embedded-postgres.js';
import { createTestDatabase, redactUrl } from '../infra/postgres-test.js';
import { FileArtifactStore } from '../lib/artifacts/file-store.js';
import { generateTraffic } from '../lib/data/generate-churn.js';
import { profileTable } from '../lib/data/profile.js';
import { recordsToTable } from '../lib/data/records.js';
import { binaryMetricsForLabels } from '../lib/eval/metrics.js';
import { createPgRegistry } from '../lib/registry/pg-registry.js';
import { loadSpecFile } from '../lib/spec/load-spec.js';
import { computeDrift } from '../lib/stats/drift.js';
import { predictionDrift, predictionProfile } from '../lib/stats/prediction-drift.js';
import {
  fmtInt,
  fmtMs,
  median,
  numberFlag,
  parseFlags,
  peakRssMiB,
  printHeader,
  printTable,
  writeResults,
} from './harness.js';

/**
 * Monitoring cost per window with the database (issue "Continuous training", item 7): the real `monitorWindow`
 * activity on a window of 100,000 logged predictions (`--rows N`), 30% of them with feedback (`--labelled 0.3`), in a
 * real PostgreSQL (`TEST_DATABASE_URL` / `MLOPS_DATABASE_URL`, in a throwaway database; else the embedded PGlite
 * server, in memory). The registry and artifact store handed to the activity time every call, so one activity call
 * splits into: the window read (`readWindowPredictions`: one query, the activity's own call),
 * the other small reads (deployment, version, request counts, profile and evidence artifacts), the report writes
 * (artifact + `monitor_reports` row) and the computation (the rest). Interleaved with it, the anchors:
 * - the in-memory computation of `monitor-window.ts` on the same records (ratio total / computation);
 * - the same `SELECT` through `pg` with every column left as text (no JSON parsing, no row objects built by the
 *   registry): what the read costs before decoding; and once more with pg's default row objects and type parsers
 *   (jsonb -> JSON.parse, timestamptz -> Date), so read / parsed is the registry's own mapping on top.
 */

const flags = parseFlags();
const rows = Math.floor(numberFlag(flags, 'rows', 100_000));
const labelledShare = Math.min(1, numberFlag(flags, 'labelled', 0.3));
const iterations = Math.floor(numberFlag(flags, 'iterations', flags.full ? 5 : 3));
printHeader(`Monitoring with the database: one window of ${fmtInt(rows)} logged predictions`, flags);

const MODEL = 'churn-bench';
const baseUrl = process.env.TEST_DATABASE_URL || process.env.MLOPS_DATABASE_URL;
let dbLabel: string;
let dbUrl: string;
let closeDb: () => Promise<void>;
if (baseUrl) {
  const db = await createTestDatabase({ baseUrl, prefix: 'mlops_bench' });
  dbUrl = db.url;
  dbLabel = `PostgreSQL at ${redactUrl(baseUrl)} (throwaway database ${db.name})`;
  closeDb = () => db.drop();
} else {
  const embedded = await startEmbeddedPostgres({ dataDir: 'memory://', port: 0 });
  dbUrl = embedded.url;
  dbLabel = 'embedded PGlite (memory://, served from this process)';
  closeDb = () => embedded.stop();
}
const registry = createPgRegistry({ connectionString: dbUrl, maxConnections: 4 });
const dir = await mkdtemp(path.join(tmpdir(), 'mlops-bench-monitor-'));
const artifacts = new FileArtifactStore(`file://${dir}/`);

try {
  await registry.migrate();
  const server = (await registry.pool.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v ?? '?';
  console.log(`database: ${dbLabel}\n  ${server}`);

  // --- The deployed version: spec, training profile, evaluation evidence (prediction profile).
  const spec = await loadSpecFile(fileURLToPath(new URL('../examples/churn/pipeline.yaml', import.meta.url)));
  const training = generateTraffic({ rows: 20_000, seed: 1 });
  const profile = profileTable(recordsToTable(training.records, spec.features), spec.features);
  const outputs = predictionProfile(training.records.map((_, i) => (i % 97) / 97));
  const profileRef = await artifacts.put('bench/profile.json', JSON.stringify(profile));
  const evidenceRef = await artifacts.put('bench/evidence.json', JSON.stringify({ predictionProfile: outputs }));
  const lineage = {
    ...{ datasetUri: 'file:///bench.csv', datasetSha256: '0'.repeat(64), datasetRows: 20_000 },
    ...{ schemaFingerprint: 'bench', profileUri: profileRef.uri, specHash: 'bench', codeVersion: 'bench' },
    ...{ trainer: 'logistic_regression', hyperparameters: {}, parentVersion: null },
  };
  const { version } = await registry.registerVersion({
    ...{ model: MODEL, runId: 'bench-run', artifactUri: 'file:///bench.onnx', artifactSha256: '0'.repeat(64) },
    ...{ metrics: { roc_auc: 0.8 }, lineage, spec, decision: { evidenceUri: evidenceRef.uri }, trigger: 'bench' },
  });
  await registry.recordDeployment({ model: MODEL, version, runId: 'bench-run' });

  // --- The window: `rows` predictions over one hour, logged in serving's batches; feedback for a share of them.
  const t0 = Date.parse('2026-01-01T00:00:00.000Z');
  const stepMs = 3_600_000 / rows;
  const window = generateTraffic({ rows, seed: 2, drift: 0.3 });
  const scores = window.records.map((_, i) => ((i * 31) % 101) / 101);
  const latencies = window.records.map((_, i) => 2 + ((i * 17) % 50) / 10);
  const ids = window.records.map(() => randomUUID());
  const at = (i: number) => new Date(t0 + Math.floor(i * stepMs)).toISOString();
  const loadStart = performance.now();
  for (let s = 0; s < rows; s += 5000) {
    const batch = window.records.slice(s, s + 5000).map((features, k) => ({
      ...{ predictionId: ids[s + k]!, model: MODEL, version, features },
      ...{ prediction: scores[s + k]! >= 0.5 ? '1' : '0', score: scores[s + k]!, latencyMs: latencies[s + k]! },
      createdAt: at(s + k),
    }));
    await registry.logPredictions(batch);
  }
  const labelledIdx = window.records.map((_, i) => i).filter((i) => (i * 0.618034) % 1 < labelledShare);
  for (let s = 0; s < labelledIdx.length; s += 5000) {
    const batch = labelledIdx.slice(s, s + 5000).map((i) => ({
      ...{ predictionId: ids[i]!, model: MODEL, label: window.labels[i]! },
      createdAt: new Date(t0 + 4_000_000 + i).toISOString(),
    }));
    await registry.recordFeedback(batch);
  }
  await registry.pool.query('ANALYZE prediction_log; ANALYZE feedback');
  const loadMs = performance.now() - loadStart;
  console.log(
    `loaded ${fmtInt(rows)} predictions + ${fmtInt(labelledIdx.length)} feedback rows in ${fmtMs(loadMs)} ms`,
  );

  // --- Timed deps: every registry / artifact call the activity makes adds its time to `spent[name]`.
  const spent = new Map<string, number>();
  function timed<T extends object>(target: T): T {
    return new Proxy(target, {
      get(obj, key, receiver) {
        const value: unknown = Reflect.get(obj, key, receiver);
        if (typeof value !== 'function') return value;
        const fn = value as (...a: unknown[]) => unknown;
        return async (...args: unknown[]): Promise<unknown> => {
          const start = performance.now();
          try {
            return await fn.apply(obj, args);
          } finally {
            spent.set(String(key), (spent.get(String(key)) ?? 0) + performance.now() - start);
          }
        };
      },
    });
  }
  const deps = { registry: timed(registry), artifacts: timed(artifacts) } as unknown as ActivityDeps;
  const monitorWindow = createMonitorModel(deps);
  const windowEnd = (k: number) => new Date(t0 + 3_600_000 + k).toISOString();
  const input = (k: number): MonitorWindowInput => ({
    ...{ model: MODEL, windowStart: at(0), windowEnd: windowEnd(k), driftMethod: 'auto' },
    ...{
      driftShare: spec.monitoring.driftShare,
      minSamples: 200,
      performanceFloor: spec.monitoring.performanceFloor ?? null,
      primaryMetric: 'roc_auc',
    },
  });

  /** The in-memory anchor: `monitor-window.ts`'s computation on the records already in memory. */
  function computeInMemory(): string {
    const table = recordsToTable(window.records, spec.features);
    const drift = computeDrift(profile, table, { method: 'auto', driftShare: spec.monitoring.driftShare });
    const out = predictionDrift(outputs, scores);
    const metrics = binaryMetricsForLabels(scores, window.labels, '1');
    const p99 = [...latencies].sort((a, b) => a - b)[Math.floor(0.99 * (rows - 1))];
    return `${drift.summary}; ${out.drifted}; ${metrics.roc_auc}; ${p99}`;
  }

  // The activity's query (readWindowPredictions in lib/registry/pg-serving-log.ts; copied: keep them in step).
  const COLS = 'p.prediction_id, p.model, p.version, p.features, p.prediction, p.score, p.latency_ms, p.created_at';
  const WHERE =
    'WHERE p.model = $1 AND p.created_at >= $2::timestamptz AND p.created_at < $3::timestamptz ' +
    'AND ($4::integer IS NULL OR p.version = $4)';
  const SQL = [
    `SELECT ${COLS}, f.label FROM prediction_log p LEFT JOIN feedback f ON f.prediction_id = p.prediction_id ` +
      `AND f.model = p.model ${WHERE} ORDER BY p.created_at, p.prediction_id LIMIT $5`,
  ];
  const asText = { getTypeParser: () => (v: string) => v };
  /** Both queries; `asText`: every column left as text in array rows, else pg's row objects and type parsers. */
  async function select(raw: boolean): Promise<number> {
    let n = 0;
    for (const text of SQL) {
      const values = [MODEL, at(0), windowEnd(0), version, 200_000];
      const res = raw
        ? await registry.pool.query({ text, rowMode: 'array' as const, types: asText, values })
        : await registry.pool.query({ text, values });
      n += res.rowCount ?? 0;
    }
    return n;
  }

  // --- Interleaved rounds: activity, in-memory computation, raw and parsed SELECTs (warm-up round first, untimed).
  type Part = 'total' | 'read' | 'otherReads' | 'writes' | 'compute' | 'anchor' | 'raw' | 'parsed';
  const parts: Part[] = ['total', 'read', 'otherReads', 'writes', 'compute', 'anchor', 'raw', 'parsed'];
  const s = Object.fromEntries(parts.map((p) => [p, [] as number[]])) as Record<Part, number[]>;
  let summary = '';
  let rawRows = 0;
  for (let k = 0; k <= iterations; k++) {
    spent.clear();
    let start = performance.now();
    const report = await monitorWindow(input(k));
    const total = performance.now() - start;
    const get = (...names: string[]) => names.reduce((sum, n) => sum + (spent.get(n) ?? 0), 0);
    const read = get('readWindowPredictions');
    const writes = get('put', 'recordMonitorReport');
    const otherReads = get('getDeployed', 'getVersion', 'readRequestCounts', 'get');
    start = performance.now();
    computeInMemory();
    const anchor = performance.now() - start;
    start = performance.now();
    rawRows = await select(true);
    const raw = performance.now() - start;
    start = performance.now();
    await select(false);
    const parsed = performance.now() - start;
    summary = report.summary;
    if (k === 0) continue;
    s.total.push(total);
    s.read.push(read);
    s.writes.push(writes);
    s.otherReads.push(otherReads);
    s.compute.push(total - read - writes - otherReads);
    s.anchor.push(anchor);
    s.raw.push(raw);
    s.parsed.push(parsed);
  }

  const explain = async (text: string) =>
    (
      await registry.pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE) ${text}`, [
        MODEL,
        at(0),
        windowEnd(0),
        version,
        200_000,
      ])
    ).rows
      .map((r) => r['QUERY PLAN'])
      .filter((line) => !line.startsWith('  ') || /Scan|Join|Sort|Gather/.test(line))
      .join('\n  ');
  for (const text of SQL) console.log(`\nEXPLAIN ANALYZE (readWindowPredictions):\n  ${await explain(text)}`);

  const m = Object.fromEntries(parts.map((p) => [p, median(s[p])])) as Record<Part, number>;
  const pct = (x: number) => `${((100 * x) / m.total).toFixed(0)}%`;
  console.log(`\nmedians of ${iterations} rounds (activity, in-memory computation, SELECTs interleaved); ${dbLabel}`);
  printTable(
    ['part of one monitorWindow call', 'ms', 'share', 'ratio'],
    [
      ['window read (readWindowPredictions: one query, labels joined)', fmtMs(m.read), pct(m.read), ''],
      [
        'other reads (deployment, version, request counts, profile + evidence)',
        fmtMs(m.otherReads),
        pct(m.otherReads),
        '',
      ],
      ['computation (the rest)', fmtMs(m.compute), pct(m.compute), ''],
      ['report writes (artifact + monitor_reports row)', fmtMs(m.writes), pct(m.writes), ''],
      ['total per window', fmtMs(m.total), '100%', `${(m.total / m.anchor).toFixed(2)}x anchor`],
      ['anchor: in-memory computation (monitor-window.ts)', fmtMs(m.anchor), '', '1.00x'],
      [
        `anchor: the SELECT, columns as text (${fmtInt(rawRows)} rows)`,
        fmtMs(m.raw),
        '',
        `read ${(m.read / m.raw).toFixed(2)}x raw`,
      ],
      [
        "anchor: the same SELECT, pg's row objects and parsers (jsonb, timestamptz)",
        fmtMs(m.parsed),
        '',
        `${(m.parsed / m.raw).toFixed(2)}x raw`,
      ],
      [
        'load average (1 / 5 min)',
        loadavg()
          .slice(0, 2)
          .map((x) => x.toFixed(1))
          .join(' / '),
        '',
        '',
      ],
      ['peak RSS (with the embedded server when used)', `${peakRssMiB().toFixed(0)} MiB`, '', ''],
    ],
  );
  console.log(`\nwindow: ${summary}`);
  await writeResults('monitor-window-db', flags, {
    rows,
    labelled: labelledIdx.length,
    database: dbLabel,
    loadMs,
    medians: m,
    samples: s,
    loadavg: loadavg(),
  });
} finally {
  await registry.close();
  await closeDb();
  await rm(dir, { recursive: true, force: true });
}
