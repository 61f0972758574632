import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tableToCsv } from '../data/records.js';
import type { ModelLabel } from '../onnx/metadata.js';
import type { CommandTrainerSpec } from '../spec/command-trainer-spec.js';
import { parseDuration } from '../spec/duration.js';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import type { ProgramOutcome } from './command-process.js';
import { TrainerCommandError, TrainerTimeoutError, TrainingAbortedError } from './errors.js';
import type { Hyperparameters, TrainInput, TrainProgress } from './trainer.js';

/** The JSON file named by `$MLOPS_TRAINER_INPUT`. */
export interface CommandTrainerInputFile {
  format: 'mlops.command-trainer-input/v1';
  /** One graph input per feature, named like it: numeric float[N,1] (NaN = missing), categorical string[N,1] ("" = missing). */
  features: FeatureSpec[];
  /** The label; a row is positive iff its label value === `positive`. */
  label: ModelLabel;
  hyperparameters: Hyperparameters;
  seed: number;
  /** CSV: header = feature names then the label; missing values are empty fields; rows without a label may occur. */
  train: { path: string; format: 'csv'; rows: number };
  validation: { path: string; format: 'csv'; rows: number } | null;
  /** Where the program must write the ONNX model. */
  output: { model: string };
  /** A scratch folder for the program, deleted after the run. */
  workDir: string;
  /**
   * An empty folder for checkpoints: write one (a file or a directory, a new name each time), then announce it with
   * `{"checkpoint": {"epoch": 3, "path": "ckpt-3"}}` (path relative to this folder). Do not change or delete it
   * afterwards: the trainer uploads it and deletes older ones itself.
   */
  checkpointDir: string;
  /** The restored last checkpoint of an earlier attempt of this run (the announced file or directory), or null. */
  resumeFrom: string | null;
  /** Epochs completed in `resumeFrom` (continue with the next one); 0 when `resumeFrom` is null. */
  resumeEpoch: number;
}

/** Writes the tables and the input file into `workDir`; returns the input file and its path. */
export async function writeTrainerInput(
  workDir: string,
  input: TrainInput,
  label: ModelLabel,
  checkpoints: { checkpointDir: string; resumeFrom: string | null; resumeEpoch: number },
): Promise<{ inputPath: string; file: CommandTrainerInputFile }> {
  const at = (name: string): string => path.join(workDir, name);
  const train = { path: at('train.csv'), format: 'csv' as const, rows: input.table.rowCount };
  await writeFile(train.path, tableToCsv(input.table, input.features, input.label.name));
  let validation: CommandTrainerInputFile['validation'] = null;
  if (input.validation !== undefined) {
    validation = { path: at('validation.csv'), format: 'csv', rows: input.validation.rowCount };
    await writeFile(validation.path, tableToCsv(input.validation, input.features, input.label.name));
  }
  const file: CommandTrainerInputFile = {
    format: 'mlops.command-trainer-input/v1',
    features: input.features.map((f) => structuredClone(f)),
    label,
    hyperparameters: { ...input.hyperparameters },
    seed: input.seed,
    train,
    validation,
    output: { model: at('model.onnx') },
    workDir,
    ...checkpoints,
  };
  const inputPath = at('input.json');
  await writeFile(inputPath, JSON.stringify(file, null, 2));
  return { inputPath, file };
}

/** Worker variables every program gets (besides `passEnv`); nothing else of the worker's environment leaks. */
const BASE_ENV = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR'];

/**
 * The program's environment: {@link BASE_ENV} and `passEnv` from the worker's environment, `PYTHONUNBUFFERED=1`
 * (so Python progress lines are not held in a buffer), the spec's `env`, and `MLOPS_TRAINER_INPUT`.
 */
export function programEnv(spec: CommandTrainerSpec, inputPath: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...BASE_ENV, ...spec.passEnv]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, PYTHONUNBUFFERED: '1', ...spec.env, MLOPS_TRAINER_INPUT: inputPath };
}

/** A progress line (`epoch`, `epochs`, `loss` numbers; optional `valLoss`), or null. */
export function asProgress(value: Record<string, unknown>): TrainProgress | null {
  const { epoch, epochs, loss, valLoss } = value;
  if (typeof epoch !== 'number' || typeof epochs !== 'number' || typeof loss !== 'number') return null;
  return typeof valLoss === 'number' ? { epoch, epochs, loss, valLoss } : { epoch, epochs, loss };
}

/** A checkpoint announcement `{"checkpoint": {"epoch": n, "path": "..."}}` (epoch a positive integer), or null. */
export function asCheckpoint(value: Record<string, unknown>): { epoch: number; path: unknown } | null {
  const c = value.checkpoint;
  if (typeof c !== 'object' || c === null) return null;
  const { epoch, path: where } = c as Record<string, unknown>;
  return typeof epoch === 'number' && Number.isInteger(epoch) && epoch >= 1 ? { epoch, path: where } : null;
}

/** The finite numbers of a `{"metrics": {...}}` line's object (anything else is ignored). */
export function numericEntries(value: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [key, v] of Object.entries(value)) if (typeof v === 'number' && Number.isFinite(v)) out[key] = v;
  return out;
}

/**
 * The error for a program run that did not succeed, or null when it exited 0 on its own: TrainingAbortedError
 * (signal), what `onProgress` threw, TrainerTimeoutError (timeout, hang) or TrainerCommandError (could not start,
 * non-zero exit, killed by a signal).
 */
export function outcomeError(
  outcome: ProgramOutcome,
  spec: CommandTrainerSpec,
  reportedEpochs: number,
  signal: AbortSignal | undefined,
): Error | null {
  const program = JSON.stringify(spec.argv[0]);
  if (outcome.stoppedBy === 'abort') return new TrainingAbortedError(reportedEpochs, signal?.reason);
  // onProgress may also have failed on the last lines, after the program had exited by itself.
  if (outcome.callbackError !== undefined) {
    const error = outcome.callbackError;
    return error instanceof Error ? error : new Error(`onProgress failed: ${JSON.stringify(error) ?? typeof error}`);
  }
  if (outcome.stoppedBy === 'timeout' || outcome.stoppedBy === 'hang') {
    const setting = outcome.stoppedBy === 'timeout' ? spec.timeout : spec.hangTimeout;
    return new TrainerTimeoutError(outcome.stoppedBy, parseDuration(setting), reportedEpochs, outcome.stderrTail, {
      program,
      limit: setting,
    });
  }
  if (outcome.spawnError !== null) {
    const message = `cannot start the trainer command ${program}: ${outcome.spawnError.message}`;
    return new TrainerCommandError(message, null, null, outcome.stderrTail, { cause: outcome.spawnError });
  }
  if (outcome.exitCode === 0) return null;
  const how =
    outcome.exitSignal !== null ? `was killed by ${outcome.exitSignal}` : `exited with code ${outcome.exitCode}`;
  return new TrainerCommandError(
    `the trainer command ${program} ${how}`,
    outcome.exitCode,
    outcome.exitSignal,
    outcome.stderrTail,
  );
}
