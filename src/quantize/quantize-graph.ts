// Post-training int8 quantization of a float Graph, following the TFLite converter's conventions
// (full-integer quantization, `optimizations=[DEFAULT]` with a representative dataset):
//
// - activations int8 asymmetric, from the calibrated range nudged to include 0;
// - weights int8 symmetric (zero point 0, values in [−127, 127]), per output channel by default
//   (CONV_2D axis 0, DEPTHWISE_CONV_2D axis 3, FULLY_CONNECTED axis 0) or per tensor;
// - biases int32 with scale input_scale × weight_scale[c], zero point 0;
// - SOFTMAX and LOGISTIC outputs fixed at scale 1/256, zero point −128;
// - ops that only move or select values (RESHAPE, SQUEEZE, MAX_POOL_2D, PAD, TRANSPOSE) and
//   AVERAGE_POOL_2D, whose int8 kernel does not requantize, give their output the input's params;
//   everything else (ADD, MUL, MEAN, CONCATENATION, RELU, …) gets its own calibrated params.
//
// Graph inputs and outputs become int8 by default, like `inference_input_type = tf.int8` and
// `inference_output_type = tf.int8`: that is what the MLPerf Tiny int8 models in the shared assets
// do, what microcontroller runtimes want, and what Octet's int8 path runs end to end without a
// float op. The caller quantizes its input with the input tensor's params (the image recipes do
// this for 'real' encodings). `floatIO: true` instead keeps float32 at the boundary with a
// QUANTIZE op after each input and a DEQUANTIZE op before each output (TFLite's default).
import { type Graph, type OpIR, type OpType, type QuantParams, type TensorIR } from '../model/graph.ts';
import { exportTflite } from '../model/tflite-writer.ts';
import { isUnaryOp, unaryInt8Versions, unaryOpDef } from '../ops/unary.ts';
import { constantData } from '../quant/tensor.ts';
import { calibrate, checkFloatInputs, isFloatActivation, type CalibrationSample, type TensorRange } from './calibrate.ts';
import { QuantizeError } from './errors.ts';
import { activationParams, bytesOf, perTensor, quantizeBias, quantizeWeights } from './params.ts';

export interface QuantizeOptions {
  /** Weights per tensor instead of per output channel (the converter's legacy mode). Default false. */
  perTensor?: boolean;
  /** Keep float32 graph inputs/outputs, with QUANTIZE/DEQUANTIZE ops at the ends. Default false (int8 I/O). */
  floatIO?: boolean;
}

/** How a tensor's int8 params were chosen. */
export type ParamsSource =
  /** From its own calibrated range. */
  | 'calibrated'
  /** Copied from the op's input (RESHAPE, SQUEEZE, MAX_POOL_2D, PAD, TRANSPOSE, AVERAGE_POOL_2D). */
  | 'shared'
  /** Fixed by the op (SOFTMAX, LOGISTIC: 1/256, −128). */
  | 'fixed';

export interface TensorRangeReport {
  /** Tensor id in the quantized graph (the same as in the float graph). */
  id: number;
  name: string;
  shape: number[];
  /** The range calibration observed (NaN when the tensor got none). */
  min: number;
  max: number;
  /** The int8 params it was given: real = scale × (q − zeroPoint). */
  scale: number;
  zeroPoint: number;
  source: ParamsSource;
  /** For 'shared': the tensor whose params it takes; for 'fixed': the op that fixes them. */
  from?: string;
}

export interface QuantizedModel {
  graph: Graph;
  ranges: TensorRangeReport[];
}

/** Ops whose int8 output must carry the input's params (TFLite's restrict_same_input_output_scale). */
const SHARES_INPUT_PARAMS: ReadonlySet<OpType> = new Set([
  'RESHAPE', 'SQUEEZE', 'MAX_POOL_2D', 'PAD', 'TRANSPOSE', 'AVERAGE_POOL_2D', 'MAXIMUM', 'MINIMUM',
  // Data movement family: their int8 kernels copy bytes (PACK's inputs must share one scale).
  'STRIDED_SLICE', 'SLICE', 'SPLIT', 'SPLIT_V', 'PACK', 'UNPACK', 'GATHER', 'GATHER_ND', 'TILE', 'EXPAND_DIMS',
  'BROADCAST_TO', 'REVERSE_V2', 'DEPTH_TO_SPACE', 'SPACE_TO_DEPTH', 'SPACE_TO_BATCH_ND', 'BATCH_TO_SPACE_ND',
  // Reductions: TFLite's 8-bit REDUCE_MAX / REDUCE_MIN require equal input and output params.
  'REDUCE_MAX', 'REDUCE_MIN',
  // Resize: TFLite's int8 kernels interpolate without requantizing.
  'RESIZE_BILINEAR', 'RESIZE_NEAREST_NEIGHBOR',
]);

