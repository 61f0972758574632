import { z } from 'zod';
import { ModelFormatError } from './errors.js';

/** Prediction tasks a model can be exported for. */
export type ModelTask = 'binary' | 'multiclass' | 'regression';

/**
 * The label a model predicts, as parsed from its `mlops.label` metadata (the `ModelLabel` of lib/onnx/metadata.ts
 * with the optional multiclass `classes`). `positive`/`negative` are required for binary models and `''` when a
 * non-binary model's metadata omits them.
 */
export interface OnnxModelLabel {
  name: string;
  task: ModelTask;
  positive: string;
  negative: string;
  /** Multiclass: class value of each index of the `probabilities` columns and the `label` output. */
  classes?: string[];
}

/**
 * What scoring a batch returns. `scores` and `labels` always have one entry per row (serving relies on them):
 * binary: probability of the positive class and the predicted label value; multiclass: probability of the
 * predicted class and its value; regression: the predicted value (in `labels` as the shortest decimal string that
 * reads back as the same float32).
 */
export interface Predictions {
  scores: Float32Array;
  labels: string[];
  /** Multiclass: row-major N×K class probabilities (K = `label.classes.length`). */
  probabilities?: Float32Array;
  /** Multiclass: the predicted class index of each row (the model's `label` output). */
  classIndices?: Int32Array;
  /** Regression: the predicted values (the same array as `scores`). */
  values?: Float32Array;
}

/** Graph outputs each task's models must have (the exporters' output contract), with their element types. */
export const TASK_OUTPUTS: Readonly<Record<ModelTask, ReadonlyArray<{ name: string; type: 'float32' | 'int64' }>>> = {
  binary: [
    { name: 'probability', type: 'float32' },
    { name: 'label', type: 'int64' },
  ],
  multiclass: [
    { name: 'probabilities', type: 'float32' },
    { name: 'label', type: 'int64' },
  ],
  regression: [{ name: 'prediction', type: 'float32' }],
};

/** Zod schema of `mlops.label`: binary needs `positive`/`negative`, multiclass needs distinct `classes` (>= 2). */
export const labelSchema = z
  .object({
    name: z.string(),
    task: z.enum(['binary', 'multiclass', 'regression']),
    positive: z.string().optional(),
    negative: z.string().optional(),
    classes: z.array(z.string()).min(2).optional(),
  })
  .superRefine((label, ctx) => {
    if (label.task === 'binary') {
      for (const key of ['positive', 'negative'] as const) {
        if (label[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'required for binary' });
      }
    }
    if (label.task === 'multiclass') {
      if (label.classes === undefined)
        ctx.addIssue({ code: 'custom', path: ['classes'], message: 'required for multiclass' });
      else if (new Set(label.classes).size !== label.classes.length)
        ctx.addIssue({ code: 'custom', path: ['classes'], message: 'classes must be distinct' });
    }
  })
  .transform((label): OnnxModelLabel => {
    const out: OnnxModelLabel = {
      name: label.name,
      task: label.task,
      positive: label.positive ?? '',
      negative: label.negative ?? '',
    };
    if (label.classes !== undefined) out.classes = label.classes;
    return out;
  });

/** An output's description as onnxruntime reports it (`outputMetadata`). */
export interface OutputInfo {
  name: string;
  isTensor: boolean;
  type?: string;
  shape?: ReadonlyArray<number | string>;
}

/**
 * Checks that a model's graph outputs fulfil its task's contract ({@link TASK_OUTPUTS}); for multiclass, a fixed
 * class dimension of `probabilities` must equal the number of classes.
 * @throws ModelFormatError naming the first missing or mistyped output.
 */
export function checkModelOutputs(outputs: readonly OutputInfo[], label: OnnxModelLabel): void {
  const byName = new Map(outputs.map((o) => [o.name, o]));
  for (const expected of TASK_OUTPUTS[label.task]) {
    const actual = byName.get(expected.name);
    if (actual === undefined) throw new ModelFormatError(`the ${label.task} model has no "${expected.name}" output`);
    const type = actual.isTensor ? (actual.type ?? 'unknown') : 'non-tensor';
    if (type !== expected.type)
      throw new ModelFormatError(
        `the ${label.task} model's "${expected.name}" output is ${type}, expected ${expected.type}`,
      );
  }
  const width = byName.get('probabilities')?.shape?.[1];
  const k = label.classes?.length;
  if (label.task === 'multiclass' && typeof width === 'number' && width !== k)
    throw new ModelFormatError(
      `the model's "probabilities" output has ${width} columns but mlops.label has ${k} classes`,
    );
}

/** Shortest decimal string that reads back as the same float32 value (e.g. `3.14`, not `3.140000104904175`). */
export function formatFloat32(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  for (let digits = 1; digits < 9; digits++) {
    const text = String(Number(value.toPrecision(digits)));
    if (Math.fround(Number(text)) === value) return text;
  }
  return String(Number(value.toPrecision(9)));
}

/** Empty predictions of a task (no rows). */
export function emptyPredictions(task: ModelTask): Predictions {
  const base: Predictions = { scores: new Float32Array(0), labels: [] };
  if (task === 'multiclass') return { ...base, probabilities: new Float32Array(0), classIndices: new Int32Array(0) };
  if (task === 'regression') return { ...base, values: base.scores };
  return base;
}

/**
 * Turns a session's outputs for `n` rows into {@link Predictions} of the label's task.
 * @throws ModelFormatError when an output is missing or has the wrong type or size.
 */
export function decodeOutputs(
  out: Readonly<Record<string, { data: unknown } | undefined>>,
  n: number,
  label: OnnxModelLabel,
): Predictions {
  const fail = (what: string): never => {
    throw new ModelFormatError(`model returned unexpected outputs for ${n} rows: ${what}`);
  };
  const floats = (name: string, size: number): Float32Array => {
    const data = out[name]?.data;
    if (!(data instanceof Float32Array)) return fail(`"${name}" is not float32`);
    if (data.length !== size) return fail(`"${name}" has ${data.length} values, expected ${size}`);
    return data;
  };
  const indices = (): number[] => {
    const data = out['label']?.data as ArrayLike<bigint | number> | undefined;
    if (data === undefined || typeof data.length !== 'number' || data.length !== n)
      return fail(`"label" has ${String(data?.length)} values, expected ${n}`);
    return Array.from(data, Number);
  };
  if (label.task === 'binary') {
    const scores = floats('probability', n);
    const { positive, negative } = label;
    return { scores, labels: indices().map((v) => (v === 1 ? positive : negative)) };
  }
  if (label.task === 'regression') {
    const values = floats('prediction', n);
    return { scores: values, labels: Array.from(values, formatFloat32), values };
  }
  const classes = label.classes ?? [];
  const k = classes.length;
  const probabilities = floats('probabilities', n * k);
  const classIndices = Int32Array.from(indices());
  const scores = new Float32Array(n);
  const labels = new Array<string>(n);
  for (let r = 0; r < n; r++) {
    const c = classIndices[r]!;
    if (!(c >= 0 && c < k)) fail(`"label" of row ${r} is ${c}, expected a class index in [0, ${k})`);
    scores[r] = probabilities[r * k + c]!;
    labels[r] = classes[c]!;
  }
  return { scores, labels, probabilities, classIndices };
}
