// .tflite bytes → Graph IR. Reads subgraph 0 through the bounds-checked accessors in
// tflite-schema.ts, maps tensors, quantization, constant data and operator options, then checks
// that the graph is executable in its stored order. Every failure is a typed error from errors.ts.

import {
  DTYPE_BYTES,
  type Activation,
  type DType,
  type Graph,
  type GraphListing,
  type OpaqueOpIR,
  type OpIR,
  type OpOf,
  OP_TYPES,
  type OpOptionsByType,
  type OpType,
  type OptionlessOpType,
  type Padding,
  type QuantParams,
  type TensorIR,
} from './graph.ts';
import {
  ModelFormatError,
  UnsupportedOpError,
  UnsupportedTensorTypeError,
  builtinOperatorName,
  type UnsupportedOp,
  tensorTypeName,
} from './errors.ts';
import {
  TFL_ACTIVATION_NAMES,
  TFL_FC_WEIGHTS_FORMAT_DEFAULT,
  TFL_PADDING_NAMES,
  TFLITE_FILE_IDENTIFIER,
  TFLITE_SCHEMA_VERSION,
  FlatBufferReader,
  TflActivationOnlyOptions,
  TflBuiltinOperator,
  TflBuiltinOptions,
  TflConcatenationOptions,
  TflConv2DOptions,
  TflDepthwiseConv2DOptions,
  TflFullyConnectedOptions,
  TflTransposeConvOptions,
  TflBatchMatMulOptions,
  TflModel,
  TflPool2DOptions,
  TflReducerOptions,
  TflReshapeOptions,
  TflSoftmaxOptions,
  TflSqueezeOptions,
  TflLeakyReluOptions,
  TflGeluOptions,
  TflTensorType,
  // Data movement family.
  TflBlockSizeOptions,
  TflGatherOptions,
  TflPackOptions,
  TflShapeOptions,
  TflSplitOptions,
  TflStridedSliceOptions,
  // Resize, arg reductions and casts.
  TflArgMinMaxOptions,
  TflResizeBilinearOptions,
  TflResizeNearestNeighborOptions,
  type TableClass,
  type TableVector,
  type TflBuffer,
  type TflOperator,
  type TflOperatorCode,
  type TflTensor,
} from './tflite-schema.ts';
import { ConvFamilyShapeError, batchMatMulGeometry, transposeConvGeometry } from './conv-family.ts';
import {
  DETECTION_POSTPROCESS_CUSTOM_CODE,
  DetectionShapeError,
  detectionGeometry,
  readDetectionPostprocessOptions,
} from './detection-postprocess.ts';
import { ReduceShapeError, checkReduceFamilyOp } from './reduce-shape.ts';

/** TFLite TensorType → DType for the element types Octet handles. */
const DTYPE_OF_TENSOR_TYPE: ReadonlyMap<number, DType> = new Map<number, DType>([
  [TflTensorType.FLOAT32, 'float32'],
  [TflTensorType.INT8, 'int8'],
  [TflTensorType.UINT8, 'uint8'],
  [TflTensorType.INT16, 'int16'],
  [TflTensorType.INT32, 'int32'],
  [TflTensorType.INT64, 'int64'],
  [TflTensorType.BOOL, 'bool'],
]);

/** Every OpType, keyed by TFLite builtin code; the names are the same as TFLite's. */
const OP_TYPE_OF_BUILTIN: ReadonlyMap<number, OpType> = new Map<number, OpType>(
  // DETECTION_POSTPROCESS is a custom op, matched by its custom code in readOperator.
  OP_TYPES.filter((t): t is Exclude<OpType, 'DETECTION_POSTPROCESS'> => t !== 'DETECTION_POSTPROCESS').map((t) => [TflBuiltinOperator[t], t]),
);

/** The op types the importer understands (the keys of OpOptionsByType). */
export const SUPPORTED_OP_TYPES: ReadonlySet<OpType> = new Set(OP_TYPE_OF_BUILTIN.values());

/** Larger element counts cannot be addressed by 32-bit indices on the GPU, and signal corruption anyway. */
const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/**
 * Parses a .tflite file into the Graph IR (subgraph 0; other subgraphs are ignored).
 * @param name the graph's name; defaults to the subgraph's name in the file.
 * @throws ModelFormatError for malformed files, UnsupportedTensorTypeError for a tensor type Octet
 *   does not handle, and UnsupportedOpError naming every operator Octet does not read (all of
 *   them, in operator order, in its `ops`), for valid files that use what Octet does not run.
 */
export function importTflite(bytes: Uint8Array, name?: string): Graph {
  const listing = readModel(bytes, name);
  const unsupported = listing.ops.filter((op): op is OpaqueOpIR => 'opaque' in op);
  if (unsupported.length > 0) throw new UnsupportedOpError(unsupported.map(unsupportedOfOpaque));
  const graph = { ...listing, ops: listing.ops as OpIR[] };
  validateGraph(graph);
  return graph;
}

/**
 * Parses a .tflite file for listing it (`octet inspect`), also when Octet cannot run it: an
 * operator the importer does not read stays in place as an OpaqueOpIR (name, version, tensors,
 * reason). The same structural checks as importTflite apply.
 * @throws ModelFormatError, UnsupportedTensorTypeError as importTflite; never UnsupportedOpError.
 */
export function importTfliteListing(bytes: Uint8Array, name?: string): GraphListing {
  const listing = readModel(bytes, name);
  validateGraph(listing);
  return listing;
}

