import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';

/** The generated protobufjs ONNX schema (onnx-proto is CommonJS, so it is reached through its default export). */
export const onnx = onnxProto.onnx;

/** ONNX tensor element types used by this project. */
export const ElemType = {
  FLOAT: onnxProto.onnx.TensorProto.DataType.FLOAT,
  INT64: onnxProto.onnx.TensorProto.DataType.INT64,
  STRING: onnxProto.onnx.TensorProto.DataType.STRING,
  BOOL: onnxProto.onnx.TensorProto.DataType.BOOL,
} as const;
export type ElemType = (typeof ElemType)[keyof typeof ElemType];

/** A dimension: a fixed size or a symbolic name such as `N` (batch). */
export type Dim = number | string;

/** Domain of the ONNX-ML operators (OneHotEncoder, Imputer, ...). */
export const ML_DOMAIN = 'ai.onnx.ml';

const utf8 = new TextEncoder();
const AttributeType = onnxProto.onnx.AttributeProto.AttributeType;

/** An `INT` attribute. */
export function intAttr(name: string, value: number): Onnx.IAttributeProto {
  return { name, type: AttributeType.INT, i: value };
}

/** A `FLOAT` attribute. */
export function floatAttr(name: string, value: number): Onnx.IAttributeProto {
  return { name, type: AttributeType.FLOAT, f: value };
}

/** A `STRINGS` attribute (UTF-8 encoded). */
export function stringsAttr(name: string, values: readonly string[]): Onnx.IAttributeProto {
  return { name, type: AttributeType.STRINGS, strings: values.map((s) => utf8.encode(s)) };
}

/** A tensor value description (graph input or output) of element type `elemType` and shape `dims`. */
export function tensorValueInfo(name: string, elemType: ElemType, dims: readonly Dim[]): Onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

/** What {@link GraphBuilder.encode} needs besides the graph. */
export interface ModelOptions {
  graphName: string;
  /** Opset imports, e.g. `{ '': 17, 'ai.onnx.ml': 3 }`. */
  opsets: Readonly<Record<string, number>>;
  /** `metadata_props`, written in the given key order. */
  metadata: Readonly<Record<string, string>>;
  producerName: string;
  producerVersion: string;
  docString?: string | undefined;
}

/**
 * Builds an ONNX graph node by node and encodes it with protobufjs.
 * Node names are numbered in creation order and nothing time-dependent is written,
 * so the same build steps always produce the same bytes. Names of intermediate values, constants and nodes carry
 * `prefix` so they cannot collide with graph inputs named after features.
 */
export class GraphBuilder {
  constructor(readonly prefix = 'mlops::') {}

  private readonly nodes: Onnx.INodeProto[] = [];
  private readonly initializers: Onnx.ITensorProto[] = [];
  private readonly inputs: Onnx.IValueInfoProto[] = [];
  private readonly outputs: Onnx.IValueInfoProto[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX graph: the value name "${name}" is used twice`);
    this.names.add(name);
    return name;
  }

  /** Declares a graph input and returns its name. */
  input(name: string, elemType: ElemType, dims: readonly Dim[]): string {
    this.inputs.push(tensorValueInfo(this.claim(name), elemType, dims));
    return name;
  }

  /** Declares a graph output; `name` must be produced by a node. */
  output(name: string, elemType: ElemType, dims: readonly Dim[]): void {
    this.outputs.push(tensorValueInfo(name, elemType, dims));
  }

  /** Adds a float32 initializer `<prefix><name>` (values are rounded to float32) and returns its full name. */
  floatConstant(name: string, dims: readonly number[], values: ArrayLike<number>): string {
    checkSize(name, dims, values.length);
    const full = this.claim(this.prefix + name);
    this.initializers.push({ name: full, dims: [...dims], dataType: ElemType.FLOAT, floatData: Array.from(values) });
    return full;
  }

  /** Adds an int64 initializer `<prefix><name>` and returns its full name. */
  int64Constant(name: string, dims: readonly number[], values: readonly number[]): string {
    checkSize(name, dims, values.length);
    const full = this.claim(this.prefix + name);
    this.initializers.push({ name: full, dims: [...dims], dataType: ElemType.INT64, int64Data: [...values] });
    return full;
  }

  /**
   * Appends a node and returns its output name: `output` verbatim when given (graph outputs),
   * otherwise `<prefix><hint>` or a generated `<prefix><optype>_<n>`.
   */
  node(
    opType: string,
    inputs: readonly string[],
    options: { output?: string; hint?: string; attributes?: Onnx.IAttributeProto[]; domain?: string } = {},
  ): string {
    const n = this.counter++;
    const output = this.claim(options.output ?? this.prefix + (options.hint ?? `${opType.toLowerCase()}_${n}`));
    this.nodes.push({
      name: `${this.prefix}${opType}_${n}`,
      opType,
      domain: options.domain ?? '',
      input: [...inputs],
      output: [output],
      attribute: options.attributes ?? [],
    });
    return output;
  }

  /** Encodes the model (protobuf). Deterministic for the same build steps and options. */
  encode(options: ModelOptions): Uint8Array {
    const model: Onnx.IModelProto = {
      irVersion: 8,
      opsetImport: Object.entries(options.opsets).map(([domain, version]) => ({ domain, version })),
      producerName: options.producerName,
      producerVersion: options.producerVersion,
      docString: options.docString ?? '',
      graph: {
        name: options.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: Object.entries(options.metadata).map(([key, value]) => ({ key, value })),
    };
    const error = onnx.ModelProto.verify(model);
    if (error !== null) throw new Error(`ONNX graph: invalid model message: ${error}`);
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}

function checkSize(name: string, dims: readonly number[], length: number): void {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== length)
    throw new Error(`ONNX graph: constant "${name}" has ${length} values for shape [${dims.join(', ')}]`);
}
