// Builders for small single-op graphs with random quantized weights, used to check every GPU
// kernel against the CPU reference byte for byte.
import type { Activation, DType, Graph, OpIR, Padding, QuantParams, TensorIR } from '../../src/model/graph.ts';
import { tensorElementCount } from '../../src/model/graph.ts';
import { mulberry32, randInt } from './rng.ts';

export function quant(scale: number | number[], zeroPoint: number | number[], axis = 0): QuantParams {
  const scales = Array.isArray(scale) ? scale : [scale];
  const zps = Array.isArray(zeroPoint) ? zeroPoint : [zeroPoint];
  return { scale: Float64Array.from(scales.map((s) => Math.fround(s))), zeroPoint: Int32Array.from(zps), axis };
}

export class GraphBuilder {
  readonly tensors: TensorIR[] = [];
  readonly ops: OpIR[] = [];

  tensor(name: string, shape: number[], dtype: DType, q?: QuantParams, data?: ArrayBufferView): number {
    const id = this.tensors.length;
    this.tensors.push({
      id,
      name,
      shape,
      dtype,
      quant: q,
      data: data ? new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) : undefined,
    });
    return id;
  }

  op(op: Omit<OpIR, 'index' | 'version'> & { version?: number }): void {
    this.ops.push({ version: 1, ...op, index: this.ops.length } as OpIR);
  }

  build(inputs: number[], outputs: number[], name = 'test'): Graph {
    return { name, description: '', tensors: this.tensors, ops: this.ops, inputs, outputs };
  }
}

export function randomBytes(rng: () => number, n: number, dtype: 'int8' | 'uint8'): Int8Array | Uint8Array {
  const out = dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = dtype === 'int8' ? randInt(rng, -128, 127) : randInt(rng, 0, 255);
  return out;
}

export function randomInput(rng: () => number, t: TensorIR): Int8Array | Uint8Array | Float32Array {
  const n = tensorElementCount(t.shape);
  if (t.dtype === 'float32') return Float32Array.from({ length: n }, () => rng() * 8 - 4);
  return randomBytes(rng, n, t.dtype as 'int8' | 'uint8');
}

export function outSize(padding: Padding, inSize: number, k: number, stride: number, dilation: number): number {
  const effective = (k - 1) * dilation + 1;
  return padding === 'SAME' ? Math.ceil(inSize / stride) : Math.floor((inSize - effective) / stride) + 1;
}

/**
 * Convolution shapes for the conv micro-tile tests (int8 and float): [inW, k, stride, dilation,
 * padding, inC, outC], inH small, as the tile runs along W. Output widths with a remainder, rows
 * narrower than a strip, strides, dilations, channel-word remainders.
 */
export const CONV_TILE_SHAPES: ReadonlyArray<readonly [number, number, number, number, Padding, number, number]> = [
  [1, 3, 1, 1, 'SAME', 5, 9],
  [2, 3, 1, 1, 'SAME', 8, 5],
  [3, 3, 1, 1, 'VALID', 3, 16],
  [7, 3, 1, 1, 'SAME', 13, 21],
  [9, 3, 1, 1, 'SAME', 4, 13],
  [11, 3, 2, 1, 'SAME', 7, 8],
  [13, 3, 1, 2, 'SAME', 16, 17],
  [19, 3, 2, 1, 'VALID', 5, 12],
  [17, 5, 3, 1, 'SAME', 3, 4],
  [23, 3, 1, 3, 'VALID', 8, 6],
  [20, 1, 2, 1, 'SAME', 16, 32],
  [26, 2, 1, 2, 'VALID', 1, 3],
];

export interface ConvCase {
  kind: 'conv' | 'depthwise';
  dtype: 'int8' | 'uint8';
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outC: number;
  k: number;
  stride: number;
  dilation: number;
  padding: Padding;
  activation: Activation;
  depthMultiplier: number;
  bias: boolean;
}

export function describeCase(c: ConvCase): string {
  return `${c.kind} ${c.dtype} ${c.batch}x${c.inH}x${c.inW}x${c.inC}->${c.outC} k${c.k} s${c.stride} d${c.dilation} ${c.padding} ${c.activation}${c.kind === 'depthwise' ? ` m${c.depthMultiplier}` : ''}${c.bias ? '' : ' nobias'}`;
}

