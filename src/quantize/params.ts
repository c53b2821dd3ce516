// Quantization parameters as the TFLite converter derives them (quantization_utils.cc):
// activations asymmetric int8 from a calibrated range, weights symmetric int8 per channel or per
// tensor, biases int32 at input_scale × weight_scale. Scales are computed in float32 as there, so
// that the parameters written to the file are the ones the arithmetic used.
import type { QuantParams } from '../model/graph.ts';
import { quantizeTensor } from '../quant/tensor.ts';
import { roundHalfAway } from '../rounding.ts';

const f = Math.fround;
const INT8_MIN = -128;
const INT8_MAX = 127;
/** Symmetric weights use [−127, 127], so that −w is always representable (TFLite's kMaxQuantizedValue). */
const WEIGHT_MAX = 127;

export function perTensor(scale: number, zeroPoint: number): QuantParams {
  return { scale: Float64Array.of(scale), zeroPoint: Int32Array.of(zeroPoint), axis: 0 };
}

/**
 * Asymmetric int8 parameters for real values in [min, max], as GetAsymmetricQuantizationParams:
 * the range is widened to include 0 (so that 0, the padding and ReLU floor, is exact), scale =
 * (max − min) / 255, zero point = round(−128 − min / scale), clamped to [−128, 127].
 *
 * A range of width 0 (a tensor that is always 0) has no natural scale; it gets scale 1 with zero
 * point −128, under which 0 is still exact. TFLite divides by zero there.
 */
export function activationParams(min: number, max: number): { scale: number; zeroPoint: number } {
  const lo = Math.min(f(min), 0);
  const hi = Math.max(f(max), 0);
  const scale = f(f(hi - lo) / (INT8_MAX - INT8_MIN));
  if (!(scale > 0)) return { scale: 1, zeroPoint: INT8_MIN };
  const zeroPointFromMin = f(INT8_MIN - f(lo / scale));
  const zeroPoint =
    zeroPointFromMin < INT8_MIN ? INT8_MIN : zeroPointFromMin > INT8_MAX ? INT8_MAX : roundHalfAway(zeroPointFromMin);
  return { scale, zeroPoint };
}

/**
 * Symmetric int8 weights: scale = max|w| / 127 per channel along `axis` (or over the whole tensor
 * when `axis` is null), zero point 0, values in [−127, 127]. An all-zero channel gets scale 1
 * (as TFLite's SymmetricPerChannelQuantization does), so no scale is 0.
 */
export function quantizeWeights(
  values: Float32Array,
  shape: readonly number[],
  axis: number | null,
): { data: Int8Array; quant: QuantParams } {
  const channels = axis === null ? 1 : shape[axis];
  let inner = 1;
  if (axis !== null) for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < values.length; i++) {
    const c = axis === null ? 0 : Math.floor(i / inner) % channels;
    const a = Math.abs(values[i]);
    if (a > maxAbs[c]) maxAbs[c] = a;
  }
  const scale = Float64Array.from(maxAbs, (m) => (m > 0 ? f(m / WEIGHT_MAX) : 1));
  const quant: QuantParams = { scale, zeroPoint: new Int32Array(channels), axis: axis ?? 0 };
  const data = quantizeTensor(values, shape, quant, 'int8') as Int8Array;
  // max|w| / scale can round to 127.00001 in float32 and then to 127, never beyond; the clamp
  // keeps the [−127, 127] contract explicit rather than relying on that.
  for (let i = 0; i < data.length; i++) if (data[i] < -WEIGHT_MAX) data[i] = -WEIGHT_MAX;
  return { data, quant };
}

/**
 * int32 bias with scale input_scale × weight_scale[c] (float32 product, as the converter computes
 * it) and zero point 0, per channel (axis 0) when the weights are. Values beyond int32 saturate.
 */
export function quantizeBias(
  values: Float32Array,
  inputScale: number,
  weightQuant: QuantParams,
): { data: Int32Array; quant: QuantParams } {
  const perChannel = weightQuant.scale.length > 1;
  if (perChannel && weightQuant.scale.length !== values.length) {
    throw new Error(`bias has ${values.length} values but the weights have ${weightQuant.scale.length} channel scales`);
  }
  const scale = Float64Array.from(weightQuant.scale, (ws) => f(f(inputScale) * f(ws)));
  const quant: QuantParams = { scale, zeroPoint: new Int32Array(scale.length), axis: 0 };
  const data = quantizeTensor(values, [values.length], quant, 'int32') as Int32Array;
  return { data, quant };
}

/** Little-endian bytes of a typed array, as TensorIR.data holds them. */
export function bytesOf(values: Int8Array | Int32Array | Float32Array): Uint8Array {
  if (values instanceof Int8Array) return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    if (values instanceof Int32Array) view.setInt32(i * 4, values[i], true);
    else view.setFloat32(i * 4, values[i], true);
  }
  return out;
}