/** The reason an opaque op carries when its type itself is what Octet does not run. */
const NO_KERNEL = 'Octet has no kernel for this op';

function unsupportedOfOpaque(op: OpaqueOpIR): UnsupportedOp {
  const detail = op.reason === NO_KERNEL ? undefined : op.reason;
  return { opName: op.name, version: op.version, opIndex: op.index, ...(detail ? { detail } : {}) };
}

function readModel(bytes: Uint8Array, name?: string): GraphListing {
  if (!(bytes instanceof Uint8Array)) {
    throw new ModelFormatError('file', 'expected the model as a Uint8Array');
  }
  if (bytes.length < 8) {
    throw new ModelFormatError('file', `${bytes.length} bytes is too short for a TFLite model (a header alone is 8 bytes)`);
  }
  const reader = new FlatBufferReader(bytes);
  const identifier = reader.fileIdentifier();
  if (identifier !== TFLITE_FILE_IDENTIFIER) {
    throw new ModelFormatError('file', `not a TFLite model: file identifier is '${identifier}' (expected '${TFLITE_FILE_IDENTIFIER}')`);
  }
  const model = new TflModel(reader, reader.rootTablePosition(), 'model');
  const version = model.version();
  if (version !== TFLITE_SCHEMA_VERSION) {
    throw new ModelFormatError('model', `schema version ${version} is not supported (expected ${TFLITE_SCHEMA_VERSION})`);
  }
  const subgraphs = model.subgraphs();
  if (subgraphs.length === 0) {
    throw new ModelFormatError('model', 'the main subgraph (subgraph 0) is missing: the model has no subgraphs');
  }
  const subgraph = subgraphs.get(0);
  const buffers = model.buffers();
  if (buffers.length > 0 && buffers.get(0).data().length > 0) {
    throw new ModelFormatError('buffer 0', 'must be empty: it is the sentinel that tensors without data refer to');
  }

  const tflTensors = subgraph.tensors();
  const tensors: TensorIR[] = [];
  const reads = new ReadBudget(bytes.length);
  for (let id = 0; id < tflTensors.length; id++) {
    tensors.push(readTensor(tflTensors.get(id), id, buffers, reads));
  }

  const operatorCodes = model.operatorCodes();
  const tflOps = subgraph.operators();
  const ops: Array<OpIR | OpaqueOpIR> = [];
  for (let index = 0; index < tflOps.length; index++) {
    const tflOp = tflOps.get(index);
    try {
      ops.push(readOperator(tflOp, index, operatorCodes));
    } catch (e) {
      // Every unsupported op is collected (the caller names them all); a format error still stops here.
      if (!(e instanceof UnsupportedOpError)) throw e;
      const op = e.ops[0]!;
      ops.push({
        opaque: true,
        index,
        name: op.opName,
        version: op.version,
        inputs: Array.from(tflOp.inputs()),
        outputs: Array.from(tflOp.outputs()),
        reason: op.detail ?? NO_KERNEL,
      });
    }
  }

  return {
    name: name ?? subgraph.name() ?? '',
    description: model.description() ?? '',
    tensors,
    ops,
    inputs: Array.from(subgraph.inputs()),
    outputs: Array.from(subgraph.outputs()),
  };
}

function tensorWhere(id: number, name: string): string {
  return `tensor ${id} '${name}'`;
}

/**
 * Flatbuffers may legally point many references at one table, vector or buffer. Reading each
 * reference anew would let a small hostile file cost time and memory quadratic in its size, so
 * buffer copies are shared per buffer index and every other read (shapes, names) is charged to a
 * budget proportional to the file.
 */
/** Bytes of reads (shapes, names, buffer copies) an import may make from a file of this size. */
export function importReadBudget(fileBytes: number): number {
  return 4 * fileBytes + (1 << 20);
}

class ReadBudget {
  private spent = 0;
  readonly bufferCopies = new Map<number, Uint8Array>();
  private readonly limit: number;

  constructor(private readonly fileBytes: number) {
    this.limit = importReadBudget(fileBytes);
  }

  charge(where: string, bytes: number): void {
    this.spent += bytes;
    if (this.spent > this.limit) {
      throw new ModelFormatError(where, `the file refers to the same data over and over (more than ${this.limit} bytes of reads from a ${this.fileBytes}-byte file)`);
    }
  }
}

/** Product of the dims, stopping at the limit: a running product can overflow to Infinity and then × 0 to NaN. */
function checkedElementCount(shape: readonly number[], where: string): number {
  if (shape.includes(0)) return 0;
  let elements = 1;
  for (const d of shape) {
    elements *= d;
    if (elements > MAX_TENSOR_ELEMENTS) {
      throw new ModelFormatError(where, `shape [${shape}] has more than ${MAX_TENSOR_ELEMENTS} elements`);
    }
  }
  return elements;
}

