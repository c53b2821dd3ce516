// Lowerings of the binary arithmetic family onto shaders/binary.wgsl (8-bit) and
// shaders/binary-plain.wgsl (int32 here, float32 from src/kernels/float/binary.ts): SUB, DIV,
// MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, POW, FLOOR_DIV, FLOOR_MOD, and the ADD and MUL cases
// pool-elementwise.ts hands over (int32, and 8-bit broadcasts above rank 4). Every refusal is
// the reference's (binaryOperandProblem), and the host computes exactly the reference's integers
// (src/quant/binary.ts), moved into the int8 domain the GPU works in.
import binarySource from '../../shaders/binary.wgsl?raw';
import plainSource from '../../shaders/binary-plain.wgsl?raw';
import type { OpIR, TensorIR } from '../model/graph.ts';
import { tensorElementCount } from '../model/graph.ts';
import { padShape } from '../model/broadcast.ts';
import { int32ActivationRange, squaredDifferenceParams, tfliteAddParams, xnnpackAddParams, xnnpackMulScale } from '../quant/binary.ts';
import { quantizeMultiplier } from '../quant/fixedpoint.ts';
import { constantData } from '../quant/tensor.ts';
import { binaryOperandProblem, type BinaryArithOp } from '../model/binary-ops.ts';
import { innerDim, roundUp4, toGpuLayout, type TensorData } from './layout.ts';
import { int8Shader } from './common.ts';
import { lowerByteTables } from './unary.ts';
import { floatShader, floatUniforms, type UniformField } from './float/common.ts';
import {
  int8ActivationRange,
  int8ZeroPoint,
  LoweringError,
  scaleOf,
  singleDispatch,
  tensorOf,
  uniformWords,
  workgroupsFor,
  type BindingRef,
  type ConstantSpec,
  type LoweredOp,
  type LoweringContext,
  xnnpackKernels,
} from './lowering.ts';

const f32 = Math.fround;
/** The shaders walk 8 dimensions; TFLite's limit (6) is checked before. */
const SHADER_RANK = 8;

/** The shared refusals: dtypes, broadcast shapes, constant zero divisors and negative exponents. */
export function checkBinaryOperands(op: OpIR, a: TensorIR, b: TensorIR, out: TensorIR): void {
  // 8-bit operands can hold no value TFLite errors on; int32 and float32 constants are checked.
  const bValues = b.data && b.dtype !== 'int8' && b.dtype !== 'uint8' ? (constantData(b) as ArrayLike<number>) : undefined;
  const problem = binaryOperandProblem(op, a, b, out, bValues);
  if (problem) throw new LoweringError(`${op.type} at operator ${op.index} ${problem}`);
}

function sameShape(t: TensorIR, outShape: readonly number[]): boolean {
  const padded = padShape(t.shape, outShape.length);
  return t.shape.length <= outShape.length && padded.every((d, i) => d === outShape[i]);
}

/** A constant operand uploaded once in the GPU layout; an activation binds its buffer. */
function operandBinding(t: TensorIR, constants: ConstantSpec[], label: string): BindingRef {
  if (!t.data) return { tensor: t.id };
  constants.push({ label: `${label} ${t.name}`, data: toGpuLayout(t, constantData(t) as TensorData), usage: 'storage' });
  return { constant: constants.length - 1 };
}

function rank8(values: readonly number[], fill: number): number[] {
  return [...new Array<number>(SHADER_RANK - values.length).fill(fill), ...values];
}

/** Byte strides of an 8-bit tensor read at output coordinates: packed layout, 0 where it broadcasts. */
function packedBroadcastStrides(t: TensorIR, rank: number): number[] {
  const shape = padShape(t.shape, rank);
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = shape[d] === 1 ? 0 : s;
    s *= d === rank - 1 ? roundUp4(shape[d]!) : shape[d]!;
  }
  return strides;
}

/** Element strides of a plainly stored tensor read at output coordinates, 0 where it broadcasts. */
function plainBroadcastStrides(t: TensorIR, rank: number): number[] {
  const shape = padShape(t.shape, rank);
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = shape[d] === 1 ? 0 : s;
    s *= shape[d]!;
  }
  return strides;
}

interface Coefficients {
  aMultiplier: number;
  aShift: number;
  bMultiplier: number;
  bShift: number;
  outMultiplier: number;
  outShift: number;
  xnnpack: boolean;
}

