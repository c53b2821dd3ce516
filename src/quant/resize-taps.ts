// The source taps of RESIZE_BILINEAR and RESIZE_NEAREST_NEIGHBOR along one axis: which input
// pixels each output position reads, and with what weight, as XNNPACK's indirection setup and
// TFLite's reference_ops compute them (float32 coordinates, XNNPACK's q11 weights, TFLite's 10-bit
// fixed point). The CPU reference and the GPU lowerings both take their taps from here.
import { roundHalfEven } from '../rounding.ts';

const f32 = Math.fround;

/** The four source offsets (pixels) and the two weights of one output position along one axis. */
export interface AxisTaps {
  /** Lower and upper source index per output index. */
  lo: Int32Array;
  hi: Int32Array;
  /** Float32 fraction per output index (XNNPACK's alpha, or TFLite's input_x − x0). */
  alpha: Float32Array;
}

/**
 * XNNPACK's source coordinates along one axis (xnn_indirection_init_resize_bilinear2d_hwc_*):
 * scale = (in − adj) / (out − adj) with adj = align_corners && out ≠ 1; legacy mode (no half
 * pixel centers) or align_corners: x·scale; otherwise clamp(x·scale + (scale/2 − 1/2), 0, in − 1).
 */
export function xnnpackTaps(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): AxisTaps {
  const adjustment = alignCorners && outSize !== 1 ? 1 : 0;
  const scale = f32(f32(inSize - adjustment) / f32(outSize - adjustment));
  const legacy = !halfPixelCenters;
  const offset = f32(f32(0.5 * scale) - 0.5);
  const max = inSize - 1;
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const alpha = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    let v: number;
    if (legacy || alignCorners) {
      v = f32(o * scale);
    } else {
      v = f32(f32(o * scale) + offset);
      v = Math.min(Math.max(v, 0), max);
    }
    const top = Math.trunc(v);
    lo[o] = top;
    hi[o] = Math.min(top + 1, max);
    alpha[o] = f32(v - top);
  }
  return { lo, hi, alpha };
}

/** XNNPACK's q11 weight of a float32 fraction. */
export function q11(alpha: number): number {
  return roundHalfEven(f32(alpha * 2048));
}

/** TFLite's reference scale for one axis (ResizeBilinear, float). */
function tfliteScale(inSize: number, outSize: number, alignCorners: boolean): number {
  return alignCorners && outSize > 1 ? f32(f32(inSize - 1) / f32(outSize - 1)) : f32(f32(inSize) / f32(outSize));
}

/** reference_ops ComputeInterpolationValues for one axis. */
export function tfliteTaps(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): AxisTaps {
  const scale = tfliteScale(inSize, outSize, alignCorners);
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const alpha = new Float32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const v = halfPixelCenters ? f32(f32(f32(o + 0.5) * scale) - 0.5) : f32(o * scale);
    const floor = Math.floor(v);
    lo[o] = Math.max(floor, 0);
    hi[o] = Math.min(Math.ceil(v), inSize - 1);
    alpha[o] = v; // the scaled value itself: the weights are v − lo
  }
  return { lo, hi, alpha };
}

/** reference_ops ComputeInterpolationValuesInteger: 10-bit fixed-point coordinates (int8). */
export function tfliteIntegerTaps(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): { lo: Int32Array; hi: Int32Array; scaled: Int32Array } {
  const scale10 =
    alignCorners && outSize > 1
      ? Math.trunc((1024 * (inSize - 1) + Math.trunc((outSize - 1) / 2)) / (outSize - 1))
      : Math.trunc((1024 * inSize + Math.trunc(outSize / 2)) / outSize);
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const scaled = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const v = halfPixelCenters ? o * scale10 + Math.trunc(scale10 / 2) - 512 : o * scale10;
    scaled[o] = v;
    lo[o] = Math.max(Math.trunc(v / 1024), 0);
    hi[o] = Math.min(Math.trunc((v + 1023) / 1024), inSize - 1);
  }
  return { lo, hi, scaled };
}

/** TFLite's GetNearestNeighbor source index for every output index along one axis. */
export function nearestIndices(inSize: number, outSize: number, alignCorners: boolean, halfPixelCenters: boolean): Int32Array {
  const scale = tfliteScale(inSize, outSize, alignCorners);
  const offset = halfPixelCenters ? 0.5 : 0;
  const out = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const v = f32(f32(o + offset) * scale);
    // TfLiteRound: std::round, half away from zero (v ≥ 0 here).
    let i = Math.min(alignCorners ? Math.floor(v + 0.5) : Math.floor(v), inSize - 1);
    if (halfPixelCenters) i = Math.max(0, i);
    out[o] = i;
  }
  return out;
}