function readTensor(t: TflTensor, id: number, buffers: TableVector<TflBuffer>, reads: ReadBudget): TensorIR {
  const name = t.name() ?? '';
  const where = tensorWhere(id, name);
  const shape = Array.from(t.shape());
  reads.charge(where, 64 + name.length + shape.length * 4);
  if (shape.some((d) => d < 0)) {
    throw new ModelFormatError(where, `shape [${shape}] has a negative dimension`);
  }
  const elements = checkedElementCount(shape, where);
  const typeCode = t.type();
  const dtype = DTYPE_OF_TENSOR_TYPE.get(typeCode);
  if (!dtype) throw new UnsupportedTensorTypeError(where, tensorTypeName(typeCode));
  if (t.hasSparsity()) throw new UnsupportedTensorTypeError(where, 'SPARSE', 'sparse tensors are not supported');

  const tensor: TensorIR = { id, name, shape, dtype };
  const quant = readQuantization(t, where, shape);
  if (quant) tensor.quant = quant;

  const bufferIndex = t.buffer();
  // Buffer 0 is the empty sentinel; tolerate files that omit the buffers list altogether.
  if (bufferIndex === 0 && buffers.length === 0) return tensor;
  if (bufferIndex >= buffers.length) {
    throw new ModelFormatError(where, `buffer index ${bufferIndex} out of range (model has ${buffers.length} buffers)`);
  }
  const buffer = buffers.get(bufferIndex);
  const externalOffset = buffer.externalOffset();
  if (externalOffset > 1n) {
    throw new ModelFormatError(
      `${where} → buffer ${bufferIndex}`,
      `data is stored outside the flatbuffer (offset ${externalOffset}, size ${buffer.externalSize()}); ` +
        'models over 2 GB with external buffers are not supported',
    );
  }
  const data = buffer.data();
  if (data.length > 0) {
    const expected = elements * DTYPE_BYTES[dtype];
    if (data.length !== expected) {
      throw new ModelFormatError(
        where,
        `constant data is ${data.length} bytes but shape [${shape}] of ${dtype} needs ${expected}`,
      );
    }
    // A copy: aligned at offset 0 (typed-array views work) and independent of the file's lifetime;
    // tensors naming the same buffer share one copy (constant data is never written).
    let copy = reads.bufferCopies.get(bufferIndex);
    if (!copy) {
      reads.charge(where, data.length);
      copy = data.slice();
      reads.bufferCopies.set(bufferIndex, copy);
    }
    tensor.data = copy;
  }
  return tensor;
}

function readQuantization(t: TflTensor, where: string, shape: number[]): QuantParams | undefined {
  const q = t.quantization();
  if (!q) return undefined;
  if (q.detailsType() !== 0) {
    throw new UnsupportedTensorTypeError(where, 'CUSTOM_QUANTIZATION', 'quantization details other than affine scale/zero point');
  }
  const scales = q.scale();
  // Min/max only (or nothing): the tensor is not quantized for inference.
  if (!scales || scales.length === 0) return undefined;
  const zeroPoints = q.zeroPoint();
  if (!zeroPoints || zeroPoints.length !== scales.length) {
    throw new ModelFormatError(where, `quantization has ${scales.length} scales but ${zeroPoints?.length ?? 0} zero points`);
  }
  const scale = new Float64Array(scales.length);
  const zeroPoint = new Int32Array(scales.length);
  for (let i = 0; i < scales.length; i++) {
    if (!Number.isFinite(scales[i]) || scales[i] < 0) {
      throw new ModelFormatError(where, `quantization scale[${i}] = ${scales[i]} is not a finite non-negative number`);
    }
    const zp = zeroPoints[i];
    if (zp < -(2n ** 31n) || zp >= 2n ** 31n) {
      throw new ModelFormatError(where, `quantization zero_point[${i}] = ${zp} does not fit in int32`);
    }
    scale[i] = scales[i];
    zeroPoint[i] = Number(zp);
  }
  const rank = shape.length;
  const dim = q.quantizedDimension();
  let axis: number;
  if (dim >= 0 && dim < rank) {
    axis = dim;
  } else if (scales.length === 1 || rank <= 1) {
    // The axis is meaningless for per-tensor parameters, and a rank-1 tensor has only axis 0
    // (person_detect.tflite's biases carry quantized_dimension 3, copied from the weights).
    axis = 0;
  } else {
    throw new ModelFormatError(where, `quantized_dimension ${dim} is out of range for shape [${shape}]`);
  }
  if (scales.length > 1 && scales.length !== (shape[axis] ?? 0)) {
    throw new ModelFormatError(
      where,
      `has ${scales.length} per-channel scales but dimension ${axis} of shape [${shape}] is ${shape[axis] ?? 0}`,
    );
  }
  return { scale, zeroPoint, axis };
}

function readOperator(op: TflOperator, index: number, codes: TableVector<TflOperatorCode>): OpIR {
  const opcodeIndex = op.opcodeIndex();
  if (opcodeIndex >= codes.length) {
    throw new ModelFormatError(`operator ${index}`, `opcode_index ${opcodeIndex} out of range (model has ${codes.length} operator codes)`);
  }
  const code = codes.get(opcodeIndex);
  const builtin = code.builtinCode();
  const version = code.version();
  // The one custom op Octet runs: TFLite_Detection_PostProcess, its options in FlexBuffers.
  if (builtin === TflBuiltinOperator.CUSTOM && code.customCode() === DETECTION_POSTPROCESS_CUSTOM_CODE) {
    const where = `operator ${index} (DETECTION_POSTPROCESS)`;
    if (op.customOptionsFormat() !== 0) {
      throw new ModelFormatError(where, `custom_options_format ${op.customOptionsFormat()} is not FLEXBUFFERS (0)`);
    }
    const options = readDetectionPostprocessOptions(op.customOptions(), where);
    return { index, type: 'DETECTION_POSTPROCESS', version, inputs: Array.from(op.inputs()), outputs: Array.from(op.outputs()), options };
  }
  const type = OP_TYPE_OF_BUILTIN.get(builtin);
  if (!type) {
    const opName =
      builtin === TflBuiltinOperator.CUSTOM ? `CUSTOM '${code.customCode() ?? ''}'` : builtinOperatorName(builtin);
    throw new UnsupportedOpError(opName, version, index);
  }
  const where = `operator ${index} (${type})`;
  const inputs = Array.from(op.inputs());
  const outputs = Array.from(op.outputs());
  const options = readOptions(type, op, where, version, index);
  return { index, type, version, inputs, outputs, options } as OpIR;
}

