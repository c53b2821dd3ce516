// The 8-bit arithmetic of SUM, REDUCE_PROD, L2_NORMALIZATION and LOG_SOFTMAX as the TFLite
// runtime runs them (none of them goes to the XNNPACK delegate in the runtime that made the
// reference vectors; measured on single-op graphs, test/reference/tflite-runtime-reduce.test.ts).
// Shared by the CPU reference (src/reference/ops/reduce.ts) and the GPU lowerings
// (src/kernels/reduce.ts), which turn the SUM rule into thresholds so the shader does no float math.
//
//  - SUM (lite/kernels/reduce.cc EvalSum): with equal input and output scale and zero point the
//    raw values are summed in the element type (wrapping modulo 256, zero points ignored); else
//    QuantizedMeanOrSum with compute_sum: in float32, scale = s_in / s_out,
//    bias = −zp_in × scale × n, value = round_half_away(float(sum) × scale + bias) + zp_out, and
//    the int32 value is cast to the element type: it wraps, it is never clamped.
//  - REDUCE_PROD (EvalQuantizedProd, int8 only): QuantizeMultiplier(s_in / s_out^(1/n)); the
//    first value x − zp, each next one current × (x − zp) rescaled by the 64-bit
//    MultiplyByQuantizedMultiplier, once more at the end, + zp_out, clamped.
//  - REDUCE_MAX / REDUCE_MIN: the raw values (input and output params must be equal).
//  - L2_NORMALIZATION: reference_integer_ops::L2Normalization (int8) and
//    optimized_ops::L2Normalization (uint8): Σ(x − zp)², GetInvSqrtQuantizedMultiplierExp, output
//    scale 1/128.
//  - LOG_SOFTMAX: optimized_ops::LogSoftmax over the float32 table of PopulateSoftmaxLookupTable
//    (β = 1), output scale 16/256.
import { roundHalfAway, roundHalfEven } from '../rounding.ts';
import {
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  rescale,
  roundingDivideByPOT,
  saturatingRoundingDoublingHighMul,
  saturatingRoundingMultiplyByPOT,
} from './fixedpoint.ts';
import { softmaxTable } from './softmax.ts';

const f = Math.fround;

/** Casts an int32 to the 8-bit element type as C++ static_cast does (modulo 256). */
export function wrapTo(dtype: 'int8' | 'uint8', v: number): number {
  return dtype === 'int8' ? (v << 24) >> 24 : v & 0xff;
}

export interface SumSpec {
  dtype: 'int8' | 'uint8';
  count: number;
  inputScale: number;
  inputZeroPoint: number;
  outputScale: number;
  outputZeroPoint: number;
}

/**
 * SUM's value for the sum of a window's raw values, before the cast to the element type
 * (`wrapTo`). `raw` when no rescale happens (equal params): the value is the sum itself.
 * Non-decreasing in the sum either way.
 */
export function sumRule(spec: SumSpec): { raw: boolean; value(sum: number): number } {
  const inScale = f(spec.inputScale);
  const outScale = f(spec.outputScale);
  if (inScale === outScale && spec.inputZeroPoint === spec.outputZeroPoint) return { raw: true, value: (sum) => sum };
  const scale = f(inScale / outScale);
  // −input_zero_point × scale × num_elements_in_axis, left to right in float32.
  const bias = f(f(-spec.inputZeroPoint * scale) * f(spec.count));
  const zpOut = spec.outputZeroPoint;
  return { raw: false, value: (sum) => roundHalfAway(f(f(f(sum) * scale) + bias)) + zpOut };
}

/**
 * The rescaled SUM as thresholds over the int8-domain sum S' (uint8 values minus 128): the
 * unwrapped value is `base` plus the number of thresholds ≤ S'. Every level between the values
 * of the smallest and largest reachable sums gets one threshold (the shader then wraps).
 */
export function sumThresholds(spec: SumSpec, maxLevels: number): { base: number; thresholds: Int32Array } {
  const rule = sumRule(spec);
  const offset = spec.dtype === 'uint8' ? 128 : 0;
  const lowest = spec.count * (spec.dtype === 'int8' ? -128 : 0);
  const highest = spec.count * (spec.dtype === 'int8' ? 127 : 255);
  const base = rule.value(lowest);
  const levels = rule.value(highest) - base;
  if (levels > maxLevels) throw new RangeError(`SUM spans ${levels} output levels, more than ${maxLevels}`);
  const thresholds = new Int32Array(Math.max(levels, 1)).fill(0x7fffffff);
  for (let k = 1; k <= levels; k++) {
    // The smallest raw sum whose value reaches base + k, by bisection.
    let lo = lowest;
    let hi = highest;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (rule.value(mid) >= base + k) hi = mid;
      else lo = mid + 1;
    }
    thresholds[k - 1] = lo - offset * spec.count;
  }
  return { base, thresholds };
}

