/**
 * The `command` trainer's checkpoint protocol with real processes: a fake Node program that checkpoints a directory
 * per epoch (and can crash mid-checkpoint, or ignore `resumeFrom`), and the scikit-learn example killed after an
 * epoch and resumed from its checkpoint.
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureTable } from '../../lib/data/table.js';
import { readCommandCheckpointHeader, unpackCommandCheckpoint } from '../../lib/train/command-checkpoint.js';
import type { CommandTrainerInputFile } from '../../lib/train/command-io.js';
import { pythonToolsEnv, pythonToolsProblem } from '../../lib/train/command-python.js';
import { createCommandTrainer } from '../../lib/train/command-trainer.js';
import { TrainerCommandError, TrainingAbortedError } from '../../lib/train/errors.js';
import type { TrainInput, TrainProgress } from '../../lib/train/trainer.js';
import { builtInModel, churnTable, nodeProgram, trainInput } from './command-fixtures.js';

type Packed = { epoch: number; epochs: number; bytes: Uint8Array };

/**
 * Checkpoints `ckpt-<e>/state.json` after every epoch (a running sum of the epochs); `CRASH_AT` writes a partial
 * checkpoint at that epoch and exits 3 before announcing it; `IGNORE_RESUME` starts over; `DUMP` receives the input
 * file. The final metrics report the sum (15 for 5 epochs, resumed or not) and the epoch it resumed at.
 */
const CHECKPOINTING_PROGRAM = nodeProgram(`
  if (process.env.DUMP) fs.writeFileSync(process.env.DUMP, JSON.stringify(input));
  const epochs = input.hyperparameters.epochs;
  let start = 1;
  let state = { sum: 0 };
  if (input.resumeFrom !== null && !process.env.IGNORE_RESUME) {
    state = JSON.parse(fs.readFileSync(input.resumeFrom + '/state.json', 'utf8'));
    start = input.resumeEpoch + 1;
  }
  for (let e = start; e <= epochs; e++) {
    state.sum += e;
    say({ epoch: e, epochs, loss: 1 / e });
    const dir = input.checkpointDir + '/ckpt-' + e;
    fs.mkdirSync(dir + '/sub', { recursive: true });
    if (e === Number(process.env.CRASH_AT)) { fs.writeFileSync(dir + '/state.json', '{"sum": 99'); process.exit(3); }
    fs.writeFileSync(dir + '/state.json', JSON.stringify({ ...state, epoch: e }));
    fs.writeFileSync(dir + '/sub/weights.bin', Buffer.from([e, 0, 255]));
    say({ checkpoint: { epoch: e, path: 'ckpt-' + e } });
  }
  fs.copyFileSync(process.env.MODEL_SOURCE, input.output.model);
  say({ metrics: { state_sum: state.sum, resumed_at: start } });
`);

let dir: string;
let train: FeatureTable;
let modelFile: string;
const FIVE = { learningRate: 0.05, epochs: 5, batchSize: 256, l2: 0.0001 };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'command-checkpoint-test-'));
  train = churnTable(1000, 21);
  modelFile = path.join(dir, 'built-in.onnx');
  await writeFile(modelFile, await builtInModel(train));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the checkpointing program; returns the packed checkpoints it announced, the progress and the result. */
async function run(env: Record<string, string>, extra: Partial<TrainInput> = {}) {
  const packed: Packed[] = [];
  const progress: TrainProgress[] = [];
  const trainer = createCommandTrainer({ argv: CHECKPOINTING_PROGRAM, env: { MODEL_SOURCE: modelFile, ...env } });
  const input = trainInput(train, {
    hyperparameters: FIVE,
    onProgress: (p) => void progress.push(p),
    onCommandCheckpoint: async (c) => void packed.push(c),
    ...extra,
  });
  const result = await trainer.train(input).catch((error: unknown) => error as Error);
  return { packed, progress, result };
}

