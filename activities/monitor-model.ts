import type { MonitorStatus, MonitorWindowInput, MonitorWindowReport, WindowLabels } from '../contracts/monitoring.js';
import type { DatasetProfile, NumericProfile } from '../lib/data/profile.js';
import { recordsToTable } from '../lib/data/split.js';
import type { ModelTask } from '../lib/eval/model-outputs.js';
import type { FeatureSpec } from '../lib/spec/pipeline-spec.js';
import { computeDrift } from '../lib/stats/drift.js';
import type { LabelledPrediction } from '../lib/registry/model-registry.js';
import { predictionDrift as scorePredictionDrift } from '../lib/stats/prediction-drift.js';
import type { ActivityDeps } from './deps.js';
import { judgeErrorRate, judgePerformance, MIN_LABELLED } from './monitor-judge.js';
import { permanentErrorsAreFinal } from './errors.js';

/** Most predictions read per window. */
const MAX_WINDOW_ROWS = 200_000;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Feedback coverage of a window: null without predictions. */
function windowLabels(predictions: number, labelled: number): WindowLabels | null {
  if (predictions === 0) return null;
  const status = labelled < MIN_LABELLED ? 'missing' : labelled < predictions ? 'partial' : 'ok';
  return { status, labelled, predictions, minLabelled: MIN_LABELLED };
}

type PredictionDriftReport = NonNullable<MonitorWindowReport['predictionDrift']> | null;

/**
 * Drift of the served outputs against the version's outputs on its evaluation holdout (the prediction profile in the
 * evaluation evidence); null for versions evaluated before that profile existed, or when it cannot be read.
 */
async function outputDrift(
  deps: ActivityDeps,
  model: string,
  version: number,
  logged: ReadonlyArray<{ score: number | null; prediction: string | number }>,
): Promise<PredictionDriftReport> {
  const evidenceUri = ((await deps.registry.getVersion(model, version))?.decision as { evidenceUri?: unknown } | null)
    ?.evidenceUri;
  if (typeof evidenceUri !== 'string') return null;
  try {
    const evidence = JSON.parse(new TextDecoder().decode(await deps.artifacts.get(evidenceUri))) as {
      predictionProfile?: NumericProfile;
    };
    if (evidence.predictionProfile === undefined) return null;
    const scores = logged.map((p) => p.score ?? (typeof p.prediction === 'number' ? p.prediction : NaN));
    return scorePredictionDrift(evidence.predictionProfile, scores);
  } catch {
    return null;
  }
}

/**
 * One monitoring window of a deployed model: feature drift of the traffic the deployed version served, against the
 * training profile stored with that version; performance on the predictions that received ground-truth feedback;
 * latency. Stores the report (artifact and registry) and returns it; the workflow decides whether to signal.
 * Performance by task (binary: AUC and accuracy, multiclass: accuracy and macro-F1, regression: RMSE and MAE)
 * against `performanceFloor` and the version's holdout value (`performanceTolerance`); the error rate of the
 * version's predict requests (server errors and bad requests apart) against `maxErrorRate`.
 */
