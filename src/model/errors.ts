// Typed errors for reading models. Every failure of the importer is one of these three, so
// callers (CLI, demo, fuzz tests) can tell a corrupt file from a valid model that uses
// something Octet does not run.
import { OctetError } from '../errors.ts';

/** The bytes are not a well-formed TFLite model: bad identifier, out-of-range offset, inconsistent data. */
export class ModelFormatError extends OctetError {
  override name = 'ModelFormatError';
  readonly code = 'MODEL_FORMAT';
  /** Where in the model the problem is, e.g. "tensor 12 'conv1/weights'". */
  readonly where: string;
  constructor(where: string, problem: string) {
    super(where ? `${where}: ${problem}` : problem);
    this.where = where;
  }
}

/** One operator the importer does not read: its name (CUSTOM ops as `CUSTOM 'code'`), version and position. */
export interface UnsupportedOp {
  opName: string;
  version: number;
  /** Position in subgraph 0's operator list. */
  opIndex: number;
  /** Why a known op type is refused (an unsupported variant), when it is not the type itself. */
  detail?: string;
}

function describeOne(op: UnsupportedOp, indices: number[]): string {
  const at = indices.length === 1 ? `operator ${indices[0]}` : `operators ${indices.join(', ')}`;
  return `${op.opName} (version ${op.version}) at ${at}${op.detail ? `: ${op.detail}` : ''}`;
}

/** The message: every unsupported op, grouped by name, version and detail in first-use order. */
function describeAll(ops: readonly UnsupportedOp[]): string {
  const groups = new Map<string, { op: UnsupportedOp; indices: number[] }>();
  for (const op of ops) {
    const key = JSON.stringify([op.opName, op.version, op.detail ?? '']);
    const group = groups.get(key);
    if (group) group.indices.push(op.opIndex);
    else groups.set(key, { op, indices: [op.opIndex] });
  }
  if (groups.size === 1) {
    const [only] = groups.values();
    return `unsupported op ${describeOne(only!.op, only!.indices)}`;
  }
  const names = [...new Set(ops.map((op) => op.opName))];
  return (
    `unsupported ops ${names.join(', ')} (${ops.length} operators): ` +
    [...groups.values()].map((g) => describeOne(g.op, g.indices)).join('; ')
  );
}

/**
 * A well-formed model that uses operators outside Octet's OpType set (or unsupported variants of
 * them). `ops` lists every one in operator order; opName, version and opIndex are the first's.
 */
export class UnsupportedOpError extends OctetError {
  override name = 'UnsupportedOpError';
  readonly code = 'UNSUPPORTED_OP';
  readonly ops: readonly UnsupportedOp[];
  readonly opName: string;
  readonly version: number;
  /** Position in subgraph 0's operator list (of the first unsupported op). */
  readonly opIndex: number;
  constructor(ops: readonly UnsupportedOp[]);
  constructor(opName: string, version: number, opIndex: number, detail?: string);
  constructor(opsOrName: readonly UnsupportedOp[] | string, version?: number, opIndex?: number, detail?: string) {
    const ops: UnsupportedOp[] =
      typeof opsOrName === 'string' ? [{ opName: opsOrName, version: version ?? 1, opIndex: opIndex ?? 0, ...(detail ? { detail } : {}) }] : [...opsOrName];
    if (ops.length === 0) throw new Error('UnsupportedOpError needs at least one op');
    super(describeAll(ops));
    this.ops = ops;
    this.opName = ops[0]!.opName;
    this.version = ops[0]!.version;
    this.opIndex = ops[0]!.opIndex;
  }

  /** The distinct op names, in first-use order. */
  get opNames(): string[] {
    return [...new Set(this.ops.map((op) => op.opName))];
  }
}

/** A well-formed model with a tensor element type (or quantization scheme) that Octet does not handle. */
export class UnsupportedTensorTypeError extends OctetError {
  override name = 'UnsupportedTensorTypeError';
  readonly code = 'UNSUPPORTED_TENSOR_TYPE';
  /** The TFLite TensorType name, e.g. "FLOAT16", or a description of the unsupported scheme. */
  readonly typeName: string;
  readonly where: string;
  constructor(where: string, typeName: string, detail?: string) {
    super(`${where}: unsupported tensor type ${typeName}` + (detail ? ` (${detail})` : ''));
    this.typeName = typeName;
    this.where = where;
  }
}

/** True for the errors the importer is allowed to throw. */
export function isModelError(e: unknown): e is ModelFormatError | UnsupportedOpError | UnsupportedTensorTypeError {
  return e instanceof ModelFormatError || e instanceof UnsupportedOpError || e instanceof UnsupportedTensorTypeError;
}

