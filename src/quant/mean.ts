// Quantized MEAN: which kernel the TFLite runtime runs for a MEAN node, and that kernel's
// rounding, as a function from the integer sum of a window to the 8-bit output. Shared by the CPU
// reference (src/reference/ops/pool.ts) and the GPU lowering (src/kernels/pool-elementwise.ts),
// which turns the function into thresholds (meanThresholds) so the shader does no float math.
//
// Measured against the TFLite runtime that made the reference vectors (tfjs-tflite 0.0.1-alpha.10,
// XNNPACK delegate) on single-op MEAN graphs with exact ties, and read from the sources:
//  - XNNPACK takes a MEAN over axes {1, 2} or {2} of a 4-D input (keep_dims or not) whose
//    input/output scale ratio is in [2^-8, 2^8): global average pooling
//    (XNNPACK src/operators/global-average-pooling-nwc.c, update_params_qs8/qu8):
//    scale = float(input_scale / (output_scale * float(n))), bias = −n·zp_in, and the fp32 kernel
//    computes float(sum + bias) × scale in float32, clamps, rounds half to even, adds zp_out.
//  - Any other MEAN runs TFLite's built-in kernel (lite/kernels/reduce.cc, EvalMean with
//    kGenericOptimized):
//    - keep_dims, 4-D, axes exactly (1, 2) or (2, 1): optimized_integer_ops::Mean (int8) and
//      optimized_ops::Mean (uint8): bias = zp_out − (int)(float(zp_in × scale_in / scale_out) ± 0.5),
//      MultiplyByQuantizedMultiplier(sum, QuantizeMultiplier(float(scale_in / (float(n) × scale_out))))
//      + bias;
//    - equal input and output scale and zero point: reference_ops::Mean, sum / n in C integer
//      division (truncating toward zero);
//    - otherwise reference_ops::QuantizedMeanOrSum: in float32, scale = scale_in / scale_out,
//      bias = −zp_in × scale, round_half_away(float(sum) / float(n) × scale + bias) + zp_out.
// Octet's 'xnnpack' requantization mode follows the runtime (XNNPACK where it delegates, the
// built-in kernel otherwise); the 'tflite' mode always follows the built-in kernel.
import { roundHalfAway, roundHalfEven } from '../rounding.ts';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from './fixedpoint.ts';
import type { RequantizationMode } from './requantization.ts';

export type MeanKernel = 'xnnpack-global-average-pooling' | 'optimized-mean-4d' | 'integer-mean' | 'quantized-mean-or-sum';

export interface MeanSpec {
  dtype: 'int8' | 'uint8';
  /** Input rank. */
  rank: number;
  /** The axis tensor's values as stored (negative values not resolved, duplicates kept). */
  rawAxes: readonly number[];
  /** The delegate only takes an int32 axis tensor. */
  axesInt32: boolean;
  keepDims: boolean;
  /** Elements reduced into each output element. */
  count: number;
  inputScale: number;
  inputZeroPoint: number;
  outputScale: number;
  outputZeroPoint: number;
  /** 'xnnpack' where the XNNPACK delegate runs the graph (it may still decline this MEAN). */
  requantization: RequantizationMode;
}

export interface MeanRule {
  kernel: MeanKernel;
  /** Output value (the dtype's own domain, clamped) for the sum of a window of raw input values. */
  finish(sum: number): number;
}

const f = Math.fround;

/** Whether the XNNPACK delegate takes this MEAN (its VisitMeanNode and the operator's checks). */
export function xnnpackTakesMean(spec: MeanSpec): boolean {
  if (spec.rank !== 4 || !spec.axesInt32) return false;
  const axes = spec.rawAxes;
  const spatial = axes.length === 2 && Math.min(axes[0]!, axes[1]!) === 1 && Math.max(axes[0]!, axes[1]!) === 2;
  const widthOnly = axes.length === 1 && axes[0] === 2;
  if (!spatial && !widthOnly) return false;
  const ratio = f(f(spec.inputScale) / f(spec.outputScale));
  return ratio >= 2 ** -8 && ratio < 2 ** 8;
}

