import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { pipelineProgressQuery } from '../contracts/messages.js';
import type {
  ApprovalDecision,
  PipelineOutcome,
  TrainingPipelineInput,
  TrainingPipelineResult,
  ValidateDataResult,
} from '../contracts/payloads.js';
import { resolveDeployment } from '../lib/spec/deployment-spec.js';
import { parseDuration } from '../lib/spec/duration.js';
import { deploying, durable, quick } from './activity-proxies.js';
import { ApprovalGate } from './approval.js';
import { PipelineProgressTracker } from './pipeline-progress.js';
import { trainWithRouting } from './train-with-routing.js';
import { runTuning, tuningLine, type TuningRun } from './tune-trials.js';

function fmt(metrics: Record<string, number>, name: string): string {
  const v = metrics[name];
  return v === undefined ? `${name} n/a` : `${name} ${v.toFixed(4)}`;
}

/** Failure types that end the run with their own record (not recorded again as a generic failure). */
const SELF_RECORDED = new Set(['InvalidDataset', 'InfraValidationFailed']);

/**
 * The Level 1 pipeline: validateData -> train -> evaluate -> [infra-validate -> await approval] -> register ->
 * deploy. Each stage is an activity; this function only orchestrates and reports. A dataset that fails validation
 * fails the run (non-retryable) with the top problems; a candidate that loses to the champion is registered (with
 * the decision) but not deployed. A promoted candidate is first served by a separate serving process
 * (`deployment.infraValidation`, on by default): one that does not load or answer fails the run non-retryably
 * (`InfraValidationFailed`) and is neither registered nor deployed. With `deployment.approval.required` the run then
 * waits for the `approve` / `reject` update (or the timeout's default); a rejected candidate is registered with the
 * decision but not deployed, and the run ends `rejected`. Both gates are `patched()`, so older histories replay.
 */