function eightBitCoefficients(ctx: LoweringContext, op: OpIR, a: TensorIR, b: TensorIR, out: TensorIR): Coefficients {
  const q = (t: TensorIR) => ({ scale: scaleOf(t), zeroPoint: t.quant!.zeroPoint[0]! });
  const none = { aMultiplier: 0, aShift: 0, bMultiplier: 0, bShift: 0, outMultiplier: 0, outShift: 0, xnnpack: false };
  switch (op.type) {
    case 'MAXIMUM':
    case 'MINIMUM':
      return none;
    case 'MUL': {
      // XNNPACK's fp32 multiply where the delegate takes the op (its float32 scale's bits in
      // outMultiplier), mul.cc's multiplier otherwise.
      const xnnScale = xnnpackKernels(ctx) ? xnnpackMulScale(q(a), q(b), q(out)) : null;
      if (xnnScale !== null) return { ...none, outMultiplier: new Int32Array(new Float32Array([xnnScale]).buffer)[0]!, xnnpack: true };
      const m = quantizeMultiplier(f32(f32(f32(scaleOf(a)) * f32(scaleOf(b))) / f32(scaleOf(out))));
      return { ...none, outMultiplier: m.multiplier, outShift: m.shift };
    }
    case 'SQUARED_DIFFERENCE': {
      const p = squaredDifferenceParams(q(a), q(b), q(out));
      if (!p) throw new LoweringError(`SQUARED_DIFFERENCE at operator ${op.index}: output scale ${scaleOf(out)} makes the output multiplier 1 or more (TFLite aborts on it)`);
      return { aMultiplier: p.m1.multiplier, aShift: p.m1.shift, bMultiplier: p.m2.multiplier, bShift: p.m2.shift, outMultiplier: p.mo.multiplier, outShift: p.mo.shift, xnnpack: false };
    }
    case 'ADD':
    case 'SUB': {
      if (xnnpackKernels(ctx)) {
        const p = xnnpackAddParams(q(a), q(b), q(out), op.type === 'SUB');
        if (!p) throw new LoweringError(`${op.type} at operator ${op.index}: input/output scale ratio is outside XNNPACK's add range`);
        return { ...none, aMultiplier: p.m1, bMultiplier: p.m2, outShift: p.shift, xnnpack: true };
      }
      const p = tfliteAddParams(q(a), q(b), q(out));
      return { aMultiplier: p.m1.multiplier, aShift: p.m1.shift, bMultiplier: p.m2.multiplier, bShift: p.m2.shift, outMultiplier: p.mo.multiplier, outShift: p.mo.shift, xnnpack: false };
    }
    default:
      throw new LoweringError(`${op.type} at operator ${op.index} has no 8-bit kernel`);
  }
}

