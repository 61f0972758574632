import { Context } from '@temporalio/activity';
import type { TrainModelInput, TrainModelResult } from '../contracts/payloads.js';
import { readDataset } from '../lib/data/read-dataset.js';
import { SpecValidationError } from '../lib/spec/errors.js';
import type { PipelineSpec } from '../lib/spec/pipeline-spec.js';
import { trainerSchema } from '../lib/spec/trainer-spec.js';
import { readCommandCheckpointHeader } from '../lib/train/command-checkpoint.js';
import { COMMAND_ALGORITHM } from '../lib/train/command-trainer.js';
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
 * Artifact keys of a pipeline run's training outputs. Checkpoints alternate between two keys (each goes to the one
 * that does not hold the newest), so a crash while one is being written always leaves the other, complete, one to
 * resume from. The `command` trainer's checkpoints (packed files of an external program, format
 * `mlops.command-checkpoint/v1`) use keys of their own, `commandCheckpoints`.
 */
export function trainingKeys(
  model: string,
  runId: string,
): { checkpoints: [string, string]; commandCheckpoints: [string, string]; model: string } {
  const dir = `models/${model}/runs/${runId}`;
  return {
    checkpoints: [`${dir}/checkpoint-0.json`, `${dir}/checkpoint-1.json`],
    commandCheckpoints: [`${dir}/command-checkpoint-0.bin`, `${dir}/command-checkpoint-1.bin`],
    model: `${dir}/model.onnx`,
  };
}

/** A stored checkpoint of this run: its key, epoch and decoded value. */
interface StoredCheckpoint<T> {
  key: string;
  epoch: number;
  value: T;
}

/**
 * The newest readable checkpoint among `keys` (the trainer still checks it belongs to the same data and spec); an
 * unreadable one (a crash while writing it?) is skipped with a warning. `decode` reads one stored object.
 */
async function newestCheckpoint<T>(
  deps: ActivityDeps,
  keys: readonly string[],
  decode: (bytes: Uint8Array) => { epoch: number; value: T },
  warn: (message: string, meta: Record<string, unknown>) => void,
): Promise<StoredCheckpoint<T> | null> {
  let best: StoredCheckpoint<T> | null = null;
  for (const key of keys) {
    if (!(await deps.artifacts.exists(key))) continue;
    try {
      const { epoch, value } = decode(await deps.artifacts.get(key));
      if (!best || epoch > best.epoch) best = { key, epoch, value };
    } catch (err) {
      warn('checkpoint unreadable (a crash while writing it?); using the other one', {
        key,
        error: (err as Error).message,
      });
    }
  }
  return best;
}

const decodeTrainerCheckpoint = (bytes: Uint8Array): { epoch: number; value: TrainerCheckpoint } => {
  const value = JSON.parse(new TextDecoder().decode(bytes)) as TrainerCheckpoint;
  return { epoch: value.epoch, value };
};

const decodeCommandCheckpoint = (bytes: Uint8Array): { epoch: number; value: Uint8Array } => ({
  epoch: readCommandCheckpointHeader(bytes).header.epoch,
  value: bytes,
});

/** Longest time between two heartbeats of a running training activity. */
const MAX_HEARTBEAT_INTERVAL_MS = 5000;

/**
 * How often the activity heartbeats while it runs, whatever the trainer reports: a third of the heartbeat timeout
 * (so a missed beat or two is survived), at most {@link MAX_HEARTBEAT_INTERVAL_MS}. The SDK throttles what reaches
 * the server; beating on a timer keeps a slow epoch or a silent external program from timing out, and lets a
 * cancellation (delivered with heartbeat responses) arrive within seconds.
 */
function heartbeatIntervalMs(heartbeatTimeoutMs: number | undefined): number {
  if (heartbeatTimeoutMs === undefined || heartbeatTimeoutMs <= 0) return MAX_HEARTBEAT_INTERVAL_MS;
  return Math.max(100, Math.min(MAX_HEARTBEAT_INTERVAL_MS, Math.floor(heartbeatTimeoutMs / 3)));
}

/**
 * Checks the trainer section with the resolved hyperparameters (a trial's in place) against the spec schema: a
 * workflow started without the CLI may carry values the trainers cannot handle (e.g. `batchSize: 0`). Only checks;
 * training uses the values as given, so lineage and fingerprints stay byte-identical.
 * @throws SpecValidationError (permanent) naming every bad field.
 */