/** The data input whose params a SHARES_INPUT_PARAMS op passes on, where it is not input 0. */
const SHARED_PARAMS_INPUT: Partial<Record<OpType, number>> = { SPLIT: 1 };

/** binary arithmetic: ops whose every operand must carry the first input's params (raw comparisons). */
const SAME_PARAMS_OPERANDS: ReadonlySet<OpType> = new Set(['MAXIMUM', 'MINIMUM']);

const FIXED_OUTPUT_PARAMS: Partial<Record<OpType, { scale: number; zeroPoint: number }>> = {
  SOFTMAX: { scale: 1 / 256, zeroPoint: -128 },
  LOGISTIC: { scale: 1 / 256, zeroPoint: -128 },
  // Unary activations and math: the converter fixes int8 TANH's output at 1/128, zero point 0.
  TANH: { scale: 1 / 128, zeroPoint: 0 },
  // Normalizations: TFLite's Prepare fixes int8 L2_NORMALIZATION at 1/128, 0 and LOG_SOFTMAX at 16/256, 127.
  L2_NORMALIZATION: { scale: 1 / 128, zeroPoint: 0 },
  LOG_SOFTMAX: { scale: 16 / 256, zeroPoint: 127 },
};

/** Weight input (1) and its output-channel axis, for the ops that have weights and a bias (input 2). */
const WEIGHT_CHANNEL_AXIS: Partial<Record<OpType, number>> = {
  CONV_2D: 0,
  DEPTHWISE_CONV_2D: 3,
  FULLY_CONNECTED: 0,
};

/** Operator versions the TFLite converter writes for int8 kernels (tools/versioning/op_version.cc). */
const INT8_OP_VERSION: Record<OpType, number> = {
  // Unary activations and math: their definitions say (src/ops/unary.ts).
  ...unaryInt8Versions(),
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 3,
  FULLY_CONNECTED: 4,
  // Convolution family additions (TRANSPOSE_CONV: 3 with a bias input, 4 with a fused activation; see below).
  TRANSPOSE_CONV: 3,
  BATCH_MATMUL: 2,
  ADD: 2,
  MUL: 2,
  // binary arithmetic with broadcasting (DIV, POW, FLOOR_DIV, FLOOR_MOD have no int8 kernel: refused)
  SUB: 2,
  DIV: 1,
  MAXIMUM: 2,
  MINIMUM: 2,
  SQUARED_DIFFERENCE: 2,
  POW: 1,
  FLOOR_DIV: 1,
  FLOOR_MOD: 1,
  AVERAGE_POOL_2D: 2,
  MAX_POOL_2D: 2,
  MEAN: 2,
  // Reductions and normalizations (SUM and REDUCE_PROD calibrate their outputs).
  SUM: 2,
  REDUCE_MAX: 2,
  REDUCE_MIN: 2,
  REDUCE_PROD: 2,
  L2_NORMALIZATION: 2,
  LOG_SOFTMAX: 2,
  SOFTMAX: 2,
  LOGISTIC: 2,
  RELU: 2,
  RELU6: 2,
  PRELU: 1,
  RESHAPE: 1,
  SQUEEZE: 1,
  PAD: 2,
  TRANSPOSE: 2,
  // Data movement family (int8 versions from op_version.cc).
  STRIDED_SLICE: 2,
  SLICE: 2,
  SPLIT: 2,
  SPLIT_V: 2,
  PACK: 2,
  UNPACK: 2,
  GATHER: 2,
  GATHER_ND: 1,
  TILE: 1,
  EXPAND_DIMS: 1,
  SHAPE: 1,
  BROADCAST_TO: 2,
  REVERSE_V2: 2,
  DEPTH_TO_SPACE: 1,
  SPACE_TO_DEPTH: 2,
  SPACE_TO_BATCH_ND: 2,
  BATCH_TO_SPACE_ND: 2,
  QUANTIZE: 1,
  DEQUANTIZE: 2,
  CONCATENATION: 2,
  // Resize, arg reductions and casts (ARG_*/CAST write integer tensors, which checkSupported refuses).
  RESIZE_BILINEAR: 2,
  RESIZE_NEAREST_NEIGHBOR: 2,
  ARG_MAX: 2,
  ARG_MIN: 2,
  CAST: 1,
  // Refused by checkSupported; listed because the table covers every op type.
  DETECTION_POSTPROCESS: 1,
};

