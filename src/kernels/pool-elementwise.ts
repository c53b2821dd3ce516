// Lowerings for ADD, MUL, AVERAGE_POOL_2D, MAX_POOL_2D and MEAN onto shaders/elementwise.wgsl,
// shaders/pool.wgsl and shaders/mean.wgsl. The host side computes exactly the multipliers, shifts
// and clamp ranges that src/reference computes, moved into the int8 domain the GPU works in.
import elementwiseSource from '../../shaders/elementwise.wgsl?raw';
import meanSource from '../../shaders/mean.wgsl?raw';
import poolSource from '../../shaders/pool.wgsl?raw';
import type { Activation, OpIR, OpOf, TensorIR } from '../model/graph.ts';
import { tensorElementCount } from '../model/graph.ts';
import { quantizeMultiplier } from '../quant/fixedpoint.ts';
import { xnnpackMulScale } from '../quant/binary.ts';
import { meanRule, meanThresholds } from '../quant/mean.ts';
import { constantData } from '../quant/tensor.ts';
import { roundHalfEven } from '../rounding.ts';
import { innerDim, roundUp4, toGpuLayout, type TensorData } from './layout.ts';
import { int8Shader } from './common.ts';
import { lowerBinaryArith } from './binary.ts';
import { lowerByteTables } from './unary.ts';
import {
  int8ActivationRange,
  int8ZeroPoint,
  LoweringError,
  windowGeometryOf,
  scaleOf,
  tensorOf,
  uniformWords,
  workgroupsFor,
  type BindingRef,
  type ConstantSpec,
  singleDispatch,
  type LoweredOp,
  type LoweringContext,
  xnnpackKernels,
} from './lowering.ts';

const f32 = Math.fround;

function checkEightBitPerTensor(t: TensorIR, what: string, op: Pick<OpIR, 'index' | 'type'>): void {
  if (t.dtype !== 'int8' && t.dtype !== 'uint8') {
    throw new LoweringError(`${op.type} at operator ${op.index}: ${what} '${t.name}' is ${t.dtype}, expected int8 or uint8`);
  }
  if (!t.quant || t.quant.scale.length !== 1) {
    throw new LoweringError(`${op.type} at operator ${op.index}: ${what} '${t.name}' must be quantized per tensor`);
  }
}

/** Rank-4 shape with leading 1s, or null when the rank is above 4. */
function toRank4(shape: readonly number[]): number[] | null {
  if (shape.length > 4) return null;
  return [...new Array<number>(4 - shape.length).fill(1), ...shape];
}

/** Byte strides of a rank-4 shape in the packed layout (innermost dimension padded to 4). */
function packedStrides(shape4: readonly number[]): number[] {
  const inner = roundUp4(shape4[3]!);
  return [shape4[1]! * shape4[2]! * inner, shape4[2]! * inner, inner, 1];
}

function vec4Fields(v: readonly number[]): Array<['u32', number]> {
  return v.map((x) => ['u32', x] as ['u32', number]);
}

/**
 * Binding of an operand: activations bind their buffer; a constant operand (a bias vector added
 * by ADD, say) is uploaded once in the GPU layout as one of the op's constants.
 */
function operandBinding(t: TensorIR, constants: ConstantSpec[], label: string): BindingRef {
  if (!t.data) return { tensor: t.id };
  constants.push({ label: `${label} ${t.name}`, data: toGpuLayout(t, constantData(t) as TensorData), usage: 'storage' });
  return { constant: constants.length - 1 };
}

// ---------------------------------------------------------------------------------------------
// ADD and MUL

interface BinaryCoefficients {
  aMultiplier: number;
  aShift: number;
  bMultiplier: number;
  bShift: number;
  outMultiplier: number;
  outShift: number;
}

/** TFLite's reference Add (add.cc Prepare, left_shift 20): every ratio a QuantizeMultiplier of a double. */
function tfliteAddCoefficients(a: TensorIR, b: TensorIR, out: TensorIR): BinaryCoefficients {
  const twiceMaxInputScale = 2 * Math.max(scaleOf(a), scaleOf(b));
  const m1 = quantizeMultiplier(scaleOf(a) / twiceMaxInputScale);
  const m2 = quantizeMultiplier(scaleOf(b) / twiceMaxInputScale);
  const mo = quantizeMultiplier(twiceMaxInputScale / (2 ** 20 * scaleOf(out)));
  return { aMultiplier: m1.multiplier, aShift: m1.shift, bMultiplier: m2.multiplier, bShift: m2.shift, outMultiplier: mo.multiplier, outShift: mo.shift };
}

