// Float32 lowerings of the binary arithmetic family (SUB, DIV, MAXIMUM, MINIMUM,
// SQUARED_DIFFERENCE, POW, FLOOR_DIV, FLOOR_MOD) onto shaders/binary-plain.wgsl, broadcasting
// as the reference does. ADD and MUL keep their own float kernel (float/elementwise.ts).
import type { OpIR } from '../../model/graph.ts';
import type { BinaryArithOp } from '../../model/binary-ops.ts';
import { checkBinaryOperands, lowerPlainBinary } from '../binary.ts';
import { tensorOf, type ConstantSpec, type LoweredOp, type LoweringContext } from '../lowering.ts';
import { expectFloat, floatActivationRange, floatOperand } from './common.ts';

export function lowerFloatBinaryArith(ctx: LoweringContext, op: BinaryArithOp): LoweredOp {
  const label = `float ${op.type.toLowerCase()}#${op.index}`;
  const a = tensorOf(ctx, op.inputs[0]!);
  const b = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  const constants: ConstantSpec[] = [];
  const aBinding = floatOperand(a, 'first input', constants, label);
  const bBinding = floatOperand(b, 'second input', constants, label);
  // Constants of a hybrid model arrive dequantized: check them as the float tensors they become.
  const asFloat = (t: typeof a) => (t.dtype === 'float32' ? t : { ...t, dtype: 'float32' as const, quant: undefined, data: undefined });
  checkBinaryOperands(op as OpIR, asFloat(a), b.dtype === 'float32' ? b : asFloat(b), output);
  const activation = 'activation' in op.options ? op.options.activation : 'NONE';
  return lowerPlainBinary(ctx, op, output, { a, b, aBinding, bBinding, constants }, true, floatActivationRange(activation, label));
}

export const FLOAT_BINARY_ARITH_LOWERINGS = {
  SUB: lowerFloatBinaryArith,
  DIV: lowerFloatBinaryArith,
  MAXIMUM: lowerFloatBinaryArith,
  MINIMUM: lowerFloatBinaryArith,
  SQUARED_DIFFERENCE: lowerFloatBinaryArith,
  POW: lowerFloatBinaryArith,
  FLOOR_DIV: lowerFloatBinaryArith,
  FLOOR_MOD: lowerFloatBinaryArith,
};