/**
 * Calibrates `graph` on `calibrationInputs` and quantizes it (see the file comment for the
 * conventions). The float graph is not modified.
 * @throws QuantizeError for bad calibration inputs (none, wrong count, type, length, non-finite
 *   values), a graph that is not float, or an op the quantizer does not handle.
 */
export function quantizeFloatModel(
  graph: Graph,
  calibrationInputs: readonly CalibrationSample[],
  options: QuantizeOptions = {},
): QuantizedModel {
  checkSupported(graph);
  const ranges = calibrate(graph, calibrationInputs);
  const result = quantizeWithRanges(graph, ranges, options);
  result.graph.description =
    `int8 post-training quantization of '${graph.name}' by Octet: ${calibrationInputs.length} calibration samples, ` +
    `${options.perTensor ? 'per-tensor' : 'per-channel'} weights, ${options.floatIO ? 'float32' : 'int8'} input/output`;
  return result;
}

/** quantizeFloatModel, serialized: the quantized model as .tflite bytes, with its graph and ranges. */
export function quantizeFloatModelToTflite(
  graph: Graph,
  calibrationInputs: readonly CalibrationSample[],
  options: QuantizeOptions = {},
): QuantizedModel & { tflite: Uint8Array } {
  const result = quantizeFloatModel(graph, calibrationInputs, options);
  return { ...result, tflite: exportTflite(result.graph) };
}

const NO_INT8_KERNEL: ReadonlySet<OpType> = new Set(['DIV', 'POW', 'FLOOR_DIV', 'FLOOR_MOD']);

function checkSupported(graph: Graph): void {
  checkFloatInputs(graph);
  for (const op of graph.ops) {
    if (op.type === 'QUANTIZE' || op.type === 'DEQUANTIZE') {
      throw new QuantizeError(`operator ${op.index} is ${op.type}: the graph is already (partly) quantized`);
    }
    // The converter keeps TFLite_Detection_PostProcess after the quantized body, on 8-bit
    // inputs with their own params and float outputs; the quantizer has no rule for that yet.
    if (op.type === 'DETECTION_POSTPROCESS') {
      throw new QuantizeError(`operator ${op.index} is TFLite_Detection_PostProcess, which the quantizer does not handle yet (quantize the graph before it)`);
    }
    // binary arithmetic with broadcasting, and the unary ops whose definition has no 8-bit
    // kernel (LOG, SQRT, NEG, SQUARE…): TFLite has no int8 kernel for these.
    if (NO_INT8_KERNEL.has(op.type) || (isUnaryOp(op) && unaryOpDef(op.type).eightBit.length === 0)) {
      throw new QuantizeError(`operator ${op.index} is ${op.type}, which TFLite has no int8 kernel for`);
    }
    for (const id of op.outputs) {
      const t = graph.tensors[id];
      if (t.dtype !== 'float32') {
        throw new QuantizeError(`operator ${op.index} (${op.type}) writes ${t.dtype} tensor '${t.name}'; only float32 activations can be quantized`);
      }
    }
  }
}

type Params = { scale: number; zeroPoint: number; source: ParamsSource; from?: string };

/**
 * Quantizes `graph` with activation ranges already measured (by `calibrate`), e.g. to compare
 * per-channel and per-tensor weights on one calibration run.
 */