/** GetQuantProdScaling + QuantizeMultiplier: s_in / s_out^(1/n) in double. */
export function prodMultiplier(inputScale: number, outputScale: number, count: number): { multiplier: number; shift: number } {
  return quantizeMultiplier(f(inputScale) / Math.pow(f(outputScale), 1 / count));
}

/**
 * The 64-bit MultiplyByQuantizedMultiplier of reduce.h's product: a 16-bit rounded multiplier,
 * x × m16 + 2^(14 − shift), arithmetic shift by 15 − shift, truncated to int32. Shift counts are
 * taken modulo 64 as the WASM build's i64 shifts do (outside [−31, 7] TFLite's C++ is undefined).
 */
export function multiplyByQuantizedMultiplier64(x: bigint, multiplier: number, shift: number): number {
  const reduced = multiplier < 0x7fff0000 ? (multiplier + (1 << 15)) >> 16 : 0x7fff;
  const totalShift = 15 - shift;
  const round = BigInt.asIntN(64, 1n << BigInt((totalShift - 1) & 63));
  const y = BigInt.asIntN(64, x * BigInt(reduced) + round);
  return Number(BigInt.asIntN(32, y >> BigInt(totalShift & 63)));
}

/**
 * GetInvSqrtQuantizedMultiplierExp(input, reverse_shift = −1): 1/√input as a Q0.31 multiplier
 * and a (left) shift, by five Newton–Raphson steps in gemmlowp FixedPoint<int32, 3>.
 */
export function invSqrtQuantizedMultiplierExp(input: number): { multiplier: number; shift: number } {
  if (input <= 1) return { multiplier: 0x7fffffff, shift: 0 };
  let shift = 11;
  while (input >= 1 << 29) {
    input = Math.trunc(input / 4);
    shift++;
  }
  const maxLeftShiftBits = Math.clz32(input) - 1;
  const leftShiftBitPairs = Math.floor(maxLeftShiftBits / 2) - 1;
  shift -= leftShiftBitPairs;
  input = input << (2 * leftShiftBitPairs);
  const mul = saturatingRoundingDoublingHighMul;
  const fixedInput = input >> 1; // F3
  const halfInput = saturatingRoundingMultiplyByPOT(fixedInput, -1);
  const halfThree = (1 << 28) + (1 << 27);
  let x = 1 << 28; // F3 one
  for (let i = 0; i < 5; i++) {
    const x3 = rescale(mul(mul(x, x), x), 9, 3);
    x = rescale((mul(halfThree, x) - mul(halfInput, x3)) | 0, 6, 3);
  }
  let multiplier = mul(x, 1518500250); // × √2/2 (F0)
  if (shift < 0) {
    multiplier = multiplier << -shift;
    shift = 0;
  }
  return { multiplier, shift: -shift };
}

/** One L2-normalized output value (8-bit, clamped) for x − zp and the row's Σ(x − zp)². */
export function l2NormalizeValue(dtype: 'int8' | 'uint8', diff: number, inv: { multiplier: number; shift: number }): number {
  if (dtype === 'int8') {
    const v = multiplyByQuantizedMultiplier(diff, inv.multiplier, inv.shift + 7);
    return v < -128 ? -128 : v > 127 ? 127 : v;
  }
  // MultiplyByQuantizedMultiplierSmallerThanOneExp(128 × diff, m, shift): SRDHM then a rounding right shift.
  const v = 128 + roundingDivideByPOT(saturatingRoundingDoublingHighMul(128 * diff, inv.multiplier), -inv.shift);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/**
 * LOG_SOFTMAX of one row of raw 8-bit values (optimized_ops::LogSoftmax with the input scale):
 * sum = Σ table[255 − max + x] in float32, log_sum = logf(sum), and each output is
 * rint(s_in/s_out × x − (s_in × max + log_sum) / s_out) + zp_out, clamped.
 */
export function logSoftmaxRow(
  dtype: 'int8' | 'uint8',
  table: Float32Array,
  inputScale: number,
  x: ArrayLike<number>,
  base: number,
  depth: number,
  out: Int8Array | Uint8Array,
): void {
  const [lo, hi, zp] = dtype === 'int8' ? [-128, 127, 127] : [0, 255, 255];
  const outScale = 16 / 256;
  let max = dtype === 'int8' ? -128 : 0;
  for (let c = 0; c < depth; c++) if (x[base + c]! > max) max = x[base + c]!;
  let sum = 0;
  for (let c = 0; c < depth; c++) sum = f(sum + table[255 - max + x[base + c]!]!);
  const logSum = f(Math.log(sum));
  const sIn = f(inputScale);
  const scale = f(sIn / outScale);
  const precomputed = f(f(f(sIn * max) + logSum) / outScale);
  for (let c = 0; c < depth; c++) {
    const q = roundHalfEven(f(f(scale * x[base + c]!) - precomputed)) + zp;
    out[base + c] = q < lo ? lo : q > hi ? hi : q;
  }
}

/** The float32 table LOG_SOFTMAX's Prepare fills (β = 1). */
export function logSoftmaxTable(inputScale: number): Float32Array {
  return softmaxTable(inputScale, 1);
}
