// Hand-written, bounds-checked accessors for the subset of tensorflow/lite/schema/schema.fbs that
// Octet reads. There is no flatc in the toolchain, and flatc's generated readers trust every offset
// in the file; these check each one against the file size, so a corrupt or hostile file throws a
// ModelFormatError instead of reading garbage, allocating gigabytes or throwing a RangeError.
//
// Field ids below are the declaration order in schema.fbs (a union takes two ids: its type byte,
// then its value). The vtable slot of field id i is at byte 4 + 2·i of the vtable.

import { ByteBuffer } from 'flatbuffers';
import { ModelFormatError } from './errors.ts';

export const TFLITE_FILE_IDENTIFIER = 'TFL3';
/** Model.version this reader understands (version 3 moved tensor data into Model.buffers). */
export const TFLITE_SCHEMA_VERSION = 3;

/** schema.fbs `enum TensorType : byte` (the values Octet maps to a DType, plus the rest for names). */
export const TflTensorType = {
  FLOAT32: 0,
  FLOAT16: 1,
  INT32: 2,
  UINT8: 3,
  INT64: 4,
  STRING: 5,
  BOOL: 6,
  INT16: 7,
  COMPLEX64: 8,
  INT8: 9,
} as const;

export { TflBuiltinOperator } from './tflite-builtins.ts';

/** schema.fbs `union BuiltinOptions` type tags (1-based in declaration order; 0 = NONE). */
export const TflBuiltinOptions = {
  NONE: 0,
  Conv2DOptions: 1,
  DepthwiseConv2DOptions: 2,
  Pool2DOptions: 5,
  FullyConnectedOptions: 8,
  // Convolution family additions.
  TransposeConvOptions: 49,
  BatchMatMulOptions: 101,
  SoftmaxOptions: 9,
  ConcatenationOptions: 10,
  AddOptions: 11,
  ReshapeOptions: 17,
  MulOptions: 21,
  // binary arithmetic with broadcasting
  SubOptions: 28,
  DivOptions: 29,
  MaximumMinimumOptions: 39,
  PowOptions: 56,
  FloorDivOptions: 65,
  FloorModOptions: 72,
  SquaredDifferenceOptions: 76,
  PadOptions: 22,
  TransposeOptions: 26,
  // Data movement family.
  SpaceToDepthOptions: 19,
  GatherOptions: 23,
  BatchToSpaceNDOptions: 24,
  SpaceToBatchNDOptions: 25,
  StridedSliceOptions: 32,
  SplitOptions: 35,
  SliceOptions: 48,
  TileOptions: 51,
  ExpandDimsOptions: 52,
  ShapeOptions: 55,
  PackOptions: 59,
  UnpackOptions: 64,
  SplitVOptions: 79,
  ReverseV2Options: 81,
  GatherNdOptions: 83,
  DepthToSpaceOptions: 94,
  BroadcastToOptions: 104,
  ReducerOptions: 27,
  // Reductions and normalizations.
  L2NormOptions: 12,
  LogSoftmaxOptions: 36,
  SqueezeOptions: 30,
  DequantizeOptions: 38,
  QuantizeOptions: 89,
  // Unary activations and math.
  ExpOptions: 33,
  NegOptions: 42,
  SquareOptions: 66,
  LeakyReluOptions: 75,
  AbsOptions: 78,
  HardSwishOptions: 91,
  GeluOptions: 116,
  // Resize, arg reductions and casts.
  ResizeBilinearOptions: 15,
  CastOptions: 37,
  ArgMaxOptions: 40,
  ArgMinOptions: 57,
  ResizeNearestNeighborOptions: 74,
} as const;

/** schema.fbs `enum ActivationFunctionType : byte`, indexed by value. */
export const TFL_ACTIVATION_NAMES = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT'] as const;
/** schema.fbs `enum Padding : byte`, indexed by value. */
export const TFL_PADDING_NAMES = ['SAME', 'VALID'] as const;
/** schema.fbs `enum FullyConnectedOptionsWeightsFormat`: only DEFAULT (row-major) is plain data. */
export const TFL_FC_WEIGHTS_FORMAT_DEFAULT = 0;

/**
 * The file as a ByteBuffer plus its size, with the checks every accessor goes through.
 * All positions are absolute byte offsets from the start of the file.
 */
export class FlatBufferReader {
  readonly bb: ByteBuffer;
  readonly size: number;

  constructor(bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
    this.size = bytes.length;
  }