/** XNNPACK's qs8/qu8 add params: float32 ratios, the larger scaled into [2^20, 2^21), one shift. */
function xnnpackAddCoefficients(op: Pick<OpIR, 'index'>, a: TensorIR, b: TensorIR, out: TensorIR): BinaryCoefficients {
  const ratioA = f32(f32(scaleOf(a)) / f32(scaleOf(out)));
  const ratioB = f32(f32(scaleOf(b)) / f32(scaleOf(out)));
  const bits = new DataView(new ArrayBuffer(4));
  bits.setFloat32(0, Math.max(ratioA, ratioB));
  const exponent = (bits.getUint32(0) >>> 23) - 127;
  const shift = 20 - exponent;
  if (shift < 1 || shift > 31) {
    throw new LoweringError(`ADD at operator ${op.index}: input/output scale ratio ${Math.max(ratioA, ratioB)} is outside XNNPACK's add range`);
  }
  return {
    aMultiplier: roundHalfEven(ratioA * 2 ** shift),
    aShift: 0,
    bMultiplier: roundHalfEven(ratioB * 2 ** shift),
    bShift: 0,
    outMultiplier: 0,
    outShift: shift,
  };
}

/**
 * MUL, mul.cc: QuantizeMultiplier of scale_a·scale_b/scale_out formed in float32. Under 'xnnpack'
 * where the delegate takes the op: XNNPACK's float32 scale, its bits in outMultiplier.
 */
function mulCoefficients(ctx: LoweringContext, a: TensorIR, b: TensorIR, out: TensorIR): BinaryCoefficients & { xnnpack: boolean } {
  const q = (t: TensorIR) => ({ scale: scaleOf(t), zeroPoint: 0 });
  const xnnScale = xnnpackKernels(ctx) ? xnnpackMulScale(q(a), q(b), q(out)) : null;
  if (xnnScale !== null) {
    return { aMultiplier: 0, aShift: 0, bMultiplier: 0, bShift: 0, outMultiplier: float32Bits(xnnScale), outShift: 0, xnnpack: true };
  }
  const m = quantizeMultiplier(f32(f32(f32(scaleOf(a)) * f32(scaleOf(b))) / f32(scaleOf(out))));
  return { aMultiplier: 0, aShift: 0, bMultiplier: 0, bShift: 0, outMultiplier: m.multiplier, outShift: m.shift, xnnpack: false };
}

/** A float32's bits as an i32 uniform word. */
function float32Bits(x: number): number {
  return new Int32Array(new Float32Array([x]).buffer)[0]!;
}

/** ADD's coefficients in the context's requantization: XNNPACK's where its kernels apply, else TFLite's reference Add. */
function addCoefficients(ctx: LoweringContext, op: Pick<OpIR, 'index'>, a: TensorIR, b: TensorIR, out: TensorIR): BinaryCoefficients {
  return xnnpackKernels(ctx) ? xnnpackAddCoefficients(op, a, b, out) : tfliteAddCoefficients(a, b, out);
}

/** The fields of shaders/common.wgsl's BinaryQuant, in its order: `a` and `b` the operands in the op's order. */
function binaryQuantFields(a: TensorIR, b: TensorIR, out: TensorIR, activation: Activation, c: BinaryCoefficients): Array<['i32', number]> {
  const [actMin, actMax] = int8ActivationRange(activation, out);
  return [int8ZeroPoint(a), int8ZeroPoint(b), int8ZeroPoint(out), actMin, actMax, c.aMultiplier, c.aShift, c.bMultiplier, c.bShift, c.outMultiplier, c.outShift].map((v) => ['i32', v] as ['i32', number]);
}

/**
 * The checks and BinaryQuant fields of an 8-bit ADD of `a` and `b` (in the op's operand order)
 * into `out`: what the ADD kernel computes with, and a convolution's fused ADD
 * (src/kernels/conv2d.ts) the same. `op` names the ADD in messages.
 */
