import { createHash } from 'node:crypto';
import type { FeatureTable } from '../data/table.js';
import { type DenseLayer, exportDenseModel } from '../onnx/export-dense.js';
import { TrainingDivergedError } from './errors.js';
import {
  initParameters,
  type Layout,
  meanLoss,
  networkLayout,
  type OptimizerState,
  predictRows,
  runEpoch,
} from './network.js';
import { columnNames, fitPreprocessor, type Preprocessor, transform } from './preprocess.js';
import { epochPermutation } from './rng.js';
import { checkEnoughRows, type LabelledRows, targetsFor } from './targets.js';
import {
  type TrainedModelMetadata,
  trainingFingerprint,
  type TrainerCheckpoint,
  type TrainInput,
  type TrainResult,
  yieldToEventLoop,
} from './trainer.js';
import { decodeState, encodeState, type LoopState } from './network-state.js';

/** What distinguishes the SGD-trained dense algorithms. */
export interface NetworkConfig {
  algorithm: string;
  /** Hidden ReLU layer sizes (empty: a linear model). */
  hidden: readonly number[];
  /** Stop after `patience` epochs without a better validation loss and return the best epoch's model. */
  earlyStopping: boolean;
}

/** The layer list of flat parameters `p` (the layout of {@link networkLayout}) as `W1`, `b1`, `W2`, ... */
function namedParameters(l: Layout, p: Float64Array): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  l.wOffset.forEach((w, k) => {
    const b = l.bOffset[k]!;
    out[`W${k + 1}`] = Array.from(p.subarray(w, b));
    out[`b${k + 1}`] = Array.from(p.subarray(b, b + l.sizes[k + 1]!));
  });
  return out;
}

/** Dense layers of named parameters (`W1`, `b1`, ...) whose first layer takes `inputs` columns. */
export function denseLayers(inputs: number, parameters: Readonly<Record<string, readonly number[]>>): DenseLayer[] {
  const layers: DenseLayer[] = [];
  let width = inputs;
  for (let k = 1; parameters[`W${k}`] !== undefined; k++) {
    const weights = parameters[`W${k}`]!;
    const bias = parameters[`b${k}`] ?? [];
    layers.push({ inputs: width, outputs: bias.length, weights, bias });
    width = bias.length;
  }
  return layers;
}

/**
 * Float64 predictions of a trained dense model (softmax_regression, ridge_regression, mlp) for every row of `table`:
 * `rowCount x outputs` row-major (binary: probability; multiclass: class probabilities; regression: the value).
 * The reference the ONNX export is tested against.
 */
export function predictDense(
  model: Pick<TrainedModelMetadata, 'preprocessor' | 'label' | 'parameters'>,
  table: FeatureTable,
): Float64Array {
  const layers = denseLayers(model.preprocessor.width, model.parameters ?? {});
  const head = model.label.task === 'binary' ? 'sigmoid' : model.label.task === 'multiclass' ? 'softmax' : 'identity';
  const l = networkLayout(
    model.preprocessor.width,
    layers.slice(0, -1).map((d) => d.outputs),
    layers.at(-1)?.outputs ?? 1,
    head,
  );
  const p = new Float64Array(l.total);
  layers.forEach((d, k) => {
    p.set(d.weights, l.wOffset[k]);
    p.set(d.bias, l.bOffset[k]);
  });
  return predictRows(l, p, transform(model.preprocessor, table), table.rowCount);
}

/**
 * Trains a dense network by mini-batch SGD or Adam (L2 on weights, seeded initialisation and epoch order) and exports
 * it with its preprocessing. Resuming from any epoch's checkpoint ends bit-identical to an uninterrupted run. Epochs
 * and loss passes yield to the event loop about every 200 ms. Refuses (TrainingDataError) a table with no more
 * labelled rows than model inputs (see {@link checkEnoughRows}).
 */
