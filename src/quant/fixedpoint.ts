// Fixed-point requantization, bit-exact with TFLite's reference kernels (which use gemmlowp).
//
// int32 values travel as JS numbers in [−2^31, 2^31 − 1]. The hot functions never use BigInt:
// a double holds any integer up to 2^53 exactly, so a 32×32-bit product is assembled from
// 16-bit limbs whenever it could exceed that. test/quant/exact.ts holds BigInt models that
// follow the C++ sources literally; the property tests compare the two.
import { roundHalfAway } from '../rounding.ts';

const TWO_POW_30 = 1073741824;
const TWO_POW_31 = 2147483648;
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
/** Below this magnitude a double product of two int32s is exact (a rounded product ≥ 2^53). */
const EXACT_PRODUCT_LIMIT = 2 ** 52;

const frexpView = new DataView(new ArrayBuffer(8));

/**
 * C's frexp for finite, non-zero x: x = fraction·2^exponent with |fraction| in [0.5, 1).
 * Read from the IEEE-754 bits so that no step rounds (Math.log2 can be off by one).
 */
function frexp(x: number): { fraction: number; exponent: number } {
  let exponentBias = 0;
  frexpView.setFloat64(0, x, true);
  let biased = (frexpView.getUint32(4, true) >>> 20) & 0x7ff;
  if (biased === 0) {
    // Subnormal: scale into the normal range first (exact, a power of two).
    x *= 2 ** 64;
    exponentBias = -64;
    frexpView.setFloat64(0, x, true);
    biased = (frexpView.getUint32(4, true) >>> 20) & 0x7ff;
  }
  // Replace the exponent field with 1022, i.e. 2^−1, leaving sign and mantissa: |fraction| ∈ [0.5, 1).
  const high = frexpView.getUint32(4, true);
  frexpView.setUint32(4, (high & 0x800fffff) | (1022 << 20), true);
  return { fraction: frexpView.getFloat64(0, true), exponent: biased - 1022 + exponentBias };
}

/**
 * TFLite QuantizeMultiplier: real ≈ multiplier·2^(shift−31); multiplier in [2^30, 2^31) (or 0 for
 * real==0); shift > 0 means left shift. Handles q_fixed rounding up to 2^31 (halve, shift+1) and
 * shift < −31 (multiplier 0, shift 0), exactly as tensorflow/lite/kernels/internal/
 * quantization_util.cc (frexp + round).
 *
 * A negative real gives a multiplier in [−2^31, −2^30], as TFLite's code does (it never halves
 * −2^31). NaN and ±∞ throw: TFLite's result for them is undefined behaviour.
 */
export function quantizeMultiplier(real: number): { multiplier: number; shift: number } {
  if (real === 0) return { multiplier: 0, shift: 0 };
  if (!Number.isFinite(real)) throw new RangeError(`quantizeMultiplier: ${real} is not finite`);
  const { fraction, exponent } = frexp(real);
  // fraction·2^31 only changes the exponent, so it is exact; the rounding is std::round's.
  let multiplier = roundHalfAway(fraction * TWO_POW_31);
  let shift = exponent;
  if (multiplier === TWO_POW_31) {
    multiplier /= 2;
    shift += 1;
  }
  // Every bit would be shifted out anyway; TFLite flushes to zero so right shifts stay ≤ 31.
  if (shift < -31) return { multiplier: 0, shift: 0 };
  return { multiplier, shift };
}

/**
 * gemmlowp SaturatingRoundingDoublingHighMul (INT32_MIN×INT32_MIN saturates to INT32_MAX; nudge
 * 1<<30 or 1-(1<<30) by sign of the product).
 *
 * gemmlowp computes trunc((a·b + nudge) / 2^31). With the sign-dependent nudge that equals
 * floor((a·b + 2^30) / 2^31) for every product (the tests check this against the literal model),
 * which needs no sign test and no truncation.
 */
