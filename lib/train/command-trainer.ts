import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { METADATA_VERSION, MetadataKeys, type ModelLabel } from '../onnx/metadata.js';
import {
  commandTrainerSchema,
  type CommandTrainerSpec,
  type CommandTrainerSpecInput,
} from '../spec/command-trainer-spec.js';
import { parseDuration } from '../spec/duration.js';
import { SpecValidationError } from '../spec/errors.js';
import {
  checkpointViolation,
  commandFingerprint,
  packCommandCheckpoint,
  pruneAnnounced,
  resolveAnnounced,
  restoreCheckpoint,
} from './command-checkpoint.js';
import { asCheckpoint, asProgress, numericEntries, outcomeError, programEnv, writeTrainerInput } from './command-io.js';
import { checkCommandModel, stampModelMetadata } from './command-model.js';
import { runProgram } from './command-process.js';
import { TrainerModelError, TrainingDataError } from './errors.js';
import { binaryTargets } from './labels.js';
import {
  throwIfAborted,
  type TrainedModelMetadata,
  type Trainer,
  type TrainInput,
  type TrainProgress,
  type TrainResult,
} from './trainer.js';

export type { CommandTrainerInputFile } from './command-io.js';

/**
 * Algorithm name of the `command` trainer: an external program (any language) trains the model. Protocol:
 *
 * - Input: `$MLOPS_TRAINER_INPUT` names a JSON file ({@link CommandTrainerInputFile}): features, label,
 *   hyperparameters, seed, the training (and validation) table as CSV and `output.model`, where the program must
 *   write the ONNX model. The program runs without a shell, in its own process group, with stdin closed and a
 *   minimal environment (see `programEnv` in command-io.ts).
 * - Progress: stdout lines `{"epoch": 3, "epochs": 30, "loss": 0.41, "valLoss": 0.44}` reach `onProgress`; a line
 *   `{"metrics": {"name": number, ...}}` adds training metrics. Every JSON object line (e.g. `{"status": "loading"}`)
 *   proves the program alive for `hangTimeout`; other lines are ignored (or given to `onOutput`).
 * - Result: exit status 0 and a model with one input per feature named like it (numeric float[N,1], categorical
 *   string[N,1]; NaN / "" = missing) and the binary outputs `probability` float[N,1] and `label` int64[N]. The
 *   trainer checks it and stamps this project's `mlops.*` metadata into it (algorithm `command`), so evaluation and
 *   serving load it like a built-in model.
 *
 * - Checkpoints (optional): `checkpointDir` in the input file is an empty folder. After an epoch the program writes
 *   its state there (a file or a directory, a new name each time) and only then prints
 *   `{"checkpoint": {"epoch": 3, "path": "ckpt-3"}}` (path relative to `checkpointDir`). The trainer packs it and
 *   hands it to `onCommandCheckpoint` (the activity stores it under the run's checkpoint keys and heartbeats where it
 *   is), then deletes older announced checkpoints from the folder; the program must not change or delete an
 *   announced checkpoint. Files never announced are never used, so a crash while writing one is harmless. A bad
 *   announcement (path outside the folder or missing, epochs not increasing) fails the run (TrainerCommandError).
 * - Resume: given `commandCheckpoint` of the same run (fingerprint of data, spec, hyperparameters, seed and argv),
 *   the trainer restores it into a fresh folder and sets `resumeFrom` (the restored file or directory, under its
 *   announced name) and `resumeEpoch`; the program continues with epoch `resumeEpoch + 1` and reports epochs from
 *   there. A program that ignores `resumeFrom` simply starts over (its first progress line says epoch 1): the result
 *   then reports `resumedFromEpoch` 0 and says so in `checkpointIgnored`.
 *
 * Only binary labels are supported.
 */
export const COMMAND_ALGORITHM = 'command';

