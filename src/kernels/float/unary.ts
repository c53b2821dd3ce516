// Unary activations and math on the float32 path (shaders/float-unary-math.wgsl), int32 ABS and
// NEG (the same shader over i32), and float32 PRELU with alpha broadcast (shaders/float-prelu.wgsl).
import mathSource from '../../../shaders/float-unary-math.wgsl?raw';
import preluSource from '../../../shaders/float-prelu.wgsl?raw';
import type { OpOf, TensorIR } from '../../model/graph.ts';
import { PRELU_MAX_RANK, UNARY_OP_TYPES, unaryOptionsOf, type UnaryOpType } from '../../quant/unary.ts';
import { unaryOpDef } from '../../ops/unary.ts';
import { LoweringError, loweringFor, singleDispatch, tensorOf, workgroupsFor, type ConstantSpec, type LoweredOp, type LoweringContext } from '../lowering.ts';
import { elementCount, expectFloat, floatOperand, floatShader, floatUniforms, rankFields, rowMajorStrides } from './common.ts';

/** The op's function in WGSL (src/ops/unary.ts), for float32 or int32 tensors. */
function shaderParams(op: OpOf<UnaryOpType>, int32: boolean): Record<string, string | boolean> {
  const def = unaryOpDef(op.type);
  if (!int32) return { INT32: false, FUNCTION: def.wgsl(unaryOptionsOf(op)) };
  if (!def.int32) throw new LoweringError(`${op.type} at operator ${op.index} does not take int32 (TFLite has no such kernel)`);
  return { INT32: true, FUNCTION: def.int32.wgsl };
}

function lowerElementwise(ctx: LoweringContext, op: OpOf<UnaryOpType>, int32: boolean): LoweredOp {
  const label = `${int32 ? 'int32' : 'float'} ${op.type.toLowerCase()}#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  const total = elementCount(output);
  if (elementCount(input) !== total) throw new LoweringError(`${label}: input and output sizes differ`);
  const constants: ConstantSpec[] = [];
  let inputBinding;
  if (int32) {
    if (input.data) throw new LoweringError(`${label}: a constant input should have been folded by the converter`);
    inputBinding = { tensor: input.id };
  } else {
    expectFloat(output, 'output', label);
    inputBinding = floatOperand(input, 'input', constants, label);
  }
  const alpha = op.type === 'LEAKY_RELU' ? op.options.alpha : 0;
  constants.push({ label: `${label} params`, data: floatUniforms([['u32', total], ['f32', alpha], ['u32', 0], ['u32', 0]]), usage: 'uniform' });
  const shader = floatShader(ctx, mathSource, shaderParams(op, int32));
  return singleDispatch(label, shader, constants, [inputBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}

export function lowerFloatUnaryMath(ctx: LoweringContext, op: OpOf<UnaryOpType>): LoweredOp {
  return lowerElementwise(ctx, op, false);
}

/** int32 ops (ABS, NEG: those with `int32` in their definition); the int8 lowering sends int32 tensors here. */
export function lowerInt32Unary(ctx: LoweringContext, op: OpOf<UnaryOpType>): LoweredOp {
  return lowerElementwise(ctx, op, true);
}

/** Alpha's strides at each input coordinate (rank-8 padded), 0 where alpha broadcasts. */
function alphaStrides(input: TensorIR, alpha: TensorIR, label: string): number[] {
  const rank = input.shape.length;
  if (rank > PRELU_MAX_RANK || alpha.shape.length > rank) throw new LoweringError(`${label}: input [${input.shape.join(', ')}] and alpha [${alpha.shape.join(', ')}] (rank ≤ ${PRELU_MAX_RANK}, alpha's at most the input's)`);
  const padded = [...new Array<number>(rank - alpha.shape.length).fill(1), ...alpha.shape];
  const strides = rowMajorStrides(padded);
  padded.forEach((d, i) => {
    if (d !== input.shape[i] && d !== 1) throw new LoweringError(`${label}: alpha [${alpha.shape.join(', ')}] does not broadcast to [${input.shape.join(', ')}]`);
    if (d === 1) strides[i] = 0;
  });
  return strides;
}

export function lowerFloatPrelu(ctx: LoweringContext, op: OpOf<'PRELU'>): LoweredOp {
  const label = `float prelu#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const alpha = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  if (output.shape.length !== input.shape.length || output.shape.some((d, i) => d !== input.shape[i])) throw new LoweringError(`${label}: output [${output.shape.join(', ')}] must have the input's shape`);
  const strides = alphaStrides(input, alpha, label);
  const constants: ConstantSpec[] = [];
  const inputBinding = floatOperand(input, 'input', constants, label);
  const alphaBinding = floatOperand(alpha, 'alpha', constants, label);
  const total = elementCount(output);
  constants.push({
    label: `${label} params`,
    data: floatUniforms([['u32', total], ['u32', 0], ['u32', 0], ['u32', 0], ...rankFields(output.shape, 1, label), ...rankFields(strides, 0, label)]),
    usage: 'uniform',
  });
  const shader = floatShader(ctx, preluSource, {});
  return singleDispatch(label, shader, constants, [inputBinding, alphaBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}

export const FLOAT_UNARY_LOWERINGS = {
  ...loweringFor(UNARY_OP_TYPES, lowerFloatUnaryMath),
  PRELU: lowerFloatPrelu,
};
