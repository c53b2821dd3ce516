// Graph IR: what every later stage (planner, GPU program, CPU reference, float path) consumes.
// It knows nothing about files: the TFLite importer produces it, and tests build it by hand.

export type DType = 'float32' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';

export const DTYPE_BYTES: Record<DType, number> = {
  float32: 4,
  int8: 1,
  uint8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  bool: 1,
};

/**
 * Affine quantization: real = scale[i] × (q − zeroPoint[i]).
 * Per-tensor when scale.length === 1; otherwise per channel along `axis`.
 */
export interface QuantParams {
  scale: Float64Array;
  zeroPoint: Int32Array;
  axis: number;
}

export interface TensorIR {
  id: number;
  name: string;
  shape: number[];
  dtype: DType;
  quant?: QuantParams;
  /** Constant data (weights, biases, shape operands), little-endian bytes; absent for activations. */
  data?: Uint8Array;
}

export type Activation = 'NONE' | 'RELU' | 'RELU6' | 'RELU_N1_TO_1' | 'TANH' | 'SIGN_BIT';
export type Padding = 'SAME' | 'VALID';

/** Rows and columns of input zero point (real 0) around the image, as a PAD before the op adds them. */
export interface ExplicitPadding {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

/** The window options CONV_2D and DEPTHWISE_CONV_2D share. */
export interface ConvolutionOptions {
  padding: Padding;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  activation: Activation;
  /**
   * Never imported (TFLite has no such field): set by the GPU load pass that folds a PAD into
   * the convolution after it (src/passes/fold-pad.ts), with `padding` 'VALID'. The window then
   * runs VALID over the input padded by these counts, which every stage computes alike through
   * src/model/conv-family.ts windowGeometry.
   */
  explicitPadding?: ExplicitPadding;
  /**
   * Never imported: set by the GPU load pass that writes a channel CONCATENATION in place
   * (src/passes/place-concat.ts), on CONV_2D and DEPTHWISE_CONV_2D. The GPU kernel writes this
   * op's output into the concatenation's output; the CPU reference runs the graph without the
   * pass and ignores it.
   */
  placement?: OutputPlacement;
  /** As FullyConnectedOptions.fusedTable (src/passes/fuse-table.ts). */
  fusedTable?: FusedTable;
}

/**
 * 8-bit ops whose output is a function of one input byte (a unary activation or math op, LOGISTIC,
 * a binary op of those bytes or of them and a single constant value: SiLU's MUL(x, LOGISTIC(x)))
 * computed in the epilogue of the convolution or FULLY_CONNECTED producing their input
 * (src/passes/fuse-table.ts): the producer requantizes to `intermediate`, as before, then maps each
 * byte through the ops' 256-entry table and writes the last op's output, its own op output.
 */
export interface FusedTable {
  /** The fused ops as they were (types, options, operator indices), in graph order; the last writes the output. */
  ops: OpIR[];
  /** The producer's own output, no longer computed: its quantization is the ops' input's. */
  intermediate: number;
  /** Entry b: the last op's stored output byte for stored intermediate byte b (the CPU reference's ops on every byte). */
  table: Uint8Array;
}

/**
 * Never imported: set by the GPU load pass tabulate-byte-ops (src/passes/byte-tables.ts) on an
 * 8-bit binary op with a constant operand that varies along the innermost dimension at most: its
 * output as tables of its other operand's byte, computed at load by the CPU reference's own op on
 * every byte of every channel. The op is the same op with or without it (the reference ignores
 * it); the GPU applies the tables instead of the arithmetic.
 */
export interface ByteTables {
  /** The operand the tables read: an activation of the output's shape. */
  input: number;
  /** 1 (one table for every element) or the innermost dimension (one per channel). */
  channels: number;
  /** channels × 256 stored output bytes, table c at c · 256, entry b for stored input byte b. */
  tables: Uint8Array;
}

/** Options of the 8-bit binary ops that tabulate-byte-ops may annotate. */
export interface ByteTableOptions {
  byteTables?: ByteTables;
}

/**
 * Where a producer writes its output on the GPU instead of a buffer of its own: into tensor
 * `into` (a CONCATENATION's output along its last axis, with the same outer dimensions), from
 * channel `channelOffset` of each row on. Its output tensor keeps its id and shape but has no
 * bytes of its own (src/passes/place-concat.ts).
 */
export interface OutputPlacement {
  into: number;
  channelOffset: number;
}

/**
 * A residual ADD computed in a convolution's epilogue (src/passes/fuse-add.ts): the convolution
 * requantizes to `intermediate`, as it did before the fusion, then adds the residual, its op
 * input 3, exactly as the ADD did, and writes the ADD's output, its op output.
 */
export interface FusedAdd {
  /** The ADD's operator index (its arithmetic's error messages name it). */
  index: number;
  /** The convolution's own output, no longer computed: its quantization is the ADD operand's. */
  intermediate: number;
  /** The ADD's fused activation. */
  activation: Activation;
  /** Whether the residual was the ADD's first operand and the convolution its second. */
  residualFirst: boolean;
}

export interface Conv2DOptions extends ConvolutionOptions {
  /**
   * Never imported: set by the GPU load pass that fuses the ADD reading this convolution's
   * output (src/passes/fuse-add.ts). Only the GPU lowerings compute it; the CPU reference and
   * the TFLite writer refuse it.
   */
  fusedAdd?: FusedAdd;
}

export interface DepthwiseConv2DOptions extends ConvolutionOptions {
  depthMultiplier: number;
}

export interface FullyConnectedOptions {
  activation: Activation;
  keepNumDims: boolean;
  /** As Conv2DOptions.placement (src/passes/place-concat.ts). */
  placement?: OutputPlacement;
  /**
   * Never imported: set by the GPU load pass that fuses the table op reading this op's output
   * (src/passes/fuse-table.ts), on CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED. Only the GPU
   * lowerings compute it; the CPU reference and the TFLite writer refuse it.
   */
  fusedTable?: FusedTable;
}

// Convolution family additions: TRANSPOSE_CONV and BATCH_MATMUL.
export interface TransposeConvOptions {
  padding: Padding;
  strideH: number;
  strideW: number;
  /** fused_activation_function (TRANSPOSE_CONV version 4 and later; NONE before). */
  activation: Activation;
}

export interface BatchMatMulOptions {
  /** Transpose (adjoint) the last two dims of the LHS / RHS before multiplying. */
  adjX: boolean;
  adjY: boolean;
}

export interface Pool2DOptions {
  padding: Padding;
  strideH: number;
  strideW: number;
  filterH: number;
  filterW: number;
  activation: Activation;
}

export interface ActivationOptions {
  activation: Activation;
}

export interface ReducerOptions {
  keepDims: boolean;
}

export interface SoftmaxOptions {
  beta: number;
}

/** LEAKY_RELU: f(x) = x for x ≥ 0, alpha · x otherwise. */
export interface LeakyReluOptions {
  alpha: number;
}

/** GELU: the tanh approximation when `approximate`, the erf form otherwise. */
export interface GeluOptions {
  approximate: boolean;
}

export interface ReshapeOptions {
  /** From ReshapeOptions.new_shape when present; the shape tensor (input 1) wins otherwise. */
  newShape?: number[];
}

export interface SqueezeOptions {
  squeezeDims: number[];
}

export interface ConcatenationOptions {
  axis: number;
  activation: Activation;
  /**
   * Never imported: positions in `inputs` whose producers write their output in place, into this
   * op's output (their OutputPlacement; src/passes/place-concat.ts), so the GPU copies only the
   * others. The CPU reference runs the graph without the pass and ignores it.
   */
  placedInputs?: number[];
}

// Data movement (STRIDED_SLICE … BATCH_TO_SPACE_ND): options as TFLite's tables hold them.
export interface StridedSliceOptions {
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
  /** StridedSliceOptions.offset: `end` is relative to `begin` (end = begin + end). */
  offset: boolean;
}

export interface SplitOptions {
  numSplits: number;
}

export interface PackOptions {
  valuesCount: number;
  axis: number;
}

export interface UnpackOptions {
  num: number;
  axis: number;
}

export interface GatherOptions {
  axis: number;
  batchDims: number;
}

export interface ShapeOptions {
  outType: 'int32' | 'int64';
}

export interface BlockSizeOptions {
  blockSize: number;
}

// Resize, arg reductions and casts (src/reference/ops/resize.ts).
/** RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR: the size is input 1, a constant int32 [2]. */
export interface ResizeOptions {
  alignCorners: boolean;
  halfPixelCenters: boolean;
}

/** ARG_MAX and ARG_MIN: the axis is input 1 (a constant); the index type is the output's. */
export interface ArgMinMaxOptions {
  outputType: 'int32' | 'int64';
}

/**
 * The custom op TFLite_Detection_PostProcess (SSD box decoding and non-max suppression), from
 * its FlexBuffers custom_options. Float fields hold float32 values, as TFLite reads them
 * (AsFloat); detectionsPerClass and useRegularNms carry TFLite's defaults when absent.
 */
export interface DetectionPostprocessOptions {
  maxDetections: number;
  maxClassesPerDetection: number;
  detectionsPerClass: number;
  useRegularNms: boolean;
  nmsScoreThreshold: number;
  nmsIouThreshold: number;
  numClasses: number;
  yScale: number;
  xScale: number;
  hScale: number;
  wScale: number;
}

/** The options type of an op in OP_OPTIONS: a marker for the type checker, with no value at run time. */
function options<T>(): T {
  return undefined as T;
}

/**
 * Every op type Octet reads, with its options type: the one list of them. The keys are TFLite's
 * builtin names (the importer maps codes through src/model/tflite-builtins.ts, so a key that is
 * not one does not compile); every typed table over OpType in the later stages then has to handle
 * a new key.
 */
export const OP_OPTIONS = {
  CONV_2D: options<Conv2DOptions>(),
  DEPTHWISE_CONV_2D: options<DepthwiseConv2DOptions>(),
  FULLY_CONNECTED: options<FullyConnectedOptions>(),
  // Convolution family additions.
  TRANSPOSE_CONV: options<TransposeConvOptions>(),
  BATCH_MATMUL: options<BatchMatMulOptions>(),
  ADD: options<ActivationOptions & ByteTableOptions>(),
  MUL: options<ActivationOptions & ByteTableOptions>(),
  // binary arithmetic with broadcasting (src/reference/ops/binary.ts)
  SUB: options<ActivationOptions & ByteTableOptions>(),
  DIV: options<ActivationOptions>(),
  MAXIMUM: options<ByteTableOptions>(),
  MINIMUM: options<ByteTableOptions>(),
  SQUARED_DIFFERENCE: options<ByteTableOptions>(),
  POW: options<Record<string, never>>(),
  FLOOR_DIV: options<Record<string, never>>(),
  FLOOR_MOD: options<Record<string, never>>(),
  AVERAGE_POOL_2D: options<Pool2DOptions>(),
  MAX_POOL_2D: options<Pool2DOptions>(),
  MEAN: options<ReducerOptions>(),
  // Reductions and normalizations (src/reference/ops/reduce.ts).
  SUM: options<ReducerOptions>(),
  REDUCE_MAX: options<ReducerOptions>(),
  REDUCE_MIN: options<ReducerOptions>(),
  REDUCE_PROD: options<ReducerOptions>(),
  L2_NORMALIZATION: options<ActivationOptions>(),
  LOG_SOFTMAX: options<Record<string, never>>(),
  SOFTMAX: options<SoftmaxOptions>(),
  LOGISTIC: options<Record<string, never>>(),
  RELU: options<Record<string, never>>(),
  RELU6: options<Record<string, never>>(),
  // Unary activations and math (src/reference/ops/unary.ts, src/kernels/unary.ts).
  HARD_SWISH: options<Record<string, never>>(),
  LEAKY_RELU: options<LeakyReluOptions>(),
  PRELU: options<Record<string, never>>(),
  TANH: options<Record<string, never>>(),
  ELU: options<Record<string, never>>(),
  GELU: options<GeluOptions>(),
  RELU_N1_TO_1: options<Record<string, never>>(),
  RELU_0_TO_1: options<Record<string, never>>(),
  EXP: options<Record<string, never>>(),
  LOG: options<Record<string, never>>(),
  SQRT: options<Record<string, never>>(),
  RSQRT: options<Record<string, never>>(),
  ABS: options<Record<string, never>>(),
  NEG: options<Record<string, never>>(),
  SQUARE: options<Record<string, never>>(),
  FLOOR: options<Record<string, never>>(),
  CEIL: options<Record<string, never>>(),
  ROUND: options<Record<string, never>>(),
  SIN: options<Record<string, never>>(),
  COS: options<Record<string, never>>(),
  SIGN: options<Record<string, never>>(),
  RESHAPE: options<ReshapeOptions>(),
  SQUEEZE: options<SqueezeOptions>(),
  PAD: options<Record<string, never>>(),
  TRANSPOSE: options<Record<string, never>>(),
  // Data movement family.
  STRIDED_SLICE: options<StridedSliceOptions>(),
  SLICE: options<Record<string, never>>(),
  SPLIT: options<SplitOptions>(),
  SPLIT_V: options<SplitOptions>(),
  PACK: options<PackOptions>(),
  UNPACK: options<UnpackOptions>(),
  GATHER: options<GatherOptions>(),
  GATHER_ND: options<Record<string, never>>(),
  TILE: options<Record<string, never>>(),
  EXPAND_DIMS: options<Record<string, never>>(),
  SHAPE: options<ShapeOptions>(),
  BROADCAST_TO: options<Record<string, never>>(),
  REVERSE_V2: options<Record<string, never>>(),
  DEPTH_TO_SPACE: options<BlockSizeOptions>(),
  SPACE_TO_DEPTH: options<BlockSizeOptions>(),
  SPACE_TO_BATCH_ND: options<Record<string, never>>(),
  BATCH_TO_SPACE_ND: options<Record<string, never>>(),
  QUANTIZE: options<Record<string, never>>(),
  DEQUANTIZE: options<Record<string, never>>(),
  CONCATENATION: options<ConcatenationOptions>(),
  // Resize, arg reductions and casts.
  RESIZE_BILINEAR: options<ResizeOptions>(),
  RESIZE_NEAREST_NEIGHBOR: options<ResizeOptions>(),
  ARG_MAX: options<ArgMinMaxOptions>(),
  ARG_MIN: options<ArgMinMaxOptions>(),
  CAST: options<Record<string, never>>(),
  /** CUSTOM 'TFLite_Detection_PostProcess' (named after TFLite's Register_DETECTION_POSTPROCESS). */
  DETECTION_POSTPROCESS: options<DetectionPostprocessOptions>(),
};

/** Each op type's options (what the importer reads, the writer writes and the stages consume). */
export type OpOptionsByType = { [T in keyof typeof OP_OPTIONS]: (typeof OP_OPTIONS)[T] };

/** The op types, in OP_OPTIONS order. */
export const OP_TYPES = Object.keys(OP_OPTIONS) as OpType[];

/** The op types whose options are empty: the importer and writer need no code for them. */
export type OptionlessOpType = { [T in OpType]: OpOptionsByType[T] extends Record<string, never> ? T : never }[OpType];

export type OpType = keyof OpOptionsByType;

export type OpIR = {
  [T in OpType]: {
    /**
     * Position in the model's operator list (the import order, which TFLite keeps topological).
     * Unique within a graph: an op a pass inserts gets a fresh index, past the model's, and
     * `origin`.
     */
    index: number;
    /**
     * Only on an op a graph pass inserted (src/passes/): the model operator index it was derived
     * from, so that messages and layer timings still lead back to the model (operatorName).
     */
    origin?: number;
    type: T;
    /** Builtin operator version from the model's operator codes. */
    version: number;
    /** Tensor ids; −1 marks an absent optional input (e.g. no bias). */
    inputs: number[];
    outputs: number[];
    options: OpOptionsByType[T];
  };
}[OpType];

export type OpOf<T extends OpType> = Extract<OpIR, { type: T }>;

/**
 * How messages name an op: `operator 7`, or for an op a pass inserted,
 * `operator 31 (inserted for model operator 7)`.
 */
export function operatorName(op: { readonly index: number; readonly origin?: number }): string {
  return op.origin === undefined ? `operator ${op.index}` : `operator ${op.index} (inserted for model operator ${op.origin})`;
}

export interface Graph {
  name: string;
  description: string;
  tensors: TensorIR[];
  ops: OpIR[];
  inputs: number[];
  outputs: number[];
}

/**
 * An operator Octet cannot run, kept in place by importTfliteListing so that a listing (`octet
 * inspect`) shows the whole model: the TFLite op name (CUSTOM ops as `CUSTOM 'code'`), its
 * version, its tensors, and why it is refused.
 */
export interface OpaqueOpIR {
  opaque: true;
  index: number;
  name: string;
  version: number;
  inputs: number[];
  outputs: number[];
  reason: string;
}

/** A Graph whose unsupported operators are opaque entries: for listing a model, never for running it. */
export interface GraphListing extends Omit<Graph, 'ops'> {
  ops: Array<OpIR | OpaqueOpIR>;
}

export function isOpaqueOp(op: OpIR | OpaqueOpIR): op is OpaqueOpIR {
  return 'opaque' in op;
}

export function tensorElementCount(shape: readonly number[]): number {
  // A zero dimension makes the tensor empty even when the other dims would overflow to Infinity.
  if (shape.includes(0)) return 0;
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function isPerChannel(q: QuantParams | undefined): boolean {
  return !!q && q.scale.length > 1;
}
