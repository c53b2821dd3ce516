// Numpy-style broadcasting of two operands, as TFLite's binary kernels take it: shapes align at
// the trailing dimension, a dimension of 1 stretches, and the output has the larger size of each
// pair. TFLite's broadcasting kernels (BroadcastBinaryFunction6DSlow and friends) stop at rank 6.
import type { TensorIR } from './graph.ts';

/** The highest rank a broadcasting binary op takes (TFLite's 6-D slow broadcast). */
export const MAX_BROADCAST_RANK = 6;

/** `shape` front-padded with 1s to `rank`. */
export function padShape(shape: readonly number[], rank: number): number[] {
  return [...new Array<number>(Math.max(0, rank - shape.length)).fill(1), ...shape];
}

/**
 * Why `a` and `b` cannot broadcast into `out`, or null when they can: a rank above the limit,
 * a pair of sizes that are neither equal nor 1, or an output shape that is not their broadcast.
 */
export function broadcastProblem(a: TensorIR, b: TensorIR, out: TensorIR): string | null {
  const rank = out.shape.length;
  if (rank > MAX_BROADCAST_RANK) return `output [${out.shape.join(', ')}] has rank ${rank}; broadcasting takes at most ${MAX_BROADCAST_RANK}`;
  for (const t of [a, b]) {
    if (t.shape.length > rank) return `input [${t.shape.join(', ')}] has a higher rank than the output [${out.shape.join(', ')}]`;
  }
  const pa = padShape(a.shape, rank);
  const pb = padShape(b.shape, rank);
  for (let d = 0; d < rank; d++) {
    const x = pa[d]!;
    const y = pb[d]!;
    if (x !== y && x !== 1 && y !== 1) return `inputs [${a.shape.join(', ')}] and [${b.shape.join(', ')}] do not broadcast (dimension ${d}: ${x} and ${y})`;
    // A size-0 dimension broadcasts to 0; otherwise the larger size wins.
    const expected = x === 1 ? y : x;
    if (out.shape[d] !== expected) {
      return `output [${out.shape.join(', ')}] is not the broadcast of [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`;
    }
  }
  return null;
}

/** Row-major element strides of `shape` padded to `rank`, 0 along dimensions of size 1 (broadcast). */
export function broadcastStrides(shape: readonly number[], rank: number): number[] {
  const padded = padShape(shape, rank);
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = padded[d] === 1 ? 0 : s;
    s *= padded[d]!;
  }
  return strides;
}