/**
 * The options table for `type`, or null when the operator has none (flatbuffers semantics: an
 * absent table reads as all defaults). A table of another type is a format error.
 */
function expectOptions<T>(op: TflOperator, tag: number, cls: TableClass<T>, where: string): T | null {
  const actual = op.builtinOptionsType();
  if (actual === TflBuiltinOptions.NONE) return null;
  if (actual !== tag) {
    throw new ModelFormatError(where, `builtin_options has union type ${actual}, expected ${tag} (${cls.name.replace(/^Tfl/, '')})`);
  }
  return op.builtinOptions(cls);
}

function activationOf(code: number, where: string): Activation {
  const name = TFL_ACTIVATION_NAMES[code];
  if (name === undefined) throw new ModelFormatError(where, `fused_activation_function ${code} is not a known activation`);
  return name;
}

function paddingOf(code: number, where: string): Padding {
  const name = TFL_PADDING_NAMES[code];
  if (name === undefined) throw new ModelFormatError(where, `padding ${code} is neither SAME (0) nor VALID (1)`);
  return name;
}

function positive(value: number, field: string, where: string): number {
  if (value < 1) throw new ModelFormatError(where, `${field} ${value} must be at least 1`);
  return value;
}

function readOptions(type: OpType, op: TflOperator, where: string, version: number, index: number): OpOptionsByType[OpType] {
  switch (type) {
    case 'CONV_2D': {
      const o = expectOptions(op, TflBuiltinOptions.Conv2DOptions, TflConv2DOptions, where);
      return {
        padding: paddingOf(o?.padding() ?? 0, where),
        strideH: positive(o?.strideH() ?? 0, 'stride_h', where),
        strideW: positive(o?.strideW() ?? 0, 'stride_w', where),
        dilationH: positive(o?.dilationH() ?? 1, 'dilation_h_factor', where),
        dilationW: positive(o?.dilationW() ?? 1, 'dilation_w_factor', where),
        activation: activationOf(o?.fusedActivation() ?? 0, where),
      } satisfies OpOptionsByType['CONV_2D'];
    }
    case 'DEPTHWISE_CONV_2D': {
      const o = expectOptions(op, TflBuiltinOptions.DepthwiseConv2DOptions, TflDepthwiseConv2DOptions, where);
      return {
        padding: paddingOf(o?.padding() ?? 0, where),
        strideH: positive(o?.strideH() ?? 0, 'stride_h', where),
        strideW: positive(o?.strideW() ?? 0, 'stride_w', where),
        dilationH: positive(o?.dilationH() ?? 1, 'dilation_h_factor', where),
        dilationW: positive(o?.dilationW() ?? 1, 'dilation_w_factor', where),
        activation: activationOf(o?.fusedActivation() ?? 0, where),
        // Kept as stored: newer runtimes ignore it and derive the multiplier from the shapes.
        depthMultiplier: o?.depthMultiplier() ?? 0,
      } satisfies OpOptionsByType['DEPTHWISE_CONV_2D'];
    }
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D': {
      const o = expectOptions(op, TflBuiltinOptions.Pool2DOptions, TflPool2DOptions, where);
      return {
        padding: paddingOf(o?.padding() ?? 0, where),
        strideH: positive(o?.strideH() ?? 0, 'stride_h', where),
        strideW: positive(o?.strideW() ?? 0, 'stride_w', where),
        filterH: positive(o?.filterHeight() ?? 0, 'filter_height', where),
        filterW: positive(o?.filterWidth() ?? 0, 'filter_width', where),
        activation: activationOf(o?.fusedActivation() ?? 0, where),
      } satisfies OpOptionsByType['MAX_POOL_2D'];
    }
    case 'FULLY_CONNECTED': {
      const o = expectOptions(op, TflBuiltinOptions.FullyConnectedOptions, TflFullyConnectedOptions, where);
      const weightsFormat = o?.weightsFormat() ?? TFL_FC_WEIGHTS_FORMAT_DEFAULT;
      if (weightsFormat !== TFL_FC_WEIGHTS_FORMAT_DEFAULT) {
        throw new UnsupportedOpError('FULLY_CONNECTED', version, index, `weights_format ${weightsFormat} (shuffled weights) is not supported`);
      }
      return {
        activation: activationOf(o?.fusedActivation() ?? 0, where),
        keepNumDims: o?.keepNumDims() ?? false,
      } satisfies OpOptionsByType['FULLY_CONNECTED'];
    }
    // Convolution family additions.
    case 'TRANSPOSE_CONV': {
      const o = expectOptions(op, TflBuiltinOptions.TransposeConvOptions, TflTransposeConvOptions, where);
      return {
        padding: paddingOf(o?.padding() ?? 0, where),
        strideH: positive(o?.strideH() ?? 0, 'stride_h', where),
        strideW: positive(o?.strideW() ?? 0, 'stride_w', where),
        activation: activationOf(o?.fusedActivation() ?? 0, where),
      } satisfies OpOptionsByType['TRANSPOSE_CONV'];
    }
    case 'BATCH_MATMUL': {
      const o = expectOptions(op, TflBuiltinOptions.BatchMatMulOptions, TflBatchMatMulOptions, where);
      return { adjX: o?.adjX() ?? false, adjY: o?.adjY() ?? false } satisfies OpOptionsByType['BATCH_MATMUL'];
    }
    case 'ADD': {
      const o = expectOptions(op, TflBuiltinOptions.AddOptions, TflActivationOnlyOptions, where);
      return { activation: activationOf(o?.fusedActivation() ?? 0, where) };
    }
    case 'MUL': {
      const o = expectOptions(op, TflBuiltinOptions.MulOptions, TflActivationOnlyOptions, where);
      return { activation: activationOf(o?.fusedActivation() ?? 0, where) };
    }
    // binary arithmetic with broadcasting
    case 'SUB': {
      const o = expectOptions(op, TflBuiltinOptions.SubOptions, TflActivationOnlyOptions, where);
      return { activation: activationOf(o?.fusedActivation() ?? 0, where) };
    }
    case 'DIV': {
      const o = expectOptions(op, TflBuiltinOptions.DivOptions, TflActivationOnlyOptions, where);
      return { activation: activationOf(o?.fusedActivation() ?? 0, where) };
    }
    case 'MAXIMUM':
    case 'MINIMUM':
    case 'SQUARED_DIFFERENCE':
    case 'POW':
    case 'FLOOR_DIV':
    case 'FLOOR_MOD':
      // Empty option tables (MaximumMinimumOptions, PowOptions, …): nothing changes the computation.
      return {};
    case 'MEAN':
    // Reductions and normalizations.
    case 'SUM':
    case 'REDUCE_MAX':
    case 'REDUCE_MIN':
    case 'REDUCE_PROD': {
      const o = expectOptions(op, TflBuiltinOptions.ReducerOptions, TflReducerOptions, where);
      return { keepDims: o?.keepDims() ?? false } satisfies OpOptionsByType['MEAN'];
    }
    case 'L2_NORMALIZATION': {
      const o = expectOptions(op, TflBuiltinOptions.L2NormOptions, TflActivationOnlyOptions, where);
      return { activation: activationOf(o?.fusedActivation() ?? 0, where) } satisfies OpOptionsByType['L2_NORMALIZATION'];
    }
    case 'LOG_SOFTMAX':
      return {};
    case 'SOFTMAX': {
      const o = expectOptions(op, TflBuiltinOptions.SoftmaxOptions, TflSoftmaxOptions, where);
      return { beta: o?.beta() ?? 0 } satisfies OpOptionsByType['SOFTMAX'];
    }
    case 'RESHAPE': {
      const o = expectOptions(op, TflBuiltinOptions.ReshapeOptions, TflReshapeOptions, where);
      const newShape = o?.newShape();
      // Omitted rather than undefined, so graphs compare equal with toStrictEqual after a round trip.
      return newShape ? ({ newShape: Array.from(newShape) } satisfies OpOptionsByType['RESHAPE']) : {};
    }
    case 'SQUEEZE': {
      const o = expectOptions(op, TflBuiltinOptions.SqueezeOptions, TflSqueezeOptions, where);
      return { squeezeDims: Array.from(o?.squeezeDims() ?? []) } satisfies OpOptionsByType['SQUEEZE'];
    }
    case 'CONCATENATION': {
      const o = expectOptions(op, TflBuiltinOptions.ConcatenationOptions, TflConcatenationOptions, where);
      return {
        axis: o?.axis() ?? 0,
        activation: activationOf(o?.fusedActivation() ?? 0, where),
      } satisfies OpOptionsByType['CONCATENATION'];
    }
    // Data movement family.
    case 'STRIDED_SLICE': {
      const o = expectOptions(op, TflBuiltinOptions.StridedSliceOptions, TflStridedSliceOptions, where);
      return {
        beginMask: o?.beginMask() ?? 0,
        endMask: o?.endMask() ?? 0,
        ellipsisMask: o?.ellipsisMask() ?? 0,
        newAxisMask: o?.newAxisMask() ?? 0,
        shrinkAxisMask: o?.shrinkAxisMask() ?? 0,
        offset: o?.offset() ?? false,
      } satisfies OpOptionsByType['STRIDED_SLICE'];
    }
    case 'SPLIT':
    case 'SPLIT_V': {
      const tag = type === 'SPLIT' ? TflBuiltinOptions.SplitOptions : TflBuiltinOptions.SplitVOptions;
      const o = expectOptions(op, tag, TflSplitOptions, where);
      return { numSplits: o?.numSplits() ?? 0 } satisfies OpOptionsByType['SPLIT'];
    }
    case 'PACK': {
      const o = expectOptions(op, TflBuiltinOptions.PackOptions, TflPackOptions, where);
      return { valuesCount: o?.count() ?? 0, axis: o?.axis() ?? 0 } satisfies OpOptionsByType['PACK'];
    }
    case 'UNPACK': {
      const o = expectOptions(op, TflBuiltinOptions.UnpackOptions, TflPackOptions, where);
      return { num: o?.count() ?? 0, axis: o?.axis() ?? 0 } satisfies OpOptionsByType['UNPACK'];
    }
    case 'GATHER': {
      const o = expectOptions(op, TflBuiltinOptions.GatherOptions, TflGatherOptions, where);
      return { axis: o?.axis() ?? 0, batchDims: o?.batchDims() ?? 0 } satisfies OpOptionsByType['GATHER'];
    }
    case 'SHAPE': {
      const o = expectOptions(op, TflBuiltinOptions.ShapeOptions, TflShapeOptions, where);
      // Without an options table the converter's output tensor type decides; int32 is its default.
      const code = o ? o.outType() : TflTensorType.INT32;
      if (code !== TflTensorType.INT32 && code !== TflTensorType.INT64) {
        throw new UnsupportedOpError('SHAPE', version, index, `out_type ${tensorTypeName(code)} (TFLite's SHAPE gives int32 or int64)`);
      }
      return { outType: code === TflTensorType.INT32 ? 'int32' : 'int64' } satisfies OpOptionsByType['SHAPE'];
    }
    case 'DEPTH_TO_SPACE':
    case 'SPACE_TO_DEPTH': {
      const tag = type === 'DEPTH_TO_SPACE' ? TflBuiltinOptions.DepthToSpaceOptions : TflBuiltinOptions.SpaceToDepthOptions;
      const o = expectOptions(op, tag, TflBlockSizeOptions, where);
      return { blockSize: positive(o?.blockSize() ?? 0, 'block_size', where) } satisfies OpOptionsByType['DEPTH_TO_SPACE'];
    }
    case 'SLICE':
    case 'GATHER_ND':
    case 'TILE':
    case 'EXPAND_DIMS':
    case 'BROADCAST_TO':
    case 'REVERSE_V2':
    case 'SPACE_TO_BATCH_ND':
    case 'BATCH_TO_SPACE_ND':
      return {};
    // Resize, arg reductions and casts.
    case 'RESIZE_BILINEAR': {
      const o = expectOptions(op, TflBuiltinOptions.ResizeBilinearOptions, TflResizeBilinearOptions, where);
      return { alignCorners: o?.alignCorners() ?? false, halfPixelCenters: o?.halfPixelCenters() ?? false } satisfies OpOptionsByType['RESIZE_BILINEAR'];
    }
    case 'RESIZE_NEAREST_NEIGHBOR': {
      const o = expectOptions(op, TflBuiltinOptions.ResizeNearestNeighborOptions, TflResizeNearestNeighborOptions, where);
      return { alignCorners: o?.alignCorners() ?? false, halfPixelCenters: o?.halfPixelCenters() ?? false } satisfies OpOptionsByType['RESIZE_NEAREST_NEIGHBOR'];
    }
    case 'ARG_MAX':
    case 'ARG_MIN': {
      const tag = type === 'ARG_MAX' ? TflBuiltinOptions.ArgMaxOptions : TflBuiltinOptions.ArgMinOptions;
      const o = expectOptions(op, tag, TflArgMinMaxOptions, where);
      // Without an options table TensorFlow's default index type, int64 (validateGraph checks it
      // against the output tensor).
      const code = o ? o.outputType() : TflTensorType.INT64;
      if (code !== TflTensorType.INT32 && code !== TflTensorType.INT64) {
        throw new UnsupportedOpError(type, version, index, `output_type ${tensorTypeName(code)} (TFLite's ${type} gives int32 or int64)`);
      }
      return { outputType: code === TflTensorType.INT32 ? 'int32' : 'int64' } satisfies OpOptionsByType['ARG_MAX'];
    }
    case 'CAST':
      // CastOptions repeats the tensors' types; the tensors decide, as in TFLite's cast.cc.
      return {};
    // Unary activations and math.
    case 'LEAKY_RELU': {
      const o = expectOptions(op, TflBuiltinOptions.LeakyReluOptions, TflLeakyReluOptions, where);
      const alpha = o?.alpha() ?? 0;
      // TFLite takes any float; a NaN or infinite slope makes every negative input meaningless.
      if (!Number.isFinite(alpha)) throw new ModelFormatError(where, `alpha ${alpha} is not a finite number`);
      return { alpha } satisfies OpOptionsByType['LEAKY_RELU'];
    }
    case 'GELU': {
      const o = expectOptions(op, TflBuiltinOptions.GeluOptions, TflGeluOptions, where);
      return { approximate: o?.approximate() ?? false } satisfies OpOptionsByType['GELU'];
    }
    case 'DETECTION_POSTPROCESS':
      // A custom op: readOperator reads its custom_options before it gets here.
      throw new ModelFormatError(where, 'DETECTION_POSTPROCESS is a custom op, not a builtin');
    default: {
      // The rest have no options that change the computation (PadOptions, ExpOptions… are empty
      // tables, HARD_SWISH and the like have none). An op type with options that is not a case
      // above does not compile here.
      const optionless: OptionlessOpType = type;
      void optionless;
      return {};
    }
  }
}