/** {@link TrainedModelMetadata} of a command-trained model (no preprocessor or weights: they live in the ONNX). */
export interface CommandTrainedModelMetadata extends TrainedModelMetadata {
  command: { argv: string[]; durationMs: number; reportedEpochs: number };
}

/** Options of {@link createCommandTrainer} that are not part of the (history-visible) configuration. */
export interface CommandTrainerOptions {
  /** Receives the program's stdout lines that are not JSON and its stderr lines (default: dropped). */
  onOutput?: ((stream: 'stdout' | 'stderr', line: string) => void) | undefined;
  /** Parent folder of the per-run scratch folder (default: the OS temp folder). */
  tmpDir?: string | undefined;
}

/**
 * Creates a {@link Trainer} that runs an external program (see {@link COMMAND_ALGORITHM} for the protocol).
 * Errors of `train`: TrainingAbortedError (signal), TrainerTimeoutError (timeout, hang), TrainerCommandError (cannot
 * start, non-zero exit), TrainerModelError (model missing, corrupt or without the binary outputs),
 * FeatureMismatchError (model inputs differ from the features), TrainingDataError (not binary, one class).
 * @throws SpecValidationError when `config` is invalid.
 */
export function createCommandTrainer(config: CommandTrainerSpecInput, options: CommandTrainerOptions = {}): Trainer {
  const parsed = commandTrainerSchema.safeParse(config);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new SpecValidationError('(command trainer)', problems);
  }
  const spec = parsed.data;
  return { algorithm: COMMAND_ALGORITHM, train: (input) => trainWithCommand(spec, options, input) };
}

