// Single-op graphs for ADD, MUL, AVERAGE_POOL_2D, MAX_POOL_2D and MEAN, with quantization chosen
// so that typical results land inside the 8-bit range (clamps would hide requantization bugs).
import type { Activation, Graph, Padding } from '../../src/model/graph.ts';
import { GraphBuilder, outSize, quant, randomBytes } from './graphs.ts';
import { randInt } from './rng.ts';

type Dtype8 = 'int8' | 'uint8';

function randomZeroPoint(rng: () => number, dtype: Dtype8): number {
  return dtype === 'int8' ? randInt(rng, -30, 30) : randInt(rng, 98, 158);
}

export interface BinaryCase {
  op: 'ADD' | 'MUL';
  dtype: Dtype8;
  aShape: number[];
  bShape: number[];
  outShape: number[];
  activation: Activation;
  /** The second input is a constant of the graph rather than a graph input. */
  constantB?: boolean;
  /** scale_a / scale_b; ADD rescales the smaller-scaled input, so both orders matter. */
  scaleRatio?: number;
  /** Exact [scale_a, scale_b, scale_out]: dyadic ratios make rounding ties frequent. */
  scales?: [number, number, number];
}

export function describeBinary(c: BinaryCase): string {
  return `${c.op} ${c.dtype} [${c.aShape}] ${c.op === 'ADD' ? '+' : '*'} [${c.bShape}]${c.constantB ? ' (const)' : ''} -> [${c.outShape}] ${c.activation}${c.scaleRatio ? ` ratio ${c.scaleRatio}` : ''}${c.scales ? ` scales ${c.scales.join('/')}` : ''}`;
}

export function binaryGraph(rng: () => number, c: BinaryCase): Graph {
  const b = new GraphBuilder();
  let aScale = 0.01 + rng() * 0.05;
  let bScale = aScale / (c.scaleRatio ?? 0.5 + rng());
  let outScale = c.op === 'ADD' ? (aScale + bScale) * (0.6 + rng() * 0.8) : aScale * bScale * (40 + rng() * 60);
  if (c.scales) [aScale, bScale, outScale] = c.scales;
  const a = b.tensor('a', c.aShape, c.dtype, quant(aScale, randomZeroPoint(rng, c.dtype)));
  const bCount = c.bShape.reduce((x, y) => x * y, 1);
  const bId = b.tensor('b', c.bShape, c.dtype, quant(bScale, randomZeroPoint(rng, c.dtype)), c.constantB ? randomBytes(rng, bCount, c.dtype) : undefined);
  const out = b.tensor('out', c.outShape, c.dtype, quant(outScale, randomZeroPoint(rng, c.dtype)));
  b.op({ type: c.op, inputs: [a, bId], outputs: [out], options: { activation: c.activation } });
  return b.build(c.constantB ? [a] : [a, bId], [out], describeBinary(c));
}

export interface PoolCase {
  op: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D';
  dtype: Dtype8;
  batch: number;
  inH: number;
  inW: number;
  channels: number;
  filterH: number;
  filterW: number;
  stride: number;
  padding: Padding;
  activation: Activation;
}

export function describePool(c: PoolCase): string {
  return `${c.op} ${c.dtype} ${c.batch}x${c.inH}x${c.inW}x${c.channels} f${c.filterH}x${c.filterW} s${c.stride} ${c.padding} ${c.activation}`;
}

/** Pooling never rescales: the output carries the input's quantization. */
export function poolGraph(rng: () => number, c: PoolCase): Graph {
  const b = new GraphBuilder();
  const q = quant(0.02 + rng() * 0.1, randomZeroPoint(rng, c.dtype));
  const input = b.tensor('input', [c.batch, c.inH, c.inW, c.channels], c.dtype, q);
  const outH = outSize(c.padding, c.inH, c.filterH, c.stride, 1);
  const outW = outSize(c.padding, c.inW, c.filterW, c.stride, 1);
  const output = b.tensor('output', [c.batch, outH, outW, c.channels], c.dtype, q);
  b.op({
    type: c.op,
    inputs: [input],
    outputs: [output],
    options: { padding: c.padding, strideH: c.stride, strideW: c.stride, filterH: c.filterH, filterW: c.filterW, activation: c.activation },
  });
  return b.build([input], [output], describePool(c));
}

export interface MeanCase {
  dtype: Dtype8;
  shape: number[];
  axes: number[];
  keepDims: boolean;
  /** int64 axis tensor instead of int32 (both occur in converted models). */
  int64Axes?: boolean;
}

export function describeMean(c: MeanCase): string {
  return `MEAN ${c.dtype} [${c.shape}] axes [${c.axes}]${c.keepDims ? ' keepDims' : ''}${c.int64Axes ? ' int64' : ''}`;
}

export function meanGraph(rng: () => number, c: MeanCase): Graph {
  const b = new GraphBuilder();
  const rank = c.shape.length;
  const reduced = new Set(c.axes.map((a) => (a < 0 ? a + rank : a)));
  const outShape = c.keepDims ? c.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : c.shape.filter((_, i) => !reduced.has(i));
  const inScale = 0.02 + rng() * 0.1;
  const input = b.tensor('input', c.shape, c.dtype, quant(inScale, randomZeroPoint(rng, c.dtype)));
  const axisData = c.int64Axes ? BigInt64Array.from(c.axes.map(BigInt)) : Int32Array.from(c.axes);
  const axis = b.tensor('axis', [c.axes.length], c.int64Axes ? 'int64' : 'int32', undefined, axisData);
  // A mean of uniform noise is narrow: a smaller output scale spreads it over more codes.
  const output = b.tensor('output', outShape, c.dtype, quant(inScale * (0.15 + rng() * 0.9), randomZeroPoint(rng, c.dtype)));
  b.op({ type: 'MEAN', inputs: [input, axis], outputs: [output], options: { keepDims: c.keepDims } });
  return b.build([input], [output], describeMean(c));
}
