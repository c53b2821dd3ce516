// Float32 ADD and MUL (broadcasting as the reference does), RELU, RELU6 and LOGISTIC, onto
// shaders/float-binary.wgsl and shaders/float-unary.wgsl.
import binarySource from '../../../shaders/float-binary.wgsl?raw';
import unarySource from '../../../shaders/float-unary.wgsl?raw';
import type { OpOf, TensorIR } from '../../model/graph.ts';
import { LoweringError, tensorOf, workgroupsFor, type ConstantSpec, type LoweredOp, type LoweringContext, singleDispatch } from '../lowering.ts';
import { elementCount, expectFloat, floatActivationRange, floatOperand, floatShader, floatUniforms, rankFields, rowMajorStrides } from './common.ts';

/**
 * Strides with which an input is read at each output coordinate: its row-major strides,
 * front-padded to the output's rank, 0 on broadcast (size 1) dimensions; null when it has the
 * output's shape already.
 */
function broadcastStrides(input: TensorIR, outShape: readonly number[], label: string): number[] | null {
  const rank = outShape.length;
  if (input.shape.length > rank) throw new LoweringError(`${label}: input [${input.shape.join(', ')}] has a higher rank than the output`);
  const padded = [...new Array<number>(rank - input.shape.length).fill(1), ...input.shape];
  if (padded.every((d, i) => d === outShape[i])) return null;
  const strides = rowMajorStrides(padded);
  for (let d = 0; d < rank; d++) {
    if (padded[d] !== outShape[d] && padded[d] !== 1) {
      throw new LoweringError(`${label}: input [${input.shape.join(', ')}] does not broadcast to [${outShape.join(', ')}]`);
    }
    if (padded[d] === 1) strides[d] = 0;
  }
  return strides;
}

export function lowerFloatBinary(ctx: LoweringContext, op: OpOf<'ADD'> | OpOf<'MUL'>): LoweredOp {
  const label = `float ${op.type.toLowerCase()}#${op.index}`;
  const a = tensorOf(ctx, op.inputs[0]!);
  const b = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  const constants: ConstantSpec[] = [];
  const aBinding = floatOperand(a, 'first input', constants, label);
  const bBinding = floatOperand(b, 'second input', constants, label);
  const aStrides = broadcastStrides(a, output.shape, label);
  const bStrides = broadcastStrides(b, output.shape, label);
  const broadcast = aStrides !== null || bStrides !== null;
  const [actMin, actMax] = floatActivationRange(op.options.activation, label);
  const total = elementCount(output);
  const identity = rowMajorStrides(output.shape);
  constants.push({
    label: `${label} params`,
    data: floatUniforms([
      ['u32', total],
      ['f32', actMin],
      ['f32', actMax],
      ['u32', 0],
      ...rankFields(output.shape, 1, label),
      ...rankFields(aStrides ?? identity, 0, label),
      ...rankFields(bStrides ?? identity, 0, label),
    ]),
    usage: 'uniform',
  });
  const shader = floatShader(ctx, binarySource, { BROADCAST: broadcast, MUL: op.type === 'MUL' });
  return singleDispatch(label, shader, constants, [aBinding, bBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}

export function lowerFloatUnary(ctx: LoweringContext, op: OpOf<'RELU'> | OpOf<'RELU6'> | OpOf<'LOGISTIC'>): LoweredOp {
  const label = `float ${op.type.toLowerCase()}#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  const total = elementCount(output);
  if (elementCount(input) !== total) throw new LoweringError(`${label}: input and output sizes differ`);
  const constants: ConstantSpec[] = [];
  const inputBinding = floatOperand(input, 'input', constants, label);
  const logistic = op.type === 'LOGISTIC';
  const [actMin, actMax] = logistic ? [0, 0] : floatActivationRange(op.type, label);
  constants.push({ label: `${label} params`, data: floatUniforms([['u32', total], ['f32', actMin], ['f32', actMax]]), usage: 'uniform' });
  const shader = floatShader(ctx, unarySource, { LOGISTIC: logistic });
  return singleDispatch(label, shader, constants, [inputBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}
