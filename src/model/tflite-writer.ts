// Graph IR → .tflite bytes with the flatbuffers Builder: schema version 3, file identifier TFL3,
// buffer 0 the empty sentinel, one subgraph. Used for fuzz fixtures and by the quantizer, so the
// output follows what the TFLite converter writes (field ids and defaults from schema.fbs, both
// op-code fields filled, 16-byte aligned buffer data) and loads in the real TFLite runtime.
//
// Fields left at their schema default are omitted, as flatc's builders do.

import { Builder } from 'flatbuffers';
import { DTYPE_BYTES, tensorElementCount, type DType, type Graph, type OpIR, type TensorIR } from './graph.ts';
import { ModelFormatError } from './errors.ts';
import {
  TFL_ACTIVATION_NAMES,
  TFL_PADDING_NAMES,
  TFLITE_FILE_IDENTIFIER,
  TFLITE_SCHEMA_VERSION,
  TflBuiltinOperator,
  TflBuiltinOptions,
  TflTensorType,
} from './tflite-schema.ts';
import type { Activation, OptionlessOpType, Padding } from './graph.ts';
import { DETECTION_POSTPROCESS_CUSTOM_CODE, encodeDetectionPostprocessOptions } from './detection-postprocess.ts';

const TENSOR_TYPE_OF_DTYPE: Record<DType, number> = {
  float32: TflTensorType.FLOAT32,
  int8: TflTensorType.INT8,
  uint8: TflTensorType.UINT8,
  int16: TflTensorType.INT16,
  int32: TflTensorType.INT32,
  int64: TflTensorType.INT64,
  bool: TflTensorType.BOOL,
};

/** schema.fbs Buffer.data is declared `(force_align: 16)`. */
const BUFFER_DATA_ALIGNMENT = 16;

/**
 * Serializes `graph` as a TFLite model. Scales are stored as float32 (the schema's type), so a
 * scale that is not exactly representable in float32 comes back rounded after re-import.
 * @throws ModelFormatError when the graph is inconsistent (constant data length, quant arrays).
 */
export interface ExportOptions {
  /**
   * The builtin code written for an operator instead of its type's (tests that need a valid file
   * with operators Octet does not read, e.g. LSTM; the op's own options table is still written,
   * so pick ops without one, such as RELU).
   */
  builtinCodeOf?: (op: OpIR) => number;
}

export function exportTflite(graph: Graph, options: ExportOptions = {}): Uint8Array {
  const dataBytes = graph.tensors.reduce((n, t) => n + (t.data?.length ?? 0) + BUFFER_DATA_ALIGNMENT, 0);
  const b = new Builder(dataBytes + 64 * 1024);

  // Buffers: 0 is the empty sentinel, then one per constant tensor in tensor order.
  const bufferIndexOfTensor = new Int32Array(graph.tensors.length);
  const bufferTables: number[] = [emptyTable(b)];
  graph.tensors.forEach((t, i) => {
    checkTensor(t, i);
    if (!t.data || t.data.length === 0) return;
    b.prep(BUFFER_DATA_ALIGNMENT, t.data.length);
    const data = b.createByteVector(t.data);
    b.startObject(3);
    b.addFieldOffset(0, data, 0);
    bufferIndexOfTensor[i] = bufferTables.length;
    bufferTables.push(b.endObject());
  });

  const tensorTables = graph.tensors.map((t, i) => writeTensor(b, t, bufferIndexOfTensor[i]));

  // Operator codes, one per distinct (op, version), in first-use order.
  const opcodeIndexOf = new Map<string, number>();
  const opcodeTables: number[] = [];
  const operatorTables = graph.ops.map((op) => {
    const code = options.builtinCodeOf?.(op) ?? (op.type === 'DETECTION_POSTPROCESS' ? TflBuiltinOperator.CUSTOM : TflBuiltinOperator[op.type]);
    const key = `${code}@${op.version}`;
    let opcodeIndex = opcodeIndexOf.get(key);
    if (opcodeIndex === undefined) {
      opcodeIndex = opcodeTables.length;
      opcodeIndexOf.set(key, opcodeIndex);
      opcodeTables.push(
        op.type === 'DETECTION_POSTPROCESS' && code === TflBuiltinOperator.CUSTOM
          ? writeOperatorCode(b, TflBuiltinOperator.CUSTOM, op.version, DETECTION_POSTPROCESS_CUSTOM_CODE)
          : writeOperatorCode(b, code, op.version),
      );
    }
    return writeOperator(b, op, opcodeIndex);
  });

  const subgraph = (() => {
    const tensors = offsetVector(b, tensorTables);
    const inputs = int32Vector(b, graph.inputs);
    const outputs = int32Vector(b, graph.outputs);
    const operators = offsetVector(b, operatorTables);
    const name = b.createString(graph.name);
    b.startObject(5);
    b.addFieldOffset(0, tensors, 0);
    b.addFieldOffset(1, inputs, 0);
    b.addFieldOffset(2, outputs, 0);
    b.addFieldOffset(3, operators, 0);
    b.addFieldOffset(4, name, 0);
    return b.endObject();
  })();

  const operatorCodes = offsetVector(b, opcodeTables);
  const subgraphs = offsetVector(b, [subgraph]);
  const description = b.createString(graph.description);
  const buffers = offsetVector(b, bufferTables);
  b.startObject(5);
  b.addFieldInt32(0, TFLITE_SCHEMA_VERSION, 0);
  b.addFieldOffset(1, operatorCodes, 0);
  b.addFieldOffset(2, subgraphs, 0);
  b.addFieldOffset(3, description, 0);
  b.addFieldOffset(4, buffers, 0);
  const model = b.endObject();
  b.finish(model, TFLITE_FILE_IDENTIFIER);
  // asUint8Array() is a view into the builder's (larger) buffer; hand back exactly the model.
  return b.asUint8Array().slice();
}

