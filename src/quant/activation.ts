// Fused-activation clamp ranges, as TFLite computes them in kernel_util.cc.
import type { Activation } from '../model/graph.ts';

/** std::numeric_limits<float>::max(): TFLite's bound for "no clamp", so the float path mirrors it. */
const FLOAT_MAX = 3.4028234663852886e38;

const DTYPE_RANGE = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
} as const satisfies Record<string, readonly [number, number]>;

/**
 * TFLite's Quantize helper in kernel_util.h: zero_point + (int32)round(f / scale), with the
 * division and the rounding done in float32 (scale is a float there). A result outside int32 is
 * an error in TFLite too.
 */
function quantizeActivationBound(real: number, scale: number, zeroPoint: number): number {
  const quotient = Math.fround(real / Math.fround(scale));
  const rounded = quotient < 0 ? -Math.round(-quotient) : Math.round(quotient);
  if (!(rounded >= -2147483648 && rounded <= 2147483647)) {
    throw new RangeError(`activation bound ${real} does not quantize to int32 with scale ${scale}`);
  }
  return zeroPoint + rounded;
}

/**
 * TFLite CalculateActivationRangeQuantized: clamp range in the quantized domain of the output.
 * RELU, RELU6 and RELU_N1_TO_1 quantize their real bounds and intersect them with the dtype's
 * range; every other activation (NONE, and TANH/SIGN_BIT, which TFLite does not clamp here)
 * gets the full dtype range.
 */
export function activationRangeQuantized(
  act: Activation,
  scale: number,
  zeroPoint: number,
  dtype: 'int8' | 'uint8' | 'int16' | 'int32',
): [number, number] {
  const [qmin, qmax] = DTYPE_RANGE[dtype];
  switch (act) {
    case 'RELU':
      return [Math.max(qmin, quantizeActivationBound(0, scale, zeroPoint)), qmax];
    case 'RELU6':
      return [
        Math.max(qmin, quantizeActivationBound(0, scale, zeroPoint)),
        Math.min(qmax, quantizeActivationBound(6, scale, zeroPoint)),
      ];
    case 'RELU_N1_TO_1':
      return [
        Math.max(qmin, quantizeActivationBound(-1, scale, zeroPoint)),
        Math.min(qmax, quantizeActivationBound(1, scale, zeroPoint)),
      ];
    default:
      return [qmin, qmax];
  }
}

/**
 * TFLite CalculateActivationRange<float>. "Unbounded" is ±FLT_MAX, not ±∞, as in TFLite: an
 * infinite input therefore clamps to ±FLT_MAX, which is what TFLite's float kernels output.
 */
export function activationRangeFloat(act: Activation): [number, number] {
  switch (act) {
    case 'RELU':
      return [0, FLOAT_MAX];
    case 'RELU6':
      return [0, 6];
    case 'RELU_N1_TO_1':
      return [-1, 1];
    default:
      return [-FLOAT_MAX, FLOAT_MAX];
  }
}
