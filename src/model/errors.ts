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

export { BUILTIN_OPERATOR_NAMES, builtinOperatorName } from './tflite-builtins.ts';

/** TFLite TensorType codes → names (schema.fbs), for error messages. */
export const TENSOR_TYPE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'FLOAT32', 1: 'FLOAT16', 2: 'INT32', 3: 'UINT8', 4: 'INT64', 5: 'STRING', 6: 'BOOL', 7: 'INT16',
  8: 'COMPLEX64', 9: 'INT8', 10: 'FLOAT64', 11: 'COMPLEX128', 12: 'UINT64', 13: 'RESOURCE',
  14: 'VARIANT', 15: 'UINT32', 16: 'UINT16', 17: 'INT4',
});

export function tensorTypeName(code: number): string {
  return TENSOR_TYPE_NAMES[code] ?? `UNKNOWN_TYPE_${code}`;
}