/**
 * TFLite BuiltinOperator codes → names, from tensorflow/lite/schema/schema.fbs, so that an
 * unsupported op is reported by name rather than by number.
 */
export const BUILTIN_OPERATOR_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'ADD', 1: 'AVERAGE_POOL_2D', 2: 'CONCATENATION', 3: 'CONV_2D', 4: 'DEPTHWISE_CONV_2D',
  5: 'DEPTH_TO_SPACE', 6: 'DEQUANTIZE', 7: 'EMBEDDING_LOOKUP', 8: 'FLOOR', 9: 'FULLY_CONNECTED',
  10: 'HASHTABLE_LOOKUP', 11: 'L2_NORMALIZATION', 12: 'L2_POOL_2D', 13: 'LOCAL_RESPONSE_NORMALIZATION',
  14: 'LOGISTIC', 15: 'LSH_PROJECTION', 16: 'LSTM', 17: 'MAX_POOL_2D', 18: 'MUL', 19: 'RELU',
  20: 'RELU_N1_TO_1', 21: 'RELU6', 22: 'RESHAPE', 23: 'RESIZE_BILINEAR', 24: 'RNN', 25: 'SOFTMAX',
  26: 'SPACE_TO_DEPTH', 27: 'SVDF', 28: 'TANH', 29: 'CONCAT_EMBEDDINGS', 30: 'SKIP_GRAM', 31: 'CALL',
  32: 'CUSTOM', 33: 'EMBEDDING_LOOKUP_SPARSE', 34: 'PAD', 35: 'UNIDIRECTIONAL_SEQUENCE_RNN',
  36: 'GATHER', 37: 'BATCH_TO_SPACE_ND', 38: 'SPACE_TO_BATCH_ND', 39: 'TRANSPOSE', 40: 'MEAN',
  41: 'SUB', 42: 'DIV', 43: 'SQUEEZE', 44: 'UNIDIRECTIONAL_SEQUENCE_LSTM', 45: 'STRIDED_SLICE',
  46: 'BIDIRECTIONAL_SEQUENCE_RNN', 47: 'EXP', 48: 'TOPK_V2', 49: 'SPLIT', 50: 'LOG_SOFTMAX',
  51: 'DELEGATE', 52: 'BIDIRECTIONAL_SEQUENCE_LSTM', 53: 'CAST', 54: 'PRELU', 55: 'MAXIMUM',
  56: 'ARG_MAX', 57: 'MINIMUM', 58: 'LESS', 59: 'NEG', 60: 'PADV2', 61: 'GREATER',
  62: 'GREATER_EQUAL', 63: 'LESS_EQUAL', 64: 'SELECT', 65: 'SLICE', 66: 'SIN', 67: 'TRANSPOSE_CONV',
  68: 'SPARSE_TO_DENSE', 69: 'TILE', 70: 'EXPAND_DIMS', 71: 'EQUAL', 72: 'NOT_EQUAL', 73: 'LOG',
  74: 'SUM', 75: 'SQRT', 76: 'RSQRT', 77: 'SHAPE', 78: 'POW', 79: 'ARG_MIN', 80: 'FAKE_QUANT',
  81: 'REDUCE_PROD', 82: 'REDUCE_MAX', 83: 'PACK', 84: 'LOGICAL_OR', 85: 'ONE_HOT',
  86: 'LOGICAL_AND', 87: 'LOGICAL_NOT', 88: 'UNPACK', 89: 'REDUCE_MIN', 90: 'FLOOR_DIV',
  91: 'REDUCE_ANY', 92: 'SQUARE', 93: 'ZEROS_LIKE', 94: 'FILL', 95: 'FLOOR_MOD', 96: 'RANGE',
  97: 'RESIZE_NEAREST_NEIGHBOR', 98: 'LEAKY_RELU', 99: 'SQUARED_DIFFERENCE', 100: 'MIRROR_PAD',
  101: 'ABS', 102: 'SPLIT_V', 103: 'UNIQUE', 104: 'CEIL', 105: 'REVERSE_V2', 106: 'ADD_N',
  107: 'GATHER_ND', 108: 'COS', 109: 'WHERE', 110: 'RANK', 111: 'ELU', 112: 'REVERSE_SEQUENCE',
  113: 'MATRIX_DIAG', 114: 'QUANTIZE', 115: 'MATRIX_SET_DIAG', 116: 'ROUND', 117: 'HARD_SWISH',
  118: 'IF', 119: 'WHILE', 120: 'NON_MAX_SUPPRESSION_V4', 121: 'NON_MAX_SUPPRESSION_V5',
  122: 'SCATTER_ND', 123: 'SELECT_V2', 124: 'DENSIFY', 125: 'SEGMENT_SUM', 126: 'BATCH_MATMUL',
  127: 'PLACEHOLDER_FOR_GREATER_OP_CODES', 128: 'CUMSUM', 129: 'CALL_ONCE', 130: 'BROADCAST_TO',
  131: 'RFFT2D', 132: 'CONV_3D', 133: 'IMAG', 134: 'REAL', 135: 'COMPLEX_ABS', 136: 'HASHTABLE',
  137: 'HASHTABLE_FIND', 138: 'HASHTABLE_IMPORT', 139: 'HASHTABLE_SIZE', 140: 'REDUCE_ALL',
  141: 'CONV_3D_TRANSPOSE', 142: 'VAR_HANDLE', 143: 'READ_VARIABLE', 144: 'ASSIGN_VARIABLE',
  145: 'BROADCAST_ARGS', 146: 'RANDOM_STANDARD_NORMAL', 147: 'BUCKETIZE', 148: 'RANDOM_UNIFORM',
  149: 'MULTINOMIAL', 150: 'GELU', 151: 'DYNAMIC_UPDATE_SLICE', 152: 'RELU_0_TO_1',
  153: 'UNSORTED_SEGMENT_PROD', 154: 'UNSORTED_SEGMENT_MAX', 155: 'UNSORTED_SEGMENT_SUM',
  156: 'ATAN2', 157: 'UNSORTED_SEGMENT_MIN', 158: 'SIGN', 159: 'BITCAST', 160: 'BITWISE_XOR',
  161: 'RIGHT_SHIFT', 162: 'STABLEHLO_LOGISTIC', 163: 'STABLEHLO_ADD', 164: 'STABLEHLO_DIVIDE',
  165: 'STABLEHLO_MULTIPLY', 166: 'STABLEHLO_MAXIMUM', 167: 'STABLEHLO_RESHAPE',
  168: 'STABLEHLO_CLAMP', 169: 'STABLEHLO_CONCATENATE', 170: 'STABLEHLO_BROADCAST_IN_DIM',
  171: 'STABLEHLO_CONVOLUTION', 172: 'STABLEHLO_SLICE', 173: 'STABLEHLO_CUSTOM_CALL',
  174: 'STABLEHLO_REDUCE', 175: 'STABLEHLO_ABS', 176: 'STABLEHLO_AND', 177: 'STABLEHLO_COSINE',
  178: 'STABLEHLO_EXPONENTIAL', 179: 'STABLEHLO_FLOOR', 180: 'STABLEHLO_LOG', 181: 'STABLEHLO_MINIMUM',
  182: 'STABLEHLO_NEGATE', 183: 'STABLEHLO_OR', 184: 'STABLEHLO_POWER', 185: 'STABLEHLO_REMAINDER',
  186: 'STABLEHLO_RSQRT', 187: 'STABLEHLO_SELECT', 188: 'STABLEHLO_SUBTRACT', 189: 'STABLEHLO_TANH',
  190: 'STABLEHLO_SCATTER', 191: 'STABLEHLO_COMPARE', 192: 'STABLEHLO_CONVERT',
  193: 'STABLEHLO_DYNAMIC_SLICE', 194: 'STABLEHLO_DYNAMIC_UPDATE_SLICE', 195: 'STABLEHLO_PAD',
  196: 'STABLEHLO_IOTA', 197: 'STABLEHLO_DOT_GENERAL', 198: 'STABLEHLO_REDUCE_WINDOW',
  199: 'STABLEHLO_SORT', 200: 'STABLEHLO_WHILE', 201: 'STABLEHLO_GATHER', 202: 'STABLEHLO_TRANSPOSE',
  203: 'DILATE', 204: 'STABLEHLO_RNG_BIT_GENERATOR', 205: 'REDUCE_WINDOW',
  225: 'TEMP_STREAMING_CONV_2D',
});

/** The op's TFLite name, or "UNKNOWN_OP_<code>" for a code this table does not know. */
export function builtinOperatorName(code: number): string {
  return BUILTIN_OPERATOR_NAMES[code] ?? `UNKNOWN_OP_${code}`;
}

/** TFLite TensorType codes → names (schema.fbs), for error messages. */
export const TENSOR_TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'FLOAT32', 1: 'FLOAT16', 2: 'INT32', 3: 'UINT8', 4: 'INT64', 5: 'STRING', 6: 'BOOL', 7: 'INT16',
  8: 'COMPLEX64', 9: 'INT8', 10: 'FLOAT64', 11: 'COMPLEX128', 12: 'UINT64', 13: 'RESOURCE',
  14: 'VARIANT', 15: 'UINT32', 16: 'UINT16', 17: 'INT4',
});

export function tensorTypeName(code: number): string {
  return TENSOR_TYPE_NAMES[code] ?? `UNKNOWN_TYPE_${code}`;
}
