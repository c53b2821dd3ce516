// Single-op TRANSPOSE_CONV and BATCH_MATMUL graphs with realistic quantization (the output
// scale keeps typical accumulators inside the 8-bit range, so clamps do not hide rounding bugs).
import type { Activation, Graph, Padding, QuantParams } from '../../src/model/graph.ts';
import { GraphBuilder, quant, randomBytes } from './graphs.ts';
import { randInt } from './rng.ts';

export interface TransposeConvCase {
  dtype: 'int8' | 'uint8' | 'float32';
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  padding: Padding;
  activation: Activation;
  bias: boolean;
  /** int8 only: one scale per output channel (else one for the tensor). */
  perChannel: boolean;
  /** Extra output rows / columns TFLite allows (VALID: 0 … stride − 1; SAME: −(stride − 1) … 0). */
  adjustH?: number;
  adjustW?: number;
}

export function describeTransposeConv(c: TransposeConvCase): string {
  return `tconv ${c.dtype}${c.perChannel ? ' per-channel' : ''} ${c.batch}x${c.inH}x${c.inW}x${c.inC}->${c.outC} k${c.kH}x${c.kW} s${c.strideH}x${c.strideW} ${c.padding}${c.adjustH || c.adjustW ? ` adj${c.adjustH ?? 0},${c.adjustW ?? 0}` : ''} ${c.activation}${c.bias ? '' : ' nobias'}`;
}

/** The output size TRANSPOSE_CONV's output_shape gives for an input size (plus the allowed adjustment). */
export function transposeConvOutSize(padding: Padding, inSize: number, k: number, stride: number, adjust = 0): number {
  return (padding === 'SAME' ? inSize * stride : (inSize - 1) * stride + k) + adjust;
}

export function transposeConvGraph(rng: () => number, c: TransposeConvCase, version?: number): Graph {
  const b = new GraphBuilder();
  const outH = transposeConvOutSize(c.padding, c.inH, c.kH, c.strideH, c.adjustH);
  const outW = transposeConvOutSize(c.padding, c.inW, c.kW, c.strideW, c.adjustW);
  const outShape = [c.batch, outH, outW, c.outC];
  const shapeId = b.tensor('output_shape', [4], 'int32', undefined, Int32Array.from(outShape));
  const filterShape = [c.outC, c.kH, c.kW, c.inC];
  const filterCount = c.outC * c.kH * c.kW * c.inC;
  const inShape = [c.batch, c.inH, c.inW, c.inC];
  let input: number;
  let filter: number;
  let bias = -1;
  let output: number;
  if (c.dtype === 'float32') {
    input = b.tensor('input', inShape, 'float32');
    filter = b.tensor('weights', filterShape, 'float32', undefined, Float32Array.from({ length: filterCount }, () => rng() * 2 - 1));
    if (c.bias) bias = b.tensor('bias', [c.outC], 'float32', undefined, Float32Array.from({ length: c.outC }, () => rng() * 2 - 1));
    output = b.tensor('output', outShape, 'float32');
  } else {
    const inZp = c.dtype === 'int8' ? randInt(rng, -20, 20) : randInt(rng, 100, 150);
    const inScale = 0.02 + rng() * 0.05;
    input = b.tensor('input', inShape, c.dtype, quant(inScale, inZp));
    const channels = c.perChannel ? c.outC : 1;
    const scales = Array.from({ length: channels }, () => 0.002 + rng() * 0.02);
    let filterQuant: QuantParams;
    let data: Int8Array | Uint8Array;
    if (c.dtype === 'int8') {
      data = new Int8Array(filterCount);
      for (let i = 0; i < filterCount; i++) data[i] = randInt(rng, -127, 127);
      filterQuant = quant(scales, new Array(channels).fill(0), 0);
    } else {
      data = randomBytes(rng, filterCount, 'uint8');
      filterQuant = quant(scales, randInt(rng, 90, 160));
    }
    filter = b.tensor('weights', filterShape, c.dtype, filterQuant, data);
    if (c.bias) {
      bias = b.tensor('bias', [c.outC], 'int32', quant(scales.map((s) => s * inScale), new Array(channels).fill(0)), Int32Array.from({ length: c.outC }, () => randInt(rng, -3000, 3000)));
    }
    // Each output sums about (k / stride)² · inC taps.
    const taps = Math.max(1, (c.kH / c.strideH) * (c.kW / c.strideW) * c.inC);
    const outScale = inScale * scales[0]! * Math.sqrt(taps) * 60 * (0.5 + rng());
    const outZp = c.dtype === 'int8' ? randInt(rng, -10, 10) : randInt(rng, 118, 138);
    output = b.tensor('output', outShape, c.dtype, quant(outScale, outZp));
  }
  const v = version ?? (c.activation !== 'NONE' ? 4 : c.bias ? 3 : c.dtype === 'int8' ? 2 : 1);
  b.op({
    type: 'TRANSPOSE_CONV',
    version: v,
    inputs: c.bias ? [shapeId, filter, input, bias] : [shapeId, filter, input],
    outputs: [output],
    options: { padding: c.padding, strideH: c.strideH, strideW: c.strideW, activation: c.activation },
  });
  return b.build([input], [output], describeTransposeConv(c));
}