function checkTensor(t: TensorIR, i: number): void {
  const where = `tensor ${i} '${t.name}'`;
  if (t.id !== i) throw new ModelFormatError(where, `has id ${t.id} but sits at position ${i} of graph.tensors`);
  if (!(t.dtype in TENSOR_TYPE_OF_DTYPE)) throw new ModelFormatError(where, `dtype '${t.dtype}' has no TFLite type`);
  if (t.data && t.data.length > 0) {
    const expected = tensorElementCount(t.shape) * DTYPE_BYTES[t.dtype];
    if (t.data.length !== expected) {
      throw new ModelFormatError(where, `constant data is ${t.data.length} bytes but shape [${t.shape}] of ${t.dtype} needs ${expected}`);
    }
  }
  if (t.quant && t.quant.scale.length !== t.quant.zeroPoint.length) {
    throw new ModelFormatError(where, `quantization has ${t.quant.scale.length} scales but ${t.quant.zeroPoint.length} zero points`);
  }
}

function emptyTable(b: Builder): number {
  b.startObject(0);
  return b.endObject();
}

function int32Vector(b: Builder, values: ArrayLike<number>): number {
  b.startVector(4, values.length, 4);
  for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i]);
  return b.endVector();
}

function offsetVector(b: Builder, offsets: readonly number[]): number {
  b.startVector(4, offsets.length, 4);
  for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i]);
  return b.endVector();
}

function writeTensor(b: Builder, t: TensorIR, bufferIndex: number): number {
  const shape = int32Vector(b, t.shape);
  const name = b.createString(t.name);
  let quant = 0;
  if (t.quant) {
    const { scale, zeroPoint, axis } = t.quant;
    b.startVector(4, scale.length, 4);
    for (let i = scale.length - 1; i >= 0; i--) b.addFloat32(scale[i]);
    const scaleVec = b.endVector();
    b.startVector(8, zeroPoint.length, 8);
    for (let i = zeroPoint.length - 1; i >= 0; i--) b.addInt64(BigInt(zeroPoint[i]));
    const zeroPointVec = b.endVector();
    // QuantizationParameters: min 0, max 1, scale 2, zero_point 3, details_type 4, details 5, quantized_dimension 6.
    b.startObject(7);
    b.addFieldOffset(2, scaleVec, 0);
    b.addFieldOffset(3, zeroPointVec, 0);
    b.addFieldInt32(6, axis, 0);
    quant = b.endObject();
  }
  // Tensor: shape 0, type 1, buffer 2, name 3, quantization 4.
  b.startObject(5);
  b.addFieldOffset(0, shape, 0);
  b.addFieldInt8(1, TENSOR_TYPE_OF_DTYPE[t.dtype], TflTensorType.FLOAT32);
  b.addFieldInt32(2, bufferIndex, 0);
  b.addFieldOffset(3, name, 0);
  if (quant) b.addFieldOffset(4, quant, 0);
  return b.endObject();
}

