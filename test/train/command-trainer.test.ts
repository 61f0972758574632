/**
 * The `command` trainer with real processes: the scikit-learn example (needs `npm run provision` for the Python
 * packages), and a fake Node program that reports progress and hands back a model.
 */
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FeatureTable } from '../../lib/data/table.js';
import { loadOnnxModel } from '../../lib/eval/onnx-model.js';
import { MetadataKeys, readModelMetadata } from '../../lib/onnx/metadata.js';
import { onnx } from '../../lib/onnx/graph.js';
import { SpecValidationError } from '../../lib/spec/errors.js';
import { pythonToolsEnv, pythonToolsProblem } from '../../lib/train/command-python.js';
import { createCommandTrainer, type CommandTrainedModelMetadata } from '../../lib/train/command-trainer.js';
import type { TrainProgress } from '../../lib/train/trainer.js';
import {
  builtInModel,
  churnTable,
  COPY_MODEL_PROGRAM,
  FEATURES,
  LABEL,
  nodeProgram,
  trainInput,
} from './command-fixtures.js';

let dir: string;
let train: FeatureTable;
let validation: FeatureTable;
let modelFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'command-trainer-test-'));
  train = churnTable(3000, 11);
  validation = churnTable(800, 12);
  modelFile = path.join(dir, 'built-in.onnx');
  await writeFile(modelFile, await builtInModel(train));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('command trainer with a fake program', () => {
  it('forwards progress lines, ignores other output, merges metrics and stamps the mlops metadata', async () => {
    const progress: TrainProgress[] = [];
    const output: string[] = [];
    const trainer = createCommandTrainer(
      { argv: COPY_MODEL_PROGRAM, env: { MODEL_SOURCE: modelFile } },
      { onOutput: (stream, line) => output.push(`${stream}: ${line}`) },
    );
    const result = await trainer.train(trainInput(train, { validation, onProgress: (p) => void progress.push(p) }));

    expect(trainer.algorithm).toBe('command');
    expect(progress).toEqual([
      { epoch: 1, epochs: 3, loss: 1, valLoss: 1.5 },
      { epoch: 2, epochs: 3, loss: 0.5, valLoss: 0.75 },
      { epoch: 3, epochs: 3, loss: 1 / 3, valLoss: 0.5 },
    ]);
    expect(output).toContain('stdout: loading data (not JSON)');
    expect(result.metrics).toMatchObject({
      train_log_loss: 1 / 3,
      val_log_loss: 0.5,
      train_rows: 3000,
      train_auc: 0.75,
    });
    expect(result.metrics.train_positive_rate).toBeGreaterThan(0);
    expect(result.epochsRun).toBe(3);
    const metadata = result.metadata as CommandTrainedModelMetadata;
    expect(metadata).toMatchObject({ algorithm: 'command', trainRows: 3000, epochs: 3, lossHistory: [1, 0.5, 1 / 3] });
    expect(metadata.command.argv).toEqual(COPY_MODEL_PROGRAM);

    // The built-in model's mlops.* entries are replaced (not duplicated); the platform loads it as a command model.
    const props = onnx.ModelProto.decode(result.onnx).metadataProps.map((p) => p.key);
    expect(props.filter((k) => k === MetadataKeys.algorithm)).toHaveLength(1);
    const meta = readModelMetadata(result.onnx);
    expect(meta[MetadataKeys.algorithm]).toBe('command');
    expect(JSON.parse(meta[MetadataKeys.training] ?? '{}')).toMatchObject({
      argv: COPY_MODEL_PROGRAM,
      trainRows: 3000,
    });
    const model = await loadOnnxModel(result.onnx);
    try {
      expect(model.algorithm).toBe('command');
      expect(model.label).toEqual({ ...LABEL, negative: '0' });
      expect(model.features.map((f) => f.name)).toEqual(FEATURES.map((f) => f.name));
      const scores = await model.predictTable(validation);
      expect(scores.scores).toHaveLength(validation.rowCount);
    } finally {
      await model.close();
    }
  });

  it('gives the program a minimal environment: spec env and passEnv only, never other worker variables', async () => {
    const dump = path.join(dir, 'env.json');
    process.env.MLOPS_TEST_PASSED = 'passed-value';
    process.env.MLOPS_TEST_SECRET = 'must-not-leak';
    try {
      const trainer = createCommandTrainer({
        argv: nodeProgram(`fs.writeFileSync(${JSON.stringify(dump)}, JSON.stringify(process.env)); process.exit(1);`),
        env: { FROM_SPEC: 'spec-value' },
        passEnv: ['MLOPS_TEST_PASSED'],
      });
      await expect(trainer.train(trainInput(train))).rejects.toThrow(/exited with code 1/);
    } finally {
      delete process.env.MLOPS_TEST_PASSED;
      delete process.env.MLOPS_TEST_SECRET;
    }
    const env = JSON.parse(await readFile(dump, 'utf8')) as Record<string, string>;
    expect(env).toMatchObject({ FROM_SPEC: 'spec-value', MLOPS_TEST_PASSED: 'passed-value', PYTHONUNBUFFERED: '1' });
    expect(env.MLOPS_TRAINER_INPUT).toMatch(/input\.json$/);
    expect(env.MLOPS_TEST_SECRET).toBeUndefined();
  });

  it('rejects invalid configurations', () => {
    expect(() => createCommandTrainer({ argv: [] })).toThrow(SpecValidationError);
    expect(() => createCommandTrainer({ argv: ['x'], env: { MLOPS_TRAINER_INPUT: '/etc/passwd' } })).toThrow(
      /MLOPS_TRAINER_INPUT/,
    );
    expect(() => createCommandTrainer({ argv: ['x'], hangTimeout: 'soon' })).toThrow(/hangTimeout/);
  });
});

