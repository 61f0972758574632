import type { MonitorStatus, MonitorWindowInput, MonitorWindowReport } from '../contracts/monitoring.js';
import type { DatasetProfile, NumericProfile } from '../lib/data/profile.js';
import { recordsToTable } from '../lib/data/split.js';
import { binaryMetricsForLabels } from '../lib/eval/metrics.js';
import type { FeatureSpec } from '../lib/spec/pipeline-spec.js';
import { computeDrift } from '../lib/stats/drift.js';
import { predictionDrift as scorePredictionDrift } from '../lib/stats/prediction-drift.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

/** Most predictions read per window. */
const MAX_WINDOW_ROWS = 200_000;
/** Fewest labelled predictions before performance is judged. */
const MIN_LABELLED = 50;

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
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
 * Performance is judged for binary models only: for multiclass and regression models the report says that
 * performance monitoring is not supported yet (drift and latency are monitored as for binary ones).
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
      const logged = (await deps.registry.readPredictions(model, windowStart, windowEnd, MAX_WINDOW_ROWS)).filter(
        (p) => p.version === version,
      );
      const labelledRows = (
        await deps.registry.readLabelledPredictions(model, windowStart, windowEnd, MAX_WINDOW_ROWS)
      ).filter((p) => p.version === version);
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

      let performance: MonitorWindowReport['performance'] = null;
      const label = deployed.label as { task?: string; positive?: string } | null;
      // Versions registered before tasks existed carry no task: they are binary.
      const task = label?.task ?? 'binary';
      if (task !== 'binary') {
        // Labelled traffic of multiclass and regression models is stored (feedback) but not judged yet.
        parts.push(
          `performance monitoring for ${task} not supported yet` +
            (labelledRows.length > 0 ? ` (${labelledRows.length} labelled predictions not judged)` : ''),
        );
      } else if (labelledRows.length >= MIN_LABELLED && label?.positive !== undefined) {
        const metrics = binaryMetricsForLabels(
          labelledRows.map((p) => p.score ?? 0),
          labelledRows.map((p) => String(p.label)),
          label.positive,
        ) as unknown as Record<string, number>;
        const value = metrics[input.primaryMetric];
        if (value !== undefined && Number.isFinite(value)) {
          performance = { metric: input.primaryMetric, value, floor: input.performanceFloor };
          parts.push(`${input.primaryMetric} ${value.toFixed(3)} on labelled traffic`);
          if (input.performanceFloor !== null && value < input.performanceFloor) {
            status = 'degraded';
            parts.push(`below floor ${input.performanceFloor}`);
          }
        }
      } else if (logged.length >= input.minSamples) {
        parts.push(`labels missing: ${labelledRows.length} of ${logged.length} predictions have feedback`);
      }

      const report: MonitorWindowReport = {
        ...base,
        version,
        status,
        predictions: logged.length,
        labelled: labelledRows.length,
        drift,
        predictionDrift,
        performance,
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
