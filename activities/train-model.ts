import { Context } from '@temporalio/activity';
import type { TrainModelInput, TrainModelResult } from '../contracts/payloads.js';
import { readDataset } from '../lib/data/read-dataset.js';
import { logisticRegressionTrainer } from '../lib/train/logistic-regression.js';
import type { Trainer, TrainerCheckpoint } from '../lib/train/trainer.js';
import type { ActivityDeps } from './deps.js';
import { permanentErrorsAreFinal } from './errors.js';

const TRAINERS: Record<string, Trainer> = { logistic_regression: logisticRegressionTrainer };

/** Heartbeat details of the training activity: progress, and where the last checkpoint is (for the retry). */
export interface TrainingHeartbeat {
  epoch: number;
  epochs: number;
  loss: number;
  checkpointKey: string | null;
  device: 'cpu' | 'gpu';
  worker: string;
}

/** Artifact keys of a pipeline run's training outputs. */
export function trainingKeys(model: string, runId: string): { checkpoint: string; model: string } {
  return {
    checkpoint: `models/${model}/runs/${runId}/checkpoint.json`,
    model: `models/${model}/runs/${runId}/model.onnx`,
  };
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
      const trainer = TRAINERS[spec.trainer.algorithm];
      if (!trainer)
        throw Object.assign(new Error(`unknown trainer algorithm "${spec.trainer.algorithm}"`), {
          name: 'TrainingError',
        });
      const keys = trainingKeys(spec.model, runId);

      const bytes = await deps.artifacts.get(input.trainUri);
      const { table } = readDataset(bytes, {
        format: 'csv',
        features: spec.features,
        labelName: spec.label.name,
        source: input.trainUri,
      });

      const previous = ctx.info.heartbeatDetails as TrainingHeartbeat | undefined;
      let checkpoint: TrainerCheckpoint | null = null;
      if (previous?.checkpointKey) {
        try {
          checkpoint = JSON.parse(
            new TextDecoder().decode(await deps.artifacts.get(previous.checkpointKey)),
          ) as TrainerCheckpoint;
          ctx.log.info('resuming training from checkpoint', { epoch: checkpoint.epoch, attempt: ctx.info.attempt });
        } catch (err) {
          ctx.log.warn('checkpoint unreadable; training from scratch', { error: (err as Error).message });
        }
      }

      let last: TrainingHeartbeat = {
        epoch: checkpoint?.epoch ?? 0,
        epochs: spec.trainer.hyperparameters.epochs,
        loss: NaN,
        checkpointKey: previous?.checkpointKey ?? null,
        device: deps.device,
        worker: deps.workerIdentity,
      };
      ctx.heartbeat(last);
      const result = await trainer.train({
        table,
        features: spec.features,
        label: spec.label,
        hyperparameters: spec.trainer.hyperparameters,
        seed: spec.split.seed,
        checkpoint,
        signal: ctx.cancellationSignal,
        onProgress: (p) => {
          last = { ...last, epoch: p.epoch, epochs: p.epochs, loss: p.loss };
          ctx.heartbeat(last);
        },
        onCheckpoint: async (c) => {
          await deps.artifacts.put(keys.checkpoint, JSON.stringify(c), { contentType: 'application/json' });
          last = { ...last, checkpointKey: keys.checkpoint };
          ctx.heartbeat(last);
        },
      });
      const ref = await deps.artifacts.put(keys.model, result.onnx, { contentType: 'application/octet-stream' });
      await deps.artifacts.put(
        `models/${spec.model}/runs/${runId}/training-metadata.json`,
        JSON.stringify(result.metadata, null, 2),
        {
          contentType: 'application/json',
        },
      );
      return {
        modelUri: ref.uri,
        modelSha256: ref.sha256,
        metrics: result.metrics,
        epochs: result.metadata.epochs,
        resumedFromEpoch: result.resumedFromEpoch,
        device: deps.device,
        worker: deps.workerIdentity,
        durationMs: Date.now() - started,
      };
    });
  };
}