export function addQuantFields(ctx: LoweringContext, op: Pick<OpIR, 'index' | 'type'>, a: TensorIR, b: TensorIR, out: TensorIR, activation: Activation): Array<['i32', number]> {
  checkEightBitPerTensor(a, 'first input', op);
  checkEightBitPerTensor(b, 'second input', op);
  checkEightBitPerTensor(out, 'output', op);
  checkSameDtype(op, a, b, out);
  return binaryQuantFields(a, b, out, activation, addCoefficients(ctx, op, a, b, out));
}

function checkSameDtype(op: Pick<OpIR, 'index' | 'type'>, a: TensorIR, b: TensorIR, out: TensorIR): void {
  if (a.dtype !== out.dtype || b.dtype !== out.dtype) {
    throw new LoweringError(`${op.type} at operator ${op.index}: inputs ${a.dtype} and ${b.dtype} with output ${out.dtype} (all three must match)`);
  }
}

function sameShapeAs(t: TensorIR, out: TensorIR): boolean {
  return t.shape.length === out.shape.length && t.shape.every((d, i) => d === out.shape[i]);
}

function lowerBinary(ctx: LoweringContext, op: OpOf<'ADD'> | OpOf<'MUL'>): LoweredOp {
  const a = tensorOf(ctx, op.inputs[0]!);
  const b = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  // int32 operands and 8-bit broadcasts above rank 4: the binary arithmetic family's kernels.
  if (a.dtype === 'int32' || (output.shape.length > 4 && (!sameShapeAs(a, output) || !sameShapeAs(b, output)))) return lowerBinaryArith(ctx, op);
  checkEightBitPerTensor(a, 'first input', op);
  checkEightBitPerTensor(b, 'second input', op);
  checkEightBitPerTensor(output, 'output', op);
  checkSameDtype(op, a, b, output);
  // Tables from the load pass (a constant operand of the innermost dimension at most): one lookup a byte.
  const tabled = lowerByteTables(ctx, op);
  if (tabled) return tabled;
  const label = `${op.type.toLowerCase()}#${op.index}`;
  const isMul = op.type === 'MUL';
  const mul = isMul ? mulCoefficients(ctx, a, b, output) : null;
  const coefficients = mul ?? addCoefficients(ctx, op, a, b, output);

  const outShape = output.shape;
  const sameShape = (t: TensorIR) => {
    const padded = [...new Array<number>(Math.max(0, outShape.length - t.shape.length)).fill(1), ...t.shape];
    return padded.length === outShape.length && padded.every((d, i) => d === outShape[i]);
  };
  const broadcast = !sameShape(a) || !sameShape(b);
  let aStrides = [0, 0, 0, 0];
  let bStrides = [0, 0, 0, 0];
  let out4 = [1, 1, 1, 1];
  if (broadcast) {
    const o4 = toRank4(outShape);
    if (!o4) throw new LoweringError(`${op.type} at operator ${op.index}: broadcasting is supported up to rank 4, output is [${outShape.join(', ')}]`);
    out4 = o4;
    const stridesFor = (t: TensorIR): number[] => {
      const s4 = t.shape.length <= outShape.length ? toRank4(t.shape) : null;
      if (!s4) throw new LoweringError(`${op.type} at operator ${op.index}: input [${t.shape.join(', ')}] has a higher rank than the output`);
      const strides = packedStrides(s4);
      return s4.map((d, i) => {
        if (d === out4[i]) return d === 1 ? 0 : strides[i]!;
        if (d === 1) return 0;
        throw new LoweringError(`${op.type} at operator ${op.index}: input [${t.shape.join(', ')}] does not broadcast to [${outShape.join(', ')}]`);
      });
    };
    aStrides = stridesFor(a);
    bStrides = stridesFor(b);
  }

  const outInner = innerDim(outShape);
  const outC4 = roundUp4(outInner) / 4;
  const total = (tensorElementCount(outShape) / Math.max(outInner, 1)) * outC4;
  const uniforms = uniformWords([
    ...vec4Fields(out4),
    ...vec4Fields(aStrides),
    ...vec4Fields(bStrides),
    ['u32', outInner],
    ['u32', outC4],
    ['u32', total],
    // Padding: the shader's quant member starts at a multiple of 16 bytes.
    ['u32', 0],
    ...binaryQuantFields(a, b, output, op.options.activation, coefficients),
  ]);
  const constants: ConstantSpec[] = [];
  const aBinding = operandBinding(a, constants, label);
  const bBinding = operandBinding(b, constants, label);
  constants.push({ label: `${label} params`, data: uniforms, usage: 'uniform' });
  // MUL's rule is in XNNPACK_MUL: pin FLOAT_REQUANT so both modes share mul.cc's pipeline.
  const shader = int8Shader(ctx, elementwiseSource, {
    MUL: isMul,
    XNNPACK_MUL: mul?.xnnpack ?? false,
    BROADCAST: broadcast,
    ...(isMul ? { FLOAT_REQUANT: false } : {}),
  });
  return singleDispatch(label, shader, constants, [aBinding, bBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}

// ---------------------------------------------------------------------------------------------
// AVERAGE_POOL_2D and MAX_POOL_2D

function lowerPool(ctx: LoweringContext, op: OpOf<'AVERAGE_POOL_2D'> | OpOf<'MAX_POOL_2D'>): LoweredOp {
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkEightBitPerTensor(input, 'input', op);
  checkEightBitPerTensor(output, 'output', op);
  if (input.shape.length !== 4 || output.shape.length !== 4) {
    throw new LoweringError(`${op.type} at operator ${op.index} needs 4-D NHWC input and output`);
  }
  if (input.dtype !== output.dtype) throw new LoweringError(`${op.type} at operator ${op.index}: ${input.dtype} input with ${output.dtype} output`);
  // Pooling never rescales (TFLite requires equal params); a mismatch is refused, not ignored.
  if (int8ZeroPoint(input) !== int8ZeroPoint(output) || f32(scaleOf(input)) !== f32(scaleOf(output))) {
    throw new LoweringError(`${op.type} at operator ${op.index}: input and output quantization differ`);
  }
  const [batch, inH, inW, channels] = input.shape as [number, number, number, number];
  const [outBatch, outH, outW, outC] = output.shape as [number, number, number, number];
  if (outBatch !== batch || outC !== channels) {
    throw new LoweringError(`${op.type} at operator ${op.index}: output [${output.shape.join(', ')}] does not match input [${input.shape.join(', ')}]`);
  }
  const o = op.options;
  const g = windowGeometryOf(`${op.type} at operator ${op.index}`, input, output, { ...o, dilationH: 1, dilationW: 1 }, o.filterH, o.filterW);
  const c4 = roundUp4(channels) / 4;
  const total = batch * outH * outW * c4;
  const [actMin, actMax] = int8ActivationRange(o.activation, output);
  const uniforms = uniformWords([
    ['u32', inH],
    ['u32', inW],
    ['u32', c4],
    ['u32', outH],
    ['u32', outW],
    ['u32', o.filterH],
    ['u32', o.filterW],
    ['u32', o.strideH],
    ['u32', o.strideW],
    ['i32', g.padTop],
    ['i32', g.padLeft],
    ['i32', actMin],
    ['i32', actMax],
    ['u32', total],
  ]);
  const isMax = op.type === 'MAX_POOL_2D';
  const label = `${isMax ? 'maxpool' : 'avgpool'}#${op.index}`;
  // Max pooling is the same for both dtypes; keep one pipeline for it.
  const shader = int8Shader(ctx, poolSource, { MAX: isMax, UINT8: !isMax && input.dtype === 'uint8', FLOAT_REQUANT: false });
  return singleDispatch(label, shader, [{ label: `${label} params`, data: uniforms, usage: 'uniform' }], [{ tensor: input.id }, { tensor: output.id }, { constant: 0 }], workgroupsFor(ctx, total));
}

// ---------------------------------------------------------------------------------------------
// MEAN

function axesOf(ctx: LoweringContext, op: OpOf<'MEAN'>, rank: number): Set<number> {
  const axisTensor = tensorOf(ctx, op.inputs[1]!);
  if (!axisTensor.data) throw new LoweringError(`MEAN at operator ${op.index}: the axis tensor must be a constant`);
  const raw = constantData(axisTensor);
  if (raw instanceof Float32Array) throw new LoweringError(`MEAN at operator ${op.index}: axis tensor is float32`);
  const axes = new Set<number>();
  for (const v of raw) {
    const a = Number(v);
    const axis = a < 0 ? a + rank : a;
    if (axis < 0 || axis >= rank) throw new LoweringError(`MEAN at operator ${op.index}: axis ${a} is outside rank ${rank}`);
    axes.add(axis);
  }
  return axes;
}

function lowerMean(ctx: LoweringContext, op: OpOf<'MEAN'>): LoweredOp {
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkEightBitPerTensor(input, 'input', op);
  checkEightBitPerTensor(output, 'output', op);
  if (input.dtype !== output.dtype) throw new LoweringError(`MEAN at operator ${op.index}: ${input.dtype} input with ${output.dtype} output`);
  const rank = input.shape.length;
  const in4 = toRank4(input.shape);
  if (!in4) throw new LoweringError(`MEAN at operator ${op.index}: input rank ${rank} is above 4`);
  const axes = axesOf(ctx, op, rank);
  // Axes of the rank-4 view: the padding dimensions in front are 1 and count as kept.
  const reduced4 = in4.map((_, i) => axes.has(i - (4 - rank)));
  const keptShape = in4.map((d, i) => (reduced4[i] ? 1 : d));
  const reducedShape = in4.map((d, i) => (reduced4[i] ? d : 1));
  const outCount = tensorElementCount(keptShape);
  if (outCount !== tensorElementCount(output.shape)) {
    throw new LoweringError(`MEAN at operator ${op.index}: output [${output.shape.join(', ')}] does not match reducing [${input.shape.join(', ')}] over [${[...axes].join(', ')}]`);
  }
  const n = tensorElementCount(reducedShape);
  const axisTensor = tensorOf(ctx, op.inputs[1]!);
  const rule = meanRule({
    dtype: input.dtype as 'int8' | 'uint8',
    rank,
    rawAxes: Array.from(constantData(axisTensor) as ArrayLike<number | bigint>, Number),
    axesInt32: axisTensor.dtype === 'int32',
    keepDims: op.options.keepDims,
    count: n,
    inputScale: scaleOf(input),
    inputZeroPoint: input.quant!.zeroPoint[0]!,
    outputScale: scaleOf(output),
    outputZeroPoint: output.quant!.zeroPoint[0]!,
    // XNNPACK's global average pooling only where its delegate runs the graph.
    requantization: xnnpackKernels(ctx) ? 'xnnpack' : 'tflite',
  });
  // The finishing rounding as 255 thresholds over the int8-domain sum (src/quant/mean.ts).
  const thresholds = meanThresholds(rule, input.dtype as 'int8' | 'uint8', n);
  const outInner = innerDim(output.shape);
  const outC4 = roundUp4(outInner) / 4;
  const total = (outCount / Math.max(outInner, 1)) * outC4;
  const wordwise = !reduced4[3];
  const uniforms = uniformWords([
    ...vec4Fields(keptShape),
    ...vec4Fields(reducedShape),
    ...vec4Fields(packedStrides(in4)),
    ['u32', outInner],
    ['u32', outC4],
    ['u32', total],
    ['u32', n],
    ...Array.from(thresholds, (t) => ['i32', t] as ['i32', number]),
    ['i32', 0x7fffffff],
  ]);
  const label = `mean#${op.index}`;
  const shader = int8Shader(ctx, meanSource, { WORDWISE: wordwise, FLOAT_REQUANT: false });
  return singleDispatch(label, shader, [{ label: `${label} params`, data: uniforms, usage: 'uniform' }], [{ tensor: input.id }, { tensor: output.id }, { constant: 0 }], workgroupsFor(ctx, total));
}

export const POOL_AND_ELEMENTWISE_LOWERINGS = {
  ADD: lowerBinary,
  MUL: lowerBinary,
  AVERAGE_POOL_2D: lowerPool,
  MAX_POOL_2D: lowerPool,
  MEAN: lowerMean,
};