export function quantizeWithRanges(graph: Graph, ranges: ReadonlyMap<number, TensorRange>, options: QuantizeOptions = {}): QuantizedModel {
  checkSupported(graph);
  const tensors: TensorIR[] = graph.tensors.map((t) => ({ ...t, shape: [...t.shape] }));
  const params = new Map<number, Params>();

  const calibrated = (id: number): Params => {
    const range = ranges.get(id);
    if (!range) throw new QuantizeError(`tensor '${graph.tensors[id].name}' has no calibrated range`);
    return { ...activationParams(range.min, range.max), source: 'calibrated' };
  };
  for (const id of graph.inputs) params.set(id, calibrated(id));

  // Constants quantized so far, with what they were quantized for, so that a tensor shared by
  // two ops is converted once and a conflict (one bias, two input scales) is caught.
  const convertedConstants = new Map<number, string>();
  const convertConstant = (id: number, role: string, convert: () => { data: Int8Array | Int32Array; quant: QuantParams; dtype: 'int8' | 'int32' }) => {
    const previous = convertedConstants.get(id);
    if (previous !== undefined) {
      if (previous !== role) {
        throw new QuantizeError(`constant '${graph.tensors[id].name}' is used as ${previous} and as ${role}; it cannot be quantized for both`);
      }
      return;
    }
    const { data, quant, dtype } = convert();
    tensors[id] = { ...tensors[id], dtype, quant, data: bytesOf(data) };
    convertedConstants.set(id, role);
  };

  for (const op of graph.ops) {
    // Activation inputs must have params by now (ops are in topological order).
    const inputParams = (k: number): Params => {
      const id = op.inputs[k];
      const p = params.get(id);
      if (!p) throw new QuantizeError(`operator ${op.index} (${op.type}) reads tensor '${graph.tensors[id]?.name ?? id}' before it has quantization params`);
      return p;
    };

    const axis = WEIGHT_CHANNEL_AXIS[op.type];
    if (axis !== undefined) {
      const weights = graph.tensors[op.inputs[1]];
      if (!weights || !weights.data || weights.dtype !== 'float32') {
        throw new QuantizeError(
          `operator ${op.index} (${op.type}) needs constant float32 weights, but '${weights?.name ?? op.inputs[1]}' is ${weights?.data ? weights.dtype : 'not constant'}`,
        );
      }
    }
    op.inputs.forEach((id, k) => {
      if (id < 0) return;
      const t = graph.tensors[id];
      if (!t.data || t.dtype !== 'float32') return;
      if (axis !== undefined && k === 1) {
        const weightAxis = options.perTensor ? null : axis;
        convertConstant(id, `${op.type} weights (${weightAxis === null ? 'per tensor' : `axis ${weightAxis}`})`, () => ({
          ...quantizeWeights(constantData(t) as Float32Array, t.shape, weightAxis),
          dtype: 'int8',
        }));
      } else if (axis !== undefined && k === 2) {
        const inputScale = inputParams(0).scale;
        const weights = tensors[op.inputs[1]];
        const weightQuant = weights.quant!; // converted just above (input 1 precedes input 2)
        convertConstant(id, `${op.type} bias for input scale ${inputScale} and weights '${weights.name}'`, () => ({
          ...quantizeBias(constantData(t) as Float32Array, inputScale, weightQuant),
          dtype: 'int32',
        }));
      } else {
        // A float constant used as an activation (ADD/MUL/CONCATENATION operand): int8 asymmetric
        // from its own value range, as the converter quantizes constant operands.
        const values = constantData(t) as Float32Array;
        let min = 0;
        let max = 0;
        for (const v of values) {
          if (v < min) min = v;
          if (v > max) max = v;
        }
        // binary arithmetic: MAXIMUM and MINIMUM compare raw values, so a constant operand takes the
        // first input's params (TFLite's converter gives all three tensors the same scale).
        const { scale, zeroPoint } = SAME_PARAMS_OPERANDS.has(op.type) && k > 0 ? inputParams(0) : activationParams(min, max);
        convertConstant(id, SAME_PARAMS_OPERANDS.has(op.type) && k > 0 ? `${op.type} operand for input scale ${scale}` : 'activation operand', () => ({
          data: quantizeActivation(values, scale, zeroPoint),
          quant: perTensor(scale, zeroPoint),
          dtype: 'int8',
        }));
        params.set(id, { scale, zeroPoint, source: 'calibrated' });
      }
    });
    op.inputs.forEach((id, k) => {
      if (id >= 0 && isFloatActivation(graph.tensors[id])) inputParams(k);
    });
    if (SAME_PARAMS_OPERANDS.has(op.type)) {
      const p0 = inputParams(0);
      const p1 = inputParams(1);
      if (p0.scale !== p1.scale || p0.zeroPoint !== p1.zeroPoint) {
        throw new QuantizeError(`operator ${op.index} (${op.type}) compares two activations with different calibrated params; its int8 kernel needs them equal`);
      }
    }

    const fixed = FIXED_OUTPUT_PARAMS[op.type];
    for (const id of op.outputs) {
      if (fixed) params.set(id, { ...fixed, source: 'fixed', from: op.type });
      else if (SHARES_INPUT_PARAMS.has(op.type)) {
        const k = SHARED_PARAMS_INPUT[op.type] ?? 0;
        params.set(id, { ...inputParams(k), source: 'shared', from: graph.tensors[op.inputs[k]].name });
      } else params.set(id, calibrated(id));
    }
  }

  const report: TensorRangeReport[] = [];
  for (const t of graph.tensors) {
    if (!isFloatActivation(t)) continue;
    const p = params.get(t.id);
    if (!p) {
      if (graph.outputs.includes(t.id)) throw new QuantizeError(`graph output '${t.name}' is written by no operator`);
      continue; // dead tensor: left as float, nothing reads or writes it
    }
    tensors[t.id] = { ...tensors[t.id], dtype: 'int8', quant: perTensor(p.scale, p.zeroPoint) };
    const range = ranges.get(t.id);
    report.push({
      id: t.id,
      name: t.name,
      shape: [...t.shape],
      min: range?.min ?? NaN,
      max: range?.max ?? NaN,
      scale: p.scale,
      zeroPoint: p.zeroPoint,
      source: p.source,
      ...(p.from !== undefined ? { from: p.from } : {}),
    });
  }

  const ops: OpIR[] = graph.ops.map((op) => ({
    ...op,
    version: Math.max(op.version, INT8_OP_VERSION[op.type]),
    inputs: [...op.inputs],
    outputs: [...op.outputs],
  }));
  const quantized: Graph = {
    name: graph.name,
    description: graph.description,
    tensors,
    ops,
    inputs: [...graph.inputs],
    outputs: [...graph.outputs],
  };
  if (options.floatIO) addFloatBoundary(quantized);
  quantized.ops.forEach((op, i) => (op.index = i));
  return { graph: quantized, ranges: report };
}

