// Exact BigInt models of TFLite's / gemmlowp's fixed-point functions. They follow the C++ sources
// step by step (64-bit intermediates, C's truncating division, static_cast<int32_t> as a wrap), so
// they are slow but obviously faithful; src/quant/fixedpoint.ts is checked against them.

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

/** static_cast<int32_t> of a wider integer: keep the low 32 bits, two's complement. */
function toInt32(x: bigint): number {
  return Number(BigInt.asIntN(32, x));
}

/**
 * gemmlowp fixedpoint.h SaturatingRoundingDoublingHighMul(int32 a, int32 b):
 *   overflow = a == b && a == INT32_MIN;
 *   ab_64 = (int64)a * (int64)b;
 *   nudge = ab_64 >= 0 ? (1 << 30) : (1 - (1 << 30));
 *   ab_x2_high32 = (int32)((ab_64 + nudge) / (1ll << 31));   // C division truncates toward zero
 *   return overflow ? INT32_MAX : ab_x2_high32;
 * BigInt division truncates toward zero too, like C.
 */
export function srdhmExact(a: number, b: number): number {
  const a64 = BigInt(a);
  const b64 = BigInt(b);
  const overflow = a64 === b64 && a64 === INT32_MIN;
  const ab64 = a64 * b64;
  const nudge = ab64 >= 0n ? 1n << 30n : 1n - (1n << 30n);
  const abX2High32 = toInt32((ab64 + nudge) / (1n << 31n));
  return overflow ? Number(INT32_MAX) : abX2High32;
}

/**
 * gemmlowp fixedpoint.h RoundingDivideByPOT(int32 x, int exponent), exponent in [0, 31]:
 *   mask = (1ll << exponent) - 1;            // narrowed to int32
 *   remainder = x & mask;
 *   threshold = (mask >> 1) + (x < 0 ? 1 : 0);
 *   return (x >> exponent) + (remainder > threshold ? 1 : 0);   // >> is arithmetic
 */
export function roundingDivideByPOTExact(x: number, exponent: number): number {
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 31) {
    throw new RangeError(`exponent ${exponent} outside [0, 31]`);
  }
  const x64 = BigInt(x);
  const e = BigInt(exponent);
  const mask = BigInt.asIntN(32, (1n << e) - 1n);
  const remainder = x64 & mask;
  const threshold = (mask >> 1n) + (x64 < 0n ? 1n : 0n);
  return toInt32((x64 >> e) + (remainder > threshold ? 1n : 0n));
}

/**
 * The arithmetic meaning RoundingDivideByPOT is meant to have, written independently of gemmlowp's
 * mask trick: x / 2^exponent rounded to nearest, halves away from zero.
 */
export function roundHalfAwayDivideByPOT(x: number, exponent: number): number {
  const magnitude = BigInt(Math.abs(x));
  const e = BigInt(exponent);
  const half = exponent === 0 ? 0n : 1n << (e - 1n);
  const rounded = (magnitude + half) >> e;
  return Number(x < 0 ? -rounded : rounded);
}

/**
 * TFLite common.h MultiplyByQuantizedMultiplier(int32 x, int32 quantized_multiplier, int shift),
 * default (double-rounding) variant:
 *   left_shift = shift > 0 ? shift : 0;  right_shift = shift > 0 ? 0 : -shift;
 *   return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x * (1 << left_shift),
 *                                                                quantized_multiplier), right_shift);
 * `x * (1 << left_shift)` is an int32 multiply; it is modelled as the wrapping multiply compiled
 * code performs (1 << 31 is INT32_MIN).
 */
export function multiplyByQuantizedMultiplierExact(x: number, multiplier: number, shift: number): number {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  const power = BigInt.asIntN(32, 1n << BigInt(leftShift));
  const shifted = toInt32(BigInt(x) * power);
  return roundingDivideByPOTExact(srdhmExact(shifted, multiplier), rightShift);
}

/**
 * TFLite quantization_util.cc QuantizeMultiplier(double, int32* quantized_multiplier, int* shift):
 *   if (d == 0) { *m = 0; *shift = 0; return; }
 *   q = frexp(d, shift);                       // d = q · 2^shift, |q| in [0.5, 1)
 *   q_fixed = (int64)round(q * (1ll << 31));   // std::round: halves away from zero
 *   if (q_fixed == (1ll << 31)) { q_fixed /= 2; ++*shift; }
 *   if (*shift < -31) { *shift = 0; q_fixed = 0; }
 *   *m = (int32)q_fixed;
 * frexp and round are done here exactly from the IEEE-754 bits: |d| = significand · 2^exponent2
 * with an integer significand of `length` bits, so q = significand / 2^length and
 * shift = exponent2 + length.
 */
export function quantizeMultiplierExact(real: number): { multiplier: number; shift: number } {
  if (real === 0) return { multiplier: 0, shift: 0 };
  if (!Number.isFinite(real)) throw new RangeError(`${real} is not finite`);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(real));
  const bits = view.getBigUint64(0);
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fractionField = bits & ((1n << 52n) - 1n);
  const significand = biasedExponent === 0 ? fractionField : fractionField | (1n << 52n);
  const exponent2 = (biasedExponent === 0 ? 1 : biasedExponent) - 1075;
  const length = significand.toString(2).length;
  let shift = exponent2 + length;
  // round(q · 2^31) = round(significand · 2^(31 − length)); adding half before the floor shift
  // rounds a magnitude half up, i.e. away from zero once the sign is restored.
  let qFixed: bigint;
  if (length <= 31) {
    qFixed = significand << BigInt(31 - length);
  } else {
    const dropped = BigInt(length - 31);
    qFixed = (significand + (1n << (dropped - 1n))) >> dropped;
  }
  if (real < 0) qFixed = -qFixed;
  if (qFixed === 1n << 31n) {
    qFixed /= 2n;
    shift += 1;
  }
  if (shift < -31) {
    shift = 0;
    qFixed = 0n;
  }
  return { multiplier: toInt32(qFixed), shift };
}
