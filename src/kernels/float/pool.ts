// Float32 AVERAGE_POOL_2D, MAX_POOL_2D and MEAN onto shaders/float-pool.wgsl and
// shaders/float-mean.wgsl.
import poolSource from '../../../shaders/float-pool.wgsl?raw';
import meanSource from '../../../shaders/float-mean.wgsl?raw';
import type { OpOf } from '../../model/graph.ts';
import { LoweringError, tensorOf, windowGeometryOf, workgroupsFor, type ConstantSpec, type LoweredOp, type LoweringContext, singleDispatch } from '../lowering.ts';
import { constantInts, elementCount, expectFloat, floatActivationRange, floatOperand, floatShader, floatUniforms, rankFields, rowMajorStrides } from './common.ts';

export function lowerFloatPool(ctx: LoweringContext, op: OpOf<'AVERAGE_POOL_2D'> | OpOf<'MAX_POOL_2D'>): LoweredOp {
  const max = op.type === 'MAX_POOL_2D';
  const label = `float ${max ? 'maxpool' : 'avgpool'}#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  if (input.shape.length !== 4 || output.shape.length !== 4) throw new LoweringError(`${label}: input and output must be 4-D NHWC`);
  const [batch, inH, inW, channels] = input.shape as [number, number, number, number];
  const [outBatch, outH, outW, outC] = output.shape as [number, number, number, number];
  if (outBatch !== batch || outC !== channels) throw new LoweringError(`${label}: output [${output.shape.join(', ')}] does not match input [${input.shape.join(', ')}]`);
  const o = op.options;
  const [actMin, actMax] = floatActivationRange(o.activation, label);
  const g = windowGeometryOf(label, input, output, { ...o, dilationH: 1, dilationW: 1 }, o.filterH, o.filterW);
  const total = elementCount(output);
  const constants: ConstantSpec[] = [];
  const inputBinding = floatOperand(input, 'input', constants, label);
  constants.push({
    label: `${label} params`,
    data: floatUniforms([
      ['u32', batch],
      ['u32', inH],
      ['u32', inW],
      ['u32', channels],
      ['u32', outH],
      ['u32', outW],
      ['u32', o.filterH],
      ['u32', o.filterW],
      ['u32', o.strideH],
      ['u32', o.strideW],
      ['i32', g.padTop],
      ['i32', g.padLeft],
      ['f32', actMin],
      ['f32', actMax],
      ['u32', total],
    ]),
    usage: 'uniform',
  });
  const shader = floatShader(ctx, poolSource, { MAX: max });
  return singleDispatch(label, shader, constants, [inputBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}

/** MEAN over the axes of the constant input 1 (negative axes count from the end; keepDims only changes the output's shape). */
export function lowerFloatMean(ctx: LoweringContext, op: OpOf<'MEAN'>): LoweredOp {
  const label = `float mean#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const axesTensor = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  const rank = input.shape.length;
  const axes = new Set(
    constantInts(axesTensor, 'axes', label).map((a) => {
      const axis = a < 0 ? a + rank : a;
      if (axis < 0 || axis >= rank) throw new LoweringError(`${label}: axis ${a} is outside rank ${rank}`);
      return axis;
    }),
  );
  const strides = rowMajorStrides(input.shape);
  const keptDims: number[] = [];
  const keptStrides: number[] = [];
  const reducedDims: number[] = [];
  const reducedStrides: number[] = [];
  input.shape.forEach((d, i) => {
    if (axes.has(i)) {
      reducedDims.push(d);
      reducedStrides.push(strides[i]!);
    } else {
      keptDims.push(d);
      keptStrides.push(strides[i]!);
    }
  });
  const total = keptDims.reduce((a, b) => a * b, 1);
  const reducedCount = reducedDims.reduce((a, b) => a * b, 1);
  if (elementCount(output) !== total) throw new LoweringError(`${label}: output [${output.shape.join(', ')}] does not match reducing [${input.shape.join(', ')}] over [${[...axes].join(', ')}]`);
  const constants: ConstantSpec[] = [];
  const inputBinding = floatOperand(input, 'input', constants, label);
  constants.push({
    label: `${label} params`,
    data: floatUniforms([
      ['u32', total],
      ['u32', reducedCount],
      ['u32', 0],
      ['u32', 0],
      ...rankFields(keptDims, 1, label),
      ...rankFields(keptStrides, 0, label),
      ...rankFields(reducedDims, 1, label),
      ...rankFields(reducedStrides, 0, label),
    ]),
    usage: 'uniform',
  });
  const shader = floatShader(ctx, meanSource);
  return singleDispatch(label, shader, constants, [inputBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}
