// Shared plumbing of the CPU reference: value types, the error it throws, how an op becomes a
// prepared kernel, and the small pieces of TFLite arithmetic (padding, quantization params)
// that several op families use.
import { OctetError } from '../errors.ts';
import { DEFAULT_REQUANTIZATION, type RequantizationMode } from '../quant/requantization.ts';
import { constantData } from '../quant/tensor.ts';
import { quantizeMultiplier } from '../quant/fixedpoint.ts';
import { operatorName, tensorElementCount } from '../model/graph.ts';
import { xnnpackDelegateApplies } from '../model/tflite-delegation.ts';
import type { DType, Graph, OpIR, Padding, QuantParams, TensorIR } from '../model/graph.ts';

/** A tensor's value, in the tensor's own dtype (bool as Uint8Array, int64 constants as Int32Array). */
export type TensorData = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array;

/** Quantized 8-bit activation data: the two element types the integer kernels read and write. */
export type QuantizedData = Int8Array | Uint8Array;

/**
 * An op or type combination the reference does not run, or a graph that breaks an op's contract
 * (shapes that disagree, missing constants). Named after the operator so that a failing model
 * points at the layer: "reference: CONV_2D with int16 input is not supported (operator 3)".
 */
export class ReferenceRunError extends OctetError {
  override name = 'ReferenceRunError';
  readonly code = 'REFERENCE';
  /** Position of the failing operator in the model's operator list, or −1 outside any operator. */
  readonly opIndex: number;
  constructor(message: string, opIndex = -1) {
    super(message);
    this.opIndex = opIndex;
  }
}

/** Tensor values by tensor id while a graph runs; undefined until produced. */
export type TensorValues = (TensorData | undefined)[];

/** A prepared operator: everything independent of the input is computed before it runs. */
export type Kernel = (values: TensorValues) => void;

export type { RequantizationMode } from '../quant/requantization.ts';

export interface ReferenceOptions {
  /** Default DEFAULT_REQUANTIZATION ('xnnpack'), as on the GPU and in the CLI. */
  requantization?: RequantizationMode;
  /**
   * Under 'xnnpack': whether the TFLite runtime would run the graph through its XNNPACK delegate
   * (src/model/tflite-delegation.ts). When it would not, every op follows TFLite's builtin kernels.
   * prepareReference and foldConstants work it out from the model graph; set it only to evaluate
   * ops outside their graph (single ops, folded graphs). Default true.
   */
  xnnpackDelegate?: boolean;
}

/** The options with xnnpackDelegate settled from the model graph (before constant folding). */
export function withDelegation(graph: Graph, options: ReferenceOptions): ReferenceOptions {
  if (options.xnnpackDelegate !== undefined) return options;
  return { ...options, xnnpackDelegate: xnnpackDelegateApplies(graph) };
}

/** What an op family's prepare function may look at. */
export class PrepareContext {
  readonly graph: Graph;
  readonly op: OpIR;
  readonly requantization: RequantizationMode;
  /**
   * XNNPACK's kernel rules apply: requantization 'xnnpack' in a graph the delegate takes. Ops test
   * this for what XNNPACK computes (and then check that the delegate takes their parameters);
   * 'xnnpack' with this false means TFLite's builtin kernels throughout.
   */
  readonly xnnpack: boolean;
  private readonly constants: TensorValues;

  constructor(graph: Graph, op: OpIR, constants: TensorValues, options: ReferenceOptions = {}) {
    this.graph = graph;
    this.op = op;
    this.constants = constants;
    this.requantization = options.requantization ?? DEFAULT_REQUANTIZATION;
    this.xnnpack = this.requantization === 'xnnpack' && (options.xnnpackDelegate ?? true);
  }

  /** An error naming this operator: `reference: <TYPE> <problem> (operator <index>)`, operatorName's form. */
  error(problem: string): ReferenceRunError {
    return new ReferenceRunError(`reference: ${this.op.type} ${problem} (${operatorName(this.op)})`, this.op.index);
  }

  /** The standard "X with <dtype> input is not supported" error. */
  unsupported(what: string): ReferenceRunError {
    return this.error(`with ${what} is not supported`);
  }

  tensor(id: number): TensorIR {
    const t = this.graph.tensors[id];
    if (!t || t.id !== id) throw this.error(`refers to tensor ${id}, which the graph does not hold`);
    return t;
  }

  input(position: number): TensorIR {
    const id = this.op.inputs[position];
    if (id === undefined || id < 0) throw this.error(`needs input ${position}, which is absent`);
    return this.tensor(id);
  }

  /** Input `position` if present (TFLite marks an absent optional input with −1). */
  optionalInput(position: number): TensorIR | undefined {
    const id = this.op.inputs[position];
    return id === undefined || id < 0 ? undefined : this.tensor(id);
  }