/**
 * A conv or depthwise graph with realistic scales: the output scale is set so that the typical
 * accumulator lands inside the int8 range, which keeps the clamps from hiding requantization bugs.
 */
export function convGraph(rng: () => number, c: ConvCase): Graph {
  const b = new GraphBuilder();
  const depthwise = c.kind === 'depthwise';
  const outC = depthwise ? c.inC * c.depthMultiplier : c.outC;
  const inZp = c.dtype === 'int8' ? randInt(rng, -20, 20) : randInt(rng, 100, 150);
  const inScale = 0.02 + rng() * 0.05;
  const input = b.tensor('input', [c.batch, c.inH, c.inW, c.inC], c.dtype, quant(inScale, inZp));
  const filterShape = depthwise ? [1, c.k, c.k, outC] : [outC, c.k, c.k, c.inC];
  const filterCount = tensorElementCount(filterShape);
  let weightScales: number[];
  let filterData: Int8Array | Uint8Array;
  let filterQuant: QuantParams;
  if (c.dtype === 'int8') {
    weightScales = Array.from({ length: outC }, () => 0.002 + rng() * 0.02);
    filterData = new Int8Array(filterCount);
    for (let i = 0; i < filterCount; i++) filterData[i] = randInt(rng, -127, 127);
    filterQuant = quant(weightScales, new Array(outC).fill(0), depthwise ? 3 : 0);
  } else {
    weightScales = [0.002 + rng() * 0.02];
    filterData = randomBytes(rng, filterCount, 'uint8');
    filterQuant = quant(weightScales, randInt(rng, 90, 160));
  }
  const filter = b.tensor('filter', filterShape, c.dtype, filterQuant, filterData);
  let bias = -1;
  if (c.bias) {
    const biasData = Int32Array.from({ length: outC }, () => randInt(rng, -3000, 3000));
    bias = b.tensor('bias', [outC], 'int32', quant(weightScales.map((s) => s * inScale), new Array(weightScales.length).fill(0)), biasData);
  }
  const taps = c.k * c.k * (depthwise ? 1 : c.inC);
  const outScale = inScale * weightScales[0]! * Math.sqrt(taps) * 60 * (0.5 + rng());
  const outZp = c.dtype === 'int8' ? randInt(rng, -10, 10) : randInt(rng, 118, 138);
  const outH = outSize(c.padding, c.inH, c.k, c.stride, c.dilation);
  const outW = outSize(c.padding, c.inW, c.k, c.stride, c.dilation);
  const output = b.tensor('output', [c.batch, outH, outW, outC], c.dtype, quant(outScale, outZp));
  const common = {
    padding: c.padding,
    strideH: c.stride,
    strideW: c.stride,
    dilationH: c.dilation,
    dilationW: c.dilation,
    activation: c.activation,
  };
  if (depthwise) {
    b.op({ type: 'DEPTHWISE_CONV_2D', inputs: [input, filter, bias], outputs: [output], options: { ...common, depthMultiplier: c.depthMultiplier } });
  } else {
    b.op({ type: 'CONV_2D', inputs: [input, filter, bias], outputs: [output], options: common });
  }
  return b.build([input], [output], describeCase(c));
}

/** Fully connected [batch, depth] x [units, depth]^T, per-tensor or per-channel int8, or uint8. */
export function fullyConnectedGraph(
  rng: () => number,
  f: { dtype: 'int8' | 'uint8'; batch: number; depth: number; units: number; perChannel: boolean; activation: Activation },
): Graph {
  const b = new GraphBuilder();
  const inZp = f.dtype === 'int8' ? randInt(rng, -20, 20) : randInt(rng, 100, 150);
  const inScale = 0.02 + rng() * 0.05;
  const input = b.tensor('input', [f.batch, f.depth], f.dtype, quant(inScale, inZp));
  const channels = f.perChannel ? f.units : 1;
  const scales = Array.from({ length: channels }, () => 0.002 + rng() * 0.02);
  const weightZp = f.dtype === 'int8' ? new Array(channels).fill(0) : [randInt(rng, 90, 160)];
  const filter = b.tensor('weights', [f.units, f.depth], f.dtype, quant(scales, weightZp, 0), randomBytes(rng, f.units * f.depth, f.dtype));
  const bias = b.tensor('bias', [f.units], 'int32', quant(scales.map((s) => s * inScale), new Array(channels).fill(0)), Int32Array.from({ length: f.units }, () => randInt(rng, -3000, 3000)));
  const outScale = inScale * scales[0]! * Math.sqrt(f.depth) * 60 * (0.5 + rng());
  const output = b.tensor('output', [f.batch, f.units], f.dtype, quant(outScale, f.dtype === 'int8' ? randInt(rng, -10, 10) : randInt(rng, 118, 138)));
  b.op({ type: 'FULLY_CONNECTED', inputs: [input, filter, bias], outputs: [output], options: { activation: f.activation, keepNumDims: false } });
  return b.build([input], [output], `fc ${f.dtype} ${f.batch}x${f.depth}->${f.units}${f.perChannel ? ' per-channel' : ''} ${f.activation}`);
}

