import { ActivityFailure, ApplicationFailure, isCancellation, patched } from '@temporalio/workflow';
import type { TrainModelInput, TrainModelResult, TuningSummary, TuningTrialResult } from '../contracts/payloads.js';
import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';
import { resolveTuning } from '../lib/spec/tuning-spec.js';
import {
  describeParams,
  pickBestTrial,
  sampleTrials,
  trialLabel,
  type TrialPlan,
} from '../lib/train/tuning-sampler.js';
import type { PipelineProgressTracker } from './pipeline-progress.js';
import { trainWithRouting } from './train-with-routing.js';

/** A finished hyperparameter search: the best trial's training result and the record of every trial. */
export interface TuningRun {
  best: TrainModelResult;
  summary: TuningSummary;
}

/** `TrainingDivergedError: training diverged in epoch 3 ...`: why a trial's activity failed, for people. */
function failureMessage(err: ActivityFailure): string {
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  return cause?.message ?? err.message;
}

const fmt = (v: number | null): string => (v === null ? 'n/a' : v.toPrecision(4));

/**
 * Runs the spec's `tuning` section: the sampled trials as training activities (each routed like ordinary training,
 * with its own artifacts under `<runId>/trial-<n>` and the summary `Trial n/N: <hyperparameters>`), at most
 * `maxParallel` in flight. A trial that fails permanently (e.g. diverges for its learning rate) is recorded and
 * skipped; the best succeeded trial by the validation metric wins (ties: the lowest number). When every trial fails
 * the run fails non-retryably (`TuningFailed`). Progress goes to the pipeline's current details and notes.
 */
export async function runTuning(
  spec: PipelineSpec,
  input: Omit<TrainModelInput, 'requestedDevice' | 'trial'>,
  tracker: PipelineProgressTracker,
): Promise<TuningRun> {
  if (spec.tuning === undefined)
    throw ApplicationFailure.nonRetryable('the spec has no tuning section', 'TuningFailed');
  const tuning = resolveTuning(spec.tuning, spec.label.task, spec.split.seed);
  const plans = sampleTrials(tuning);
  const total = plans.length;
  const metricKey = `validation_${tuning.metric}`;
  const results: TuningTrialResult[] = [];
  const models = new Map<number, TrainModelResult>();
  const running = new Set<number>();
  tracker.note(
    `tuning: ${total} trial(s), ${tuning.search} search, at most ${tuning.maxParallel} at once, ` +
      `${tuning.direction} ${metricKey}`,
  );

  const bestSoFar = (): TuningTrialResult | null => pickBestTrial(results, tuning.direction);
  const showProgress = (): void => {
    const best = bestSoFar();
    tracker.setDetail(
      `tuning: ${results.length}/${total} trial(s) done` +
        (running.size > 0 ? `, running ${[...running].map((n) => `#${n}`).join(' ')}` : '') +
        (best ? `; best trial ${best.number} (${metricKey} ${fmt(best.value)})` : ''),
    );
  };

  const runTrial = async (plan: TrialPlan): Promise<void> => {
    running.add(plan.number);
    showProgress();
    const label = trialLabel(plan, total);
    const base = { number: plan.number, params: plan.params };
    try {
      const train = await trainWithRouting(
        spec,
        { ...input, trial: { number: plan.number, of: total, params: plan.params } },
        (line) => tracker.note(line),
        label,
      );
      const value = train.metrics[metricKey];
      models.set(plan.number, train);
      results.push({
        ...base,
        status: 'succeeded',
        value: value === undefined || !Number.isFinite(value) ? null : value,
        modelUri: train.modelUri,
        modelSha256: train.modelSha256,
        metrics: train.metrics,
        error: null,
      });
      tracker.note(
        `tuning: trial ${plan.number}/${total} (${describeParams(plan.params)}): ${metricKey} ${fmt(value ?? null)}`,
      );
    } catch (err) {
      if (isCancellation(err) || !(err instanceof ActivityFailure)) throw err;
      const error = failureMessage(err);
      results.push({ ...base, status: 'failed', value: null, modelUri: null, modelSha256: null, metrics: {}, error });
      tracker.note(`tuning: trial ${plan.number}/${total} (${describeParams(plan.params)}) failed: ${error}`);
    } finally {
      running.delete(plan.number);
      showProgress();
    }
  };

  // Bounded concurrency: `maxParallel` lanes, each taking the next trial when its previous one ends. A failure that
  // ends the search (not a failed trial: e.g. no GPU worker with gpuFallback fail) stops the other lanes from
  // starting more trials.
  let next = 0;
  let stopped = false;
  const lane = async (): Promise<void> => {
    while (next < plans.length) {
      if (stopped && patched('tuning-stops-on-fatal-failure')) return;
      try {
        await runTrial(plans[next++]!);
      } catch (err) {
        stopped = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(tuning.maxParallel, total) }, lane));
  results.sort((a, b) => a.number - b.number);

  const best = bestSoFar();
  tracker.setDetail(null);
  if (best === null) {
    const why = results.map((r) => `trial ${r.number}: ${r.error ?? `no ${metricKey}`}`).join('; ');
    throw ApplicationFailure.nonRetryable(`all ${total} tuning trial(s) failed: ${why}`, 'TuningFailed');
  }
  tracker.note(
    `tuning: best trial ${best.number}/${total} (${describeParams(best.params)}): ${metricKey} ${fmt(best.value)}`,
  );
  return {
    best: models.get(best.number)!,
    summary: {
      metric: tuning.metric,
      direction: tuning.direction,
      search: tuning.search,
      seed: tuning.seed,
      maxParallel: tuning.maxParallel,
      bestTrial: best.number,
      trials: results,
    },
  };
}

/** `, best of 4 trials: trial 2 (validation_log_loss 0.4123), 1 failed`: the tuning part of the training line. */
export function tuningLine({ summary }: TuningRun): string {
  const best = summary.trials.find((t) => t.number === summary.bestTrial);
  const failed = summary.trials.filter((t) => t.status === 'failed').length;
  return (
    `, best of ${summary.trials.length} trials: trial ${summary.bestTrial}` +
    (best?.value == null ? '' : ` (validation_${summary.metric} ${best.value.toFixed(4)})`) +
    (failed > 0 ? `, ${failed} failed` : '')
  );
}