  output(position = 0): TensorIR {
    const id = this.op.outputs[position];
    if (id === undefined || id < 0) throw this.error(`needs output ${position}, which is absent`);
    return this.tensor(id);
  }

  /** Decoded constant data of a tensor; throws if the tensor is not a constant. */
  constant(t: TensorIR, role: string): TensorData {
    const value = this.constants[t.id];
    if (!value) throw this.error(`needs a constant ${role} (tensor ${t.id} '${t.name}' is computed at run time)`);
    return value;
  }

  /** An integer operand (axes, paddings, permutation, shape) read from a constant tensor. */
  constantInts(t: TensorIR, role: string): number[] {
    const value = this.constant(t, role);
    if (value instanceof Float32Array) throw this.error(`needs an integer ${role}, got ${t.dtype}`);
    return Array.from(value);
  }

  /** Per-tensor quantization params of an 8-bit tensor; throws for per-channel or missing params. */
  perTensorQuant(t: TensorIR, role: string): { scale: number; zeroPoint: number } {
    const q = t.quant;
    if (!q || q.scale.length === 0) throw this.error(`needs quantization parameters on its ${role} ('${t.name}')`);
    if (q.scale.length !== 1) throw this.unsupported(`a per-channel quantized ${role}`);
    return { scale: q.scale[0], zeroPoint: q.zeroPoint[0] ?? 0 };
  }
}

/** Decodes a constant tensor's bytes into the reference's value type. */
export function decodeConstant(t: TensorIR): TensorData {
  if (t.dtype === 'bool') return t.data!;
  const data = constantData(t);
  if (data instanceof BigInt64Array) {
    // int64 constants are shape operands (axes, paddings); they always fit in int32.
    const out = new Int32Array(data.length);
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v > 2147483647n || v < -2147483648n) {
        throw new ReferenceRunError(`reference: int64 constant '${t.name}' (tensor ${t.id}) does not fit in int32`);
      }
      out[i] = Number(v);
    }
    return out;
  }
  return data;
}

export function allocate(dtype: DType, count: number): TensorData {
  switch (dtype) {
    case 'float32':
      return new Float32Array(count);
    case 'int8':
      return new Int8Array(count);
    case 'uint8':
    case 'bool':
      return new Uint8Array(count);
    case 'int16':
      return new Int16Array(count);
    case 'int32':
    case 'int64':
      return new Int32Array(count);
  }
}

/** The typed array a value of this dtype must arrive in (int64 travels as Int32Array). */
export function matchesDType(value: TensorData, dtype: DType): boolean {
  switch (dtype) {
    case 'float32':
      return value instanceof Float32Array;
    case 'int8':
      return value instanceof Int8Array;
    case 'uint8':
    case 'bool':
      return value instanceof Uint8Array;
    case 'int16':
      return value instanceof Int16Array;
    case 'int32':
    case 'int64':
      return value instanceof Int32Array;
  }
}

export function elementCount(t: TensorIR): number {
  return tensorElementCount(t.shape);
}

export function isQuantized8(dtype: DType): dtype is 'int8' | 'uint8' {
  return dtype === 'int8' || dtype === 'uint8';
}

/** Representable range of an 8-bit quantized dtype. */
export function dtypeRange(dtype: 'int8' | 'uint8'): [number, number] {
  return dtype === 'int8' ? [-128, 127] : [0, 255];
}

/** Per-output-channel requantization: multiplier ≈ input_scale × weight_scale[c] / output_scale. */
export interface ChannelMultipliers {
  multiplier: Int32Array;
  shift: Int32Array;
}

/**
 * QuantizeMultiplier of input_scale × weight_scale[c] / output_scale for every output channel,
 * in double as TFLite's PopulateConvolutionQuantizationParams computes it. Per-tensor weight
 * quantization repeats the one multiplier.
 */
export function channelMultipliers(
  inputScale: number,
  weightQuant: QuantParams,
  outputScale: number,
  channels: number,
): ChannelMultipliers {
  const multiplier = new Int32Array(channels);
  const shift = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    const weightScale = weightQuant.scale.length === 1 ? weightQuant.scale[0] : weightQuant.scale[c];
    const q = quantizeMultiplier((inputScale * weightScale) / outputScale);
    multiplier[c] = q.multiplier;
    shift[c] = q.shift;
  }
  return { multiplier, shift };
}

/** Reads the 8-bit values of a quantized tensor shifted by an offset, as int32 (x + offset). */
export function offsetInt32(data: QuantizedData, offset: number): Int32Array {
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i] + offset;
  return out;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d];
  }
  return strides;
}