function checkTrainer(trainer: PipelineSpec['trainer'], hyperparameters: unknown, source: string): void {
  const parsed = trainerSchema.safeParse({ ...trainer, hyperparameters });
  if (parsed.success) return;
  throw new SpecValidationError(
    source,
    parsed.error.issues.map((issue) => ({
      path: ['trainer', ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  );
}

/**
 * Trains the model on the training snapshot. Heartbeats every few seconds for as long as it runs (see
 * {@link heartbeatIntervalMs}), with the latest progress and checkpoint location; a run that finds a checkpoint of
 * its own (a retry after a worker crash, or the CPU fallback after a GPU attempt died) resumes from it (at most one
 * epoch is redone; the trainer ignores a checkpoint of other data, spec or hyperparameters). For the `command`
 * trainer the checkpoints are the files its program announces (`commandCheckpoints` keys), restored into the
 * program's `resumeFrom` on the next attempt. Cancellation of the
 * pipeline reaches the trainer through the activity's AbortSignal and stops it between mini-batches (an external
 * program's process group is killed).
 * @throws SpecValidationError (permanent) when the trainer section or the trial's hyperparameters are invalid.
 */
export function createTrainModel(deps: ActivityDeps) {
  return async function trainModel(input: TrainModelInput): Promise<TrainModelResult> {
    return permanentErrorsAreFinal(async () => {
      const ctx = Context.current();
      const started = Date.now();
      const { spec, runId } = input;
      // A tuning trial keeps its artifacts (checkpoints, model) apart: `<runId>/trial-<n>`.
      const runKey = input.trial ? `${runId}/trial-${input.trial.number}` : runId;
      const hyperparameters = input.trial
        ? trialHyperparameters(spec.trainer.hyperparameters, input.trial.params)
        : spec.trainer.hyperparameters;
      checkTrainer(spec.trainer, hyperparameters, `(trainModel input of run ${runKey})`);
      const trainer = trainerForSpec(spec.trainer);
      const keys = trainingKeys(spec.model, runKey);

      const previous = ctx.info.heartbeatDetails as TrainingHeartbeat | undefined;
      let last: TrainingHeartbeat = {
        epoch: previous?.epoch ?? 0,
        epochs: hyperparameters.epochs,
        loss: previous?.loss ?? NaN,
        checkpointKey: previous?.checkpointKey ?? null,
        device: deps.device,
        worker: deps.workerIdentity,
      };
      ctx.heartbeat(last);
      const beating = setInterval(() => ctx.heartbeat(last), heartbeatIntervalMs(ctx.info.heartbeatTimeoutMs));
      try {
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

        // Resume from this run's newest complete checkpoint, on any attempt: a retry after a crash (the one its last
        // heartbeat names, or a newer one written after that heartbeat reached the server), and also a first
        // attempt on another queue, e.g. the CPU fallback after a GPU attempt died. The keys belong to this run (and
        // trial) only; the trainer ignores a checkpoint whose fingerprint (data, spec, hyperparameters) differs.
        // An external program's checkpoints (`command` trainer) live under keys of their own.
        const warn = (m: string, meta: Record<string, unknown>): void => {
          ctx.log.warn(m, meta);
        };
        const external = trainer.algorithm === COMMAND_ALGORITHM;
        const slots = external ? keys.commandCheckpoints : keys.checkpoints;
        const resume = external ? null : await newestCheckpoint(deps, slots, decodeTrainerCheckpoint, warn);
        const commandCheckpoint = external ? await newestCheckpoint(deps, slots, decodeCommandCheckpoint, warn) : null;
        const found = resume ?? commandCheckpoint;
        if (found)
          ctx.log.info('resuming training from checkpoint', {
            epoch: found.epoch,
            key: found.key,
            attempt: ctx.info.attempt,
          });
        // Each new checkpoint goes to the slot that does not hold the newest one, so a crash while writing it always
        // leaves the other, complete, one (whether the trainer checkpoints every epoch or every other one).
        let newestKey = found?.key ?? null;
        const store = async (bytes: string | Uint8Array, contentType: string): Promise<void> => {
          const key = newestKey === slots[0] ? slots[1] : slots[0];
          await deps.artifacts.put(key, bytes, { contentType });
          newestKey = key;
          last = { ...last, checkpointKey: key };
          ctx.heartbeat(last);
        };
        last = { ...last, epoch: found?.epoch ?? 0, checkpointKey: found?.key ?? last.checkpointKey };
        ctx.heartbeat(last);
        const result = await trainer.train({
          table,
          features: spec.features,
          label: spec.label,
          hyperparameters,
          seed: spec.split.seed,
          validation: carved?.validation,
          checkpoint: resume?.value ?? null,
          commandCheckpoint: commandCheckpoint?.value ?? null,
          signal: ctx.cancellationSignal,
          onProgress: (p) => {
            last = { ...last, epoch: p.epoch, epochs: p.epochs, loss: p.loss };
            ctx.heartbeat(last);
          },
          onCheckpoint: (c) => store(JSON.stringify(c), 'application/json'),
          onCommandCheckpoint: (c) => store(c.bytes, 'application/octet-stream'),
        });
        if (result.checkpointIgnored !== null) {
          ctx.log.warn('checkpoint not used; training started over', {
            reason: result.checkpointIgnored,
            key: found?.key,
          });
        }
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
      } finally {
        clearInterval(beating);
      }
    });
  };
}