export async function trainNetwork(config: NetworkConfig, input: TrainInput): Promise<TrainResult> {
  const { algorithm } = config;
  const hp = input.hyperparameters;
  const { learningRate, epochs, batchSize, l2 } = hp;
  const optimizer = hp.optimizer ?? 'sgd';
  const patience = hp.patience ?? 5;
  const targets = targetsFor(input);
  const { rows, y } = targets;
  const n = rows.length;
  // Early stopping makes the model depend on the validation table too.
  const fingerprint =
    config.earlyStopping && input.validation !== undefined
      ? createHash('sha256')
          .update(trainingFingerprint(algorithm, input))
          .update(trainingFingerprint(algorithm, { ...input, table: input.validation }))
          .digest('hex')
      : trainingFingerprint(algorithm, input);

  const restored = input.checkpoint ?? null;
  let checkpointIgnored: string | null = null;
  let pre: Preprocessor | null = null;
  let start = 0;
  let s: LoopState | null = null;
  const lossHistory: number[] = [];
  if (restored !== null) {
    const layoutOf = (width: number): Layout => networkLayout(width, config.hidden, targets.outputs, targets.head);
    const decoded = decodeState(restored, { algorithm, fingerprint, epochs, optimizer, layoutOf });
    if (typeof decoded === 'string') checkpointIgnored = decoded;
    else {
      ({ pre, state: s } = decoded);
      start = restored.epoch;
      lossHistory.push(...restored.lossHistory);
    }
  }
  pre ??= fitPreprocessor(input.table, input.features);
  checkEnoughRows(algorithm, pre, n);
  const layout = networkLayout(pre.width, config.hidden, targets.outputs, targets.head);
  if (s === null) {
    const opt: OptimizerState = { kind: optimizer, m: new Float64Array(0), v: new Float64Array(0), step: 0 };
    if (optimizer === 'adam') [opt.m, opt.v] = [new Float64Array(layout.total), new Float64Array(layout.total)];
    const p = initParameters(layout, input.seed);
    s = { p, opt, best: null, bestEpoch: 0, bestLoss: Number.MAX_VALUE, bad: 0, stopped: false };
  }

  const x = transform(pre, input.table);
  const validation: LabelledRows | null =
    input.validation === undefined ? null : targets.validation(pre, input.validation);
  const early = config.earlyStopping && validation !== null && validation.rows.length > 0;
  // Losses are computed on standardised regression targets; reported in label units (mean squared error).
  const scale = targets.std * targets.std;
  const valLossOf = async (p: Float64Array): Promise<number | undefined> =>
    validation === null ? undefined : scale * (await meanLoss(layout, p, validation.x, validation.rows, validation.y));

  let epoch = start;
  for (; epoch < epochs && !s.stopped; epoch++) {
    const order = epochPermutation(n, input.seed, epoch);
    const { p, opt } = s;
    await runEpoch({ layout, p, opt, x, rows, y, order, learningRate, l2, batchSize, signal: input.signal, epoch });
    const loss = scale * (await meanLoss(layout, p, x, rows, y));
    if (!Number.isFinite(loss) || !p.every(Number.isFinite)) throw new TrainingDivergedError(epoch, learningRate);
    lossHistory.push(loss);
    const valLoss = await valLossOf(p);
    if (early && valLoss !== undefined) {
      if (valLoss < s.bestLoss) [s.best, s.bestEpoch, s.bestLoss, s.bad] = [p.slice(), epoch + 1, valLoss, 0];
      else if (++s.bad >= patience) s.stopped = true;
    }
    await input.onProgress?.(
      valLoss === undefined ? { epoch: epoch + 1, epochs, loss } : { epoch: epoch + 1, epochs, loss, valLoss },
    );
    const checkpoint: TrainerCheckpoint = {
      format: 'mlops.trainer-checkpoint/v1',
      algorithm,
      epoch: epoch + 1,
      epochs,
      fingerprint,
      preprocessor: pre,
      weights: [],
      bias: 0,
      lossHistory: [...lossHistory],
      state: encodeState(s),
    };
    await input.onCheckpoint?.(checkpoint);
    await yieldToEventLoop();
  }

  const final = early && s.best !== null ? s.best : s.p;
  // Regression: fold the target standardisation into the last layer, so the model predicts in label units.
  const folded = final.slice();
  const last = layout.wOffset.length - 1;
  for (let i = layout.wOffset[last]!; i < layout.total; i++) folded[i] = folded[i]! * targets.std;
  folded[layout.bOffset[last]!] = folded[layout.bOffset[last]!]! + targets.mean;

  const trainLoss = scale * (await meanLoss(layout, final, x, rows, y));
  const valLoss = await valLossOf(final);
  const regression = targets.head === 'identity';
  const metrics: Record<string, number> = regression
    ? { train_mse: trainLoss, train_rmse: Math.sqrt(trainLoss), train_rows: n }
    : { train_log_loss: trainLoss, train_rows: n };
  if (targets.head === 'sigmoid') metrics.train_positive_rate = targets.positiveRate;
  if (targets.head === 'softmax') metrics.train_classes = targets.outputs;
  if (valLoss !== undefined && regression) Object.assign(metrics, { val_mse: valLoss, val_rmse: Math.sqrt(valLoss) });
  else if (valLoss !== undefined) metrics.val_log_loss = valLoss;

  const features = input.features.map((f) => structuredClone(f));
  const parameters = namedParameters(layout, folded);
  const modelEpochs = early && s.best !== null ? s.bestEpoch : epoch;
  const onnx = exportDenseModel({
    algorithm,
    preprocessor: pre,
    features,
    label: targets.label,
    layers: denseLayers(pre.width, parameters),
    training: { hyperparameters: hp, seed: input.seed, epochs: modelEpochs, trainRows: n },
  });
  return {
    onnx,
    metrics,
    metadata: {
      algorithm,
      features,
      label: targets.label,
      hyperparameters: { ...hp },
      seed: input.seed,
      preprocessor: pre,
      weights: [],
      bias: 0,
      parameters,
      columns: columnNames(pre),
      trainRows: n,
      positiveRate: targets.positiveRate,
      epochs: modelEpochs,
      lossHistory,
    },
    epochsRun: epoch - start,
    resumedFromEpoch: start,
    checkpointIgnored,
  };
}