export function createMonitorModel(deps: ActivityDeps) {
  return async function monitorWindow(input: MonitorWindowInput): Promise<MonitorWindowReport> {
    return permanentErrorsAreFinal(async () => {
      const { model, windowStart, windowEnd } = input;
      const base = { model, windowStart, windowEnd, drift: null, performance: null, latencyMs: null, reportUri: null };
      const deployed = await deps.registry.getDeployed(model);
      if (!deployed) {
        return {
          ...base,
          version: null,
          status: 'no_model' as const,
          predictions: 0,
          labelled: 0,
          summary: `no deployed version of ${model}`,
        };
      }
      const version = deployed.version;
      // One read: the deployed version's predictions of the window with their labels (null while none arrived).
      const logged = await deps.registry.readWindowPredictions(model, windowStart, windowEnd, {
        version,
        limit: MAX_WINDOW_ROWS,
      });
      const labelledRows = logged.filter((p): p is LabelledPrediction => p.label !== null);
      const latencies = logged.map((p) => p.latencyMs).sort((a, b) => a - b);
      const latencyMs = latencies.length ? { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) } : null;

      let status: MonitorStatus = 'ok';
      const parts: string[] = [`${logged.length} predictions, ${labelledRows.length} labelled`];
      let drift: MonitorWindowReport['drift'] = null;
      let predictionDrift: PredictionDriftReport = null;
      if (logged.length < input.minSamples) {
        status = 'insufficient_data';
        parts.push(`fewer than ${input.minSamples} predictions: drift not judged`);
      } else {
        const profile = JSON.parse(
          new TextDecoder().decode(await deps.artifacts.get(deployed.profileUri)),
        ) as DatasetProfile;
        const table = recordsToTable(
          logged.map((p) => p.features),
          deployed.features as FeatureSpec[],
        );
        const report = computeDrift(profile, table, {
          // Monitors started before drift methods existed pass only a (PSI) threshold.
          method: input.driftMethod ?? 'psi',
          threshold: input.driftThreshold,
          columns: input.driftColumns,
          driftShare: input.driftShare,
        });
        drift = {
          share: report.share,
          datasetDrift: report.datasetDrift,
          features: report.features.map((f) => ({
            name: f.name,
            score: f.score,
            drifted: f.drifted,
            method: f.method,
            threshold: f.threshold,
          })),
        };
        parts.push(report.summary);
        if (report.datasetDrift) status = 'drift';
        predictionDrift = await outputDrift(deps, model, version, logged);
        if (predictionDrift)
          parts.push(
            `prediction drift ${predictionDrift.drifted ? 'yes' : 'no'} ` +
              `(${predictionDrift.method} ${predictionDrift.score.toFixed(3)})`,
          );
      }

      const label = deployed.label as { task?: string; positive?: string } | null;
      const { performance, breach: performanceBreach } = await judgePerformance(deps, input, {
        model,
        version,
        // Versions registered before tasks existed carry no task: they are binary.
        task: (label?.task ?? 'binary') as ModelTask,
        positive: label?.positive,
        labelledRows,
      });
      if (performance) {
        parts.push(`${performance.metric} ${performance.value.toFixed(3)} on labelled traffic`);
        if (performanceBreach) {
          status = 'degraded';
          parts.push(performanceBreach);
        }
      } else if (labelledRows.length < MIN_LABELLED && logged.length >= input.minSamples) {
        parts.push(`labels missing: ${labelledRows.length} of ${logged.length} predictions have feedback`);
      }
      const errors = await judgeErrorRate(deps, input, version);
      if (errors.total > 0)
        parts.push(
          `error rate ${(errors.errorRate * 100).toFixed(1)}% (${errors.serverErrors} server errors, ` +
            `${errors.clientErrors} bad requests of ${errors.total} requests)`,
        );
      if (errors.breach) {
        status = 'degraded';
        parts.push(errors.breach);
      }
      const breaches: NonNullable<MonitorWindowReport['breaches']> = [];
      if (drift?.datasetDrift) breaches.push('drift');
      if (performanceBreach) breaches.push('performance');
      if (errors.breach) breaches.push('error_rate');

      const report: MonitorWindowReport = {
        ...base,
        version,
        status,
        predictions: logged.length,
        labelled: labelledRows.length,
        labels: windowLabels(logged.length, labelledRows.length),
        drift,
        predictionDrift,
        performance,
        errors,
        breaches,
        latencyMs,
        summary: `${status}: ${parts.join('; ')}`,
      };
      const ref = await deps.artifacts.put(
        `monitoring/${model}/v${version}/${windowEnd.replace(/[:.]/g, '-')}.json`,
        JSON.stringify(report, null, 2),
        {
          contentType: 'application/json',
        },
      );
      report.reportUri = ref.uri;
      await deps.registry.recordMonitorReport({ model, version, windowStart, windowEnd, status, report });
      return report;
    });
  };
}
