// Binary arithmetic with broadcasting: SUB, DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, POW,
// FLOOR_DIV, FLOOR_MOD, and ADD and MUL of int32 tensors, each over every dtype TFLite's kernel
// takes among int8, uint8, int32 and float32, broadcasting numpy-style up to rank 6.
//
// Which kernel the TFLite runtime runs (its XNNPACK delegate takes qs8/qu8 ADD, SUB and MUL and
// float32 arithmetic; everything else runs TFLite's builtin kernels) decides the 8-bit rounding:
//  - SUB: TFLite's Sub is ADD's left-shift-20 scheme with a difference ('tflite'); XNNPACK's
//    subtract is its add with the second multiplier negated ('xnnpack').
//  - MAXIMUM, MINIMUM: the raw values compared, the winner copied (no requantization).
//  - SQUARED_DIFFERENCE (int8 only): squared_difference.cc's left-shift-7 scheme, in both modes.
// Integer division by zero is an error in TFLite (DIV's CheckNonZero, FLOOR_DIV's and FLOOR_MOD's
// "Division by 0"); here a constant divisor holding a zero is refused when the graph is prepared,
// a computed one when the op runs. POW of int32 refuses negative exponents the same way.
import { broadcastStrides } from '../../model/broadcast.ts';
import { binaryOperandProblem, type BinaryArithOp } from '../../model/binary-ops.ts';
import { activationRangeFloat, activationRangeQuantized } from '../../quant/activation.ts';
import { squaredDifferenceParams, tfliteAddParams, xnnpackAddParams, int32ActivationRange } from '../../quant/binary.ts';
import { multiplyByQuantizedMultiplier } from '../../quant/fixedpoint.ts';
import { allocate, elementCount, type Kernel, type PrepareContext, type TensorData } from '../common.ts';

/** For each output element, its element index in an input of `shape`; null when no broadcast is needed. */
function broadcastIndex(shape: readonly number[], outShape: readonly number[]): Int32Array | null {
  const rank = outShape.length;
  const padded = [...new Array<number>(rank - shape.length).fill(1), ...shape];
  if (padded.every((d, i) => d === outShape[i])) return null;
  const strides = broadcastStrides(shape, rank);
  const count = outShape.reduce((x, y) => x * y, 1);
  const index = new Int32Array(count);
  const coord = new Array<number>(rank).fill(0);
  let s = 0;
  for (let i = 0; i < count; i++) {
    index[i] = s;
    for (let d = rank - 1; d >= 0; d--) {
      s += strides[d]!;
      if (++coord[d]! < outShape[d]!) break;
      s -= strides[d]! * coord[d]!;
      coord[d] = 0;
    }
  }
  return index;
}

type Combine = (x: number, y: number) => number;

function floatCombine(op: BinaryArithOp, ctx: PrepareContext): Combine {
  const f = Math.fround;
  const act = 'activation' in op.options ? op.options.activation : 'NONE';
  const [lo, hi] = activationRangeFloat(act);
  const clamp = (v: number) => (v < lo ? lo : v > hi ? hi : v);
  switch (op.type) {
    case 'ADD':
      return (x, y) => clamp(f(x + y));
    case 'MUL':
      return (x, y) => clamp(f(x * y));
    case 'SUB':
      return (x, y) => clamp(f(x - y));
    case 'DIV':
      return (x, y) => clamp(f(x / y));
    // TFLite's MaximumOp / MinimumOp: el1 > el2 ? el1 : el2 (and <).
    case 'MAXIMUM':
      return (x, y) => (x > y ? x : y);
    case 'MINIMUM':
      return (x, y) => (x < y ? x : y);
    case 'SQUARED_DIFFERENCE':
      return (x, y) => {
        const d = f(x - y);
        return f(d * d);
      };
    case 'POW':
      return (x, y) => f(Math.pow(x, y));
    case 'FLOOR_DIV':
      return (x, y) => {
        if (y === 0) throw ctx.error('divides by zero (TFLite: "Division by 0")');
        return f(Math.floor(f(x / y)));
      };
    case 'FLOOR_MOD':
      return (x, y) => {
        if (y === 0) throw ctx.error('divides by zero (TFLite: "Division by 0")');
        // std::fmod is exact, as JavaScript's % on doubles; then floor_mod.cc's sign fix-up in float.
        const m = f(x % y);
        return m !== 0 && y < 0 !== m < 0 ? f(m + y) : m;
      };
  }
}