  /** Throws unless [pos, pos + length) lies inside the file. */
  require(pos: number, length: number, path: string, what: string): void {
    if (!Number.isSafeInteger(pos) || pos < 0 || length < 0 || pos + length > this.size) {
      throw new ModelFormatError(
        path,
        `${what} at byte ${pos} (${length} bytes) lies outside the file (${this.size} bytes)`,
      );
    }
  }

  /** Follows a uoffset stored at `pos` (relative to itself) and checks that `minBytes` fit at the target. */
  follow(pos: number, minBytes: number, path: string, what: string): number {
    this.require(pos, 4, path, `offset to ${what}`);
    const target = pos + this.bb.readUint32(pos);
    this.require(target, minBytes, path, what);
    return target;
  }

  /** The root table's position, after checking room for the root offset and file identifier. */
  rootTablePosition(): number {
    this.require(0, 8, 'file header', 'root offset and file identifier');
    return this.follow(0, 4, 'file header', 'root table');
  }

  /** The 4-byte file identifier (bytes 4..7), with non-printable bytes escaped. */
  fileIdentifier(): string {
    let id = '';
    for (let i = 4; i < Math.min(8, this.size); i++) {
      const b = this.bb.readUint8(i);
      id += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    }
    return id;
  }
}

const utf8 = new TextDecoder('utf-8');

/** Constructor shape shared by every table accessor, so vectors of tables and unions can build them. */
export type TableClass<T> = new (reader: FlatBufferReader, pos: number, path: string) => T;

/**
 * A flatbuffer table: an soffset to its vtable, then inline fields. The constructor validates the
 * vtable and inline size, so a field read never leaves the table, let alone the file.
 */
export class TflTable {
  protected readonly vtable: number;
  protected readonly vtableSize: number;
  protected readonly inlineSize: number;

  constructor(
    readonly reader: FlatBufferReader,
    readonly pos: number,
    /** Human-readable location for error messages, e.g. "subgraph 0 → tensor 12". */
    readonly path: string,
  ) {
    reader.require(pos, 4, path, 'table');
    this.vtable = pos - reader.bb.readInt32(pos);
    reader.require(this.vtable, 4, path, 'vtable header');
    this.vtableSize = reader.bb.readUint16(this.vtable);
    this.inlineSize = reader.bb.readUint16(this.vtable + 2);
    if (this.vtableSize < 4 || this.vtableSize % 2 !== 0) {
      throw new ModelFormatError(path, `vtable size ${this.vtableSize} is invalid`);
    }
    reader.require(this.vtable, this.vtableSize, path, 'vtable');
    if (this.inlineSize < 4) throw new ModelFormatError(path, `table size ${this.inlineSize} is invalid`);
    reader.require(pos, this.inlineSize, path, 'table body');
  }

  /** Absolute position of field `id` (which is `width` bytes wide), or 0 when the field is absent. */
  protected field(id: number, width: number): number {
    const slot = 4 + 2 * id;
    if (slot + 2 > this.vtableSize) return 0;
    const rel = this.reader.bb.readUint16(this.vtable + slot);
    if (rel === 0) return 0;
    if (rel < 4 || rel + width > this.inlineSize) {
      throw new ModelFormatError(this.path, `field ${id} at table offset ${rel} overruns the table (${this.inlineSize} bytes)`);
    }
    return this.pos + rel;
  }

  protected has(id: number): boolean {
    return this.field(id, 1) !== 0;
  }

  protected int8(id: number, dflt: number): number {
    const p = this.field(id, 1);
    return p ? this.reader.bb.readInt8(p) : dflt;
  }

  protected uint8(id: number, dflt: number): number {
    const p = this.field(id, 1);
    return p ? this.reader.bb.readUint8(p) : dflt;
  }

  protected bool(id: number, dflt: boolean): boolean {
    const p = this.field(id, 1);
    return p ? this.reader.bb.readUint8(p) !== 0 : dflt;
  }

  protected int32(id: number, dflt: number): number {
    const p = this.field(id, 4);
    return p ? this.reader.bb.readInt32(p) : dflt;
  }

  protected uint32(id: number, dflt: number): number {
    const p = this.field(id, 4);
    return p ? this.reader.bb.readUint32(p) : dflt;
  }

  protected uint64(id: number, dflt: bigint): bigint {
    const p = this.field(id, 8);
    return p ? this.reader.bb.readUint64(p) : dflt;
  }

