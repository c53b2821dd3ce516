// How tensors live in GPU buffers. 8-bit tensors are packed 4 to a u32 along the innermost
// dimension, which is padded to a multiple of 4, so that dot4I8Packed reads 4 channels at once.
// Legacy uint8 tensors are stored in the int8 domain (u − 128, a flip of the top bit), which is
// exact for every op Octet runs; ops whose rounding differs by dtype get a flag instead.
// 32-bit tensors (float32, int32) are stored plainly. int64 tensors are stored as two u32 words
// per element (low word first: the little-endian bytes of the value), since WGSL has no 64-bit
// integers; bool tensors as one u32 (0 or 1) per element. At the API bool values travel as
// Uint8Array of 0/1 and int64 values as Int32Array, the CPU reference's representation: inputs
// are sign-extended, and an output element beyond int32's range is an error naming it rather
// than a silently wrapped value (ARG_MAX indices, SHAPE and casts of int32 values always fit).
import { OctetError } from '../errors.ts';
import { tensorElementCount, type DType, type TensorIR } from '../model/graph.ts';

export type TensorData = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array;

export class Int64RangeError extends OctetError {
  override name = 'Int64RangeError';
  readonly code = 'INT64_RANGE';
}

export function isEightBit(dtype: DType): boolean {
  return dtype === 'int8' || dtype === 'uint8';
}

export function innerDim(shape: readonly number[]): number {
  return shape.length === 0 ? 1 : shape[shape.length - 1]!;
}

/**
 * Whether two shapes of one element order (a reshape) have the same 8-bit packed bytes: the same
 * innermost dimension, or innermost dimensions that are both whole words, where the packed layout
 * has no padding and is the plain row-major bytes (SSD heads' [1, H, W, A·4] → [1, H·W·A, 4]).
 */
export function samePackedBytes(a: readonly number[], b: readonly number[]): boolean {
  return innerDim(a) === innerDim(b) || (innerDim(a) % 4 === 0 && innerDim(b) % 4 === 0);
}

export function outerCount(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length - 1; i++) n *= shape[i]!;
  return n;
}

export const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;

export class UnsupportedLayoutError extends OctetError {
  override name = 'UnsupportedLayoutError';
  readonly code = 'UNSUPPORTED_LAYOUT';
}

/** Bytes a tensor occupies on the GPU (always a positive multiple of 4, as bindings require). */
export function gpuByteLength(t: Pick<TensorIR, 'shape' | 'dtype' | 'name'>): number {
  if (isEightBit(t.dtype)) return Math.max(4, outerCount(t.shape) * roundUp4(innerDim(t.shape)));
  if (t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'bool') return Math.max(4, tensorElementCount(t.shape) * 4);
  if (t.dtype === 'int64') return Math.max(4, tensorElementCount(t.shape) * 8);
  throw new UnsupportedLayoutError(`tensor '${t.name}' has dtype ${t.dtype}, which Octet's GPU path does not store`);
}

/** Host data in the model's own dtype → the GPU layout above. */
export function toGpuLayout(t: Pick<TensorIR, 'shape' | 'dtype' | 'name'>, data: TensorData): Uint8Array {
  const out = new Uint8Array(gpuByteLength(t));
  if (isEightBit(t.dtype)) {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const inner = innerDim(t.shape);
    const padded = roundUp4(inner);
    const outer = outerCount(t.shape);
    const flip = t.dtype === 'uint8' ? 0x80 : 0;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) out[o * padded + i] = bytes[o * inner + i]! ^ flip;
    }
    return out;
  }
  if (t.dtype === 'bool') {
    const words = new Uint32Array(out.buffer);
    for (let i = 0; i < data.length; i++) words[i] = data[i] ? 1 : 0;
    return out;
  }
  if (t.dtype === 'int64' && data.BYTES_PER_ELEMENT === 4) {
    // int32-held int64 values (the API's and the reference's): sign-extended into the high word.
    // (Constant int64 data, decoded as a BigInt64Array, is copied as it is.)
    const words = new Int32Array(out.buffer);
    for (let i = 0; i < data.length; i++) {
      const v = Number(data[i]);
      words[2 * i] = v;
      words[2 * i + 1] = v < 0 ? -1 : 0;
    }
    return out;
  }
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return out;
}

/** GPU layout bytes → host data in the model's own dtype. */
export function fromGpuLayout(t: Pick<TensorIR, 'shape' | 'dtype' | 'name'>, bytes: Uint8Array): TensorData {
  const count = tensorElementCount(t.shape);
  if (isEightBit(t.dtype)) {
    const inner = innerDim(t.shape);
    const padded = roundUp4(inner);
    const outer = outerCount(t.shape);
    const out = t.dtype === 'uint8' ? new Uint8Array(count) : new Int8Array(count);
    const raw = new Uint8Array(out.buffer);
    const flip = t.dtype === 'uint8' ? 0x80 : 0;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) raw[o * inner + i] = bytes[o * padded + i]! ^ flip;
    }
    return out;
  }
  if (t.dtype === 'int64') {
    const words = new Int32Array(bytes.slice(0, count * 8).buffer);
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const lo = words[2 * i]!;
      if (words[2 * i + 1] !== (lo < 0 ? -1 : 0)) {
        const value = (BigInt(words[2 * i + 1]!) << 32n) | BigInt(lo >>> 0);
        throw new Int64RangeError(`int64 tensor '${t.name}' element ${i} is ${value}, beyond the int32 range int64 values are returned in`);
      }
      out[i] = lo;
    }
    return out;
  }
  const copy = bytes.slice(0, count * 4);
  if (t.dtype === 'bool') return Uint8Array.from(new Uint32Array(copy.buffer), (w) => (w ? 1 : 0));
  return t.dtype === 'float32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
}
