// Raw tensor files: the model's own dtype, little-endian, no header (the layout of the shared
// reference vectors). DataView keeps the byte order explicit whatever the host's is.
import { DTYPE_BYTES, tensorElementCount, type TensorIR } from '../model/graph.ts';
import type { TensorData } from '../kernels/layout.ts';
import { CliError } from './errors.ts';

export function describeTensor(t: Pick<TensorIR, 'name' | 'shape' | 'dtype'>): string {
  return `'${t.name}' ${t.dtype} [${t.shape.join(',')}]`;
}

export function expectedByteLength(t: Pick<TensorIR, 'shape' | 'dtype'>): number {
  return tensorElementCount(t.shape) * DTYPE_BYTES[t.dtype];
}

/** Bytes → the typed array the model takes for `t`; a length mismatch names shape, dtype and bytes. */
export function bytesToTensor(bytes: Uint8Array, t: TensorIR, source: string): TensorData {
  const expected = expectedByteLength(t);
  if (bytes.length !== expected) {
    throw new CliError(
      `${source}: ${bytes.length} bytes, but input ${describeTensor(t)} needs ${tensorElementCount(t.shape)} × ${DTYPE_BYTES[t.dtype]} = ${expected} bytes`,
    );
  }
  const count = tensorElementCount(t.shape);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (t.dtype) {
    case 'int8':
      return new Int8Array(bytes.slice().buffer);
    case 'uint8':
      return bytes.slice();
    case 'int16':
      return Int16Array.from({ length: count }, (_, i) => view.getInt16(i * 2, true));
    case 'int32':
      return Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true));
    case 'float32':
      return Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true));
    default:
      throw new CliError(`input ${describeTensor(t)}: raw ${t.dtype} inputs are not supported`);
  }
}

/** A tensor → little-endian bytes in its own dtype. */
export function tensorToBytes(data: TensorData): Uint8Array {
  if (data instanceof Int8Array || data instanceof Uint8Array) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  }
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Int16Array) view.setInt16(i * 2, data[i], true);
    else if (data instanceof Int32Array) view.setInt32(i * 4, data[i], true);
    else view.setFloat32(i * 4, data[i], true);
  }
  return out;
}