  protected float32(id: number, dflt: number): number {
    const p = this.field(id, 4);
    return p ? this.reader.bb.readFloat32(p) : dflt;
  }

  /** The sub-table referenced by field `id`, or null when absent. */
  protected table<T>(id: number, cls: TableClass<T>, label: string): T | null {
    const p = this.field(id, 4);
    if (!p) return null;
    const path = `${this.path} → ${label}`;
    return new cls(this.reader, this.reader.follow(p, 4, path, 'table'), path);
  }

  /**
   * Start and length of the vector referenced by field `id`, or null when absent. The length is
   * checked against the file size before anyone allocates for it.
   */
  protected vector(id: number, elemSize: number, label: string): { start: number; length: number } | null {
    const p = this.field(id, 4);
    if (!p) return null;
    const path = `${this.path} → ${label}`;
    const at = this.reader.follow(p, 4, path, 'vector length');
    const length = this.reader.bb.readUint32(at);
    this.reader.require(at + 4, length * elemSize, path, `vector of ${length} × ${elemSize}-byte elements`);
    return { start: at + 4, length };
  }

  protected string(id: number, label: string): string | null {
    const v = this.vector(id, 1, label);
    if (!v) return null;
    return utf8.decode(this.reader.bb.bytes().subarray(v.start, v.start + v.length));
  }

  /** A view (no copy) of a [ubyte] field. */
  protected bytes(id: number, label: string): Uint8Array | null {
    const v = this.vector(id, 1, label);
    if (!v) return null;
    return this.reader.bb.bytes().subarray(v.start, v.start + v.length);
  }

  protected int32Vector(id: number, label: string): Int32Array | null {
    const v = this.vector(id, 4, label);
    if (!v) return null;
    const out = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.reader.bb.readInt32(v.start + 4 * i);
    return out;
  }

  protected float32Vector(id: number, label: string): Float32Array | null {
    const v = this.vector(id, 4, label);
    if (!v) return null;
    const out = new Float32Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.reader.bb.readFloat32(v.start + 4 * i);
    return out;
  }

  protected int64Vector(id: number, label: string): BigInt64Array | null {
    const v = this.vector(id, 8, label);
    if (!v) return null;
    const out = new BigInt64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = this.reader.bb.readInt64(v.start + 8 * i);
    return out;
  }

  protected tableVector<T>(id: number, cls: TableClass<T>, label: string): TableVector<T> {
    const v = this.vector(id, 4, label);
    return new TableVector(this.reader, v?.start ?? 0, v?.length ?? 0, cls, `${this.path} → ${label}`);
  }
}

/** A [Table] vector: elements are uoffsets (relative to their own slot), decoded on demand. */
export class TableVector<T> {
  constructor(
    private readonly reader: FlatBufferReader,
    private readonly start: number,
    readonly length: number,
    private readonly cls: TableClass<T>,
    private readonly path: string,
  ) {}

  get(i: number): T {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new ModelFormatError(this.path, `index ${i} out of range (vector has ${this.length} elements)`);
    }
    const slot = this.start + 4 * i;
    const path = `${this.path}[${i}]`;
    return new this.cls(this.reader, this.reader.follow(slot, 4, path, 'table'), path);
  }
}

// ---- Model ----------------------------------------------------------------------------------

/** table Model { version:uint; operator_codes; subgraphs; description:string; buffers; ... } */
export class TflModel extends TflTable {
  static fromBytes(bytes: Uint8Array): TflModel {
    const reader = new FlatBufferReader(bytes);
    return new TflModel(reader, reader.rootTablePosition(), 'model');
  }
  version(): number {
    return this.uint32(0, 0);
  }
  operatorCodes(): TableVector<TflOperatorCode> {
    return this.tableVector(1, TflOperatorCode, 'operator_codes');
  }
  subgraphs(): TableVector<TflSubGraph> {
    return this.tableVector(2, TflSubGraph, 'subgraphs');
  }
  description(): string | null {
    return this.string(3, 'description');
  }
  buffers(): TableVector<TflBuffer> {
    return this.tableVector(4, TflBuffer, 'buffers');
  }
  /** Named buffers (id 6; id 5 is the deprecated metadata_buffer), e.g. TFLITE_METADATA, min_runtime_version. */
  metadata(): TableVector<TflMetadata> {
    return this.tableVector(6, TflMetadata, 'metadata');
  }
}

/** table Metadata { name:string; buffer:uint; } */
export class TflMetadata extends TflTable {
  name(): string | null {
    return this.string(0, 'name');
  }
  buffer(): number {
    return this.uint32(1, 0);
  }
}

