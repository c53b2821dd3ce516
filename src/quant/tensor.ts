// Whole-tensor conversions: quantize/dequantize as TFLite's QUANTIZE and DEQUANTIZE kernels do
// them, packing int8 weights for dot4I8Packed, and typed views of constant data.
import { DTYPE_BYTES, tensorElementCount } from '../model/graph.ts';
import type { QuantParams, TensorIR } from '../model/graph.ts';

const QUANTIZED_RANGE = {
  int8: [-128, 127],
  uint8: [0, 255],
  int32: [-2147483648, 2147483647],
} as const;

/**
 * How element i (row-major) maps to its quantization channel: channel = ⌊i / inner⌋ mod count,
 * where inner is the product of the dimensions after the axis. Per-tensor params give one
 * channel. Throws when per-axis params do not match the shape.
 */
function channelLayout(shape: readonly number[], q: QuantParams): { count: number; inner: number } {
  const count = q.scale.length;
  if (q.zeroPoint.length !== count && q.zeroPoint.length !== 1) {
    throw new Error(`quantization has ${count} scales but ${q.zeroPoint.length} zero points`);
  }
  if (count === 1) return { count: 1, inner: 1 };
  if (!Number.isInteger(q.axis) || q.axis < 0 || q.axis >= shape.length) {
    throw new Error(`quantization axis ${q.axis} is outside shape [${shape.join(', ')}]`);
  }
  if (shape[q.axis] !== count) {
    throw new Error(
      `quantization has ${count} scales but dimension ${q.axis} of [${shape.join(', ')}] is ${shape[q.axis]}`,
    );
  }
  let inner = 1;
  for (let d = q.axis + 1; d < shape.length; d++) inner *= shape[d];
  return { count, inner };
}

function checkLength(length: number, shape: readonly number[]): void {
  const expected = tensorElementCount(shape);
  if (length !== expected) {
    throw new Error(`tensor has ${length} elements but shape [${shape.join(', ')}] holds ${expected}`);
  }
}

/**
 * real → q: round(x/scale) + zp (TFLite rounds half away from zero), clamped to the dtype.
 * Per-tensor or per-axis (q.axis over `shape`).
 *
 * As in TFLite's AffineQuantize / PerChannelQuantize, x/scale is a float32 division and the
 * rounding is std::round on that float. NaN has no defined result in TFLite (the int cast is
 * undefined behaviour); here it quantizes to the zero point.
 */
export function quantizeTensor(
  values: Float32Array,
  shape: readonly number[],
  q: QuantParams,
  dtype: 'int8' | 'uint8' | 'int32',
): Int8Array | Uint8Array | Int32Array {
  checkLength(values.length, shape);
  const { count, inner } = channelLayout(shape, q);
  const [qmin, qmax] = QUANTIZED_RANGE[dtype];
  const out =
    dtype === 'int8'
      ? new Int8Array(values.length)
      : dtype === 'uint8'
        ? new Uint8Array(values.length)
        : new Int32Array(values.length);
  const scales = Float32Array.from(q.scale);
  for (let i = 0; i < values.length; i++) {
    const channel = count === 1 ? 0 : Math.floor(i / inner) % count;
    const zeroPoint = q.zeroPoint.length === 1 ? q.zeroPoint[0] : q.zeroPoint[channel];
    const quotient = Math.fround(values[i] / scales[channel]);
    const rounded = quotient < 0 ? -Math.round(-quotient) : Math.round(quotient);
    // The sum is formed in double, so a huge quotient clamps instead of wrapping.
    const unclamped = Number.isNaN(rounded) ? zeroPoint : rounded + zeroPoint;
    out[i] = unclamped < qmin ? qmin : unclamped > qmax ? qmax : unclamped;
  }
  return out;
}

/**
 * real → q as TFLite's builtin QUANTIZE runs it (optimized_ops::AffineQuantize, per tensor): the
 * scale widened to double, x / scale in double, rounded half away from zero (TfLiteRound), + zp,
 * clamped. The double quotient of two float32 values is never a spurious tie, so this is the
 * exact quotient rounded half away; where x / scale rounds to a tie in float32 (the reference
 * kernel's quotient) it need not be one here. NaN quantizes to the zero point.
 */
