import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { InfraValidateModelInput, InfraValidateModelResult } from '../contracts/payloads.js';
import { readDataset } from '../lib/data/read-dataset.js';
import type { FeatureTable } from '../lib/data/table.js';
import type { FeatureSpec, PipelineSpec } from '../lib/spec/pipeline-spec.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = path.join(ROOT, 'serving', 'validate-main.ts');
/** Stdout key of the line the validation server prints once listening (see serving/validate-main.ts). */
const URL_KEY = 'validationServingUrl';
const POLL_MS = 200;
/** How much of the process output is kept for failure messages. */
const TAIL_CHARS = 2000;
const STOP_GRACE_MS = 5000;

/** The version number the validation server gives the candidate (it is not registered yet). */
const CANDIDATE_VERSION = 0;

/** One raw record per holdout row (missing values as null), skipping rows with a missing non-nullable feature. */
export function holdoutRecords(table: FeatureTable, features: readonly FeatureSpec[], n: number) {
  const records: Array<Record<string, string | number | null>> = [];
  for (let row = 0; row < table.rowCount && records.length < n; row++) {
    const record: Record<string, string | number | null> = {};
    let usable = true;
    for (const f of features) {
      let value: string | number | null;
      if (f.type === 'numeric') {
        const v = table.numeric[f.name]?.[row];
        value = v === undefined || Number.isNaN(v) ? null : v;
      } else {
        value = table.categorical[f.name]?.[row] ?? null;
      }
      if (value === null && !f.constraints.nullable) usable = false;
      record[f.name] = value;
    }
    if (usable) records.push(record);
  }
  // Fewer usable rows than requests: cycle through them.
  const base = records.length;
  for (let i = 0; base > 0 && records.length < n; i++) records.push(records[i % base]!);
  return records;
}

/** Why a predict response is not a well-formed prediction for the task, or null when it is. */
export function predictionProblem(body: unknown, task: PipelineSpec['label']['task']): string | null {
  const predictions = (body as { predictions?: unknown } | null)?.predictions;
  if (!Array.isArray(predictions) || predictions.length !== 1) return 'expected exactly one prediction';
  const p = predictions[0] as Record<string, unknown>;
  if (typeof p['label'] !== 'string' || p['label'] === '') return 'label: expected a non-empty string';
  const score = p['score'];
  if (typeof score !== 'number' || !Number.isFinite(score)) return 'score: expected a finite number';
  if (task === 'binary' && (score < 0 || score > 1)) return `score: expected a probability, found ${score}`;
  if (task === 'multiclass') {
    const probs = p['probabilities'];
    if (typeof probs !== 'object' || probs === null) return 'probabilities: missing';
    const values = Object.values(probs as Record<string, unknown>);
    if (values.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1))
      return 'probabilities: expected numbers in [0, 1]';
    const sum = (values as number[]).reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-3) return `probabilities: sum to ${sum}, not 1`;
    if (!(p['label'] in (probs as Record<string, unknown>))) return `label "${p['label']}" is not one of the classes`;
  }
  if (task === 'regression' && (typeof p['value'] !== 'number' || !Number.isFinite(p['value'])))
    return 'value: expected a finite number';
  return null;
}

const clip = (text: string, max = 500): string => (text.length > max ? `${text.slice(0, max)}...` : text);

/**
 * Infra validation (like TFX's InfraValidator): starts a separate serving process (`serving/validate-main.ts`, the
 * real serving app pinned to this one artifact, on a free port), waits until `/readyz` says the model is loaded,
 * sends `requests` predict requests of one holdout row each through HTTP and checks that every one answers 200 with
 * a well-formed prediction for the task. The process is always stopped (also on failure or cancellation); the
 * activity heartbeats while it waits. A model that fails to load or to answer fails non-retryably with
 * `InfraValidationFailed`, naming the model URI and the first failing request and response, or the end of the
 * process's output.
 */