describe('command trainer checkpoints with a fake program', () => {
  let crashed: Packed[];

  it('uploads each announced checkpoint completely; a crash mid-checkpoint leaves the previous one', async () => {
    const { packed, progress, result } = await run({ CRASH_AT: '3' });
    expect(result).toBeInstanceOf(TrainerCommandError);
    expect((result as Error).message).toMatch(/exited with code 3/);
    expect(progress.map((p) => p.epoch)).toEqual([1, 2, 3]);
    // Epoch 3's files were written (partly) but never announced: never uploaded.
    expect(packed.map((c) => c.epoch)).toEqual([1, 2]);
    crashed = packed;
    const { header } = readCommandCheckpointHeader(packed[1]!.bytes);
    expect(header).toMatchObject({ format: 'mlops.command-checkpoint/v1', epoch: 2, epochs: 5, kind: 'directory' });
    expect(header.path).toBe('ckpt-2');
    expect(header.lossHistory).toEqual([1, 0.5]);
    expect(header.files.map((f) => f.path)).toEqual(['state.json', 'sub/weights.bin']);
    const out = await mkdtemp(path.join(dir, 'unpack-'));
    const { restored } = await unpackCommandCheckpoint(packed[1]!.bytes, out);
    expect(JSON.parse(await readFile(path.join(restored, 'state.json'), 'utf8'))).toEqual({ sum: 3, epoch: 2 });
    expect([...(await readFile(path.join(restored, 'sub', 'weights.bin')))]).toEqual([2, 0, 255]);
  });

  it('restores the checkpoint into resumeFrom; the program continues with the next epoch', async () => {
    const dump = path.join(dir, 'resumed-input.json');
    const { packed, progress, result } = await run({ DUMP: dump }, { commandCheckpoint: crashed[1]!.bytes });
    if (result instanceof Error) throw result;
    const file = JSON.parse(await readFile(dump, 'utf8')) as CommandTrainerInputFile;
    expect(file.resumeEpoch).toBe(2);
    expect(path.basename(file.resumeFrom ?? '')).toBe('ckpt-2');
    expect(path.relative(file.workDir, file.checkpointDir).startsWith('..')).toBe(false);
    expect(progress.map((p) => p.epoch)).toEqual([3, 4, 5]);
    expect(packed.map((c) => c.epoch)).toEqual([3, 4, 5]);
    expect(result.metrics).toMatchObject({ state_sum: 15, resumed_at: 3 });
    expect(result).toMatchObject({ resumedFromEpoch: 2, epochsRun: 3, checkpointIgnored: null });
    expect(result.metadata.lossHistory).toEqual([1, 0.5, 1 / 3, 0.25, 0.2]);
    expect(readCommandCheckpointHeader(packed[2]!.bytes).header.lossHistory).toHaveLength(5);
    // The scratch folder (with the restored and the program's checkpoints) is gone after the run.
    await expect(stat(file.workDir)).rejects.toThrow();
  });

  it('starts over without resumeFrom for a checkpoint of another run, or an unreadable one', async () => {
    const dump = path.join(dir, 'other-input.json');
    const other = await run({ DUMP: dump }, { commandCheckpoint: crashed[1]!.bytes, seed: 8 });
    if (other.result instanceof Error) throw other.result;
    expect(JSON.parse(await readFile(dump, 'utf8'))).toMatchObject({ resumeFrom: null, resumeEpoch: 0 });
    expect(other.progress.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(other.result.resumedFromEpoch).toBe(0);
    expect(other.result.checkpointIgnored).toMatch(/other data/);

    const garbage = await run({}, { commandCheckpoint: new TextEncoder().encode('{"format": "x"}') });
    if (garbage.result instanceof Error) throw garbage.result;
    expect(garbage.result.checkpointIgnored).toMatch(/unreadable/);
    expect(garbage.result.metrics.resumed_at).toBe(1);
  });

  it('a program that ignores resumeFrom simply starts over', async () => {
    const { progress, result } = await run({ IGNORE_RESUME: '1' }, { commandCheckpoint: crashed[1]!.bytes });
    if (result instanceof Error) throw result;
    expect(progress.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(result).toMatchObject({ resumedFromEpoch: 0, epochsRun: 5 });
    expect(result.checkpointIgnored).toMatch(/ignored resumeFrom/);
    expect(result.metadata.lossHistory).toHaveLength(5);
  });

  it.each([
    ['a path outside checkpointDir', `say({ checkpoint: { epoch: 1, path: '../input.json' } })`, /not inside/],
    ['a missing path', `say({ checkpoint: { epoch: 1, path: 'nothing' } })`, /does not exist/],
    ['a bad epoch', `say({ checkpoint: { epoch: 0, path: 'x' } })`, /bad announcement/],
    [
      'epochs that do not increase',
      `fs.writeFileSync(input.checkpointDir + '/a', 'a'); fs.writeFileSync(input.checkpointDir + '/b', 'b');
       say({ checkpoint: { epoch: 2, path: 'a' } }); say({ checkpoint: { epoch: 2, path: 'b' } });`,
      /must increase/,
    ],
  ])('fails the run on %s', async (_name, body, message) => {
    const trainer = createCommandTrainer({ argv: nodeProgram(`${body}; setTimeout(() => {}, 5000);`) });
    const error = await trainer
      .train(trainInput(train, { onCommandCheckpoint: async () => {} }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainerCommandError);
    expect((error as Error).message).toMatch(message);
  });
});

const toolsProblem = await pythonToolsProblem();
if (toolsProblem !== null && process.env.CI === undefined) {
  process.stderr.write(`[test] skipping the scikit-learn checkpoint test (run npm run provision): ${toolsProblem}\n`);
}

describe.skipIf(toolsProblem !== null && process.env.CI === undefined)('sklearn_logistic.py checkpoints', () => {
  it('killed after epoch 2, resumes from its checkpoint with epochs 3..5 and yields the same model', async () => {
    const trainer = createCommandTrainer({
      argv: ['python3', 'examples/trainers/sklearn_logistic.py'],
      env: pythonToolsEnv(),
      timeout: '5m',
      hangTimeout: '2m',
    });
    const validation = churnTable(300, 22);
    const base = (extra: Partial<TrainInput>): TrainInput =>
      trainInput(train, { validation, hyperparameters: { ...FIVE, learningRate: 0.01 }, ...extra });

    const uninterrupted = await trainer.train(base({}));

    const stopper = new AbortController();
    const saved: Packed[] = [];
    const killed = await trainer
      .train(
        base({
          signal: stopper.signal,
          onCommandCheckpoint: async (c) => {
            // A lost worker stores nothing more: on a loaded machine the program may announce epoch 3 before the kill.
            if (stopper.signal.aborted) return;
            saved.push(c);
            if (c.epoch === 2) stopper.abort(new Error('worker lost'));
          },
        }),
      )
      .catch((e: unknown) => e);
    expect(killed).toBeInstanceOf(TrainingAbortedError);
    expect(saved.map((c) => c.epoch)).toEqual([1, 2]);
    expect(readCommandCheckpointHeader(saved[1]!.bytes).header).toMatchObject({ kind: 'file', path: 'epoch-2.pkl' });

    const progress: TrainProgress[] = [];
    const resumed = await trainer.train(
      base({ commandCheckpoint: saved[1]!.bytes, onProgress: (p) => void progress.push(p) }),
    );
    expect(progress.map((p) => p.epoch)).toEqual([3, 4, 5]);
    expect(resumed).toMatchObject({ resumedFromEpoch: 2, epochsRun: 3, checkpointIgnored: null });
    expect(resumed.metadata.lossHistory).toEqual(uninterrupted.metadata.lossHistory);
    expect(resumed.metrics.val_log_loss).toBe(uninterrupted.metrics.val_log_loss);
    expect(Buffer.from(resumed.onnx).equals(Buffer.from(uninterrupted.onnx))).toBe(true);
  }, 240_000);
});
