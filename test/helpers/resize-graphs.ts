// Single-op graphs for RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, ARG_MAX, ARG_MIN and CAST, with
// output shapes computed here from each op's definition, and random inputs in each dtype.
import type { DType, Graph, QuantParams } from '../../src/model/graph.ts';
import { tensorElementCount } from '../../src/model/graph.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { GraphBuilder, quant, randomBytes } from './graphs.ts';
import { randInt } from './rng.ts';

export type ResizeDType = 'int8' | 'uint8' | 'float32';

export function resizeQuant(dtype: DType): QuantParams | undefined {
  if (dtype === 'int8') return quant(0.05, -3);
  if (dtype === 'uint8') return quant(0.05, 131);
  return undefined;
}

export interface ResizeCase {
  type: 'RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR';
  dtype: ResizeDType;
  /** [N, H, W, C] */
  inShape: number[];
  size: [number, number];
  alignCorners?: boolean;
  halfPixelCenters?: boolean;
}

export function describeResize(c: ResizeCase): string {
  return `${c.type} ${c.dtype} [${c.inShape}] → ${c.size}${c.alignCorners ? ' align_corners' : ''}${c.halfPixelCenters ? ' half_pixel' : ''}`;
}

export function resizeGraph(c: ResizeCase): Graph {
  const b = new GraphBuilder();
  const q = resizeQuant(c.dtype);
  const input = b.tensor('input', c.inShape, c.dtype, q);
  const size = b.tensor('size', [2], 'int32', undefined, Int32Array.from(c.size));
  const output = b.tensor('output', [c.inShape[0]!, c.size[0], c.size[1], c.inShape[3]!], c.dtype, q);
  // Versions as the converter writes them: 3 with half_pixel_centers, 2 for 8-bit, else 1.
  const version = c.halfPixelCenters ? 3 : c.dtype === 'float32' ? 1 : 2;
  b.op({ type: c.type, version, inputs: [input, size], outputs: [output], options: { alignCorners: !!c.alignCorners, halfPixelCenters: !!c.halfPixelCenters } });
  return b.build([input], [output], describeResize(c));
}

export interface ArgCase {
  type: 'ARG_MAX' | 'ARG_MIN';
  dtype: ResizeDType | 'int32';
  inShape: number[];
  axis: number;
  outputType: 'int32' | 'int64';
  axisType?: 'int32' | 'int64';
}

export function argGraph(c: ArgCase): Graph {
  const b = new GraphBuilder();
  const input = b.tensor('input', c.inShape, c.dtype, resizeQuant(c.dtype));
  const axisData = c.axisType === 'int64' ? BigInt64Array.from([BigInt(c.axis)]) : Int32Array.from([c.axis]);
  const axis = b.tensor('axis', [1], c.axisType ?? 'int32', undefined, axisData);
  const a = c.axis < 0 ? c.axis + c.inShape.length : c.axis;
  const output = b.tensor('output', c.inShape.filter((_, d) => d !== a), c.outputType);
  b.op({ type: c.type, version: c.dtype === 'float32' ? 1 : 2, inputs: [input, axis], outputs: [output], options: { outputType: c.outputType } });
  return b.build([input], [output], `${c.type} ${c.dtype} [${c.inShape}] axis ${c.axis} → ${c.outputType}`);
}

export function castGraph(from: DType, to: DType, shape: number[]): Graph {
  const b = new GraphBuilder();
  const input = b.tensor('input', shape, from);
  const output = b.tensor('output', shape, to);
  b.op({ type: 'CAST', inputs: [input], outputs: [output], options: {} });
  return b.build([input], [output], `CAST ${from} → ${to} [${shape}]`);
}

/** Random values of a dtype: 8-bit bytes, small-ranged integers with repeats (ties), floats with a few exact ties. */
export function randomValues(rng: () => number, dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'int8':
    case 'uint8':
      return randomBytes(rng, n, dtype);
    case 'float32':
      return Float32Array.from({ length: n }, () => (rng() < 0.2 ? randInt(rng, -3, 3) : (rng() - 0.5) * 600));
    case 'int32':
      return Int32Array.from({ length: n }, () => (rng() < 0.5 ? randInt(rng, -5, 5) : randInt(rng, -2147483648, 2147483647)));
    case 'int16':
      return Int16Array.from({ length: n }, () => randInt(rng, -32768, 32767));
    case 'bool':
      return Uint8Array.from({ length: n }, () => (rng() < 0.5 ? 1 : 0));
    case 'int64':
      return BigInt64Array.from({ length: n }, () => BigInt(randInt(rng, -100000, 100000))) as unknown as TensorData;
  }
}

export function inputsOf(rng: () => number, g: Graph): TensorData[] {
  return g.inputs.map((id) => randomValues(rng, g.tensors[id]!.dtype, tensorElementCount(g.tensors[id]!.shape)));
}