export interface BatchMatMulCase {
  dtype: 'int8' | 'float32';
  lhsBatch: number[];
  rhsBatch: number[];
  m: number;
  k: number;
  n: number;
  adjX: boolean;
  adjY: boolean;
  /** The RHS is a constant (weights) instead of a second graph input. */
  constantRhs: boolean;
}

export function describeBatchMatMul(c: BatchMatMulCase): string {
  return `bmm ${c.dtype} [${c.lhsBatch}|${c.m}x${c.k}] x [${c.rhsBatch}|${c.k}x${c.n}]${c.adjX ? ' adj_x' : ''}${c.adjY ? ' adj_y' : ''}${c.constantRhs ? ' const-rhs' : ''}`;
}

export function batchMatMulGraph(rng: () => number, c: BatchMatMulCase): Graph {
  const b = new GraphBuilder();
  const lhsShape = [...c.lhsBatch, ...(c.adjX ? [c.k, c.m] : [c.m, c.k])];
  const rhsShape = [...c.rhsBatch, ...(c.adjY ? [c.n, c.k] : [c.k, c.n])];
  const rank = Math.max(c.lhsBatch.length, c.rhsBatch.length);
  const pad = (d: number[]) => [...new Array<number>(rank - d.length).fill(1), ...d];
  const lb = pad(c.lhsBatch);
  const rb = pad(c.rhsBatch);
  const outShape = [...lb.map((d, i) => Math.max(d, rb[i]!)), c.m, c.n];
  const rhsCount = rhsShape.reduce((a, d) => a * d, 1);
  let lhs: number;
  let rhs: number;
  let output: number;
  if (c.dtype === 'float32') {
    lhs = b.tensor('lhs', lhsShape, 'float32');
    rhs = c.constantRhs
      ? b.tensor('rhs', rhsShape, 'float32', undefined, Float32Array.from({ length: rhsCount }, () => rng() * 2 - 1))
      : b.tensor('rhs', rhsShape, 'float32');
    output = b.tensor('output', outShape, 'float32');
  } else {
    const lScale = 0.02 + rng() * 0.05;
    const rScale = 0.02 + rng() * 0.05;
    lhs = b.tensor('lhs', lhsShape, 'int8', quant(lScale, randInt(rng, -20, 20)));
    const rq = quant(rScale, randInt(rng, -20, 20));
    rhs = c.constantRhs ? b.tensor('rhs', rhsShape, 'int8', rq, randomBytes(rng, rhsCount, 'int8')) : b.tensor('rhs', rhsShape, 'int8', rq);
    const outScale = lScale * rScale * Math.sqrt(c.k) * 90 * (0.5 + rng());
    output = b.tensor('output', outShape, 'int8', quant(outScale, randInt(rng, -10, 10)));
  }
  b.op({ type: 'BATCH_MATMUL', version: c.dtype === 'int8' ? 2 : 1, inputs: [lhs, rhs], outputs: [output], options: { adjX: c.adjX, adjY: c.adjY } });
  return b.build(c.constantRhs ? [lhs] : [lhs, rhs], [output], describeBatchMatMul(c));
}
