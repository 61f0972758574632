/**
 * Fixtures of the command trainer tests: a generated churn table, a model from the built-in trainer for fake
 * programs to "produce", fake programs as Node one-liners, and a process liveness check.
 */
import { readFileSync } from 'node:fs';
import { readDataset } from '../../lib/data/read-dataset.js';
import { generateChurn, toCsv } from '../../lib/data/generate-churn.js';
import type { FeatureTable } from '../../lib/data/table.js';
import type { FeatureSpec } from '../../lib/spec/pipeline-spec.js';
import { logisticRegressionTrainer } from '../../lib/train/logistic-regression.js';
import type { LabelSpec, TrainInput } from '../../lib/train/trainer.js';

const loose = { nullable: true, maxMissingRate: 0.3 };

/** The churn example's features. */
export const FEATURES: FeatureSpec[] = [
  { name: 'tenure_months', type: 'numeric', constraints: loose },
  { name: 'monthly_charges', type: 'numeric', constraints: loose },
  { name: 'support_calls', type: 'numeric', constraints: loose },
  { name: 'data_usage_gb', type: 'numeric', constraints: loose },
  { name: 'plan', type: 'categorical', constraints: loose },
  { name: 'region', type: 'categorical', constraints: loose },
  { name: 'contract', type: 'categorical', constraints: loose },
];

export const LABEL: LabelSpec = { name: 'churned', task: 'binary', positive: '1' };

/** A generated churn table (lib/data/generate-churn.ts) read through the CSV reader. */
export function churnTable(rows: number, seed: number): FeatureTable {
  const bytes = new TextEncoder().encode(toCsv(generateChurn({ rows, seed })));
  return readDataset(bytes, { format: 'csv', features: FEATURES, labelName: LABEL.name }).table;
}

/** A training input for `table` (epochs as given, fixed seed). */
export function trainInput(table: FeatureTable, extra: Partial<TrainInput> = {}): TrainInput {
  return {
    table,
    features: FEATURES,
    label: LABEL,
    hyperparameters: { learningRate: 0.05, epochs: 3, batchSize: 256, l2: 0.0001 },
    seed: 7,
    ...extra,
  };
}

/** ONNX bytes of a built-in logistic regression over `features` (for fake programs to copy). */
export async function builtInModel(table: FeatureTable, features: FeatureSpec[] = FEATURES): Promise<Uint8Array> {
  const result = await logisticRegressionTrainer.train({ ...trainInput(table), features });
  return result.onnx;
}

/**
 * argv of a Node program running `body` with `input` (the parsed `$MLOPS_TRAINER_INPUT`), `fs`, `cp` (child_process)
 * and `say(obj)` (prints a JSON line) in scope.
 */
export function nodeProgram(body: string): string[] {
  const prelude =
    "const fs = require('node:fs'); const cp = require('node:child_process');" +
    'const input = JSON.parse(fs.readFileSync(process.env.MLOPS_TRAINER_INPUT, "utf8"));' +
    'const say = (o) => console.log(JSON.stringify(o));';
  return [process.execPath, '-e', `${prelude}\n${body}`];
}

/** A fake trainer that prints `epochs` progress lines (and noise), copies `$MODEL_SOURCE` to the output, exits 0. */
export const COPY_MODEL_PROGRAM = nodeProgram(`
  console.log('loading data (not JSON)');
  const epochs = input.hyperparameters.epochs;
  for (let e = 1; e <= epochs; e++) say({ epoch: e, epochs, loss: 1 / e, valLoss: 1.5 / e });
  say({ status: 'exporting' });
  fs.copyFileSync(process.env.MODEL_SOURCE, input.output.model);
  say({ metrics: { train_auc: 0.75, note: 'strings are ignored' } });
`);

/** Whether `pid` is a live process (a zombie counts as gone). Linux only. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Waits until `pid` is gone; false when it still lives after `ms`. */
export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}
