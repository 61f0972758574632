import { ApplicationFailure, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { pipelineProgressQuery } from '../contracts/messages.js';
import type {
  PipelineOutcome,
  TrainingPipelineInput,
  TrainingPipelineResult,
  ValidateDataResult,
} from '../contracts/payloads.js';
import { parseDuration } from '../lib/spec/duration.js';
import { deploying, durable, quick } from './activity-proxies.js';
import { PipelineProgressTracker } from './pipeline-progress.js';
import { trainWithRouting } from './train-with-routing.js';

function fmt(metrics: Record<string, number>, name: string): string {
  const v = metrics[name];
  return v === undefined ? `${name} n/a` : `${name} ${v.toFixed(4)}`;
}

/**
 * The Level 1 pipeline: validateData -> train -> evaluate -> register -> deploy.
 * Each stage is an activity; this function only orchestrates and reports. A dataset that fails validation fails
 * the run (non-retryable) with the top problems; a candidate that loses to the champion is registered (with the
 * decision) but not deployed.
 */
export async function trainingPipeline(input: TrainingPipelineInput): Promise<TrainingPipelineResult> {
  const { spec, trigger } = input;
  const runId = workflowInfo().workflowId;
  const tracker = new PipelineProgressTracker(`Training pipeline for "${spec.model}" (trigger: ${trigger.kind})`);
  setHandler(pipelineProgressQuery, () => tracker.progress(), { description: 'Current stage and latest outcome' });
  tracker.note(`trigger: ${trigger.kind}: ${trigger.reason}`);
  const record: RecordRun = async (outcome, version, error) => {
    await durable.recordPipelineRun.executeWithOptions({ summary: `Record run (${outcome})` }, [
      { runId, model: spec.model, trigger, spec, stages: tracker.stages, outcome, version, error },
    ]);
  };
  try {
    return await runStages(input, runId, tracker, record);
  } catch (err) {
    if (isCancellation(err) || (err instanceof ApplicationFailure && err.type === 'InvalidDataset')) throw err;
    const message =
      err instanceof Error
        ? err.cause instanceof Error
          ? `${err.message}: ${err.cause.message}`
          : err.message
        : String(err);
    tracker.finish('failed', message);
    await record('failed', null, message);
    throw err;
  }
}

/** Writes the run's metadata (stages so far, outcome) to the registry's metadata store. */
type RecordRun = (outcome: PipelineOutcome | 'running', version: number | null, error: string | null) => Promise<void>;

async function runStages(
  input: TrainingPipelineInput,
  runId: string,
  tracker: PipelineProgressTracker,
  record: RecordRun,
): Promise<TrainingPipelineResult> {
  const { spec, trigger } = input;
  const finish = async (
    outcome: PipelineOutcome,
    version: number | null,
    partial: Omit<TrainingPipelineResult, 'model' | 'outcome' | 'version' | 'stages'>,
    line: string,
  ): Promise<TrainingPipelineResult> => {
    tracker.finish(outcome, line);
    const result: TrainingPipelineResult = { model: spec.model, outcome, version, stages: tracker.stages, ...partial };
    tracker.result = result;
    await record(outcome, version, null);
    return result;
  };

  await record('running', null, null);

  // 1. Validate.
  tracker.begin('validating');
  const datasetUri = trigger.datasetUri ?? spec.dataset.uri;
  const data: ValidateDataResult = await quick.validateData.executeWithOptions(
    { summary: `Validate dataset ${datasetUri}` },
    [{ spec, runId, datasetUri }],
  );
  tracker.complete(`${data.summary} (dataset ${data.dataset.sha256.slice(0, 12)})`);
  if (!data.passed) {
    const message = `dataset ${datasetUri} failed validation: ${data.errors} error(s): ${data.topProblems.join('; ')} (report: ${data.reportUri})`;
    tracker.finish('invalid_data', message);
    await record('invalid_data', null, message);
    throw ApplicationFailure.nonRetryable(message, 'InvalidDataset', { reportUri: data.reportUri });
  }

  // 2. Train (GPU routing with visible fallback).
  tracker.begin('training');
  const train = await trainWithRouting(spec, { spec, runId, trainUri: data.trainUri }, (line) => tracker.note(line));
  tracker.complete(
    `${spec.trainer.algorithm} on ${train.device} (${train.worker}), ${train.epochs} epochs` +
      (train.resumedFromEpoch > 0 ? `, resumed from epoch ${train.resumedFromEpoch}` : '') +
      trainingLoss(train.metrics),
  );

  // 3. Evaluate against the champion.
  tracker.begin('evaluating');
  const evaluation = await quick.evaluateModel.executeWithOptions(
    { summary: `Evaluate on holdout (${data.holdoutRows} rows) vs champion` },
    [{ spec, runId, modelUri: train.modelUri, modelSha256: train.modelSha256, holdoutUri: data.holdoutUri }],
  );
  const primary = spec.evaluation.primaryMetric;
  tracker.complete(
    `${fmt(evaluation.metrics, primary)}` +
      (evaluation.champion
        ? ` vs champion v${evaluation.champion.version} ${fmt(evaluation.champion.metrics, primary)}`
        : ' (no champion yet)') +
      `: ${evaluation.promote ? 'promote' : 'reject'}`,
  );

  // 4. Register (idempotent on this run's ID), whatever the decision: the registry keeps the evidence.
  tracker.begin('registering');
  const registered = await durable.registerModel.executeWithOptions({ summary: `Register ${spec.model} version` }, [
    { spec, runId, trigger, train, data, evaluation },
  ]);
  tracker.setVersion(registered.version);
  tracker.complete(
    `${spec.model} v${registered.version}${registered.created ? '' : ' (already registered by this run)'}`,
  );

  const base = {
    championBefore: evaluation.champion?.version ?? null,
    metrics: evaluation.metrics,
    reasons: evaluation.reasons,
  };
  if (!evaluation.promote) {
    return finish(
      'rejected',
      registered.version,
      base,
      `v${registered.version} not deployed: ${evaluation.reasons.join('; ')}`,
    );
  }

  // 5. Deploy and wait for serving replicas to load it.
  tracker.begin('deploying');
  const deployed = await deploying.deployModel.executeWithOptions(
    { summary: `Deploy ${spec.model} v${registered.version} and wait for serving` },
    [
      {
        model: spec.model,
        version: registered.version,
        runId,
        readyTimeoutMs: parseDuration(spec.deployment.readyTimeout),
      },
    ],
  );
  tracker.complete(
    `v${deployed.version} serving on ${deployed.replicas.length} replica(s): ${deployed.replicas.join(', ')}`,
  );
  return finish(
    'deployed',
    registered.version,
    base,
    `v${registered.version} deployed (${fmt(evaluation.metrics, primary)})`,
  );
}

/** The training loss line of the checklist: log loss for classifiers, RMSE for regression. */
function trainingLoss(metrics: Record<string, number>): string {
  const logLoss = metrics['train_log_loss'];
  if (logLoss !== undefined) return `, loss ${logLoss.toFixed(4)}`;
  const rmse = metrics['train_rmse'];
  return rmse !== undefined ? `, rmse ${rmse.toFixed(4)}` : '';
}
