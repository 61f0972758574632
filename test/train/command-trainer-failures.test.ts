/**
 * How the `command` trainer fails, with real (tiny) processes: non-zero exit, hang and overall timeouts, abort
 * (the whole process group dies), programs that cannot start, and models that are missing, corrupt or off-contract.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureTable } from '../../lib/data/table.js';
import { ElemType, GraphBuilder } from '../../lib/onnx/graph.js';
import { createCommandTrainer } from '../../lib/train/command-trainer.js';
import {
  TrainerCommandError,
  TrainerModelError,
  TrainerTimeoutError,
  TrainingAbortedError,
} from '../../lib/train/errors.js';
import {
  builtInModel,
  churnTable,
  COPY_MODEL_PROGRAM,
  FEATURES,
  nodeProgram,
  trainInput,
  waitGone,
} from './command-fixtures.js';

let dir: string;
let table: FeatureTable;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'command-trainer-failures-'));
  table = churnTable(400, 21);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `argv` as the trainer and returns what `train` rejected with. */
async function failure(config: Parameters<typeof createCommandTrainer>[0], signal?: AbortSignal): Promise<Error> {
  const error = await createCommandTrainer(config)
    .train(trainInput(table, { signal }))
    .then(
      () => null,
      (e: unknown) => e,
    );
  if (!(error instanceof Error)) throw new Error(`expected train to reject, got ${String(error)}`);
  return error;
}