export async function trainingPipeline(input: TrainingPipelineInput): Promise<TrainingPipelineResult> {
  const { spec, trigger } = input;
  const runId = workflowInfo().workflowId;
  const tracker = new PipelineProgressTracker(`Training pipeline for "${spec.model}" (trigger: ${trigger.kind})`);
  setHandler(pipelineProgressQuery, () => tracker.progress(), { description: 'Current stage and latest outcome' });
  const approvals = new ApprovalGate();
  approvals.install();
  tracker.note(`trigger: ${trigger.kind}: ${trigger.reason}`);
  const record: RecordRun = async (outcome, version, error) => {
    await durable.recordPipelineRun.executeWithOptions({ summary: `Record run (${outcome})` }, [
      { runId, model: spec.model, trigger, spec, stages: tracker.stages, outcome, version, error },
    ]);
  };
  try {
    return await runStages(input, runId, tracker, record, approvals);
  } catch (err) {
    if (isCancellation(err) || (err instanceof ApplicationFailure && SELF_RECORDED.has(err.type ?? ''))) throw err;
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
  approvals: ApprovalGate,
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
  // 2a. With `tuning`: N trials as parallel training activities, the best by the validation metric continues.
  let tuned: TuningRun | null = null;
  if (spec.tuning !== undefined && patched('hyperparameter-tuning')) {
    tuned = await runTuning(spec, { spec, runId, trainUri: data.trainUri }, tracker);
  }
  const train =
    tuned?.best ??
    (await trainWithRouting(spec, { spec, runId, trainUri: data.trainUri }, (line) => tracker.note(line)));
  tracker.complete(
    `${spec.trainer.algorithm} on ${train.device} (${train.worker}), ${train.epochs} epochs` +
      (train.resumedFromEpoch > 0 ? `, resumed from epoch ${train.resumedFromEpoch}` : '') +
      trainingLoss(train.metrics) +
      (tuned ? tuningLine(tuned) : ''),
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

  // 3b. Deployment gates for a candidate to be promoted (versioned: older histories have neither).
  const gates = resolveDeployment(spec.deployment);
  if (evaluation.promote && gates.infraValidation.enabled && patched('infra-validation')) {
    await infraValidate(input, runId, tracker, record, {
      modelUri: train.modelUri,
      modelSha256: train.modelSha256,
      holdoutUri: data.holdoutUri,
    });
  }
  let approval: ApprovalDecision | undefined;
  if (evaluation.promote && gates.approval.required && patched('human-approval')) {
    const { timeout, onTimeout } = gates.approval;
    // Not a checklist stage (the run's stage list stays validate..deploy): MlopsStage, progress and a note show it.
    tracker.begin('awaiting_approval');
    tracker.note(
      `waiting for approval: \`mlops approve|reject ${runId} --by NAME --reason TEXT\` (${onTimeout} after ${timeout})`,
    );
    approval = await approvals.wait(parseDuration(timeout), timeout, onTimeout);
    tracker.note(approvalLine(approval));
  }

  // 4. Register (idempotent on this run's ID), whatever the decision: the registry keeps the evidence.
  tracker.begin('registering');
  const registered = await durable.registerModel.executeWithOptions({ summary: `Register ${spec.model} version` }, [
    {
      spec,
      runId,
      trigger,
      train,
      data,
      evaluation,
      ...(approval && { approval }),
      ...(tuned && { tuning: tuned.summary }),
    },
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
  if (approval) {
    await durable.recordApproval.executeWithOptions({ summary: `Record approval (${approval.decision})` }, [
      { runId, model: spec.model, version: registered.version, approval },
    ]);
    if (approval.decision === 'rejected') {
      const why = approvalLine(approval);
      return finish(
        'rejected',
        registered.version,
        { ...base, reasons: [...base.reasons, why] },
        `v${registered.version} not deployed: ${why}`,
      );
    }
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

/** One line for people: who decided what, and why. */
function approvalLine(a: ApprovalDecision): string {
  return a.timedOut ? `${a.decision}: ${a.reason}` : `${a.decision} by ${a.by}: ${a.reason}`;
}

/**
 * Infra validation: the candidate served by a separate serving process answers sample requests. A candidate that
 * does not load or answer ends the run here, non-retryably, before anything is registered or deployed.
 */
async function infraValidate(
  input: TrainingPipelineInput,
  runId: string,
  tracker: PipelineProgressTracker,
  record: RecordRun,
  model: { modelUri: string; modelSha256: string; holdoutUri: string },
): Promise<void> {
  const { spec } = input;
  const { requests, timeout } = resolveDeployment(spec.deployment).infraValidation;
  const timeoutMs = parseDuration(timeout);
  const { infraValidateModel } = proxyActivities<Activities>({
    // The activity enforces `timeout` itself (and fails non-retryably); this only bounds a lost worker.
    startToCloseTimeout: timeoutMs + 120_000,
    heartbeatTimeout: '30s',
    retry: {
      initialInterval: '2s',
      backoffCoefficient: 2,
      maximumAttempts: 3,
      nonRetryableErrorTypes: ['InfraValidationFailed', 'ArtifactNotFoundError', 'ArtifactChecksumError'],
    },
  });
  // Not a checklist stage (the run's stage list stays validate..deploy): MlopsStage, progress and a note show it.
  tracker.begin('infra_validating');
  tracker.note(`infra validation: ${requests} sample request(s) to a serving process loading ${model.modelUri}`);
  try {
    const result = await infraValidateModel.executeWithOptions(
      { summary: `Infra-validate: ${requests} request(s) to a separate serving process` },
      [{ spec, runId, ...model, requests, timeoutMs }],
    );
    tracker.note(
      `infra validation passed: ${result.requests} request(s) answered by a serving process ready in ` +
        `${(result.readyMs / 1000).toFixed(1)}s`,
    );
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : err;
    if (!(cause instanceof ApplicationFailure) || cause.type !== 'InfraValidationFailed') throw err;
    tracker.finish('failed', cause.message);
    await record('failed', null, cause.message);
    throw ApplicationFailure.nonRetryable(cause.message, 'InfraValidationFailed', { modelUri: model.modelUri });
  }
}

/** The training loss line of the checklist: log loss for classifiers, RMSE for regression. */
function trainingLoss(metrics: Record<string, number>): string {
  const logLoss = metrics['train_log_loss'];
  if (logLoss !== undefined) return `, loss ${logLoss.toFixed(4)}`;
  const rmse = metrics['train_rmse'];
  return rmse !== undefined ? `, rmse ${rmse.toFixed(4)}` : '';
}
