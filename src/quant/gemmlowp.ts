// gemmlowp's fixed-point math (fixedpoint/fixedpoint.h), scalar int32 only, as TFLite's
// quantized SOFTMAX and LOGISTIC reference kernels use it.
//
// A FixedPoint<int32, I> is a raw int32 r meaning r / 2^(31 − I). Here raws are plain numbers
// and the integer-bit count I travels as an argument where the C++ template carried it.
// Addition and subtraction wrap at 32 bits (`| 0`) as the C++ int32 operators do; products
// go through SaturatingRoundingDoublingHighMul, whose integer bits add up.
import { rescale, roundingDivideByPOT, saturatingRoundingDoublingHighMul, saturatingRoundingMultiplyByPOT } from './fixedpoint.ts';

export const INT32_MAX = 2147483647;
export const INT32_MIN = -2147483648;

/** Fixed-point product: Q(a) × Q(b) → Q(a + b) integer bits. */
export const fixedMul = saturatingRoundingDoublingHighMul;
export { roundingDivideByPOT };

/** Raw of FixedPoint<int32, I>::One(): 2^(31 − I), or INT32_MAX for I = 0 (1 itself is not representable). */
export function fixedOne(integerBits: number): number {
  return integerBits === 0 ? INT32_MAX : 2 ** (31 - integerBits);
}

/** RoundingHalfSum for int32: (a + b) / 2 rounded half away from zero. */
export function roundingHalfSum(a: number, b: number): number {
  const sum = a + b;
  return Math.trunc((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/** exp(x) for x in [−1/4, 0), x and the result in Q0.31 (Taylor expansion around −1/8). */
export function expOnIntervalBetweenNegativeOneQuarterAnd0Excl(a: number): number {
  const constantTerm = 1895147668; // exp(−1/8)
  const constantOneThird = 715827883; // 1/3
  const x = (a + (1 << 28)) | 0; // a + 1/8
  const x2 = fixedMul(x, x);
  const x3 = fixedMul(x2, x);
  const x4 = fixedMul(x2, x2);
  const x4Over4 = saturatingRoundingMultiplyByPOT(x4, -2);
  const x4Over24PlusX3Over6PlusX2Over2 = saturatingRoundingMultiplyByPOT(
    (fixedMul((x4Over4 + x3) | 0, constantOneThird) + x2) | 0,
    -1,
  );
  return (constantTerm + fixedMul(constantTerm, (x + x4Over24PlusX3Over6PlusX2Over2) | 0)) | 0;
}

/** exp(−2^k) in Q0.31 for k = −2 … 4: the barrel shifter's factors. */
const EXP_BARREL: ReadonlyArray<readonly [exponent: number, multiplier: number]> = [
  [-2, 1672461947],
  [-1, 1302514674],
  [0, 790015084],
  [1, 290630308],
  [2, 39332535],
  [3, 720401],
  [4, 242],
];

/**
 * exp(a) for a ≤ 0, a in Q(integerBits), result in Q0.31. Splits a into its fractional quarter
 * (Taylor series) and the powers of two above it (one multiplication by exp(−2^k) per set bit).
 */
export function expOnNegativeValues(a: number, integerBits: number): number {
  const fractionalBits = 31 - integerBits;
  const oneQuarter = 2 ** (fractionalBits - 2);
  const mask = oneQuarter - 1;
  const aModQuarterMinusOneQuarter = ((a & mask) - oneQuarter) | 0;
  let result = expOnIntervalBetweenNegativeOneQuarterAnd0Excl(rescale(aModQuarterMinusOneQuarter, integerBits, 0));
  const remainder = (aModQuarterMinusOneQuarter - a) | 0;
  for (const [exponent, multiplier] of EXP_BARREL) {
    if (integerBits > exponent) {
      const bit = fractionalBits + exponent;
      if (remainder & (1 << bit)) result = fixedMul(result, multiplier);
    }
  }
  if (integerBits > 5) {
    const clamp = -(2 ** (36 - integerBits)); // −32 in Q(integerBits)
    if (a < clamp) result = 0;
  }
  return a === 0 ? INT32_MAX : result;
}

/**
 * 1 / (1 + x) for x in [0, 1), x and result in Q0.31: Newton–Raphson division with three
 * iterations from the 48/17 − 32/17·d initial estimate, in Q2.29.
 */
export function oneOverOnePlusXForXIn01(a: number): number {
  const halfDenominator = roundingHalfSum(a, INT32_MAX); // Q0.31
  const constant48Over17 = 1515870810; // Q2.29
  const constantNeg32Over17 = -1010580540; // Q2.29
  const oneQ2 = fixedOne(2);
  let x = (constant48Over17 + fixedMul(halfDenominator, constantNeg32Over17)) | 0;
  for (let i = 0; i < 3; i++) {
    const halfDenominatorTimesX = fixedMul(halfDenominator, x); // Q2
    const oneMinusHalfDenominatorTimesX = (oneQ2 - halfDenominatorTimesX) | 0; // Q2
    x = (x + rescale(fixedMul(x, oneMinusHalfDenominatorTimesX), 4, 2)) | 0;
  }
  // ExactMulByPot<−1> reinterprets Q2 as Q1 (halving), then Rescale<0>.
  return rescale(x, 1, 0);
}

/** logistic(a) = 1 / (1 + exp(−a)) for any a in Q(integerBits); result in Q0.31. */
export function logistic(a: number, integerBits: number): number {
  if (a === 0) return 1 << 30; // one half
  const absA = a > 0 ? a : -a | 0;
  const resultIfPositive = oneOverOnePlusXForXIn01(expOnNegativeValues(-absA | 0, integerBits));
  return a > 0 ? resultIfPositive : (INT32_MAX - resultIfPositive) | 0;
}