/** table OperatorCode { deprecated_builtin_code:byte; custom_code:string; version:int = 1; builtin_code:BuiltinOperator; } */
export class TflOperatorCode extends TflTable {
  deprecatedBuiltinCode(): number {
    return this.int8(0, 0);
  }
  customCode(): string | null {
    return this.string(1, 'custom_code');
  }
  version(): number {
    return this.int32(2, 1);
  }
  /** The extended int32 field; older files leave it 0 and use the deprecated byte. */
  extendedBuiltinCode(): number {
    return this.int32(3, 0);
  }
  /**
   * The effective op code. Writers fill both fields for codes < 127 and put 127 in the byte for
   * larger codes; files from before the int32 field have only the byte. The larger value is right
   * in every case (the TFLite runtime's GetBuiltinCode does the same).
   */
  builtinCode(): number {
    return Math.max(this.deprecatedBuiltinCode(), this.extendedBuiltinCode());
  }
}

/** table SubGraph { tensors; inputs:[int]; outputs:[int]; operators; name:string; } */
export class TflSubGraph extends TflTable {
  tensors(): TableVector<TflTensor> {
    return this.tableVector(0, TflTensor, 'tensors');
  }
  inputs(): Int32Array {
    return this.int32Vector(1, 'inputs') ?? new Int32Array(0);
  }
  outputs(): Int32Array {
    return this.int32Vector(2, 'outputs') ?? new Int32Array(0);
  }
  operators(): TableVector<TflOperator> {
    return this.tableVector(3, TflOperator, 'operators');
  }
  name(): string | null {
    return this.string(4, 'name');
  }
}

/**
 * table Tensor { shape:[int]; type:TensorType; buffer:uint; name:string;
 *   quantization:QuantizationParameters; is_variable:bool; sparsity; shape_signature:[int]; ... }
 */
export class TflTensor extends TflTable {
  shape(): Int32Array {
    return this.int32Vector(0, 'shape') ?? new Int32Array(0);
  }
  type(): number {
    return this.int8(1, TflTensorType.FLOAT32);
  }
  buffer(): number {
    return this.uint32(2, 0);
  }
  name(): string | null {
    return this.string(3, 'name');
  }
  quantization(): TflQuantizationParameters | null {
    return this.table(4, TflQuantizationParameters, 'quantization');
  }
  isVariable(): boolean {
    return this.bool(5, false);
  }
  hasSparsity(): boolean {
    return this.has(6);
  }
  shapeSignature(): Int32Array | null {
    return this.int32Vector(7, 'shape_signature');
  }
}

/**
 * table QuantizationParameters { min:[float]; max:[float]; scale:[float]; zero_point:[long];
 *   details:QuantizationDetails (ids 4 type, 5 value); quantized_dimension:int; }
 */
export class TflQuantizationParameters extends TflTable {
  min(): Float32Array | null {
    return this.float32Vector(0, 'min');
  }
  max(): Float32Array | null {
    return this.float32Vector(1, 'max');
  }
  scale(): Float32Array | null {
    return this.float32Vector(2, 'scale');
  }
  zeroPoint(): BigInt64Array | null {
    return this.int64Vector(3, 'zero_point');
  }
  /** QuantizationDetails union tag: 0 = none, 1 = CustomQuantization. */
  detailsType(): number {
    return this.uint8(4, 0);
  }
  quantizedDimension(): number {
    return this.int32(6, 0);
  }
}

/** table Buffer { data:[ubyte] (force_align: 16); offset:ulong; size:ulong; } */
export class TflBuffer extends TflTable {
  /** The bytes as a view into the file (no copy); empty when absent. */
  data(): Uint8Array {
    return this.bytes(0, 'data') ?? new Uint8Array(0);
  }
  /** Offset of data stored outside the flatbuffer (models over 2 GB); "only valid if > 1". */
  externalOffset(): bigint {
    return this.uint64(1, 0n);
  }
  externalSize(): bigint {
    return this.uint64(2, 0n);
  }
}

/**
 * table Operator { opcode_index:uint; inputs:[int]; outputs:[int];
 *   builtin_options:BuiltinOptions (ids 3 type, 4 value); custom_options:[ubyte]; ... }
 */