describe('command trainer failures', () => {
  it('a non-zero exit is a TrainerCommandError with the exit code and the stderr tail', async () => {
    const error = await failure({ argv: ['sh', '-c', 'echo "boom: the data looks odd" >&2; exit 3'] });
    expect(error).toBeInstanceOf(TrainerCommandError);
    expect(error.name).toBe('TrainerCommandError');
    expect(error.message).toMatch(/exited with code 3/);
    expect(error.message).toContain('boom: the data looks odd');
    expect((error as TrainerCommandError).exitCode).toBe(3);
  });

  it('keeps only the last ~4 KB of a long stderr', async () => {
    const error = await failure({
      argv: [
        'sh',
        '-c',
        'i=0; while [ $i -lt 400 ]; do echo "line $i of noise" >&2; i=$((i+1)); done; echo THE-END >&2; exit 1',
      ],
    });
    const tail = (error as TrainerCommandError).stderrTail;
    expect(tail.length).toBeLessThanOrEqual(4096);
    expect(tail.endsWith('THE-END')).toBe(true);
    expect(tail).not.toContain('line 0 of noise');
  });

  it('a program that cannot be started is a TrainerCommandError', async () => {
    const error = await failure({ argv: [path.join(dir, 'no-such-trainer')] });
    expect(error).toBeInstanceOf(TrainerCommandError);
    expect(error.message).toMatch(/cannot start the trainer command .*ENOENT/);
  });

  it('a program silent for hangTimeout is killed as hung', async () => {
    const started = Date.now();
    const error = await failure({ argv: ['sh', '-c', 'echo "not a progress line"; sleep 30'], hangTimeout: '1s' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(TrainerTimeoutError);
    expect((error as TrainerTimeoutError).kind).toBe('hang');
    expect(error.message).toMatch(/no progress for 1000 ms/);
  });

  it('a program still reporting progress at its timeout is killed (SIGKILL after the grace when it ignores SIGTERM)', async () => {
    const started = Date.now();
    const script =
      'trap \'\' TERM; i=0; while true; do i=$((i+1)); echo "{\\"epoch\\":$i,\\"epochs\\":99,\\"loss\\":1}"; sleep 0.1; done';
    const error = await failure({ argv: ['sh', '-c', script], timeout: '1s', hangTimeout: '1s', killGrace: '300ms' });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(TrainerTimeoutError);
    expect((error as TrainerTimeoutError).kind).toBe('timeout');
    expect((error as TrainerTimeoutError).completedEpochs).toBeGreaterThan(0);
  });

  it('abort kills the program and its children within a couple of seconds', async () => {
    const pids = path.join(dir, 'pids.json');
    const controller = new AbortController();
    const argv = nodeProgram(`
      const child = cp.spawn('sleep', ['1000'], { stdio: 'ignore' });
      fs.writeFileSync(${JSON.stringify(pids)}, JSON.stringify({ self: process.pid, child: child.pid }));
      say({ epoch: 1, epochs: 10, loss: 0.7 });
      setInterval(() => {}, 1000);
    `);
    const trainer = createCommandTrainer({ argv, killGrace: '5s' });
    let abortedAt = 0;
    const error = await trainer
      .train(
        trainInput(table, {
          signal: controller.signal,
          onProgress: () => {
            abortedAt = Date.now();
            controller.abort(new Error('pipeline cancelled'));
          },
        }),
      )
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(Date.now() - abortedAt).toBeLessThan(2000);
    expect(error).toBeInstanceOf(TrainingAbortedError);
    expect((error as TrainingAbortedError).completedEpochs).toBe(1);
    const { self, child } = JSON.parse(await readFile(pids, 'utf8')) as { self: number; child: number };
    expect(await waitGone(self, 2000)).toBe(true);
    expect(await waitGone(child, 2000)).toBe(true);
  });

  it('an onProgress failure stops the program and is rethrown', async () => {
    const started = Date.now();
    const trainer = createCommandTrainer({
      argv: nodeProgram('say({ epoch: 1, epochs: 5, loss: 1 }); setTimeout(() => {}, 30000);'),
    });
    const onProgress = (): void => {
      throw new Error('heartbeat failed');
    };
    await expect(trainer.train(trainInput(table, { onProgress }))).rejects.toThrow('heartbeat failed');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('an already aborted signal runs nothing', async () => {
    const error = await failure({ argv: ['sh', '-c', 'exit 0'] }, AbortSignal.abort());
    expect(error).toBeInstanceOf(TrainingAbortedError);
  });

  it('exit 0 without a model is a TrainerModelError naming the expected file', async () => {
    const error = await failure({ argv: ['sh', '-c', 'exit 0'] });
    expect(error).toBeInstanceOf(TrainerModelError);
    expect(error.message).toMatch(/wrote no model to .*model\.onnx/);
  });

  it('garbage bytes as the model are a TrainerModelError naming the file', async () => {
    const argv = nodeProgram(
      'fs.writeFileSync(input.output.model, Buffer.from([0xff, 0xfe, 0x00, 0x13, 0x37, 0x42, 0x99]));',
    );
    const error = await failure({ argv });
    expect(error).toBeInstanceOf(TrainerModelError);
    const file = (error as TrainerModelError).file;
    expect(file).toMatch(/model\.onnx$/);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(/not an ONNX model|cannot load/);
  });

  it('a model whose inputs do not match the features is a FeatureMismatchError naming the input and the file', async () => {
    const other = path.join(dir, 'without-region.onnx');
    await writeFile(
      other,
      await builtInModel(
        table,
        FEATURES.filter((f) => f.name !== 'region'),
      ),
    );
    const error = await failure({ argv: COPY_MODEL_PROGRAM, env: { MODEL_SOURCE: other } });
    expect(error.name).toBe('FeatureMismatchError');
    expect(error.message).toMatch(/input "region" expected categorical \(string\), found absent/);
    expect(error.message).toMatch(/model\.onnx written by the trainer command/);
  });

  it('a model without the binary outputs is a TrainerModelError', async () => {
    const g = new GraphBuilder();
    for (const f of FEATURES) g.input(f.name, f.type === 'numeric' ? ElemType.FLOAT : ElemType.STRING, ['N', 1]);
    g.node('Sigmoid', ['tenure_months'], { output: 'probability' });
    g.output('probability', ElemType.FLOAT, ['N', 1]);
    const bytes = g.encode({
      graphName: 'g',
      opsets: { '': 17 },
      metadata: {},
      producerName: 't',
      producerVersion: '1',
    });
    const file = path.join(dir, 'no-label.onnx');
    await writeFile(file, bytes);
    const error = await failure({ argv: COPY_MODEL_PROGRAM, env: { MODEL_SOURCE: file } });
    expect(error).toBeInstanceOf(TrainerModelError);
    expect(error.message).toMatch(/has no "label" output/);
  });
});
