// An 8-bit model as float: the float32 twin of a quantized (int8, legacy uint8) or hybrid
// (float activations, 8-bit weights) graph, so that Octet can run the same model both ways and
// show what 8 bits cost and buy.
//
// Contract of dequantizeGraph(graph):
//  - Tensor ids, names and shapes are unchanged: the same id is the same tensor in both graphs,
//    so per-layer comparison of int8 and float activations matches tensors by id. Op indices
//    (OpIR.index) are the original ones too, so labels and layer timings line up; an op that is
//    folded away leaves a gap.
//  - Constants with quantization parameters (int8/uint8 weights, int32 biases) become float32
//    data, real = scale × (q − zero_point), per channel along the quantization axis. An int32
//    bias of CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED without usable parameters gets TFLite's
//    implied scale input_scale × weight_scale[c] (zero point 0). Other constants (shape operands:
//    axes, paddings, permutations, new shapes) are kept as they are.
//  - Activations that were int8/uint8 become float32 without quantization parameters; SOFTMAX and
//    LOGISTIC outputs become plain probabilities (no fixed 1/256 scale).
//  - An activation the 8-bit graph carries only in its output range becomes the op's fused
//    activation: old converters (TF1 fake-quant exports such as COCO SSD MobileNet v1) drop a
//    ReLU6 into the output's quantization, fused activation NONE, output range [0, 6]. The 8-bit
//    op saturates there; the float twin without the clamp is a different network whose errors
//    grow layer by layer (on that SSD, to 1e7 at the box predictors and every score 1.0). So an
//    op with fused activation NONE whose 8-bit output range starts at exactly 0 (zero point =
//    the type's minimum) gets RELU6 when the range ends within one step of 6, else RELU; a range
//    of [-1, 1] within one step gets RELU_N1_TO_1. Any other range is left unclamped: saturation
//    there is quantization error, which the float twin exists to show.
//  - QUANTIZE and DEQUANTIZE become identities: a RESHAPE to the same shape (a buffer copy on the
//    GPU), with the same input and output ids, so every tensor the 8-bit run produces has a float
//    counterpart. A DEQUANTIZE of a constant (float16/int8 weights stored quantized) is folded:
//    its output becomes a float32 constant and the op is dropped.
//  - Graph inputs and outputs keep their ids and become float32. To feed the bytes the 8-bit
//    model takes, convert them with dequantizeInputs(original, inputs); to compare float outputs
//    with the 8-bit model's, quantizeOutputs(original, outputs) quantizes them with the
//    original output parameters (or dequantize the 8-bit ones with dequantizeTensorValues).
//  - The input graph is not modified; constant data of tensors that stay as they are is shared.
import { OctetError } from '../errors.ts';
import { operatorName, type Activation, type Graph, type OpIR, type QuantParams, type TensorIR } from '../model/graph.ts';
import { constantData, dequantizeTensor, quantizeTensor } from '../quant/tensor.ts';
import type { TensorData } from '../kernels/layout.ts';

export class DequantizeError extends OctetError {
  override name = 'DequantizeError';
  readonly code = 'DEQUANTIZE';
}

const WEIGHTED_OPS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

/** Ops whose fused activation clamps their output (CONCATENATION's must stay NONE in TFLite). */
const CLAMPING_OPS = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'TRANSPOSE_CONV', 'ADD', 'SUB', 'MUL', 'DIV', 'AVERAGE_POOL_2D', 'MAX_POOL_2D']);

/**
 * The fused activation an op's 8-bit output range stands for (see the contract above), or
 * undefined when the range implies none.
 */
export function activationImpliedByRange(output: TensorIR): Activation | undefined {
  if (!isEightBit(output) || !usableQuant(output.quant) || output.quant.scale.length !== 1) return undefined;
  const scale = output.quant.scale[0]!;
  const zeroPoint = output.quant.zeroPoint[0]!;
  const [qmin, qmax] = output.dtype === 'uint8' ? [0, 255] : [-128, 127];
  const lo = scale * (qmin - zeroPoint);
  const hi = scale * (qmax - zeroPoint);
  if (zeroPoint === qmin) return Math.abs(hi - 6) <= scale ? 'RELU6' : 'RELU';
  if (Math.abs(lo + 1) <= scale && Math.abs(hi - 1) <= scale) return 'RELU_N1_TO_1';
  return undefined;
}

/** `op` with the activation its output range implies made explicit, where its own is NONE. */
function withImpliedActivation(graph: Graph, op: OpIR): OpIR {
  if (!CLAMPING_OPS.has(op.type) || !('activation' in op.options) || op.options.activation !== 'NONE') return op;
  const implied = activationImpliedByRange(graph.tensors[op.outputs[0]!]!);
  return implied ? ({ ...op, options: { ...op.options, activation: implied } } as OpIR) : op;
}

function isEightBit(t: TensorIR): boolean {
  return t.dtype === 'int8' || t.dtype === 'uint8';
}

function usableQuant(q: QuantParams | undefined): q is QuantParams {
  return !!q && q.scale.length > 0 && Array.from(q.scale).some((s) => s !== 0);
}

function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/**
 * Scales of an int32 bias that carries no usable parameters: input_scale × weight_scale[c], the
 * scale TFLite's integer kernels give the bias.
 */
