// The float32 lookup table of TFLite's optimized 8-bit SOFTMAX and the 8-bit LOGISTIC table,
// shared by the CPU reference and the GPU lowering.
import { quantizeMultiplier, roundingDivideByPOT } from './fixedpoint.ts';
import { fixedMul, logistic } from './gemmlowp.ts';

/**
 * PopulateSoftmaxLookupTable (lite/kernels/internal/optimized/optimized_ops.h): table[255 − d] =
 * expf(−scale·β·d) for d = 0..255, in float32, so entry 255 − (max − x) is exp(β·scale·(x − max)).
 * Shared with the GPU lowering, which uploads it.
 */
export function softmaxTable(inputScale: number, beta: number): Float32Array {
  const f = Math.fround;
  const scale = f(-f(inputScale) * f(beta));
  const table = new Float32Array(256);
  for (let d = 0; d <= 255; d++) table[255 - d] = Math.exp(f(scale * d));
  return table;
}

/** CalculateInputRadius: the largest |input − zp| an input rescaled into Q(integerBits) by 2^leftShift can represent. */
export function inputRadius(integerBits: number, leftShift: number): number {
  return Math.floor(((2 ** integerBits - 1) * 2 ** (31 - integerBits)) / 2 ** leftShift);
}

/**
 * QuantizeMultiplierGreaterThanOne: QuantizeMultiplier of a real > 1, so the shift is a left
 * shift (≥ 0); undefined when it is not, for the caller to refuse in its own words.
 */
export function multiplierGreaterThanOne(real: number): { multiplier: number; leftShift: number } | undefined {
  const q = quantizeMultiplier(real);
  return q.shift < 0 ? undefined : { multiplier: q.multiplier, leftShift: q.shift };
}

/**
 * 8-bit LOGISTIC as a 256-entry table: entry b (the input's stored byte, b = q & 0xff) is the
 * output's stored byte. LOGISTIC's output is fixed (scale 1/256, zero point −128 or 0), so it is a
 * function of the input byte alone, computed here once per byte as reference_integer_ops::Logistic
 * (int8) and reference_ops::Logistic (uint8) compute it per element: x − zp scaled into Q4.27 by
 * QuantizeMultiplierGreaterThanOne(scale · 2^27), saturating beyond the representable radius,
 * else gemmlowp::logistic rounded from Q0.31 to Q23.8. The CPU reference maps every element
 * through this table and the GPU applies the same one (shaders/unary.wgsl), so the two agree by
 * construction. `fail` makes the caller's error for an input scale TFLite refuses (below 2^-27).
 */
export function logisticTable(dtype: 'int8' | 'uint8', inputScale: number, inputZeroPoint: number, fail: (message: string) => Error): Uint8Array {
  const inputIntegerBits = 4;
  const real = inputScale * 2 ** (31 - inputIntegerBits);
  const m = multiplierGreaterThanOne(real);
  if (!m) throw fail(`input scale gives a multiplier ${real} below 1`);
  const radius = inputRadius(inputIntegerBits, m.leftShift);
  const [outputMin, outputMax] = dtype === 'int8' ? [-128, 127] : [0, 255];
  const table = new Uint8Array(256);
  for (let q = outputMin; q <= outputMax; q++) {
    const centered = q - inputZeroPoint;
    let out: number;
    if (centered <= -radius) {
      out = outputMin;
    } else if (centered >= radius) {
      out = outputMax;
    } else {
      // MultiplyByQuantizedMultiplierGreaterThanOne: the left shift wraps as int32.
      const inQ4 = fixedMul(Math.imul(centered, 1 << m.leftShift), m.multiplier);
      const q23 = roundingDivideByPOT(logistic(inQ4, inputIntegerBits), 23);
      // int8: + zero point, clamped; uint8 (reference_ops::Logistic) maps exactly 1.0 (256) to 255.
      out = dtype === 'int8' ? Math.min(Math.max(q23 + outputMin, outputMin), outputMax) : q23 === 256 ? 255 : q23;
    }
    table[q & 0xff] = out & 0xff;
  }
  return table;
}
