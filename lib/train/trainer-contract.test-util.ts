// Test-only helper: the behaviour every built-in trainer shares (progress, checkpoints, resume, determinism, abort).
import { expect, it } from 'vitest';
import { TrainingAbortedError } from './errors.js';
import type { Trainer, TrainerCheckpoint, TrainInput, TrainProgress } from './trainer.js';

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/**
 * Registers the shared trainer tests. `base` must train `epochs` epochs without early stopping; `resumeAt` is the
 * epoch whose checkpoint a resumed run starts from (1 <= resumeAt <= epochs).
 */
export function trainerContract(
  trainer: Trainer,
  base: TrainInput,
  options: { epochs: number; resumeAt: number },
): void {
  const { epochs, resumeAt } = options;

  it('reports progress and writes a checkpoint after every epoch', async () => {
    const progress: TrainProgress[] = [];
    const checkpoints: TrainerCheckpoint[] = [];
    const result = await trainer.train({
      ...base,
      onProgress: (p) => void progress.push(p),
      onCheckpoint: async (c) => void checkpoints.push(c),
    });
    const expected = Array.from({ length: epochs }, (_, i) => i + 1);
    expect(progress.map((p) => p.epoch)).toEqual(expected);
    expect(progress.every((p) => p.epochs === epochs && Number.isFinite(p.loss))).toBe(true);
    expect(checkpoints.map((c) => c.epoch)).toEqual(expected);
    expect(checkpoints.every((c) => c.algorithm === trainer.algorithm && c.epochs === epochs)).toBe(true);
    expect(result.epochsRun).toBe(epochs);
    expect(result.resumedFromEpoch).toBe(0);
    expect(result.checkpointIgnored).toBeNull();
    expect(result.metadata.algorithm).toBe(trainer.algorithm);
    expect(result.metadata.lossHistory).toEqual(progress.map((p) => p.loss));
  });

  it('is deterministic: the same input gives byte-identical ONNX', async () => {
    const a = await trainer.train(base);
    const b = await trainer.train({ ...base, table: structuredClone(base.table) });
    expect(same(a.onnx, b.onnx)).toBe(true);
    expect(b.metadata).toEqual(a.metadata);
    expect(b.metrics).toEqual(a.metrics);
  });

  it(`resuming from the epoch-${resumeAt} checkpoint (through JSON) gives byte-identical results`, async () => {
    const full = await trainer.train(base);
    let saved: string | null = null;
    const controller = new AbortController();
    const partial = trainer.train({
      ...base,
      signal: controller.signal,
      onCheckpoint: async (c) => {
        saved = JSON.stringify(c);
        if (c.epoch === resumeAt) controller.abort(new Error('worker shutdown'));
      },
    });
    if (resumeAt < epochs) {
      await expect(partial).rejects.toBeInstanceOf(TrainingAbortedError);
      await expect(partial).rejects.toMatchObject({ name: 'AbortError', completedEpochs: resumeAt });
    } else await partial;
    const checkpoint = JSON.parse(saved!) as TrainerCheckpoint;
    expect(checkpoint.epoch).toBe(resumeAt);

    const seen: number[] = [];
    const resumed = await trainer.train({ ...base, checkpoint, onProgress: (p) => void seen.push(p.epoch) });
    expect(resumed.checkpointIgnored).toBeNull();
    expect(resumed.resumedFromEpoch).toBe(resumeAt);
    expect(resumed.epochsRun).toBe(epochs - resumeAt);
    expect(seen).toEqual(Array.from({ length: epochs - resumeAt }, (_, i) => resumeAt + i + 1));
    expect(resumed.metadata).toEqual(full.metadata);
    expect(resumed.metrics).toEqual(full.metrics);
    expect(same(resumed.onnx, full.onnx)).toBe(true);
  });

  it('ignores a checkpoint of other hyperparameters or another algorithm', async () => {
    let checkpoint: TrainerCheckpoint | null = null;
    const other = { ...base, hyperparameters: { ...base.hyperparameters, l2: base.hyperparameters.l2 + 0.01 } };
    await trainer.train({ ...other, onCheckpoint: async (c) => void (checkpoint = c) });
    const result = await trainer.train({ ...base, checkpoint });
    expect(result.resumedFromEpoch).toBe(0);
    expect(result.epochsRun).toBe(epochs);
    expect(result.checkpointIgnored).toMatch(/other data, features or hyperparameters/);

    const foreign = { ...checkpoint!, algorithm: 'logistic_regression' };
    const again = await trainer.train({ ...base, checkpoint: foreign });
    expect(again.checkpointIgnored).toMatch(/unsupported checkpoint/);
  });

  it('stops with an AbortError when the signal is aborted', async () => {
    await expect(trainer.train({ ...base, signal: AbortSignal.abort() })).rejects.toMatchObject({
      name: 'AbortError',
      completedEpochs: 0,
    });
  });
}