export function quantizeTensorTfliteOptimized(values: Float32Array, scale: number, zeroPoint: number, dtype: 'int8' | 'uint8'): Int8Array | Uint8Array {
  const [qmin, qmax] = QUANTIZED_RANGE[dtype];
  const out = dtype === 'int8' ? new Int8Array(values.length) : new Uint8Array(values.length);
  const s = Math.fround(scale);
  for (let i = 0; i < values.length; i++) {
    const quotient = values[i] / s;
    const rounded = quotient < 0 ? -Math.round(-quotient) : Math.round(quotient);
    const unclamped = Number.isNaN(rounded) ? zeroPoint : rounded + zeroPoint;
    out[i] = unclamped < qmin ? qmin : unclamped > qmax ? qmax : unclamped;
  }
  return out;
}

/**
 * real → q as the TFLite runtime's XNNPACK delegate converts float32 to 8 bits (QUANTIZE, per
 * tensor): xnn_create_convert_nc_f32_qs8/qu8 keep the float32 reciprocal 1/scale, and the kernel
 * (f32-qs8-vcvt) multiplies by it in float32, clamps to [qmin − zp, qmax − zp] and rounds half to
 * even (lrintf, or the magic-bias add), then adds zp. So an exact tie such as 208.5 goes to 208,
 * where AffineQuantize's std::round(x / scale) gives 209. NaN quantizes to the zero point here.
 */
export function quantizeTensorXnnpack(values: Float32Array, scale: number, zeroPoint: number, dtype: 'int8' | 'uint8'): Int8Array | Uint8Array {
  const [qmin, qmax] = QUANTIZED_RANGE[dtype];
  const out = dtype === 'int8' ? new Int8Array(values.length) : new Uint8Array(values.length);
  const reciprocal = Math.fround(1 / Math.fround(scale));
  const lo = qmin - zeroPoint;
  const hi = qmax - zeroPoint;
  for (let i = 0; i < values.length; i++) {
    const scaled = Math.fround(values[i] * reciprocal);
    if (Number.isNaN(scaled)) {
      out[i] = zeroPoint;
      continue;
    }
    const clamped = scaled < lo ? lo : scaled > hi ? hi : scaled;
    let rounded = Math.round(clamped);
    if (rounded - clamped === 0.5 && (rounded & 1) !== 0) rounded -= 1;
    out[i] = rounded + zeroPoint;
  }
  return out;
}

/**
 * XNNPACK's 8-bit → 8-bit convert (QUANTIZE with int8 in and out, or uint8 in and out;
 * xnn_init_qs8_cvt / qu8_cvt params and the vcvt microkernels): the float32 ratio
 * scale_in / scale_out becomes an integer multiplier M = lrintf(256 × ratio) (8 fraction bits),
 * and out = ((q − zp_in)·M + 128) >> 8 + zp_out, clamped to the dtype (the shift floors, so ties
 * round up). The delegate takes the op for a ratio in [2^−8, 2^7] only; null outside and for
 * mixed int8/uint8, where TFLite's Requantize runs. Checked against the runtime on both sides of
 * 2^−8 in test/reference/tflite-runtime-ops.test.ts.
 */
