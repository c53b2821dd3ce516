// Which operands each binary arithmetic op takes, as TFLite's Prepare and Eval see them: the
// dtypes its kernel accepts, broadcast shapes, and constant divisors or exponents it errors on.
// The CPU reference and the GPU lowerings both refuse graphs through binaryOperandProblem.
import type { OpIR, OpOf, TensorIR } from './graph.ts';
import { broadcastProblem } from './broadcast.ts';

export type BinaryArithOp = OpOf<'SUB' | 'DIV' | 'MAXIMUM' | 'MINIMUM' | 'SQUARED_DIFFERENCE' | 'POW' | 'FLOOR_DIV' | 'FLOOR_MOD' | 'ADD' | 'MUL'>;

/** Dtypes each op's TFLite kernel accepts, among those Octet stores. */
export const BINARY_DTYPES: Record<BinaryArithOp['type'], readonly string[]> = {
  ADD: ['float32', 'int8', 'uint8', 'int32'],
  MUL: ['float32', 'int8', 'uint8', 'int32'],
  SUB: ['float32', 'int8', 'uint8', 'int32'],
  DIV: ['float32', 'int32'],
  MAXIMUM: ['float32', 'int8', 'uint8', 'int32'],
  MINIMUM: ['float32', 'int8', 'uint8', 'int32'],
  SQUARED_DIFFERENCE: ['float32', 'int8', 'int32'],
  POW: ['float32', 'int32'],
  FLOOR_DIV: ['float32', 'int32'],
  FLOOR_MOD: ['float32', 'int32'],
};

/** Ops whose second operand must hold no zero (TFLite errors on one). */
export const DIVIDES: ReadonlySet<string> = new Set(['DIV', 'FLOOR_DIV', 'FLOOR_MOD']);

/**
 * The problem with an op's operands as TFLite's Prepare and Eval would see them, or null: dtypes
 * (all three equal and accepted), broadcast shapes, and constant divisors or exponents TFLite
 * errors on. Shared by the reference and the GPU lowerings so both refuse the same graphs.
 */
export function binaryOperandProblem(op: OpIR, a: TensorIR, b: TensorIR, out: TensorIR, bValues?: ArrayLike<number>): string | null {
  const accepted = BINARY_DTYPES[op.type as BinaryArithOp['type']];
  if (!accepted) return `is not a binary arithmetic op`;
  if (a.dtype !== b.dtype || out.dtype !== a.dtype) return `with ${a.dtype} and ${b.dtype} inputs and ${out.dtype} output is not supported (all three must match)`;
  if (!accepted.includes(a.dtype)) return `with ${a.dtype} tensors is not supported (TFLite's kernel takes ${accepted.join(', ')})`;
  const shapes = broadcastProblem(a, b, out);
  if (shapes) return shapes;
  if (bValues && a.dtype !== 'uint8' && a.dtype !== 'int8') {
    const intDivision = DIVIDES.has(op.type) && (a.dtype === 'int32' || op.type !== 'DIV');
    for (let i = 0; i < bValues.length; i++) {
      if (intDivision && bValues[i] === 0) return `divides by zero: the constant divisor '${b.name}' holds 0 at element ${i}`;
      if (op.type === 'POW' && a.dtype === 'int32' && bValues[i]! < 0) return `raises to a negative power: the constant exponent '${b.name}' holds ${bValues[i]} at element ${i} (TFLite's integer POW refuses it)`;
    }
  }
  return null;
}