/**
 * Checks that every tensor index is in range and that the stored operator order is executable:
 * each op reads only graph inputs, constants or tensors written by an earlier op, no tensor is
 * written twice, and every graph output is written by some op.
 */
function validateGraph(g: Graph | GraphListing): void {
  const count = g.tensors.length;
  const describe = (t: number) => tensorWhere(t, g.tensors[t].name);
  const checkIndex = (t: number, where: string, role: string) => {
    if (!Number.isInteger(t) || t < 0 || t >= count) {
      throw new ModelFormatError(where, `${role} tensor index ${t} out of range (subgraph has ${count} tensors)`);
    }
  };
  /** Why a tensor already holds a value: a graph input, a constant, or the writing operator. */
  const source: (string | undefined)[] = g.tensors.map((t) => (t.data ? 'a constant' : undefined));
  const writtenBy = new Int32Array(count).fill(-1);
  for (const t of g.inputs) {
    checkIndex(t, 'subgraph 0 inputs', 'input');
    if (g.tensors[t].data) throw new ModelFormatError('subgraph 0 inputs', `${describe(t)} is a constant, not an input`);
    source[t] = 'a graph input';
  }
  for (const op of g.ops) {
    const where = `operator ${op.index}`;
    for (const t of op.inputs) {
      if (t === -1) continue; // absent optional input
      checkIndex(t, where, 'input');
      if (source[t] === undefined) {
        throw new ModelFormatError(where, `reads tensor ${t} before any operator writes it (cycle or bad order)`);
      }
    }
    if (op.outputs.length === 0) throw new ModelFormatError(where, `${'opaque' in op ? op.name : op.type} has no outputs`);
    for (const t of op.outputs) {
      checkIndex(t, where, 'output');
      if (source[t] !== undefined) {
        throw new ModelFormatError(where, `writes ${describe(t)}, which is already ${source[t]}`);
      }
      source[t] = `the output of operator ${op.index}`;
      writtenBy[t] = op.index;
    }
  }
  // Convolution family additions: shape rules checked before anything is allocated.
  for (const op of g.ops) {
    if ('opaque' in op || (op.type !== 'TRANSPOSE_CONV' && op.type !== 'BATCH_MATMUL')) continue;
    try {
      if (op.type === 'TRANSPOSE_CONV') transposeConvGeometry(g, op);
      else batchMatMulGeometry(g, op);
    } catch (e) {
      if (e instanceof ConvFamilyShapeError) throw new ModelFormatError(`operator ${op.index} (${op.type})`, e.message);
      throw e;
    }
  }
  // Resize, arg reductions and casts: sizes and axes checked before anything is allocated.
  for (const op of g.ops) {
    if ('opaque' in op) continue;
    if (op.type === 'RESIZE_BILINEAR' || op.type === 'RESIZE_NEAREST_NEIGHBOR') validateResize(g, op);
    else if (op.type === 'ARG_MAX' || op.type === 'ARG_MIN') validateArgMinMax(g, op);
    else if (op.type === 'CAST') validateCast(g, op);
  }
  // TFLite_Detection_PostProcess: its shape rules, then the output shapes its Prepare sets (the
  // converter leaves them empty in the file), so every later stage sees static shapes.
  for (const op of g.ops) {
    if ('opaque' in op || op.type !== 'DETECTION_POSTPROCESS') continue;
    const where = `operator ${op.index} (DETECTION_POSTPROCESS)`;
    let shapes: number[][];
    try {
      shapes = detectionGeometry(g.tensors, op).outputShapes;
    } catch (e) {
      if (e instanceof DetectionShapeError) throw new ModelFormatError(where, e.message);
      throw e;
    }
    op.outputs.forEach((id, k) => {
      const t = g.tensors[id]!;
      if (t.dtype !== 'float32') throw new ModelFormatError(where, `output ${k} ${describe(id)} is ${t.dtype}; the op writes float32`);
      if (t.data) throw new ModelFormatError(where, `output ${k} ${describe(id)} is a constant`);
      const stored = t.shape.length > 0 && !(t.shape.length === 1 && t.shape[0] === 0);
      if (stored && t.shape.join() !== shapes[k]!.join()) {
        throw new ModelFormatError(where, `output ${k} ${describe(id)} has shape [${t.shape}] but the op's options give [${shapes[k]}]`);
      }
      g.tensors[id] = { ...t, shape: shapes[k]! };
    });
  }
  // Reductions and normalizations: axes and fixed output params checked before anything is allocated.
  for (const op of g.ops) {
    if ('opaque' in op) continue;
    try {
      checkReduceFamilyOp(g, op);
    } catch (e) {
      if (e instanceof ReduceShapeError) throw new ModelFormatError(`operator ${op.index} (${op.type})`, e.message);
      throw e;
    }
  }
  if (g.outputs.length === 0) throw new ModelFormatError('subgraph 0 outputs', 'the graph has no outputs');
  for (const t of g.outputs) {
    checkIndex(t, 'subgraph 0 outputs', 'output');
    if (writtenBy[t] < 0) {
      throw new ModelFormatError('subgraph 0 outputs', `graph output ${describe(t)} is never written by any operator`);
    }
  }
}