function impliedBiasQuant(graph: Graph, op: OpIR, bias: TensorIR): QuantParams {
  const input = graph.tensors[op.inputs[0]!]!;
  const filter = graph.tensors[op.inputs[1]!]!;
  if (!usableQuant(input.quant) || !usableQuant(filter.quant)) {
    throw new DequantizeError(`bias '${bias.name}' of ${op.type} (${operatorName(op)}) is int32 but neither it nor the op's input and weights carry quantization parameters`);
  }
  const inScale = input.quant.scale[0]!;
  const channels = bias.shape.reduce((a, b) => a * b, 1);
  const w = filter.quant.scale;
  const scale = new Float64Array(w.length === 1 ? 1 : channels);
  for (let c = 0; c < scale.length; c++) scale[c] = inScale * w[w.length === 1 ? 0 : c]!;
  return { scale, zeroPoint: new Int32Array(scale.length), axis: 0 };
}

/** The float32 twin of an 8-bit or hybrid graph; see the contract at the top of this file. */
export function dequantizeGraph(graph: Graph): Graph {
  // Biases without their own parameters, and which op they belong to.
  const biasOwner = new Map<number, OpIR>();
  for (const op of graph.ops) {
    const biasId = op.inputs[2] ?? -1;
    if (WEIGHTED_OPS.has(op.type) && biasId >= 0) biasOwner.set(biasId, op);
  }

  const tensors: TensorIR[] = graph.tensors.map((t) => {
    if (t.data) {
      if (isEightBit(t) && usableQuant(t.quant)) {
        return floatConstant(t, dequantizeTensor(constantData(t) as Int8Array | Uint8Array, t.shape, t.quant));
      }
      if (t.dtype === 'int32' && biasOwner.has(t.id)) {
        const q = usableQuant(t.quant) ? t.quant : impliedBiasQuant(graph, biasOwner.get(t.id)!, t);
        return floatConstant(t, dequantizeTensor(constantData(t) as Int32Array, t.shape, q));
      }
      if (t.dtype === 'int32' && usableQuant(t.quant)) {
        return floatConstant(t, dequantizeTensor(constantData(t) as Int32Array, t.shape, t.quant));
      }
      return t;
    }
    if (isEightBit(t)) return { id: t.id, name: t.name, shape: t.shape.slice(), dtype: 'float32' };
    return t;
  });

  const ops: OpIR[] = [];
  for (const op of graph.ops) {
    if (op.type !== 'QUANTIZE' && op.type !== 'DEQUANTIZE') {
      ops.push(withImpliedActivation(graph, op));
      continue;
    }
    const input = tensors[op.inputs[0]!]!;
    const outputId = op.outputs[0]!;
    const output = tensors[outputId]!;
    if (input.data) {
      // A quantized constant (stored weights): its float value is the op's result, known now.
      const values = input.dtype === 'float32' ? (constantData(input) as Float32Array) : undefined;
      if (!values) throw new DequantizeError(`${op.type} (${operatorName(op)}) reads constant '${input.name}' of dtype ${input.dtype}, which has no float value`);
      tensors[outputId] = floatConstant(output, values.slice());
      continue;
    }
    if (input.dtype !== 'float32') {
      throw new DequantizeError(`${op.type} (${operatorName(op)}) reads '${input.name}' of dtype ${input.dtype}; only 8-bit and float activations become float`);
    }
    ops.push({ index: op.index, type: 'RESHAPE', version: 1, inputs: [input.id], outputs: [outputId], options: { newShape: output.shape.slice() } });
  }

  return {
    name: graph.name,
    description: graph.description ? `${graph.description} (dequantized to float32)` : 'dequantized to float32',
    tensors,
    ops,
    inputs: graph.inputs.slice(),
    outputs: graph.outputs.slice(),
  };
}

function floatConstant(t: TensorIR, values: Float32Array): TensorIR {
  return { id: t.id, name: t.name, shape: t.shape.slice(), dtype: 'float32', data: floatBytes(values) };
}

/**
 * A value of `original`'s tensor `id` as float32: 8-bit data dequantized with that tensor's
 * parameters, float32 data as it is. For comparing an 8-bit run's activations with the float
 * twin's, tensor by tensor.
 */
export function dequantizeTensorValues(original: Graph, id: number, data: TensorData): Float32Array {
  const t = original.tensors[id];
  if (!t) throw new DequantizeError(`tensor ${id} does not exist in '${original.name}'`);
  if (data instanceof Float32Array) return data;
  if (!(data instanceof Int8Array || data instanceof Uint8Array || data instanceof Int32Array)) {
    throw new DequantizeError(`tensor '${t.name}': cannot dequantize a ${data.constructor.name}`);
  }
  if (!usableQuant(t.quant)) throw new DequantizeError(`tensor '${t.name}' (${t.dtype}) has no quantization parameters`);
  return dequantizeTensor(data, t.shape, t.quant);
}

/** The original graph's inputs (8-bit bytes or float) as the float twin's float32 inputs. */
export function dequantizeInputs(original: Graph, inputs: readonly TensorData[]): Float32Array[] {
  if (inputs.length !== original.inputs.length) {
    throw new DequantizeError(`'${original.name}' takes ${original.inputs.length} input(s), got ${inputs.length}`);
  }
  return original.inputs.map((id, i) => dequantizeTensorValues(original, id, inputs[i]!));
}

/**
 * The float twin's outputs quantized with the original graph's output parameters (TFLite's
 * QUANTIZE rounding), in the original dtype; float32 outputs of the original stay float.
 */
export function quantizeOutputs(original: Graph, outputs: readonly Float32Array[]): TensorData[] {
  return original.outputs.map((id, i) => {
    const t = original.tensors[id]!;
    const values = outputs[i]!;
    if (t.dtype === 'float32') return values;
    if ((t.dtype !== 'int8' && t.dtype !== 'uint8') || !usableQuant(t.quant)) {
      throw new DequantizeError(`output '${t.name}' is ${t.dtype}${t.quant ? '' : ' without quantization parameters'}`);
    }
    return quantizeTensor(values, t.shape, t.quant, t.dtype);
  });
}
