// How tensors live in GPU buffers. 8-bit tensors are packed 4 to a u32 along the innermost
// dimension, which is padded to a multiple of 4, so that dot4I8Packed reads 4 channels at once.
// Legacy uint8 tensors are stored in the int8 domain (u − 128, a flip of the top bit), which is
// exact for every op Octet runs; ops whose rounding differs by dtype get a flag instead.
// 32-bit tensors (float32, int32) are stored plainly.
import { tensorElementCount, type DType, type TensorIR } from '../model/graph.ts';

export type TensorData = Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array;

export function isEightBit(dtype: DType): boolean {
  return dtype === 'int8' || dtype === 'uint8';
}

export function innerDim(shape: readonly number[]): number {
  return shape.length === 0 ? 1 : shape[shape.length - 1]!;
}

export function outerCount(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length - 1; i++) n *= shape[i]!;
  return n;
}

export const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;

export class UnsupportedLayoutError extends Error {
  override name = 'UnsupportedLayoutError';
}

/** Bytes a tensor occupies on the GPU (always a positive multiple of 4, as bindings require). */
export function gpuByteLength(t: Pick<TensorIR, 'shape' | 'dtype' | 'name'>): number {
  if (isEightBit(t.dtype)) return Math.max(4, outerCount(t.shape) * roundUp4(innerDim(t.shape)));
  if (t.dtype === 'float32' || t.dtype === 'int32') return Math.max(4, tensorElementCount(t.shape) * 4);
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
  const copy = bytes.slice(0, count * 4);
  return t.dtype === 'float32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
}
