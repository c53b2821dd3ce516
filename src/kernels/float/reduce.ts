// Float32 SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN onto shaders/float-reduce.wgsl and
// L2_NORMALIZATION, LOG_SOFTMAX onto shaders/float-normalize.wgsl.
import reduceSource from '../../../shaders/float-reduce.wgsl?raw';
import normalizeSource from '../../../shaders/float-normalize.wgsl?raw';
import type { OpOf } from '../../model/graph.ts';
import { checkReduceAxes, ReduceShapeError } from '../../model/reduce-shape.ts';
import { LoweringError, tensorOf, workgroupsFor, type ConstantSpec, type LoweredOp, type LoweringContext, singleDispatch } from '../lowering.ts';
import { constantInts, elementCount, expectFloat, floatOperand, floatShader, floatUniforms, rankFields, rowMajorStrides } from './common.ts';

type ReduceOp = OpOf<'SUM'> | OpOf<'REDUCE_MAX'> | OpOf<'REDUCE_MIN'> | OpOf<'REDUCE_PROD'>;

function lowerFloatReduce(ctx: LoweringContext, op: ReduceOp): LoweredOp {
  const label = `float ${op.type.toLowerCase()}#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const axesTensor = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  let axes: Set<number>;
  try {
    axes = checkReduceAxes(input.shape, axesTensor.dtype, constantInts(axesTensor, 'axes', label), output.shape, op.options.keepDims);
  } catch (e) {
    if (e instanceof ReduceShapeError) throw new LoweringError(`${label}: ${e.message}`);
    throw e;
  }
  const strides = rowMajorStrides(input.shape);
  const kept: number[][] = [[], []];
  const reduced: number[][] = [[], []];
  input.shape.forEach((d, i) => {
    const into = axes.has(i) ? reduced : kept;
    into[0]!.push(d);
    into[1]!.push(strides[i]!);
  });
  const total = kept[0]!.reduce((a, b) => a * b, 1);
  const reducedCount = reduced[0]!.reduce((a, b) => a * b, 1);
  const constants: ConstantSpec[] = [];
  const inputBinding = floatOperand(input, 'input', constants, label);
  constants.push({
    label: `${label} params`,
    data: floatUniforms([
      ['u32', total],
      ['u32', reducedCount],
      ['u32', 0],
      ['u32', 0],
      ...rankFields(kept[0]!, 1, label),
      ...rankFields(kept[1]!, 0, label),
      ...rankFields(reduced[0]!, 1, label),
      ...rankFields(reduced[1]!, 0, label),
    ]),
    usage: 'uniform',
  });
  const shader = floatShader(ctx, reduceSource, { SUM: op.type === 'SUM', PROD: op.type === 'REDUCE_PROD', MAX: op.type === 'REDUCE_MAX' });
  return singleDispatch(label, shader, constants, [inputBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}

function lowerFloatNormalize(ctx: LoweringContext, op: OpOf<'L2_NORMALIZATION'> | OpOf<'LOG_SOFTMAX'>): LoweredOp {
  const label = `float ${op.type.toLowerCase()}#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  const count = elementCount(input);
  if (count !== elementCount(output)) throw new LoweringError(`${label}: input and output sizes differ`);
  const depth = input.shape[input.shape.length - 1] ?? 1;
  const rows = depth === 0 ? 0 : count / depth;
  const constants: ConstantSpec[] = [];
  const inputBinding = floatOperand(input, 'input', constants, label);
  constants.push({ label: `${label} params`, data: floatUniforms([['u32', rows], ['u32', depth], ['u32', 0], ['u32', 0]]), usage: 'uniform' });
  const shader = floatShader(ctx, normalizeSource, { L2: op.type === 'L2_NORMALIZATION' });
  return singleDispatch(label, shader, constants, [inputBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, rows));
}

export const FLOAT_REDUCE_LOWERINGS = {
  SUM: lowerFloatReduce,
  REDUCE_MAX: lowerFloatReduce,
  REDUCE_MIN: lowerFloatReduce,
  REDUCE_PROD: lowerFloatReduce,
  L2_NORMALIZATION: lowerFloatNormalize,
  LOG_SOFTMAX: lowerFloatNormalize,
};