export function saturatingRoundingDoublingHighMul(a: number, b: number): number {
  const product = a * b;
  if (product < EXACT_PRODUCT_LIMIT && product > -EXACT_PRODUCT_LIMIT) {
    return Math.floor((product + TWO_POW_30) / TWO_POW_31);
  }
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  // a·b = aHigh·bHigh·2^32 + (aHigh·bLow + aLow·bHigh)·2^16 + aLow·bLow, with signed high limbs
  // in [−2^15, 2^15) and unsigned low limbs in [0, 2^16). The middle term is below 2^32 in
  // magnitude, so middle·2^16 + low + 2^30 stays below 2^49: every step is an exact double.
  const aHigh = a >> 16;
  const aLow = a & 0xffff;
  const bHigh = b >> 16;
  const bLow = b & 0xffff;
  const middle = aHigh * bLow + aLow * bHigh;
  const rest = middle * 65536 + aLow * bLow + TWO_POW_30;
  // aHigh·bHigh·2^32 / 2^31 is an integer, so it passes through the floor unchanged.
  return aHigh * bHigh * 2 + Math.floor(rest / TWO_POW_31);
}

/**
 * gemmlowp RoundingDivideByPOT, exponent in [0, 31]: round half away from zero.
 * The exponent is not checked (hot path); outside [0, 31] JS shift counts wrap mod 32.
 */
export function roundingDivideByPOT(x: number, exponent: number): number {
  // For exponent 31, (1 << 31) − 1 is −2^31 − 1 as a double; `| 0` wraps it to 0x7fffffff as C does.
  const mask = ((1 << exponent) - 1) | 0;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/**
 * gemmlowp SaturatingRoundingMultiplyByPOT<exponent>: left shift saturating to the int32 range,
 * or a rounding right shift for a negative exponent.
 */
export function saturatingRoundingMultiplyByPOT(x: number, exponent: number): number {
  if (exponent === 0) return x;
  if (exponent < 0) return roundingDivideByPOT(x, -exponent);
  const threshold = 2 ** (31 - exponent) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * 2 ** exponent;
}

/** gemmlowp Rescale<dst>(FixedPoint<src>): changes the integer bits, saturating or rounding. */
export function rescale(x: number, srcIntegerBits: number, dstIntegerBits: number): number {
  return saturatingRoundingMultiplyByPOT(x, srcIntegerBits - dstIntegerBits);
}

/**
 * TFLite MultiplyByQuantizedMultiplier (the default double-rounding variant, not
 * TFLITE_SINGLE_ROUNDING): left = max(shift,0), right = max(−shift,0);
 * RoundingDivideByPOT(SRDHM(x·2^left, multiplier), right).
 *
 * TFLite forms x·2^left as `x * (1 << left_shift)` in int32. Overflow there is formally undefined
 * in C++, and every compiler TFLite ships with emits a plain 32-bit multiply, which wraps; so
 * this wraps too (Math.imul), and shift 31 multiplies by (1 << 31) = INT32_MIN like the C code.
 * Callers keep shift in [−31, 31]; QuantizeMultiplier never yields less than −31.
 */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const leftShift = shift > 0 ? shift : 0;
  const rightShift = shift > 0 ? 0 : -shift;
  return roundingDivideByPOT(
    saturatingRoundingDoublingHighMul(Math.imul(x, 1 << leftShift), multiplier),
    rightShift,
  );
}

/**
 * ruy's MultiplyByQuantizedMultiplier (ruy/apply_multiplier.cc), which TFLite's own kernels reach
 * through cpu_backend_gemm (CONV_2D's im2col GEMM, FULLY_CONNECTED, BATCH_MATMUL): one rounding,
 * (x·M + 2^(t−1)) >> t in 64 bits with t = 31 − shift, so ties round toward +∞, wrapped to int32
 * as ruy's cast does. Exact for every int32 x and multiplier (BigInt where the product leaves the
 * exact doubles).
 */
export function ruyMultiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const t = 31 - shift;
  const product = x * multiplier;
  if (product < EXACT_PRODUCT_LIMIT && product > -EXACT_PRODUCT_LIMIT) {
    // |product| < 2^53 ≤ 2^(t−1) leaves 0 after the rounding shift.
    if (t > 53) return 0;
    const unit = 2 ** t;
    const q = Math.floor(product / unit);
    const r = product - q * unit;
    return (q + (r >= unit / 2 ? 1 : 0)) | 0;
  }
  const big = BigInt(x) * BigInt(multiplier) + (1n << BigInt(t - 1));
  return Number(BigInt.asIntN(32, big >> BigInt(t)));
}