export class TflOperator extends TflTable {
  opcodeIndex(): number {
    return this.uint32(0, 0);
  }
  inputs(): Int32Array {
    return this.int32Vector(1, 'inputs') ?? new Int32Array(0);
  }
  outputs(): Int32Array {
    return this.int32Vector(2, 'outputs') ?? new Int32Array(0);
  }
  builtinOptionsType(): number {
    return this.uint8(3, TflBuiltinOptions.NONE);
  }
  /** The options table read as `cls`; the caller has checked builtinOptionsType(). Null when absent. */
  builtinOptions<T>(cls: TableClass<T>): T | null {
    return this.table(4, cls, 'builtin_options');
  }
  /** custom_options (id 5): a view (no copy) of the custom op's option bytes; null when absent. */
  customOptions(): Uint8Array | null {
    return this.bytes(5, 'custom_options');
  }
  /** custom_options_format (id 6): 0 = FLEXBUFFERS, the only format schema.fbs defines. */
  customOptionsFormat(): number {
    return this.int8(6, 0);
  }
}

// ---- Options tables ---------------------------------------------------------------------------

/** table Conv2DOptions { padding; stride_w; stride_h; fused_activation_function; dilation_w_factor = 1; dilation_h_factor = 1; quantized_bias_type; } */
export class TflConv2DOptions extends TflTable {
  padding(): number {
    return this.int8(0, 0);
  }
  strideW(): number {
    return this.int32(1, 0);
  }
  strideH(): number {
    return this.int32(2, 0);
  }
  fusedActivation(): number {
    return this.int8(3, 0);
  }
  dilationW(): number {
    return this.int32(4, 1);
  }
  dilationH(): number {
    return this.int32(5, 1);
  }
}

/** table DepthwiseConv2DOptions { padding; stride_w; stride_h; depth_multiplier; fused_activation_function; dilation_w_factor = 1; dilation_h_factor = 1; } */
export class TflDepthwiseConv2DOptions extends TflTable {
  padding(): number {
    return this.int8(0, 0);
  }
  strideW(): number {
    return this.int32(1, 0);
  }
  strideH(): number {
    return this.int32(2, 0);
  }
  depthMultiplier(): number {
    return this.int32(3, 0);
  }
  fusedActivation(): number {
    return this.int8(4, 0);
  }
  dilationW(): number {
    return this.int32(5, 1);
  }
  dilationH(): number {
    return this.int32(6, 1);
  }
}

/** table Pool2DOptions { padding; stride_w; stride_h; filter_width; filter_height; fused_activation_function; } */
export class TflPool2DOptions extends TflTable {
  padding(): number {
    return this.int8(0, 0);
  }
  strideW(): number {
    return this.int32(1, 0);
  }
  strideH(): number {
    return this.int32(2, 0);
  }
  filterWidth(): number {
    return this.int32(3, 0);
  }
  filterHeight(): number {
    return this.int32(4, 0);
  }
  fusedActivation(): number {
    return this.int8(5, 0);
  }
}

/** table FullyConnectedOptions { fused_activation_function; weights_format = DEFAULT; keep_num_dims:bool; asymmetric_quantize_inputs; quantized_bias_type; } */
export class TflFullyConnectedOptions extends TflTable {
  fusedActivation(): number {
    return this.int8(0, 0);
  }
  weightsFormat(): number {
    return this.int8(1, TFL_FC_WEIGHTS_FORMAT_DEFAULT);
  }
  keepNumDims(): boolean {
    return this.bool(2, false);
  }
}

// Convolution family additions.
/** table TransposeConvOptions { padding; stride_w; stride_h; fused_activation_function; quantized_bias_type; } */
export class TflTransposeConvOptions extends TflTable {
  padding(): number {
    return this.int8(0, 0);
  }
  strideW(): number {
    return this.int32(1, 0);
  }
  strideH(): number {
    return this.int32(2, 0);
  }
  fusedActivation(): number {
    return this.int8(3, 0);
  }
}

/** table BatchMatMulOptions { adj_x:bool; adj_y:bool; asymmetric_quantize_inputs:bool; } */
export class TflBatchMatMulOptions extends TflTable {
  adjX(): boolean {
    return this.bool(0, false);
  }
  adjY(): boolean {
    return this.bool(1, false);
  }
}

/** table SoftmaxOptions { beta:float; } */
export class TflSoftmaxOptions extends TflTable {
  beta(): number {
    return this.float32(0, 0);
  }
}

/** table ConcatenationOptions { axis:int; fused_activation_function; } */
export class TflConcatenationOptions extends TflTable {
  axis(): number {
    return this.int32(0, 0);
  }
  fusedActivation(): number {
    return this.int8(1, 0);
  }
}

