// Host-side parameters of the 8-bit binary ops (ADD, SUB, SQUARED_DIFFERENCE), computed once and
// shared by the CPU reference and the GPU lowering so that both run the very same integers.
import { roundHalfEven } from '../rounding.ts';
import { quantizeMultiplier } from './fixedpoint.ts';

export interface Quant {
  scale: number;
  zeroPoint: number;
}

const f32 = Math.fround;

/**
 * TFLite's reference Add and Sub (add.cc / sub.cc Prepare, left_shift 20): each input centred,
 * shifted left by 20, scaled by scale_i / (2·max(scale_1, scale_2)); the sum or difference scaled
 * by 2·max / (2^20·scale_out). Every multiplier a QuantizeMultiplier of a double.
 */
export interface TfliteAddParams {
  m1: { multiplier: number; shift: number };
  m2: { multiplier: number; shift: number };
  mo: { multiplier: number; shift: number };
}

export function tfliteAddParams(q1: Quant, q2: Quant, qo: Quant): TfliteAddParams {
  const twiceMaxInputScale = 2 * Math.max(q1.scale, q2.scale);
  return {
    m1: quantizeMultiplier(q1.scale / twiceMaxInputScale),
    m2: quantizeMultiplier(q2.scale / twiceMaxInputScale),
    mo: quantizeMultiplier(twiceMaxInputScale / (2 ** 20 * qo.scale)),
  };
}

/**
 * XNNPACK's qs8/qu8 add params (xnn_init_qs8_add_minmax_params), which its subtract reuses with
 * the second ratio negated: float32 ratios scale_i / scale_out, the larger magnitude scaled into
 * [2^20, 2^21) by a power of two, rounded half to even; out = (2^(shift−1) + Σ (x_i − zp_i)·m_i)
 * >> shift, the shift flooring. Null when the ratio is outside what the 31-bit shift can hold.
 */
export interface XnnpackAddParams {
  m1: number;
  m2: number;
  shift: number;
}

export function xnnpackAddParams(q1: Quant, q2: Quant, qo: Quant, subtract: boolean): XnnpackAddParams | null {
  const ratio1 = f32(f32(q1.scale) / f32(qo.scale));
  const ratio2 = f32(f32(q2.scale) / f32(qo.scale));
  // Unbiased float32 exponent of the larger ratio, read from its bits as XNNPACK does.
  const bits = new DataView(new ArrayBuffer(4));
  bits.setFloat32(0, Math.max(ratio1, ratio2));
  const exponent = (bits.getUint32(0) >>> 23) - 127;
  const shift = 20 - exponent;
  if (shift < 1 || shift > 31) return null;
  const m1 = roundHalfEven(ratio1 * 2 ** shift);
  const m2 = roundHalfEven(ratio2 * 2 ** shift);
  return { m1, m2: subtract ? -m2 : m2, shift };
}

/**
 * XNNPACK's qs8/qu8 multiply (xnn_create_multiply_nd_qs8 / qu8 and its vmul / vmulc fp32
 * microkernels): the float32 scale scale_a·scale_b / scale_out, each step rounded to float32;
 * out = round_half_even(clamp(float(Δa·Δb) × scale, qmin − zp_out, qmax − zp_out)) + zp_out.
 * The delegate takes a MUL only for a scale in [2^−16, 2^8) (CheckTensorsInputProductOutputScale):
 * null outside, where TFLite's own mul.cc kernel runs. Checked against the runtime at both sides
 * of 2^−16 in test/reference/tflite-runtime-binary.test.ts.
 */
export function xnnpackMulScale(q1: Quant, q2: Quant, qo: Quant): number | null {
  const scale = f32(f32(f32(q1.scale) * f32(q2.scale)) / f32(qo.scale));
  return scale >= 2 ** -16 && scale < 256 ? scale : null;
}

/** One XNNPACK multiply output from the product Δa·Δb (exact in float32: |Δa·Δb| ≤ 255²). */
export function xnnpackMulOutput(product: number, scale: number, zeroPoint: number, min: number, max: number): number {
  const scaled = f32(product * scale);
  const lo = min - zeroPoint;
  const hi = max - zeroPoint;
  return roundHalfEven(scaled < lo ? lo : scaled > hi ? hi : scaled) + zeroPoint;
}

/**
 * int8 SQUARED_DIFFERENCE (squared_difference.cc Prepare): left_shift 7, inputs scaled by
 * scale_i / (2·max), the squared difference by (2·max)² / (2^14·scale_out), each through
 * QuantizeMultiplierSmallerThanOneExp, which TFLite aborts on for a multiplier of 1 or more:
 * null then.
 */
export function squaredDifferenceParams(q1: Quant, q2: Quant, qo: Quant): TfliteAddParams | null {
  const twiceMax = 2 * Math.max(q1.scale, q2.scale);
  const realOut = (twiceMax * twiceMax) / (2 ** 14 * qo.scale);
  if (!(realOut < 1) || !(realOut > 0)) return null;
  return {
    m1: quantizeMultiplier(q1.scale / twiceMax),
    m2: quantizeMultiplier(q2.scale / twiceMax),
    mo: quantizeMultiplier(realOut),
  };
}

/** TFLite CalculateActivationRange<int32_t>: RELU [0, max], RELU6 [0, 6], RELU_N1_TO_1 [−1, 1]. */
export function int32ActivationRange(act: string): [number, number] {
  switch (act) {
    case 'RELU':
      return [0, 2147483647];
    case 'RELU6':
      return [0, 6];
    case 'RELU_N1_TO_1':
      return [-1, 1];
    default:
      return [-2147483648, 2147483647];
  }
}