/** int32 results wrap as C++'s int32 arithmetic does on every target TFLite runs on. */
function int32Combine(op: BinaryArithOp, ctx: PrepareContext): Combine {
  const act = 'activation' in op.options ? op.options.activation : 'NONE';
  const [lo, hi] = int32ActivationRange(act);
  const clamp = (v: number) => (v < lo ? lo : v > hi ? hi : v);
  const divisorZero = () => ctx.error('divides by zero (TFLite errors on an int32 divisor of 0)');
  switch (op.type) {
    case 'ADD':
      return (x, y) => clamp((x + y) | 0);
    case 'SUB':
      return (x, y) => clamp((x - y) | 0);
    case 'MUL':
      return (x, y) => clamp(Math.imul(x, y));
    case 'DIV':
      return (x, y) => {
        if (y === 0) throw divisorZero();
        return clamp(Math.trunc(x / y) | 0);
      };
    case 'MAXIMUM':
      return (x, y) => (x > y ? x : y);
    case 'MINIMUM':
      return (x, y) => (x < y ? x : y);
    case 'SQUARED_DIFFERENCE':
      return (x, y) => {
        const d = (x - y) | 0;
        return Math.imul(d, d);
      };
    case 'POW':
      return (x, y) => {
        if (y < 0) throw ctx.error(`raises to the negative power ${y} (TFLite's integer POW refuses it)`);
        // pow.cc IntegerPow: square and multiply, wrapping.
        let result = 1;
        let base = x;
        for (let e = y; e !== 0; e >>>= 1) {
          if (e & 1) result = Math.imul(result, base);
          base = Math.imul(base, base);
        }
        return result;
      };
    case 'FLOOR_DIV':
      return (x, y) => {
        if (y === 0) throw divisorZero();
        // std::floor of the double quotient: exact for int32 operands (never within an ulp of an integer).
        return Math.floor(x / y) | 0;
      };
    case 'FLOOR_MOD':
      return (x, y) => {
        if (y === 0) throw divisorZero();
        const m = x % y | 0;
        return m !== 0 && y < 0 !== m < 0 ? (m + y) | 0 : m;
      };
  }
}

function quantizedCombine(op: BinaryArithOp, ctx: PrepareContext, dtype: 'int8' | 'uint8'): Combine {
  const q1 = ctx.perTensorQuant(ctx.input(0), 'first input');
  const q2 = ctx.perTensorQuant(ctx.input(1), 'second input');
  const qo = ctx.perTensorQuant(ctx.output(), 'output');
  const act = 'activation' in op.options ? op.options.activation : 'NONE';
  const [lo, hi] = activationRangeQuantized(act, qo.scale, qo.zeroPoint, dtype);
  const clamp = (v: number) => (v < lo ? lo : v > hi ? hi : v);
  switch (op.type) {
    case 'MAXIMUM':
      return (x, y) => (x > y ? x : y);
    case 'MINIMUM':
      return (x, y) => (x < y ? x : y);
    case 'SUB': {
      if (ctx.xnnpack) {
        const p = xnnpackAddParams(q1, q2, qo, true);
        if (!p) throw ctx.unsupported(`input/output scale ratios ${q1.scale / qo.scale} and ${q2.scale / qo.scale} (outside XNNPACK's subtract range)`);
        const bias = 2 ** (p.shift - 1) - p.m1 * q1.zeroPoint - p.m2 * q2.zeroPoint;
        const divisor = 2 ** p.shift;
        return (x, y) => clamp(Math.floor((bias + x * p.m1 + y * p.m2) / divisor) + qo.zeroPoint);
      }
      const { m1, m2, mo } = tfliteAddParams(q1, q2, qo);
      return (x, y) => {
        const s1 = multiplyByQuantizedMultiplier((x - q1.zeroPoint) * 1048576, m1.multiplier, m1.shift);
        const s2 = multiplyByQuantizedMultiplier((y - q2.zeroPoint) * 1048576, m2.multiplier, m2.shift);
        return clamp(multiplyByQuantizedMultiplier((s1 - s2) | 0, mo.multiplier, mo.shift) + qo.zeroPoint);
      };
    }
    case 'SQUARED_DIFFERENCE': {
      const p = squaredDifferenceParams(q1, q2, qo);
      if (!p) throw ctx.unsupported(`an output scale ${qo.scale} that makes the output multiplier 1 or more (TFLite aborts on it)`);
      const { m1, m2, mo } = p;
      return (x, y) => {
        const s1 = multiplyByQuantizedMultiplier((x - q1.zeroPoint) * 128, m1.multiplier, m1.shift);
        const s2 = multiplyByQuantizedMultiplier((y - q2.zeroPoint) * 128, m2.multiplier, m2.shift);
        const d = s1 - s2;
        return clamp(multiplyByQuantizedMultiplier(Math.imul(d, d), mo.multiplier, mo.shift) + qo.zeroPoint);
      };
    }
    default:
      throw ctx.unsupported(`${dtype} tensors`);
  }
}

/**
 * SUB, DIV, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, POW, FLOOR_DIV, FLOOR_MOD (every dtype), and
 * ADD and MUL of int32 (their 8-bit and float forms live in elementwise.ts).
 */
export function prepareBinaryArith(op: BinaryArithOp, ctx: PrepareContext): Kernel {
  const a = ctx.input(0);
  const b = ctx.input(1);
  const output = ctx.output();
  const bConstant = b.data ? ctx.constant(b, 'second input') : undefined;
  const problem = binaryOperandProblem(op, a, b, output, bConstant as ArrayLike<number> | undefined);
  if (problem) throw ctx.error(problem);
  const dtype = a.dtype;
  const combine =
    dtype === 'float32' ? floatCombine(op, ctx) : dtype === 'int32' ? int32Combine(op, ctx) : quantizedCombine(op, ctx, dtype as 'int8' | 'uint8');
  const count = elementCount(output);
  const aIndex = broadcastIndex(a.shape, output.shape);
  const bIndex = broadcastIndex(b.shape, output.shape);
  return (values) => {
    const x = values[a.id]!;
    const y = values[b.id]!;
    const out: TensorData = allocate(output.dtype, count);
    for (let i = 0; i < count; i++) out[i] = combine(x[aIndex ? aIndex[i]! : i]!, y[bIndex ? bIndex[i]! : i]!);
    values[output.id] = out;
  };
}
