import * as ort from 'onnxruntime-node';
import type { FeatureTable } from '../data/table.js';
import { checkModelMatchesFeatures } from '../eval/onnx-model.js';
import { onnx } from '../onnx/graph.js';
import type { FeatureSpec } from '../spec/pipeline-spec.js';
import { TrainerModelError } from './errors.js';

/** Field number of `ModelProto.metadata_props` (a repeated `StringStringEntryProto`). */
const METADATA_PROPS_FIELD = 14;
/** Rows of the training table scored once to check the model's outputs at run time. */
const SMOKE_ROWS = 16;

const message = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));

/**
 * Checks a model written by an external trainer against the binary contract: the bytes decode as an ONNX
 * ModelProto with a graph and load in onnxruntime; the graph inputs are exactly `features` (numeric float,
 * categorical string); the outputs `probability` float[N,1] and `label` int64[N] exist; and scoring the first rows
 * of `sample` returns those shapes with probabilities in [0, 1] and labels 0/1.
 * @throws TrainerModelError naming `file`, or FeatureMismatchError when the inputs do not match the features.
 */
export async function checkCommandModel(
  bytes: Uint8Array,
  file: string,
  features: readonly FeatureSpec[],
  sample: FeatureTable,
): Promise<void> {
  try {
    const model = onnx.ModelProto.decode(bytes);
    if (model.graph === null || model.graph === undefined) throw new Error('the message has no graph');
  } catch (cause) {
    throw new TrainerModelError(file, `${file} is not an ONNX model (${bytes.length} bytes): ${message(cause)}`, {
      cause,
    });
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
  } catch (cause) {
    throw new TrainerModelError(file, `onnxruntime cannot load ${file}: ${message(cause)}`, { cause });
  }
  try {
    const inputs = session.inputMetadata.map((m) => ({ name: m.name, type: m.isTensor ? m.type : 'non-tensor' }));
    checkModelMatchesFeatures(
      { inputs },
      features,
      `the model ${file} written by the trainer command does not match the features`,
    );
    checkOutputs(session, file);
    await smokeRun(session, file, features, sample);
  } finally {
    await session.release();
  }
}

function checkOutputs(session: ort.InferenceSession, file: string): void {
  const expected = [
    { name: 'probability', type: 'float32', rank: 2, text: 'float[N,1]' },
    { name: 'label', type: 'int64', rank: 1, text: 'int64[N]' },
  ];
  for (const want of expected) {
    const meta = session.outputMetadata.find((m) => m.name === want.name);
    const outputs = session.outputNames.join(', ');
    if (meta === undefined)
      throw new TrainerModelError(file, `${file} has no "${want.name}" output (${want.text}); outputs: ${outputs}`);
    // An empty shape means "not declared": the smoke run checks the actual shape.
    const ok =
      meta.isTensor &&
      meta.type === want.type &&
      (meta.shape.length === 0 || (meta.shape.length === want.rank && (want.rank === 1 || meta.shape[1] === 1)));
    if (!ok) {
      const actual = meta.isTensor ? `${meta.type}[${meta.shape.join(',')}]` : 'a non-tensor';
      throw new TrainerModelError(file, `${file}: output "${want.name}" must be ${want.text}, found ${actual}`);
    }
  }
}

async function smokeRun(
  session: ort.InferenceSession,
  file: string,
  features: readonly FeatureSpec[],
  sample: FeatureTable,
): Promise<void> {
  const n = Math.max(1, Math.min(SMOKE_ROWS, sample.rowCount));
  const feeds: Record<string, ort.Tensor> = {};
  for (const f of features) {
    if (f.type === 'numeric') {
      const column = sample.numeric[f.name];
      const values = Float32Array.from({ length: n }, (_, i) => column?.[i] ?? Number.NaN);
      feeds[f.name] = new ort.Tensor('float32', values, [n, 1]);
    } else {
      const column = sample.categorical[f.name];
      feeds[f.name] = new ort.Tensor(
        'string',
        Array.from({ length: n }, (_, i) => column?.[i] ?? ''),
        [n, 1],
      );
    }
  }
  let out: ort.InferenceSession.OnnxValueMapType;
  try {
    out = await session.run(feeds);
  } catch (cause) {
    throw new TrainerModelError(file, `${file} fails to score ${n} training row(s): ${message(cause)}`, { cause });
  }
  const probability = out.probability;
  const label = out.label;
  const dims = (t: ort.Tensor | undefined): string => (t === undefined ? 'nothing' : `[${t.dims.join(',')}]`);
  if (
    !(probability?.data instanceof Float32Array) ||
    probability.dims.length !== 2 ||
    probability.dims[0] !== n ||
    probability.dims[1] !== 1
  ) {
    throw new TrainerModelError(
      file,
      `${file}: output "probability" for ${n} rows is ${dims(probability)}, not [${n},1]`,
    );
  }
  if (!(label?.data instanceof BigInt64Array) || label.dims.length !== 1 || label.dims[0] !== n) {
    throw new TrainerModelError(file, `${file}: output "label" for ${n} rows is ${dims(label)}, not int64 [${n}]`);
  }
  const p = probability.data.find((v) => !(v >= 0 && v <= 1));
  if (p !== undefined) throw new TrainerModelError(file, `${file}: output "probability" has the value ${p}`);
  const l = label.data.find((v) => v !== 0n && v !== 1n);
  if (l !== undefined) throw new TrainerModelError(file, `${file}: output "label" has the value ${l}, not 0 or 1`);
}

function readVarint(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  for (let shift = 1; pos < bytes.length && shift < 2 ** 70; shift *= 128) {
    const b = bytes[pos++]!;
    value += (b & 0x7f) * shift;
    if (b < 0x80) return [value, pos];
  }
  throw new Error('truncated or invalid varint');
}

function writeVarint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

/**
 * Returns `bytes` (an ONNX ModelProto) with its `metadata_props` entries whose key starts with `dropPrefix`
 * removed and `entries` appended. Works on the top-level wire format, so every other field (including ones newer
 * than the bundled ONNX schema knows) is copied byte for byte; the entries are encoded with the `onnx` schema.
 * @throws Error when the bytes are not a well-formed protobuf message.
 */
export function stampModelMetadata(
  bytes: Uint8Array,
  entries: Readonly<Record<string, string>>,
  dropPrefix = 'mlops.',
): Uint8Array {
  const parts: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const start = pos;
    const [tag, afterTag] = readVarint(bytes, pos);
    const wire = tag % 8;
    pos = afterTag;
    if (wire === 0) pos = readVarint(bytes, pos)[1];
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [length, body] = readVarint(bytes, pos);
      pos = body + length;
      if (Math.floor(tag / 8) === METADATA_PROPS_FIELD && pos <= bytes.length) {
        const entry = onnx.StringStringEntryProto.decode(bytes.subarray(body, pos));
        if (entry.key.startsWith(dropPrefix)) continue;
      }
    } else throw new Error(`unsupported protobuf wire type ${wire} at byte ${start}`);
    if (pos > bytes.length) throw new Error(`truncated protobuf field at byte ${start}`);
    parts.push(bytes.subarray(start, pos));
  }
  for (const [key, value] of Object.entries(entries)) {
    const body = onnx.StringStringEntryProto.encode({ key, value }).finish();
    parts.push(Uint8Array.from([...writeVarint(METADATA_PROPS_FIELD * 8 + 2), ...writeVarint(body.length)]), body);
  }
  const out = new Uint8Array(parts.reduce((total, p) => total + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