async function trainWithCommand(
  spec: CommandTrainerSpec,
  options: CommandTrainerOptions,
  input: TrainInput,
): Promise<TrainResult> {
  if (input.label.task !== 'binary') {
    throw new TrainingDataError(`the command trainer trains binary tasks only, not "${input.label.task}"`);
  }
  throwIfAborted(input.signal, 0);
  const { y, negative } = binaryTargets(input.table.label, input.label.positive);
  const label: ModelLabel = {
    name: input.label.name,
    task: input.label.task,
    positive: input.label.positive,
    negative,
  };
  const workDir = await mkdtemp(path.join(options.tmpDir ?? tmpdir(), 'mlops-command-trainer-'));
  try {
    const checkpointDir = path.join(workDir, 'checkpoints');
    await mkdir(checkpointDir);
    const fingerprint = commandFingerprint(input, spec.argv);
    const { resume, ignored } = await restoreCheckpoint(
      input.commandCheckpoint,
      fingerprint,
      path.join(workDir, 'resume'),
    );
    const resumeEpoch = resume?.header.epoch ?? 0;
    const { inputPath, file } = await writeTrainerInput(workDir, input, label, {
      checkpointDir,
      resumeFrom: resume?.restored ?? null,
      resumeEpoch,
    });
    const lossHistory: number[] = resume === null ? [] : resume.header.lossHistory.slice(0, resumeEpoch);
    const seen: { last: TrainProgress | null; metrics: Record<string, number> } = { last: null, metrics: {} };
    const announced: string[] = [];
    let startedOver = false;
    let lastAnnounced = 0;
    const onCheckpoint = async (c: { epoch: number; path: unknown }): Promise<void> => {
      if (c.epoch <= lastAnnounced) {
        throw checkpointViolation(`checkpoint epochs must increase: epoch ${c.epoch} after ${lastAnnounced}`);
      }
      const relative = await resolveAnnounced(checkpointDir, c.path);
      lastAnnounced = c.epoch;
      if (input.onCommandCheckpoint !== undefined) {
        const epochs = seen.last?.epochs ?? input.hyperparameters.epochs;
        const history = lossHistory.slice(0, c.epoch);
        const meta = { epoch: c.epoch, epochs, fingerprint, lossHistory: history };
        await input.onCommandCheckpoint(await packCommandCheckpoint(checkpointDir, relative, meta));
      }
      announced.push(relative);
      await pruneAnnounced(checkpointDir, announced);
    };
    const started = Date.now();
    const outcome = await runProgram({
      argv: spec.argv,
      cwd: path.resolve(spec.cwd ?? '.'),
      env: programEnv(spec, inputPath),
      timeoutMs: parseDuration(spec.timeout),
      hangTimeoutMs: parseDuration(spec.hangTimeout),
      killGraceMs: parseDuration(spec.killGrace),
      signal: input.signal,
      onOutput: options.onOutput,
      onJson: async (value) => {
        const progress = asProgress(value);
        if (progress !== null) {
          if (seen.last === null && resume !== null && progress.epoch <= resumeEpoch) {
            startedOver = true;
            lossHistory.length = 0;
          }
          seen.last = progress;
          lossHistory.push(progress.loss);
          await input.onProgress?.(progress);
        } else if ('metrics' in value) {
          seen.metrics = { ...seen.metrics, ...numericEntries(value.metrics) };
        } else if ('checkpoint' in value) {
          const announcement = asCheckpoint(value);
          if (announcement === null) throw checkpointViolation(`bad announcement ${JSON.stringify(value)}`);
          await onCheckpoint(announcement);
        }
      },
    });
    const durationMs = Date.now() - started;
    const last = seen.last;
    const resumedFromEpoch = startedOver ? 0 : resumeEpoch;
    const reported = last?.epoch ?? resumedFromEpoch;
    const failure = outcomeError(outcome, spec, reported, input.signal);
    if (failure !== null) throw failure;

    const modelPath = file.output.model;
    const bytes = await readFile(modelPath).catch((cause: unknown) => {
      const program = JSON.stringify(spec.argv[0]);
      const message = `the trainer command ${program} exited 0 but wrote no model to ${modelPath} (output.model)`;
      throw new TrainerModelError(modelPath, message, { cause });
    });
    await checkCommandModel(bytes, modelPath, input.features, input.table);

    const positiveRate = y.reduce((a, b) => a + b, 0) / y.length;
    const epochs = last?.epochs ?? input.hyperparameters.epochs;
    const training = { argv: spec.argv, hyperparameters: input.hyperparameters, seed: input.seed, epochs };
    const onnx = stampModelMetadata(bytes, {
      [MetadataKeys.features]: JSON.stringify(file.features),
      [MetadataKeys.label]: JSON.stringify(label),
      [MetadataKeys.algorithm]: COMMAND_ALGORITHM,
      [MetadataKeys.version]: METADATA_VERSION,
      [MetadataKeys.training]: JSON.stringify({ ...training, trainRows: y.length }),
    });
    const metrics: Record<string, number> = { train_rows: y.length, train_positive_rate: positiveRate };
    if (last !== null) metrics.train_log_loss = last.loss;
    if (last?.valLoss !== undefined) metrics.val_log_loss = last.valLoss;
    const metadata: CommandTrainedModelMetadata = {
      algorithm: COMMAND_ALGORITHM,
      features: file.features,
      label,
      hyperparameters: { ...input.hyperparameters },
      seed: input.seed,
      // The preprocessing lives inside the ONNX graph.
      preprocessor: { format: 'mlops.preprocessor/v1', numeric: [], categorical: [], width: 0 },
      weights: [],
      bias: 0,
      columns: [],
      trainRows: y.length,
      positiveRate,
      epochs,
      lossHistory,
      command: { argv: [...spec.argv], durationMs, reportedEpochs: reported },
    };
    const builtIn =
      input.checkpoint === null || input.checkpoint === undefined
        ? null
        : 'the command trainer cannot resume from a built-in trainer checkpoint; training restarted';
    const checkpointIgnored =
      ignored ?? (startedOver ? 'the program ignored resumeFrom and started over' : null) ?? builtIn;
    return {
      onnx,
      metrics: { ...metrics, ...seen.metrics },
      metadata,
      epochsRun: reported - resumedFromEpoch,
      resumedFromEpoch,
      checkpointIgnored,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