const toolsProblem = await pythonToolsProblem();
if (toolsProblem !== null && process.env.CI === undefined) {
  process.stderr.write(`[test] skipping the scikit-learn trainer (run npm run provision): ${toolsProblem}\n`);
}

describe.skipIf(toolsProblem !== null && process.env.CI === undefined)('examples/trainers/sklearn_logistic.py', () => {
  it('trains on churn data; the model loads like a built-in one and scores like scikit-learn', async () => {
    const dump = path.join(dir, 'sklearn-probabilities.json');
    const progress: TrainProgress[] = [];
    const stderr: string[] = [];
    const trainer = createCommandTrainer(
      {
        argv: ['python3', 'examples/trainers/sklearn_logistic.py', '--dump-probabilities', dump],
        env: pythonToolsEnv(),
        timeout: '5m',
        hangTimeout: '2m',
      },
      { onOutput: (stream, line) => void (stream === 'stderr' && stderr.push(line)) },
    );
    const started = Date.now();
    const result = await trainer.train(
      trainInput(train, {
        validation,
        hyperparameters: { learningRate: 0.01, epochs: 5, batchSize: 256, l2: 0.0001 },
        onProgress: (p) => void progress.push(p),
      }),
    );
    const trainMs = Date.now() - started;
    expect(trainer.algorithm).toBe('command');

    expect(progress.map((p) => p.epoch)).toEqual([1, 2, 3, 4, 5]);
    for (const p of progress) {
      expect(p.epochs).toBe(5);
      expect(p.loss).toBeGreaterThan(0);
      expect(p.valLoss).toBeGreaterThan(0);
    }
    expect(result.metrics.train_rows).toBe(3000);
    expect(result.metrics.val_log_loss).toBeLessThan(0.6);

    const expected = JSON.parse(await readFile(dump, 'utf8')) as number[];
    expect(expected).toHaveLength(validation.rowCount);
    const model = await loadOnnxModel(result.onnx);
    try {
      expect(model.algorithm).toBe('command');
      expect(model.label.negative).toBe('0');
      const { scores, labels } = await model.predictTable(validation);
      let worst = 0;
      scores.forEach((s, i) => (worst = Math.max(worst, Math.abs(s - expected[i]!))));
      process.stderr.write(`[test] scikit-learn example: trained in ${trainMs} ms, max |onnx - sklearn| ${worst}\n`);
      expect(worst, stderr.join('\n')).toBeLessThan(1e-4);
      scores.forEach((s, i) => {
        if (Math.abs(s - 0.5) > 1e-3) expect(labels[i]).toBe(s > 0.5 ? '1' : '0');
      });
      // Serving traffic: missing values and a category training never saw.
      const missing = { tenure_months: null, monthly_charges: 80, support_calls: 2, data_usage_gb: null };
      const served = await model.predictRecords([{ ...missing, plan: 'basic', region: 'mars', contract: null }]);
      expect(served.scores[0]).toBeGreaterThan(0);
      expect(served.scores[0]).toBeLessThan(1);
    } finally {
      await model.close();
    }
  }, 240_000);
});