// ---- Resize, arg reductions and casts ----------------------------------------------------------

/**
 * XNNPACK's bound on resize dimensions (2^24: its coordinates are float32) and a sane bound for
 * every runtime; a size at or above it is a corrupt or hostile file.
 */
export const MAX_RESIZE_DIMENSION = 2 ** 24;

function opWhere(op: OpIR): string {
  return `operator ${op.index} (${op.type})`;
}

function tensorAt(g: Graph | GraphListing, op: OpIR, position: number, role: string): TensorIR {
  const id = op.inputs[position];
  if (id === undefined || id < 0) throw new ModelFormatError(opWhere(op), `needs its ${role} (input ${position}), which is absent`);
  return g.tensors[id]!;
}

function outputAt(g: Graph | GraphListing, op: OpIR): TensorIR {
  if (op.outputs.length !== 1) throw new ModelFormatError(opWhere(op), `has ${op.outputs.length} outputs, expected 1`);
  return g.tensors[op.outputs[0]!]!;
}

/** Little-endian int32 or int64 constant values (shape operands). */
function constantIntegers(t: TensorIR): number[] {
  const view = new DataView(t.data!.buffer, t.data!.byteOffset, t.data!.byteLength);
  if (t.dtype === 'int32') return Array.from({ length: t.data!.byteLength / 4 }, (_, i) => view.getInt32(i * 4, true));
  return Array.from({ length: t.data!.byteLength / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
}

/**
 * RESIZE_*: input [N, H, W, C]; size (input 1) int32 [2] = [new_height, new_width], each in
 * [1, 2^24); when the size is a constant, the output must be [N, new_height, new_width, C]
 * (a computed size is left to the constant-folding pass and the kernels, which need it constant).
 */
function validateResize(g: Graph | GraphListing, op: OpOf<'RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR'>): void {
  const where = opWhere(op);
  const input = tensorAt(g, op, 0, 'input');
  const size = tensorAt(g, op, 1, 'size');
  const output = outputAt(g, op);
  if (input.shape.length !== 4) throw new ModelFormatError(where, `input '${input.name}' has shape [${input.shape}]; resize takes [batch, height, width, channels]`);
  if (size.dtype !== 'int32') throw new ModelFormatError(where, `size '${size.name}' is ${size.dtype}; TFLite takes an int32 [2] size`);
  if (size.shape.length !== 1 || size.shape[0] !== 2) throw new ModelFormatError(where, `size '${size.name}' has shape [${size.shape}], expected [2]`);
  if (output.dtype !== input.dtype) throw new ModelFormatError(where, `output '${output.name}' is ${output.dtype} but the input is ${input.dtype}`);
  if (output.shape.length !== 4) throw new ModelFormatError(where, `output '${output.name}' has shape [${output.shape}], expected rank 4`);
  if (op.type === 'RESIZE_BILINEAR' && op.options.alignCorners && op.options.halfPixelCenters) {
    // TFLite's Prepare refuses it too: "If half_pixel_centers is True, align_corners must be False."
    throw new ModelFormatError(where, 'align_corners and half_pixel_centers are both set; TFLite refuses the pair');
  }
  if (!size.data) return;
  const [h, w] = constantIntegers(size) as [number, number];
  for (const [name, v] of [['height', h], ['width', w]] as const) {
    if (v < 1 || v >= MAX_RESIZE_DIMENSION) throw new ModelFormatError(where, `new ${name} ${v} is outside [1, ${MAX_RESIZE_DIMENSION - 1}]`);
  }
  const expected = [input.shape[0]!, h, w, input.shape[3]!];
  if (output.shape.some((d, i) => d !== expected[i])) {
    throw new ModelFormatError(where, `output '${output.name}' has shape [${output.shape}] but the size [${h}, ${w}] makes [${expected}]`);
  }
}

/** ARG_MAX/ARG_MIN: the axis (input 1) an int32/int64 scalar or [1] inside the input's rank; the output the input without that axis, of the option's index type. */
function validateArgMinMax(g: Graph | GraphListing, op: OpOf<'ARG_MAX' | 'ARG_MIN'>): void {
  const where = opWhere(op);
  const input = tensorAt(g, op, 0, 'input');
  const axisTensor = tensorAt(g, op, 1, 'axis');
  const output = outputAt(g, op);
  if (output.dtype !== op.options.outputType) {
    throw new ModelFormatError(where, `output '${output.name}' is ${output.dtype} but output_type says ${op.options.outputType}`);
  }
  if (axisTensor.dtype !== 'int32' && axisTensor.dtype !== 'int64') throw new ModelFormatError(where, `axis '${axisTensor.name}' is ${axisTensor.dtype}, expected int32 or int64`);
  if (!axisTensor.data) return;
  const values = constantIntegers(axisTensor);
  if (values.length !== 1) throw new ModelFormatError(where, `axis '${axisTensor.name}' holds ${values.length} values, expected 1`);
  const rank = input.shape.length;
  const axis = values[0]! < 0 ? values[0]! + rank : values[0]!;
  if (axis < 0 || axis >= rank) throw new ModelFormatError(where, `axis ${values[0]} is outside the input's rank ${rank}`);
  if (input.shape[axis] === 0) throw new ModelFormatError(where, `axis ${values[0]} of input '${input.name}' [${input.shape}] is empty: there is no index to return`);
  const expected = input.shape.filter((_, d) => d !== axis);
  if (output.shape.length !== expected.length || output.shape.some((d, i) => d !== expected[i])) {
    throw new ModelFormatError(where, `output '${output.name}' has shape [${output.shape}], expected [${expected}]`);
  }
}

/** CAST: one input, one output of the same shape. */
function validateCast(g: Graph | GraphListing, op: OpOf<'CAST'>): void {
  const where = opWhere(op);
  const input = tensorAt(g, op, 0, 'input');
  const output = outputAt(g, op);
  if (input.shape.length !== output.shape.length || input.shape.some((d, i) => d !== output.shape[i])) {
    throw new ModelFormatError(where, `output '${output.name}' has shape [${output.shape}] but the input has [${input.shape}]`);
  }
}
