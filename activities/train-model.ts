import { Context } from '@temporalio/activity';
import type { TrainModelInput, TrainModelResult } from '../contracts/payloads.js';
import { readDataset } from '../lib/data/read-dataset.js';
import type { TrainerCheckpoint } from '../lib/train/trainer.js';
import { trainerForSpec } from '../lib/train/trainers.js';
import { trialHyperparameters } from '../lib/train/tuning-sampler.js';
import { carveValidation, validationFraction, validationMetrics } from '../lib/train/validation-split.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

/** Heartbeat details of the training activity: progress, and where the last checkpoint is (for the retry). */
export interface TrainingHeartbeat {
  epoch: number;
  epochs: number;
  loss: number;
  checkpointKey: string | null;
  device: 'cpu' | 'gpu';
  worker: string;
}

/**
 * Artifact keys of a pipeline run's training outputs. Checkpoints alternate between two keys by epoch parity, so a
 * crash while one is being written always leaves the other, complete, one to resume from.
 */
export function trainingKeys(model: string, runId: string): { checkpoints: [string, string]; model: string } {
  const dir = `models/${model}/runs/${runId}`;
  return { checkpoints: [`${dir}/checkpoint-0.json`, `${dir}/checkpoint-1.json`], model: `${dir}/model.onnx` };
}

/** The newest readable checkpoint of this run (the trainer still checks it belongs to the same data and spec). */
async function latestCheckpoint(
  deps: ActivityDeps,
  keys: readonly string[],
  warn: (message: string, meta: Record<string, unknown>) => void,
): Promise<{ key: string; checkpoint: TrainerCheckpoint } | null> {
  let best: { key: string; checkpoint: TrainerCheckpoint } | null = null;
  for (const key of keys) {
    if (!(await deps.artifacts.exists(key))) continue;
    try {
      const checkpoint = JSON.parse(new TextDecoder().decode(await deps.artifacts.get(key))) as TrainerCheckpoint;
      if (!best || checkpoint.epoch > best.checkpoint.epoch) best = { key, checkpoint };
    } catch (err) {
      warn('checkpoint unreadable (a crash while writing it?); using the other one', {
        key,
        error: (err as Error).message,
      });
    }
  }
  return best;
}

/**
 * Trains the model on the training snapshot. Heartbeats every epoch with progress and the checkpoint location;
 * a retry after a worker crash resumes from that checkpoint (at most one epoch is redone). Cancellation of the
 * pipeline reaches the trainer through the activity's AbortSignal and stops it between mini-batches.
 */
export function createTrainModel(deps: ActivityDeps) {
  return async function trainModel(input: TrainModelInput): Promise<TrainModelResult> {
    return permanentErrorsAreFinal(async () => {
      const ctx = Context.current();
      const started = Date.now();
      const { spec, runId } = input;
      const trainer = trainerForSpec(spec.trainer);
      // A tuning trial keeps its artifacts (checkpoints, model) apart: `<runId>/trial-<n>`.
      const runKey = input.trial ? `${runId}/trial-${input.trial.number}` : runId;
      const keys = trainingKeys(spec.model, runKey);
      const hyperparameters = input.trial
        ? trialHyperparameters(spec.trainer.hyperparameters, input.trial.params)
        : spec.trainer.hyperparameters;

      const bytes = await deps.artifacts.get(input.trainUri);
      const { table: snapshot } = readDataset(bytes, {
        format: 'csv',
        features: spec.features,
        labelName: spec.label.name,
        source: input.trainUri,
      });
      // Only specs that ask for it (`split.validation`, `tuning`) train on less than the whole training split.
      const fraction = validationFraction(spec);
      const carved =
        fraction === null
          ? null
          : carveValidation(snapshot, { fraction, seed: spec.split.seed, task: spec.label.task });
      const table = carved?.train ?? snapshot;

      // A retry resumes from this run's newest complete checkpoint: the one its last heartbeat names, or a newer one
      // written after the last heartbeat reached the server.
      const resume =
        ctx.info.attempt > 1
          ? await latestCheckpoint(deps, keys.checkpoints, (m, meta) => {
              ctx.log.warn(m, meta);
            })
          : null;
      const checkpoint = resume?.checkpoint ?? null;
      if (resume) {
        ctx.log.info('resuming training from checkpoint', {
          epoch: resume.checkpoint.epoch,
          key: resume.key,
          attempt: ctx.info.attempt,
        });
      }
      const previous = ctx.info.heartbeatDetails as TrainingHeartbeat | undefined;

      let last: TrainingHeartbeat = {
        epoch: checkpoint?.epoch ?? 0,
        epochs: hyperparameters.epochs,
        loss: NaN,
        checkpointKey: resume?.key ?? previous?.checkpointKey ?? null,
        device: deps.device,
        worker: deps.workerIdentity,
      };
      ctx.heartbeat(last);
      const result = await trainer.train({
        table,
        features: spec.features,
        label: spec.label,
        hyperparameters,
        seed: spec.split.seed,
        validation: carved?.validation,
        checkpoint,
        signal: ctx.cancellationSignal,
        onProgress: (p) => {
          last = { ...last, epoch: p.epoch, epochs: p.epochs, loss: p.loss };
          ctx.heartbeat(last);
        },
        onCheckpoint: async (c) => {
          const key = keys.checkpoints[c.epoch % 2]!;
          await deps.artifacts.put(key, JSON.stringify(c), { contentType: 'application/json' });
          last = { ...last, checkpointKey: key };
          ctx.heartbeat(last);
        },
      });
      const metrics = carved
        ? {
            ...result.metrics,
            ...(await validationMetrics(result.onnx, carved.validation, spec.label, {
              epochs: result.metadata.epochs,
              learningRate: hyperparameters.learningRate,
            })),
          }
        : result.metrics;
      const ref = await deps.artifacts.put(keys.model, result.onnx, { contentType: 'application/octet-stream' });
      await deps.artifacts.put(
        `models/${spec.model}/runs/${runKey}/training-metadata.json`,
        JSON.stringify(result.metadata, null, 2),
        {
          contentType: 'application/json',
        },
      );
      return {
        modelUri: ref.uri,
        modelSha256: ref.sha256,
        metrics,
        epochs: result.metadata.epochs,
        resumedFromEpoch: result.resumedFromEpoch,
        device: deps.device,
        worker: deps.workerIdentity,
        durationMs: Date.now() - started,
      };
    });
  };
}
