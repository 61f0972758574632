import { splitTable, stratifiesByLabel } from '../data/split.js';
import type { FeatureTable } from '../data/table.js';
import { loadOnnxModel } from '../eval/onnx-model.js';
import { evaluateTask } from '../eval/task-metrics.js';
import type { PipelineSpec } from '../spec/pipeline-spec.js';
import { TrainingDivergedError } from './errors.js';

/** Validation fraction used when `tuning` or MLP early stopping needs one and `split.validation` is not set. */
export const DEFAULT_VALIDATION_FRACTION = 0.2;

/**
 * The fraction of the training split to hold out for validation, or null for none: `split.validation` when set,
 * else {@link DEFAULT_VALIDATION_FRACTION} when the spec has a `tuning` section or configures MLP early stopping
 * (`trainer.algorithm: mlp` with `hyperparameters.patience`). Specs with none of these train on the whole training
 * split exactly as before (byte-identical models, so `mlops reproduce` of older versions still matches).
 */
export function validationFraction(spec: Pick<PipelineSpec, 'split' | 'tuning' | 'trainer'>): number | null {
  if (spec.split.validation !== undefined) return spec.split.validation;
  const earlyStopping = spec.trainer.algorithm === 'mlp' && spec.trainer.hyperparameters.patience !== undefined;
  return spec.tuning !== undefined || earlyStopping ? DEFAULT_VALIDATION_FRACTION : null;
}

/** A training split with its validation part carved out. */
export interface CarvedSplit {
  train: FeatureTable;
  validation: FeatureTable;
}

/**
 * Carves a validation part out of the training split, deterministically: the seeded split of lib/data/split.ts
 * (stratified by class for classification labels) with seed `split.seed + 1` (distinct from the train/holdout
 * split's stream), so every trial of a run and every rerun sees the same rows.
 */
export function carveValidation(
  table: FeatureTable,
  options: { fraction: number; seed: number; task: 'binary' | 'multiclass' | 'regression' },
): CarvedSplit {
  const parts = splitTable(table, {
    holdoutFraction: options.fraction,
    seed: options.seed + 1,
    stratify: stratifiesByLabel(options.task),
  });
  return { train: parts.train, validation: parts.holdout };
}

/**
 * Scores an exported model on the validation table with onnxruntime and returns its metrics prefixed with
 * `validation_` (`validation_log_loss`, `validation_roc_auc`, `validation_accuracy`, ... for classification;
 * `validation_rmse`, `validation_mae`, `validation_r2` for regression), the same metrics (and code) as evaluation.
 * @throws TrainingDivergedError (permanent) when the model predicts NaN or Infinity for some rows: weights that
 *   stayed finite in float64 but overflow the exported float32 model (a learning rate far too high).
 */
export async function validationMetrics(
  onnx: Uint8Array,
  validation: FeatureTable,
  label: { name: string; task: 'binary' | 'multiclass' | 'regression'; positive: string },
  run: { epochs: number; learningRate: number },
): Promise<Record<string, number>> {
  const model = await loadOnnxModel(onnx);
  try {
    const predictions = await model.predictTable(validation);
    const bad = [predictions.scores, predictions.probabilities ?? []].reduce(
      (n, values) => n + Array.from(values).filter((v) => !Number.isFinite(v)).length,
      0,
    );
    if (bad > 0)
      throw new TrainingDivergedError(
        Math.max(0, run.epochs - 1),
        run.learningRate,
        `the model predicts NaN or Infinity for ${bad} value(s) on the ${validation.rowCount} validation rows; ` +
          `lower trainer.hyperparameters.learningRate (now ${run.learningRate})`,
      );
    const { metrics } = evaluateTask({
      task: label.task,
      predictions,
      labels: validation.label ?? new Array<string | null>(validation.rowCount).fill(null),
      positive: label.positive,
      classes: model.label.classes,
      labelName: label.name,
    });
    const out: Record<string, number> = {};
    for (const [name, value] of Object.entries(metrics)) out[`validation_${name === 'count' ? 'rows' : name}`] = value;
    return out;
  } finally {
    await model.close();
  }
}