/** A model whose output is its input's bytes: RESHAPE of an image input to [1, N] (image input tests). */
export function imageProbeGraph(shape: number[], dtype: DType, q?: QuantParams): Graph {
  const b = new GraphBuilder();
  const count = shape.reduce((a, d) => a * d, 1);
  const input = b.tensor('image', shape, dtype, q);
  const newShape = b.tensor('shape', [2], 'int32', undefined, Int32Array.of(1, count));
  const output = b.tensor('flat', [1, count], dtype, q);
  b.op({ type: 'RESHAPE', inputs: [input, newShape], outputs: [output], options: {} });
  return b.build([input], [output], 'image probe');
}

/** `second` fed by `first`'s output: its own input tensor replaced, its other tensors renumbered after `first`'s. */
export function chainGraphs(first: Graph, second: Graph): Graph {
  const offset = first.tensors.length;
  const joined = first.outputs[0]!;
  const id = (t: number) => (t === second.inputs[0] ? joined : t < 0 ? t : t + offset);
  const tensors = [...first.tensors, ...second.tensors.map((t) => ({ ...t, id: t.id + offset }))];
  const ops = [...first.ops, ...second.ops.map((op, i) => ({ ...op, index: first.ops.length + i, inputs: op.inputs.map(id), outputs: op.outputs.map(id) }))];
  return { ...first, name: `${first.name} then ${second.name}`, tensors, ops, outputs: second.outputs.map(id) };
}

/**
 * A one-row FULLY_CONNECTED whose partial sums grow monotonically: every weight ±127 with its
 * input's sign, inputs of magnitude 100-128, so the sums reach 128·127·depth at worst. The bias
 * cancels each unit's sum (output scale = input scale × weight scale), so an accumulator off by one
 * changes the output. For the f32-arithmetic exactness bound (f32ProductsExact).
 */
export function saturatingFc(depth: number, units = 4): { graph: Graph; input: Int8Array } {
  const rng = mulberry32(depth);
  const b = new GraphBuilder();
  const input = b.tensor('input', [1, depth], 'int8', quant(0.05, 0));
  const x = Int8Array.from({ length: depth }, (_, i) => (i % 3 === 0 ? -1 : 1) * randInt(rng, 100, 127) - (i % 7 === 0 ? 1 : 0));
  const w = new Int8Array(units * depth);
  const bias = new Int32Array(units);
  for (let u = 0; u < units; u++) {
    let sum = 0;
    for (let i = 0; i < depth; i++) {
      w[u * depth + i] = Math.sign(x[i]!) * (127 - ((i + u) % 2));
      sum += x[i]! * w[u * depth + i]!;
    }
    bias[u] = -sum + (u - units / 2) * 7;
  }
  const filter = b.tensor('weights', [units, depth], 'int8', quant([0.01], [0], 0), w);
  const biasId = b.tensor('bias', [units], 'int32', quant([0.0005], [0]), bias);
  const output = b.tensor('output', [1, units], 'int8', quant(0.0005, 0));
  b.op({ type: 'FULLY_CONNECTED', inputs: [input, filter, biasId], outputs: [output], options: { activation: 'NONE', keepNumDims: false } });
  return { graph: b.build([input], [output], `saturating fc 1x${depth}`), input: x };
}