/** The kernel the TFLite runtime runs for this MEAN and its exact rounding. */
export function meanRule(spec: MeanSpec): MeanRule {
  const [qmin, qmax] = spec.dtype === 'int8' ? [-128, 127] : [0, 255];
  const clamp = (v: number): number => (v < qmin ? qmin : v > qmax ? qmax : v);
  const n = spec.count;
  const inScale = f(spec.inputScale);
  const outScale = f(spec.outputScale);
  const zpIn = spec.inputZeroPoint;
  const zpOut = spec.outputZeroPoint;

  if (spec.requantization === 'xnnpack' && xnnpackTakesMean(spec)) {
    const scale = f(inScale / f(outScale * f(n)));
    const lo = qmin - zpOut;
    const hi = qmax - zpOut;
    return {
      kernel: 'xnnpack-global-average-pooling',
      finish: (sum) => {
        const scaled = f(f(sum - n * zpIn) * scale);
        return roundHalfEven(scaled < lo ? lo : scaled > hi ? hi : scaled) + zpOut;
      },
    };
  }
  const axes = spec.rawAxes;
  if (spec.keepDims && spec.rank === 4 && axes.length === 2 && ((axes[0] === 1 && axes[1] === 2) || (axes[0] === 2 && axes[1] === 1))) {
    let temp = f(f(zpIn * inScale) / outScale);
    temp = temp > 0 ? f(temp + 0.5) : f(temp - 0.5);
    const bias = zpOut - Math.trunc(temp);
    const { multiplier, shift } = quantizeMultiplier(f(inScale / f(f(n) * outScale)));
    return { kernel: 'optimized-mean-4d', finish: (sum) => clamp(multiplyByQuantizedMultiplier(sum, multiplier, shift) + bias) };
  }
  if (zpIn === zpOut && inScale === outScale) {
    return { kernel: 'integer-mean', finish: (sum) => clamp(Math.trunc(sum / n)) };
  }
  const scale = f(inScale / outScale);
  const bias = f(-zpIn * scale);
  return {
    kernel: 'quantized-mean-or-sum',
    finish: (sum) => clamp(roundHalfAway(f(f(f(f(sum) / f(n)) * scale) + bias)) + zpOut),
  };
}

/**
 * The rule as 255 thresholds over the int8-domain sum S' (uint8 values minus 128, so
 * S' = S − 128·n for uint8): the output, in the int8 domain, is −128 plus the number of
 * thresholds ≤ S'. Exact because every rule is non-decreasing in the sum (each step, float32
 * ones included, is monotone), so the GPU needs only integer compares. A level the window can
 * never reach gets 2^31 − 1.
 */
export function meanThresholds(rule: MeanRule, dtype: 'int8' | 'uint8', count: number): Int32Array {
  const offset = dtype === 'uint8' ? 128 : 0;
  // Raw sums range over [n·qmin, n·qmax] of the dtype's own domain.
  const lowest = count * (dtype === 'int8' ? -128 : 0);
  const highest = count * (dtype === 'int8' ? 127 : 255);
  const int8Out = (sum: number): number => rule.finish(sum) - offset;
  const thresholds = new Int32Array(255);
  for (let k = 1; k <= 255; k++) {
    const level = -128 + k;
    // The smallest raw sum whose output reaches `level`, by bisection over the sum range.
    if (int8Out(highest) < level) {
      thresholds[k - 1] = 0x7fffffff;
      continue;
    }
    let lo = lowest;
    let hi = highest;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (int8Out(mid) >= level) hi = mid;
      else lo = mid + 1;
    }
    thresholds[k - 1] = lo - offset * count;
  }
  return thresholds;
}