/**
 * table AddOptions { fused_activation_function; pot_scale_int16:bool = true; }, table MulOptions
 * { fused_activation_function; }, SubOptions (as AddOptions), DivOptions (as MulOptions) and
 * L2NormOptions { fused_activation_function; }.
 */
export class TflActivationOnlyOptions extends TflTable {
  fusedActivation(): number {
    return this.int8(0, 0);
  }
}

/** table ReshapeOptions { new_shape:[int]; } */
export class TflReshapeOptions extends TflTable {
  newShape(): Int32Array | null {
    return this.int32Vector(0, 'new_shape');
  }
}

/** table ReducerOptions { keep_dims:bool; } (MEAN, SUM, REDUCE_MAX, ...) */
export class TflReducerOptions extends TflTable {
  keepDims(): boolean {
    return this.bool(0, false);
  }
}

/** table SqueezeOptions { squeeze_dims:[int]; } */
export class TflSqueezeOptions extends TflTable {
  squeezeDims(): Int32Array | null {
    return this.int32Vector(0, 'squeeze_dims');
  }
}

// Data movement family.

/** table StridedSliceOptions { begin_mask; end_mask; ellipsis_mask; new_axis_mask; shrink_axis_mask:int; offset:bool; } */
export class TflStridedSliceOptions extends TflTable {
  beginMask(): number {
    return this.int32(0, 0);
  }
  endMask(): number {
    return this.int32(1, 0);
  }
  ellipsisMask(): number {
    return this.int32(2, 0);
  }
  newAxisMask(): number {
    return this.int32(3, 0);
  }
  shrinkAxisMask(): number {
    return this.int32(4, 0);
  }
  offset(): boolean {
    return this.bool(5, false);
  }
}

/** table SplitOptions { num_splits:int; } and table SplitVOptions { num_splits:int; } */
export class TflSplitOptions extends TflTable {
  numSplits(): number {
    return this.int32(0, 0);
  }
}

/** table PackOptions { values_count:int; axis:int; } and table UnpackOptions { num:int; axis:int; } */
export class TflPackOptions extends TflTable {
  count(): number {
    return this.int32(0, 0);
  }
  axis(): number {
    return this.int32(1, 0);
  }
}

/** table GatherOptions { axis:int; batch_dims:int = 0; } */
export class TflGatherOptions extends TflTable {
  axis(): number {
    return this.int32(0, 0);
  }
  batchDims(): number {
    return this.int32(1, 0);
  }
}

/** table ShapeOptions { out_type:TensorType; } */
export class TflShapeOptions extends TflTable {
  /** TensorType code; the schema's default is 0 (FLOAT32), which SHAPE refuses. */
  outType(): number {
    return this.int8(0, TflTensorType.FLOAT32);
  }
}

/** table SpaceToDepthOptions { block_size:int; } and table DepthToSpaceOptions { block_size:int; } */
export class TflBlockSizeOptions extends TflTable {
  blockSize(): number {
    return this.int32(0, 0);
  }
}

/** table LeakyReluOptions { alpha:float; } */
export class TflLeakyReluOptions extends TflTable {
  alpha(): number {
    return this.float32(0, 0);
  }
}

/** table GeluOptions { approximate:bool; } */
export class TflGeluOptions extends TflTable {
  approximate(): boolean {
    return this.bool(0, false);
  }
}

// Resize, arg reductions and casts.
/** table ResizeBilinearOptions { new_height (deprecated); new_width (deprecated); align_corners:bool; half_pixel_centers:bool; } */
export class TflResizeBilinearOptions extends TflTable {
  alignCorners(): boolean {
    return this.bool(2, false);
  }
  halfPixelCenters(): boolean {
    return this.bool(3, false);
  }
}

/** table ResizeNearestNeighborOptions { align_corners:bool; half_pixel_centers:bool; } */
export class TflResizeNearestNeighborOptions extends TflTable {
  alignCorners(): boolean {
    return this.bool(0, false);
  }
  halfPixelCenters(): boolean {
    return this.bool(1, false);
  }
}

/** table ArgMaxOptions / ArgMinOptions { output_type:TensorType; } */
export class TflArgMinMaxOptions extends TflTable {
  /** TensorType code; the schema's default is 0 (FLOAT32), which the ops refuse. */
  outputType(): number {
    return this.int8(0, TflTensorType.FLOAT32);
  }
}