export function xnnpackConvertMultiplier(inputScale: number, outputScale: number, sameDType: boolean): number | null {
  const ratio = Math.fround(Math.fround(inputScale) / Math.fround(outputScale));
  if (!sameDType || !(ratio >= 2 ** -8 && ratio <= 2 ** 7)) return null;
  const m = Math.fround(256 * ratio);
  const r = Math.round(m);
  return r - m === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/**
 * q → real = scale × (q − zp), as float32. Per-tensor mirrors TFLite's Dequantize
 * (double scale × int, then cast to float); per-axis mirrors PerChannelDequantize (float × float).
 * The two agree for 8-bit data; they can differ by rounding for large int32 values.
 */
export function dequantizeTensor(
  values: Int8Array | Uint8Array | Int32Array,
  shape: readonly number[],
  q: QuantParams,
): Float32Array {
  checkLength(values.length, shape);
  const { count, inner } = channelLayout(shape, q);
  const out = new Float32Array(values.length);
  if (count === 1) {
    const scale = q.scale[0];
    const zeroPoint = q.zeroPoint[0];
    for (let i = 0; i < values.length; i++) out[i] = scale * (values[i] - zeroPoint);
    return out;
  }
  const scales = Float32Array.from(q.scale);
  for (let i = 0; i < values.length; i++) {
    const channel = Math.floor(i / inner) % count;
    const zeroPoint = q.zeroPoint.length === 1 ? q.zeroPoint[0] : q.zeroPoint[channel];
    out[i] = Math.fround(values[i] - zeroPoint) * scales[channel];
  }
  return out;
}

/**
 * Packs a row-major rows×cols int8 matrix into rows × ceil(cols/4) u32 words; element 4j+k goes to
 * byte k (bits 8k..8k+7) of word j, the layout dot4I8Packed reads. Columns beyond `cols` are 0.
 *
 * Built arithmetically rather than through a byte view, so the result does not depend on the
 * host's endianness (WebGPU reads buffers little-endian).
 */
export function packInt8x4(src: Int8Array, rows: number, cols: number): { data: Uint32Array; wordsPerRow: number } {
  if (src.length < rows * cols) {
    throw new Error(`packInt8x4: ${src.length} values cannot fill ${rows}×${cols}`);
  }
  const wordsPerRow = Math.ceil(cols / 4);
  const data = new Uint32Array(rows * wordsPerRow);
  for (let r = 0; r < rows; r++) {
    const rowStart = r * cols;
    const wordStart = r * wordsPerRow;
    for (let c = 0; c < cols; c++) {
      data[wordStart + (c >> 2)] |= (src[rowStart + c] & 0xff) << ((c & 3) * 8);
    }
  }
  return { data, wordsPerRow };
}

/** Legacy uint8 → int8: x − 128, exact. */
export function uint8ToInt8(src: Uint8Array): Int8Array {
  const out = new Int8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] - 128;
  return out;
}

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export type ConstantArray = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array | BigInt64Array;

/**
 * Typed view of a constant tensor's little-endian bytes (copy if unaligned). Throws on a dtype it
 * can't view.
 *
 * The result aliases the model's bytes when it can, so callers must not write to it. It also
 * copies on a big-endian host, where a view would read the bytes backwards. Throws when the tensor
 * has no data or its byte length does not match its shape.
 */
export function constantData(t: TensorIR): ConstantArray {
  const bytes = t.data;
  if (!bytes) throw new Error(`tensor ${t.id} (${t.name}) has no constant data`);
  const elementBytes = DTYPE_BYTES[t.dtype];
  const count = tensorElementCount(t.shape);
  if (bytes.byteLength !== count * elementBytes) {
    throw new Error(
      `tensor ${t.id} (${t.name}): ${bytes.byteLength} bytes of data, but ${t.dtype}[${t.shape.join(', ')}] needs ${count * elementBytes}`,
    );
  }
  switch (t.dtype) {
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset, count);
    case 'uint8':
      return bytes;
    case 'int16':
      return viewOrCopy(bytes, count, 2, Int16Array, (v, o) => v.getInt16(o, true));
    case 'int32':
      return viewOrCopy(bytes, count, 4, Int32Array, (v, o) => v.getInt32(o, true));
    case 'float32':
      return viewOrCopy(bytes, count, 4, Float32Array, (v, o) => v.getFloat32(o, true));
    case 'int64':
      return viewOrCopy(bytes, count, 8, BigInt64Array, (v, o) => v.getBigInt64(o, true));
    default:
      throw new Error(`tensor ${t.id} (${t.name}): cannot view constant data of dtype ${t.dtype}`);
  }
}

function viewOrCopy<T extends Int16Array | Int32Array | Float32Array | BigInt64Array>(
  bytes: Uint8Array,
  count: number,
  elementBytes: number,
  ArrayType: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): T; new (length: number): T },
  readLittleEndian: (view: DataView, byteOffset: number) => T[number],
): T {
  if (hostIsLittleEndian && bytes.byteOffset % elementBytes === 0) {
    return new ArrayType(bytes.buffer, bytes.byteOffset, count);
  }
  const out = new ArrayType(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) out[i] = readLittleEndian(view, i * elementBytes);
  return out;
}