function lowerEightBit(ctx: LoweringContext, op: BinaryArithOp, a: TensorIR, b: TensorIR, output: TensorIR): LoweredOp {
  for (const [t, role] of [[a, 'first input'], [b, 'second input'], [output, 'output']] as const) {
    if (!t.quant || t.quant.scale.length !== 1) throw new LoweringError(`${op.type} at operator ${op.index}: ${role} '${t.name}' must be quantized per tensor`);
  }
  const label = `${op.type.toLowerCase()}#${op.index}`;
  const c = eightBitCoefficients(ctx, op, a, b, output);
  const outShape = output.shape;
  const broadcast = !sameShape(a, outShape) || !sameShape(b, outShape);
  const rank = outShape.length;
  const outInner = innerDim(outShape);
  const outC4 = roundUp4(outInner) / 4;
  const total = (tensorElementCount(outShape) / Math.max(outInner, 1)) * outC4;
  const activation = 'activation' in op.options ? op.options.activation : 'NONE';
  const [actMin, actMax] = op.type === 'MAXIMUM' || op.type === 'MINIMUM' ? [-128, 127] : int8ActivationRange(activation, output);
  const u32s = (v: number[]) => v.map((x) => ['u32', x] as ['u32', number]);
  const uniforms = uniformWords([
    ...u32s(rank8(outShape, 1)),
    ...u32s(rank8(broadcast ? packedBroadcastStrides(a, rank) : [], 0)),
    ...u32s(rank8(broadcast ? packedBroadcastStrides(b, rank) : [], 0)),
    ['u32', outInner],
    ['u32', outC4],
    ['u32', total],
    ['i32', int8ZeroPoint(a)],
    ['i32', int8ZeroPoint(b)],
    ['i32', int8ZeroPoint(output)],
    ['i32', actMin],
    ['i32', actMax],
    ['i32', c.aMultiplier],
    ['i32', c.aShift],
    ['i32', c.bMultiplier],
    ['i32', c.bShift],
    ['i32', c.outMultiplier],
    ['i32', c.outShift],
  ]);
  const constants: ConstantSpec[] = [];
  const aBinding = operandBinding(a, constants, label);
  const bBinding = operandBinding(b, constants, label);
  constants.push({ label: `${label} params`, data: uniforms, usage: 'uniform' });
  const shader = int8Shader(ctx, binarySource, {
    BROADCAST: broadcast,
    MAXIMUM: op.type === 'MAXIMUM',
    MINIMUM: op.type === 'MINIMUM',
    MUL: op.type === 'MUL',
    SQUARED_DIFFERENCE: op.type === 'SQUARED_DIFFERENCE',
    SUB: op.type === 'SUB',
    XNNPACK_ADD: c.xnnpack && op.type !== 'MUL',
    XNNPACK_MUL: c.xnnpack && op.type === 'MUL',
    // The mode is in XNNPACK_ADD / XNNPACK_MUL already: pin it so both modes share pipelines.
    FLOAT_REQUANT: false,
  });
  return singleDispatch(label, shader, constants, [aBinding, bBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}

/**
 * A plainly stored 32-bit binary op: int32 (this table) or float32 (float/binary.ts, which
 * supplies the float operands and activation range).
 */
export function lowerPlainBinary(
  ctx: LoweringContext,
  op: BinaryArithOp,
  output: TensorIR,
  operands: { a: TensorIR; b: TensorIR; aBinding: BindingRef; bBinding: BindingRef; constants: ConstantSpec[] },
  float: boolean,
  actRange: [number, number],
): LoweredOp {
  const label = `${float ? 'float ' : ''}${op.type.toLowerCase()}#${op.index}`;
  const { a, b, constants } = operands;
  const outShape = output.shape;
  const broadcast = !sameShape(a, outShape) || !sameShape(b, outShape);
  const rank = outShape.length;
  const total = tensorElementCount(outShape);
  const kind = float ? 'f32' : 'i32';
  const fields: UniformField[] = [
    ['u32', total],
    [kind, actRange[0]],
    [kind, actRange[1]],
    ['u32', 0],
    ...rank8(outShape, 1).map((v): UniformField => ['u32', v]),
    ...rank8(broadcast ? plainBroadcastStrides(a, rank) : [], 0).map((v): UniformField => ['u32', v]),
    ...rank8(broadcast ? plainBroadcastStrides(b, rank) : [], 0).map((v): UniformField => ['u32', v]),
  ];
  constants.push({ label: `${label} params`, data: floatUniforms(fields), usage: 'uniform' });
  const flags: Record<string, boolean> = {};
  for (const name of ['ADD', 'SUB', 'MUL', 'DIV', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE', 'POW', 'FLOOR_DIV', 'FLOOR_MOD']) flags[name] = op.type === name;
  const shader = floatShader(ctx, plainSource, { ...flags, FLOAT: float, BROADCAST: broadcast });
  return singleDispatch(label, shader, constants, [operands.aBinding, operands.bBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}

/** The int8-table lowering of the family: 8-bit and int32 operands. */
export function lowerBinaryArith(ctx: LoweringContext, op: BinaryArithOp): LoweredOp {
  const a = tensorOf(ctx, op.inputs[0]!);
  const b = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkBinaryOperands(op, a, b, output);
  if (a.dtype === 'int8' || a.dtype === 'uint8') return lowerByteTables(ctx, op) ?? lowerEightBit(ctx, op, a, b, output);
  if (a.dtype !== 'int32') throw new LoweringError(`${op.type} at operator ${op.index}: ${a.dtype} operands belong to the float path`);
  const constants: ConstantSpec[] = [];
  const label = `${op.type.toLowerCase()}#${op.index}`;
  const operands = { a, b, aBinding: operandBinding(a, constants, label), bBinding: operandBinding(b, constants, label), constants };
  const activation = 'activation' in op.options ? op.options.activation : 'NONE';
  return lowerPlainBinary(ctx, op, output, operands, false, int32ActivationRange(activation));
}

export const BINARY_ARITH_LOWERINGS = {
  SUB: lowerBinaryArith,
  DIV: lowerBinaryArith,
  MAXIMUM: lowerBinaryArith,
  MINIMUM: lowerBinaryArith,
  SQUARED_DIFFERENCE: lowerBinaryArith,
  POW: lowerBinaryArith,
  FLOOR_DIV: lowerBinaryArith,
  FLOOR_MOD: lowerBinaryArith,
};
