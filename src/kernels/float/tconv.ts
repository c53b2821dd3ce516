// Float32 TRANSPOSE_CONV and BATCH_MATMUL onto shaders/float-tconv.wgsl and
// shaders/float-batch-matmul.wgsl. Weights may be float32, or 8-bit with quantization parameters
// (hybrid models and dequantized 8-bit graphs), dequantized once here; biases likewise.
import tconvSource from '../../../shaders/float-tconv.wgsl?raw';
import batchMatMulSource from '../../../shaders/float-batch-matmul.wgsl?raw';
import type { OpOf } from '../../model/graph.ts';
import { ConvFamilyShapeError, batchMatMulGeometry, transposeConvGeometry } from '../../model/conv-family.ts';
import { roundUp4 } from '../layout.ts';
import { LoweringError, singleDispatch, tensorOf, workgroupsFor, type ConstantSpec, type LoweredOp, type LoweringContext } from '../lowering.ts';
import { elementCount, expectFloat, floatActivationRange, floatConstant, floatOperand, floatShader, floatUniforms, type UniformField } from './common.ts';

function geometry<T>(label: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof ConvFamilyShapeError) throw new LoweringError(`${label}: ${e.message}`);
    throw e;
  }
}

export function lowerFloatTransposeConv(ctx: LoweringContext, op: OpOf<'TRANSPOSE_CONV'>): LoweredOp {
  const label = `float tconv#${op.index}`;
  const g = geometry(label, () => transposeConvGeometry(ctx.graph, op));
  const filter = tensorOf(ctx, op.inputs[1]!);
  const input = tensorOf(ctx, op.inputs[2]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  const w = floatConstant(filter, 'weights');
  const perChannel = g.kH * g.kW * g.inC;
  const outC4 = roundUp4(g.outC) / 4;
  const packed = new Float32Array(outC4 * perChannel * 4);
  for (let oc = 0; oc < g.outC; oc++) {
    const group = oc >> 2;
    const lane = oc & 3;
    for (let k = 0; k < perChannel; k++) packed[(group * perChannel + k) * 4 + lane] = w[oc * perChannel + k]!;
  }
  const bias = new Float32Array(outC4 * 4);
  const biasId = op.inputs[3] ?? -1;
  if (biasId >= 0) bias.set(floatConstant(tensorOf(ctx, biasId), 'bias'));
  const [actMin, actMax] = floatActivationRange(op.options.activation, label);
  const total = g.batch * g.outH * g.outW * outC4;
  const constants: ConstantSpec[] = [];
  const inputBinding = floatOperand(input, 'input', constants, label);
  constants.push({ label: `${label} weights`, data: packed, usage: 'storage' });
  constants.push({ label: `${label} bias`, data: bias, usage: 'storage' });
  constants.push({
    label: `${label} params`,
    data: floatUniforms([
      ['u32', g.batch], ['u32', g.inH], ['u32', g.inW], ['u32', g.inC],
      ['u32', g.outH], ['u32', g.outW], ['u32', g.outC], ['u32', outC4],
      ['u32', g.kH], ['u32', g.kW], ['u32', g.strideH], ['u32', g.strideW],
      ['u32', g.padTop], ['u32', g.padLeft], ['f32', actMin], ['f32', actMax], ['u32', total],
    ]),
    usage: 'uniform',
  });
  const n = constants.length;
  return singleDispatch(label, floatShader(ctx, tconvSource), constants, [inputBinding, { constant: n - 3 }, { constant: n - 2 }, { tensor: output.id }, { constant: n - 1 }], workgroupsFor(ctx, total));
}

function batchFields(dims: readonly number[], fill: number): UniformField[] {
  if (dims.length > 3) throw new LoweringError(`BATCH_MATMUL with ${dims.length} batch dims; TFLite takes rank 5 at most`);
  return [...new Array<number>(3 - dims.length).fill(fill), ...dims, 0].map((v): UniformField => ['u32', v]);
}

export function lowerFloatBatchMatMul(ctx: LoweringContext, op: OpOf<'BATCH_MATMUL'>): LoweredOp {
  const label = `float bmm#${op.index}`;
  const g = geometry(label, () => batchMatMulGeometry(ctx.graph, op));
  const lhs = tensorOf(ctx, op.inputs[0]!);
  const rhs = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  if (!rhs.data && rhs.dtype !== 'float32') throw new LoweringError(`${label}: RHS '${rhs.name}' is ${rhs.dtype}, expected float32`);
  const { adjX, adjY } = op.options;
  const constants: ConstantSpec[] = [];
  const lhsBinding = floatOperand(lhs, 'LHS', constants, label);
  const rhsBinding = floatOperand(rhs, 'RHS', constants, label);
  const total = elementCount(output);
  constants.push({
    label: `${label} params`,
    data: floatUniforms([
      ['u32', g.m], ['u32', g.n], ['u32', g.k], ['u32', total],
      ...batchFields(g.batchDims, 1), ...batchFields(g.lhsBatchStrides, 0), ...batchFields(g.rhsBatchStrides, 0),
      // LHS stored [m][k] (or [k][m] with adj_x); RHS [k][n] (or [n][k] with adj_y).
      ['u32', adjX ? 1 : g.k], ['u32', adjX ? g.m : 1],
      ['u32', adjY ? 1 : g.n], ['u32', adjY ? g.k : 1],
      ['u32', g.m * g.k], ['u32', g.k * g.n],
    ]),
    usage: 'uniform',
  });
  return singleDispatch(label, floatShader(ctx, batchMatMulSource), constants, [lhsBinding, rhsBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}