function writeOperatorCode(b: Builder, code: number, version: number, customCode?: string): number {
  // OperatorCode: deprecated_builtin_code 0 (int8), custom_code 1, version 2 (= 1), builtin_code 3.
  // Old runtimes read only the byte; codes ≥ 127 put the placeholder there, as the converter does.
  const custom = customCode === undefined ? 0 : b.createString(customCode);
  b.startObject(4);
  b.addFieldInt8(0, Math.min(code, TflBuiltinOperator.PLACEHOLDER_FOR_GREATER_OP_CODES), 0);
  if (custom) b.addFieldOffset(1, custom, 0);
  b.addFieldInt32(2, version, 1);
  b.addFieldInt32(3, code, 0);
  return b.endObject();
}

function activationCode(a: Activation): number {
  const code = TFL_ACTIVATION_NAMES.indexOf(a);
  if (code < 0) throw new ModelFormatError('graph', `unknown activation '${a}'`);
  return code;
}

function paddingCode(p: Padding): number {
  const code = TFL_PADDING_NAMES.indexOf(p);
  if (code < 0) throw new ModelFormatError('graph', `unknown padding '${p}'`);
  return code;
}

/** Writes the op's options table; returns its union tag and offset (NONE, 0 for ops without one). */
function writeOptions(b: Builder, op: OpIR): { tag: number; table: number } {
  if ((op.type === 'CONV_2D' || op.type === 'DEPTHWISE_CONV_2D') && op.options.explicitPadding) {
    // Only the GPU load passes set it (a PAD folded in); writing the op without it would drop the padding.
    throw new ModelFormatError(`operator ${op.index}`, 'explicit padding (a PAD folded into the convolution) has no TFLite encoding; write the graph from before the load passes');
  }
  if (op.type === 'CONV_2D' && op.options.fusedAdd) {
    // Only the GPU load passes set it (an ADD fused in); writing the op without it would drop the ADD.
    throw new ModelFormatError(`operator ${op.index}`, 'a fused ADD (src/passes/fuse-add.ts) has no TFLite encoding; write the graph from before the load passes');
  }
  if ((op.type === 'CONV_2D' || op.type === 'DEPTHWISE_CONV_2D' || op.type === 'FULLY_CONNECTED') && op.options.fusedTable) {
    // Only the GPU load passes set it (a table op fused in); writing the op without it would drop the op.
    throw new ModelFormatError(`operator ${op.index}`, `a fused ${op.options.fusedTable.ops.map((o) => o.type).join(' + ')} (src/passes/fuse-table.ts) has no TFLite encoding; write the graph from before the load passes`);
  }
  switch (op.type) {
    case 'CONV_2D': {
      const o = op.options;
      b.startObject(6);
      b.addFieldInt8(0, paddingCode(o.padding), 0);
      b.addFieldInt32(1, o.strideW, 0);
      b.addFieldInt32(2, o.strideH, 0);
      b.addFieldInt8(3, activationCode(o.activation), 0);
      b.addFieldInt32(4, o.dilationW, 1);
      b.addFieldInt32(5, o.dilationH, 1);
      return { tag: TflBuiltinOptions.Conv2DOptions, table: b.endObject() };
    }
    case 'DEPTHWISE_CONV_2D': {
      const o = op.options;
      b.startObject(7);
      b.addFieldInt8(0, paddingCode(o.padding), 0);
      b.addFieldInt32(1, o.strideW, 0);
      b.addFieldInt32(2, o.strideH, 0);
      b.addFieldInt32(3, o.depthMultiplier, 0);
      b.addFieldInt8(4, activationCode(o.activation), 0);
      b.addFieldInt32(5, o.dilationW, 1);
      b.addFieldInt32(6, o.dilationH, 1);
      return { tag: TflBuiltinOptions.DepthwiseConv2DOptions, table: b.endObject() };
    }
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D': {
      const o = op.options;
      b.startObject(6);
      b.addFieldInt8(0, paddingCode(o.padding), 0);
      b.addFieldInt32(1, o.strideW, 0);
      b.addFieldInt32(2, o.strideH, 0);
      b.addFieldInt32(3, o.filterW, 0);
      b.addFieldInt32(4, o.filterH, 0);
      b.addFieldInt8(5, activationCode(o.activation), 0);
      return { tag: TflBuiltinOptions.Pool2DOptions, table: b.endObject() };
    }
    case 'FULLY_CONNECTED': {
      const o = op.options;
      b.startObject(3);
      b.addFieldInt8(0, activationCode(o.activation), 0);
      b.addFieldInt8(2, o.keepNumDims ? 1 : 0, 0);
      return { tag: TflBuiltinOptions.FullyConnectedOptions, table: b.endObject() };
    }
    // Convolution family additions.
    case 'TRANSPOSE_CONV': {
      const o = op.options;
      b.startObject(4);
      b.addFieldInt8(0, paddingCode(o.padding), 0);
      b.addFieldInt32(1, o.strideW, 0);
      b.addFieldInt32(2, o.strideH, 0);
      b.addFieldInt8(3, activationCode(o.activation), 0);
      return { tag: TflBuiltinOptions.TransposeConvOptions, table: b.endObject() };
    }
    case 'BATCH_MATMUL': {
      b.startObject(2);
      b.addFieldInt8(0, op.options.adjX ? 1 : 0, 0);
      b.addFieldInt8(1, op.options.adjY ? 1 : 0, 0);
      return { tag: TflBuiltinOptions.BatchMatMulOptions, table: b.endObject() };
    }
    case 'ADD':
    case 'MUL': {
      b.startObject(1);
      b.addFieldInt8(0, activationCode(op.options.activation), 0);
      const tag = op.type === 'ADD' ? TflBuiltinOptions.AddOptions : TflBuiltinOptions.MulOptions;
      return { tag, table: b.endObject() };
    }
    // binary arithmetic with broadcasting
    case 'SUB':
    case 'DIV': {
      b.startObject(1);
      b.addFieldInt8(0, activationCode(op.options.activation), 0);
      const tag = op.type === 'SUB' ? TflBuiltinOptions.SubOptions : TflBuiltinOptions.DivOptions;
      return { tag, table: b.endObject() };
    }
    case 'MAXIMUM':
    case 'MINIMUM':
      return { tag: TflBuiltinOptions.MaximumMinimumOptions, table: emptyTable(b) };
    case 'SQUARED_DIFFERENCE':
      return { tag: TflBuiltinOptions.SquaredDifferenceOptions, table: emptyTable(b) };
    case 'POW':
      return { tag: TflBuiltinOptions.PowOptions, table: emptyTable(b) };
    case 'FLOOR_DIV':
      return { tag: TflBuiltinOptions.FloorDivOptions, table: emptyTable(b) };
    case 'FLOOR_MOD':
      return { tag: TflBuiltinOptions.FloorModOptions, table: emptyTable(b) };
    case 'MEAN':
    // Reductions and normalizations.
    case 'SUM':
    case 'REDUCE_MAX':
    case 'REDUCE_MIN':
    case 'REDUCE_PROD': {
      b.startObject(1);
      b.addFieldInt8(0, op.options.keepDims ? 1 : 0, 0);
      return { tag: TflBuiltinOptions.ReducerOptions, table: b.endObject() };
    }
    case 'L2_NORMALIZATION': {
      b.startObject(1);
      b.addFieldInt8(0, activationCode(op.options.activation), 0);
      return { tag: TflBuiltinOptions.L2NormOptions, table: b.endObject() };
    }
    case 'LOG_SOFTMAX':
      return { tag: TflBuiltinOptions.LogSoftmaxOptions, table: emptyTable(b) };
    case 'SOFTMAX': {
      b.startObject(1);
      // Always written (no default): the converter writes it, and −0 must not collapse into +0.
      b.addFieldFloat32(0, op.options.beta, null);
      return { tag: TflBuiltinOptions.SoftmaxOptions, table: b.endObject() };
    }
    case 'RESHAPE': {
      const { newShape } = op.options;
      if (!newShape) return { tag: TflBuiltinOptions.NONE, table: 0 };
      const vec = int32Vector(b, newShape);
      b.startObject(1);
      b.addFieldOffset(0, vec, 0);
      return { tag: TflBuiltinOptions.ReshapeOptions, table: b.endObject() };
    }
    case 'SQUEEZE': {
      const vec = int32Vector(b, op.options.squeezeDims);
      b.startObject(1);
      b.addFieldOffset(0, vec, 0);
      return { tag: TflBuiltinOptions.SqueezeOptions, table: b.endObject() };
    }
    case 'CONCATENATION': {
      b.startObject(2);
      b.addFieldInt32(0, op.options.axis, 0);
      b.addFieldInt8(1, activationCode(op.options.activation), 0);
      return { tag: TflBuiltinOptions.ConcatenationOptions, table: b.endObject() };
    }
    // Empty option tables, written because the converter writes them.
    case 'PAD':
      return { tag: TflBuiltinOptions.PadOptions, table: emptyTable(b) };
    case 'TRANSPOSE':
      return { tag: TflBuiltinOptions.TransposeOptions, table: emptyTable(b) };
    // Data movement family.
    case 'STRIDED_SLICE': {
      const o = op.options;
      b.startObject(6);
      b.addFieldInt32(0, o.beginMask, 0);
      b.addFieldInt32(1, o.endMask, 0);
      b.addFieldInt32(2, o.ellipsisMask, 0);
      b.addFieldInt32(3, o.newAxisMask, 0);
      b.addFieldInt32(4, o.shrinkAxisMask, 0);
      b.addFieldInt8(5, o.offset ? 1 : 0, 0);
      return { tag: TflBuiltinOptions.StridedSliceOptions, table: b.endObject() };
    }
    case 'SPLIT':
    case 'SPLIT_V': {
      b.startObject(1);
      b.addFieldInt32(0, op.options.numSplits, 0);
      return { tag: op.type === 'SPLIT' ? TflBuiltinOptions.SplitOptions : TflBuiltinOptions.SplitVOptions, table: b.endObject() };
    }
    case 'PACK': {
      b.startObject(2);
      b.addFieldInt32(0, op.options.valuesCount, 0);
      b.addFieldInt32(1, op.options.axis, 0);
      return { tag: TflBuiltinOptions.PackOptions, table: b.endObject() };
    }
    case 'UNPACK': {
      b.startObject(2);
      b.addFieldInt32(0, op.options.num, 0);
      b.addFieldInt32(1, op.options.axis, 0);
      return { tag: TflBuiltinOptions.UnpackOptions, table: b.endObject() };
    }
    case 'GATHER': {
      b.startObject(2);
      b.addFieldInt32(0, op.options.axis, 0);
      b.addFieldInt32(1, op.options.batchDims, 0);
      return { tag: TflBuiltinOptions.GatherOptions, table: b.endObject() };
    }
    case 'SHAPE': {
      b.startObject(1);
      // Always written: the schema's default (FLOAT32) is not what SHAPE means.
      b.addFieldInt8(0, op.options.outType === 'int32' ? TflTensorType.INT32 : TflTensorType.INT64, null);
      return { tag: TflBuiltinOptions.ShapeOptions, table: b.endObject() };
    }
    case 'DEPTH_TO_SPACE':
    case 'SPACE_TO_DEPTH': {
      b.startObject(1);
      b.addFieldInt32(0, op.options.blockSize, 0);
      return { tag: op.type === 'DEPTH_TO_SPACE' ? TflBuiltinOptions.DepthToSpaceOptions : TflBuiltinOptions.SpaceToDepthOptions, table: b.endObject() };
    }
    case 'SLICE':
      return { tag: TflBuiltinOptions.SliceOptions, table: emptyTable(b) };
    case 'GATHER_ND':
      return { tag: TflBuiltinOptions.GatherNdOptions, table: emptyTable(b) };
    case 'TILE':
      return { tag: TflBuiltinOptions.TileOptions, table: emptyTable(b) };
    case 'EXPAND_DIMS':
      return { tag: TflBuiltinOptions.ExpandDimsOptions, table: emptyTable(b) };
    case 'BROADCAST_TO':
      return { tag: TflBuiltinOptions.BroadcastToOptions, table: emptyTable(b) };
    case 'REVERSE_V2':
      return { tag: TflBuiltinOptions.ReverseV2Options, table: emptyTable(b) };
    case 'SPACE_TO_BATCH_ND':
      return { tag: TflBuiltinOptions.SpaceToBatchNDOptions, table: emptyTable(b) };
    case 'BATCH_TO_SPACE_ND':
      return { tag: TflBuiltinOptions.BatchToSpaceNDOptions, table: emptyTable(b) };
    case 'QUANTIZE':
      return { tag: TflBuiltinOptions.QuantizeOptions, table: emptyTable(b) };
    case 'DEQUANTIZE':
      return { tag: TflBuiltinOptions.DequantizeOptions, table: emptyTable(b) };
    case 'LOGISTIC':
    case 'RELU':
    case 'RELU6':
      return { tag: TflBuiltinOptions.NONE, table: 0 };
    // Resize, arg reductions and casts.
    case 'RESIZE_BILINEAR': {
      b.startObject(4);
      b.addFieldInt8(2, op.options.alignCorners ? 1 : 0, 0);
      b.addFieldInt8(3, op.options.halfPixelCenters ? 1 : 0, 0);
      return { tag: TflBuiltinOptions.ResizeBilinearOptions, table: b.endObject() };
    }
    case 'RESIZE_NEAREST_NEIGHBOR': {
      b.startObject(2);
      b.addFieldInt8(0, op.options.alignCorners ? 1 : 0, 0);
      b.addFieldInt8(1, op.options.halfPixelCenters ? 1 : 0, 0);
      return { tag: TflBuiltinOptions.ResizeNearestNeighborOptions, table: b.endObject() };
    }
    case 'ARG_MAX':
    case 'ARG_MIN': {
      b.startObject(1);
      // Always written: the schema's default (FLOAT32) is not an index type.
      b.addFieldInt8(0, op.options.outputType === 'int32' ? TflTensorType.INT32 : TflTensorType.INT64, null);
      return { tag: op.type === 'ARG_MAX' ? TflBuiltinOptions.ArgMaxOptions : TflBuiltinOptions.ArgMinOptions, table: b.endObject() };
    }
    case 'CAST':
      // No CastOptions: the tensors' types are what TFLite's cast.cc reads.
      return { tag: TflBuiltinOptions.NONE, table: 0 };
    // Unary activations and math.
    case 'LEAKY_RELU': {
      b.startObject(1);
      // Always written, as SOFTMAX's beta: −0 must not collapse into +0.
      b.addFieldFloat32(0, op.options.alpha, null);
      return { tag: TflBuiltinOptions.LeakyReluOptions, table: b.endObject() };
    }
    case 'GELU': {
      b.startObject(1);
      b.addFieldInt8(0, op.options.approximate ? 1 : 0, 0);
      return { tag: TflBuiltinOptions.GeluOptions, table: b.endObject() };
    }
    case 'HARD_SWISH':
      return { tag: TflBuiltinOptions.HardSwishOptions, table: emptyTable(b) };
    case 'EXP':
      return { tag: TflBuiltinOptions.ExpOptions, table: emptyTable(b) };
    case 'NEG':
      return { tag: TflBuiltinOptions.NegOptions, table: emptyTable(b) };
    case 'SQUARE':
      return { tag: TflBuiltinOptions.SquareOptions, table: emptyTable(b) };
    case 'ABS':
      return { tag: TflBuiltinOptions.AbsOptions, table: emptyTable(b) };
    // A custom op: no builtin options; writeOperator writes its custom_options.
    case 'DETECTION_POSTPROCESS':
      return { tag: TflBuiltinOptions.NONE, table: 0 };
    default: {
      // No options table (TFLite reads the defaults, which are all there is). An op type with
      // options that is not a case above does not compile here.
      const optionless: OptionlessOpType = op.type;
      void optionless;
      return { tag: TflBuiltinOptions.NONE, table: 0 };
    }
  }
}

function writeOperator(b: Builder, op: OpIR, opcodeIndex: number): number {
  const inputs = int32Vector(b, op.inputs);
  const outputs = int32Vector(b, op.outputs);
  const options = writeOptions(b, op);
  const custom = op.type === 'DETECTION_POSTPROCESS' ? b.createByteVector(encodeDetectionPostprocessOptions(op.options)) : 0;
  // Operator: opcode_index 0, inputs 1, outputs 2, builtin_options_type 3, builtin_options 4,
  // custom_options 5 (custom_options_format 6 left at FLEXBUFFERS).
  b.startObject(6);
  b.addFieldInt32(0, opcodeIndex, 0);
  b.addFieldOffset(1, inputs, 0);
  b.addFieldOffset(2, outputs, 0);
  b.addFieldInt8(3, options.tag, TflBuiltinOptions.NONE);
  if (options.table) b.addFieldOffset(4, options.table, 0);
  if (custom) b.addFieldOffset(5, custom, 0);
  return b.endObject();
}