/** real → int8 with TFLite's rounding (half away from zero), clamped. */
function quantizeActivation(values: Float32Array, scale: number, zeroPoint: number): Int8Array {
  const out = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.fround(values[i] / Math.fround(scale));
    const r = (v < 0 ? -Math.round(-v) : Math.round(v)) + zeroPoint;
    out[i] = r < -128 ? -128 : r > 127 ? 127 : r;
  }
  return out;
}

/**
 * float32 input → QUANTIZE → (int8 graph) → DEQUANTIZE → float32 output. The float tensors take
 * the original names (they are what a caller sees); the int8 ones get a suffix.
 */
function addFloatBoundary(g: Graph): void {
  const newTensor = (like: TensorIR, name: string): number => {
    const id = g.tensors.length;
    g.tensors.push({ id, name, shape: [...like.shape], dtype: 'float32' });
    return id;
  };
  const rename = (id: number, suffix: string) => {
    const original = g.tensors[id].name;
    g.tensors[id] = { ...g.tensors[id], name: `${original}${suffix}` };
    return original;
  };
  const quantizeOps: OpIR[] = g.inputs.map((id, i) => {
    const floatId = newTensor(g.tensors[id], rename(id, '_int8'));
    g.inputs[i] = floatId;
    return { index: 0, type: 'QUANTIZE', version: 1, inputs: [floatId], outputs: [id], options: {} };
  });
  const dequantizeOps: OpIR[] = g.outputs.map((id, i) => {
    const floatId = newTensor(g.tensors[id], rename(id, '_int8'));
    g.outputs[i] = floatId;
    return { index: 0, type: 'DEQUANTIZE', version: INT8_OP_VERSION.DEQUANTIZE, inputs: [id], outputs: [floatId], options: {} };
  });
  g.ops = [...quantizeOps, ...g.ops, ...dequantizeOps];
}