export function createInfraValidateModel(deps: ActivityDeps) {
  return async function infraValidateModel(input: InfraValidateModelInput): Promise<InfraValidateModelResult> {
    return permanentErrorsAreFinal(async () => {
      const ctx = Context.current();
      const { spec } = input;
      const started = Date.now();
      const deadline = started + input.timeoutMs;
      const fail = (why: string): ApplicationFailure =>
        ApplicationFailure.nonRetryable(
          `infra validation of ${input.modelUri} failed: ${why}`,
          'InfraValidationFailed',
          { modelUri: input.modelUri },
        );

      const modelBytes = await deps.artifacts.get(input.modelUri, input.modelSha256);
      const { table } = readDataset(await deps.artifacts.get(input.holdoutUri), {
        format: 'csv',
        features: spec.features,
        labelName: spec.label.name,
        source: input.holdoutUri,
      });
      const records = holdoutRecords(table, spec.features, input.requests);
      if (records.length === 0) throw fail(`the holdout ${input.holdoutUri} has no usable row for a sample request`);

      const dir = await mkdtemp(path.join(tmpdir(), 'mlops-infra-validation-'));
      let child: ChildProcess | null = null;
      let output = '';
      const state: { exited: { code: number | null; signal: NodeJS.Signals | null } | null } = { exited: null };
      const tail = (): string => output.slice(-TAIL_CHARS).trim();
      try {
        const modelFile = path.join(dir, 'model.onnx');
        await writeFile(modelFile, modelBytes);
        const configFile = path.join(dir, 'config.json');
        await writeFile(
          configFile,
          JSON.stringify({
            model: spec.model,
            version: CANDIDATE_VERSION,
            artifactUri: pathToFileURL(modelFile).href,
            artifactSha256: input.modelSha256,
            features: spec.features,
            label: spec.label,
          }),
        );
        // The server exits when our end of its stdin closes (this worker died) and after the timeout plus a margin,
        // so a killed worker never leaves it behind.
        const args = ['--import', 'tsx', ENTRY, '--config', configFile, '--exit-with-parent'];
        args.push('--max-lifetime-ms', String(input.timeoutMs + 30_000));
        const proc = spawn(process.execPath, args, {
          cwd: ROOT,
          env: { ...process.env, HOST: '127.0.0.1', PORT: '0', MLOPS_LOG_LEVEL: 'warn' },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        proc.stdin.on('error', () => undefined);
        child = proc;
        const listening: { url: string | null } = { url: null };
        let pending = '';
        proc.stdout.on('data', (chunk: Buffer) => {
          const text = chunk.toString();
          output = (output + text).slice(-4 * TAIL_CHARS);
          pending += text;
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl);
            pending = pending.slice(nl + 1);
            if (listening.url === null && line.includes(URL_KEY)) {
              try {
                const parsed = JSON.parse(line) as Record<string, unknown>;
                if (typeof parsed[URL_KEY] === 'string') listening.url = parsed[URL_KEY];
              } catch {
                // not our line
              }
            }
          }
        });
        proc.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4 * TAIL_CHARS)));
        proc.once('exit', (code, signal) => (state.exited = { code, signal }));
        proc.once('error', (err) => {
          output += `\nspawn failed: ${err.message}`;
          state.exited ??= { code: null, signal: null };
        });

        const timeoutLabel = `${Math.round(input.timeoutMs / 1000)}s`;
        const checkAlive = (what: string): void => {
          const exited = state.exited;
          if (exited)
            throw fail(
              `the serving process exited (${exited.signal ?? `code ${exited.code}`}) ${what}; output: ${tail() || '(none)'}`,
            );
          if (Date.now() > deadline)
            throw fail(`${what} not done within ${timeoutLabel}; output: ${tail() || '(none)'}`);
        };

        // 1. Listening.
        while (listening.url === null) {
          checkAlive('before it was listening');
          ctx.heartbeat({ phase: 'starting' });
          await ctx.sleep(POLL_MS);
        }
        const base = listening.url;
        // 2. Ready: the model is loaded (or its load failed).
        let readyMs = 0;
        for (;;) {
          checkAlive('before the model was loaded');
          ctx.heartbeat({ phase: 'loading' });
          const res = await fetch(`${base}/readyz`, { signal: ctx.cancellationSignal }).catch(() => null);
          if (res) {
            const body = (await res.json().catch(() => ({}))) as {
              models?: Array<{ error: string | null }>;
              reason?: string | null;
            };
            if (res.status === 200) {
              readyMs = Date.now() - started;
              break;
            }
            const loadError = body.models?.find((m) => m.error)?.error;
            if (loadError) throw fail(`the serving process could not load the model: ${loadError}`);
          }
          await ctx.sleep(POLL_MS);
        }
        // 3. Sample requests.
        for (let i = 0; i < records.length; i++) {
          checkAlive(`before request ${i + 1}/${records.length}`);
          ctx.heartbeat({ phase: 'requests', done: i, of: records.length });
          const request = { records: [records[i]] };
          const res = await fetch(`${base}/v1/models/${encodeURIComponent(spec.model)}/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(request),
            signal: AbortSignal.any([ctx.cancellationSignal, AbortSignal.timeout(Math.max(1, deadline - Date.now()))]),
          }).catch((err: unknown) => {
            if (ctx.cancellationSignal.aborted) throw err;
            throw fail(
              `request ${i + 1}/${records.length} ${clip(JSON.stringify(request))} got no answer: ${(err as Error).message}; output: ${tail() || '(none)'}`,
            );
          });
          const text = await res.text();
          let body: unknown = null;
          try {
            body = JSON.parse(text);
          } catch {
            // reported below
          }
          const problem =
            res.status !== 200
              ? `status ${res.status}`
              : body === null
                ? 'not JSON'
                : predictionProblem(body, spec.label.task);
          if (problem !== null)
            throw fail(
              `request ${i + 1}/${records.length} ${clip(JSON.stringify(request))} answered ${res.status} ${clip(text)} (${problem})`,
            );
        }
        return { requests: records.length, readyMs, durationMs: Date.now() - started };
      } finally {
        if (child) await stopProcess(child, () => state.exited !== null);
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    });
  };
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process has exited. */
async function stopProcess(child: ChildProcess, hasExited: () => boolean): Promise<void> {
  if (hasExited() || child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exit;
  clearTimeout(timer);
}
