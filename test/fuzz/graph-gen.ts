// Seeded random int8 graphs for the GPU-versus-reference fuzzer (test/fuzz/graph-fuzz.ts): a short
// chain of 1–4 ops over one NHWC int8 input (convolutions, transpose convolutions, matmuls, pools,
// broadcast arithmetic, reductions, resizes, moves, activations; see DRAWERS), sometimes ended by
// ARG_MAX (int32 out). A graph is first drawn as a GraphDesc, a small JSON
// value with every shape, option and quantization parameter spelled out (weights and constants
// come from its dataSeed), and then built by buildGraph, so a saved description replays exactly.
// Shapes are inferred here from each op's definition as the chain is drawn, never from Octet.
import type { Activation, Graph, Padding } from '../../src/model/graph.ts';
import { tensorElementCount } from '../../src/model/graph.ts';
import { GraphBuilder, outSize, quant, randomBytes } from '../helpers/graphs.ts';
import { broadcastShape } from '../helpers/binary-graphs.ts';
import { mulberry32, pick, randInt } from '../helpers/rng.ts';

export interface Q {
  scale: number;
  zeroPoint: number;
}

/** One op of the chain; its data input is the previous op's output (the graph input for the first). */
export type OpDesc =
  | { type: 'CONV_2D'; k: number; stride: number; dilation: number; padding: Padding; outC: number; bias: boolean; weightScale: number; spread?: boolean; activation: Activation; out: Q }
  | { type: 'DEPTHWISE_CONV_2D'; k: number; stride: number; dilation: number; padding: Padding; multiplier: number; bias: boolean; weightScale: number; spread?: boolean; activation: Activation; out: Q }
  | { type: 'FULLY_CONNECTED'; units: number; perChannel: boolean; bias: boolean; keepNumDims: boolean; weightScale: number; spread?: boolean; activation: Activation; out: Q }
  | { type: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D'; filterH: number; filterW: number; stride: number; padding: Padding; activation: Activation }
  | { type: 'ADD' | 'MUL' | 'SUB'; constShape: number[]; constFirst: boolean; constQ: Q; activation: Activation; out: Q }
  | { type: 'RESHAPE'; shape: number[]; minusOne: boolean }
  | { type: 'CONCATENATION'; axis: number; constShape: number[]; constFirst: boolean; constQ: Q; out: Q }
  | { type: 'PAD'; paddings: number[] }
  | { type: 'MEAN'; axes: number[]; keepDims: boolean; out: Q }
  | { type: 'MAXIMUM' | 'MINIMUM'; constShape: number[]; constFirst: boolean }
  | { type: 'TRANSPOSE'; perm: number[] }
  | { type: 'SLICE'; begin: number[]; size: number[] }
  | { type: 'LOGISTIC' | 'SOFTMAX' | 'TANH' | 'RELU' | 'RELU6' }
  | { type: 'HARD_SWISH'; out: Q }
  | { type: 'LEAKY_RELU'; alpha: number; out: Q }
  // Added after the first 23 types (a saved description of those replays unchanged):
  | { type: 'RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR'; size: number[]; alignCorners: boolean; halfPixelCenters: boolean }
  | { type: 'DEPTH_TO_SPACE' | 'SPACE_TO_DEPTH'; blockSize: number }
  | { type: 'STRIDED_SLICE'; begin: number[]; end: number[]; strides: number[]; beginMask: number; endMask: number; shrinkAxisMask: number }
  | { type: 'GATHER'; axis: number; indices: number[]; indicesShape: number[] }
  | { type: 'TILE'; multiples: number[] }
  | { type: 'SQUEEZE'; squeezeDims: number[] }
  | { type: 'EXPAND_DIMS'; axis: number }
  | { type: 'PRELU'; alphaShape: number[]; alphaQ: Q; out: Q }
  | { type: 'QUANTIZE'; out: Q }
  | { type: 'SQUARED_DIFFERENCE'; constShape: number[]; constFirst: boolean; constQ: Q; out: Q }
  | { type: 'ELU'; out: Q }
  | { type: 'SUM'; axes: number[]; keepDims: boolean; out: Q }
  | { type: 'REDUCE_MAX' | 'REDUCE_MIN'; axes: number[]; keepDims: boolean }
  | { type: 'TRANSPOSE_CONV'; k: number; stride: number; padding: Padding; outC: number; bias: boolean; perChannel: boolean; weightScale: number; activation: Activation; out: Q }
  | { type: 'BATCH_MATMUL'; n: number; adjX: boolean; adjY: boolean; rhsBatch: number[]; constQ: Q; out: Q }
  /** The last op only: its output is int32. */
  | { type: 'ARG_MAX'; axis: number };

export interface GraphDesc {
  /** Seeds the weights, biases and constant operands, drawn in op order. */
  dataSeed: number;
  input: { shape: number[]; q: Q };
  ops: OpDesc[];
}

export type FuzzOpType = OpDesc['type'];

const ACTIVATIONS: Activation[] = ['NONE', 'RELU', 'RELU6'];
const MAX_CHANNELS = 19;
const MAX_ELEMENTS = 4096;

const round = (x: number) => Number(x.toPrecision(6));

function randomScale(rng: () => number, lo: number, hi: number): number {
  // Log-uniform, rounded so that descriptions stay short and exact.
  return round(lo * (hi / lo) ** rng());
}

/**
 * Mostly 1; one time in eight a factor of 10^-2 .. 10^1.5, which pushes a requantization
 * multiplier above 1 (the left-shift paths) or far below (heavy clamping, tiny multipliers).
 */
function skew(rng: () => number): number {
  return rng() < 0.125 ? round(10 ** (-2 + rng() * 3.5)) : 1;
}

function randomZeroPoint(rng: () => number): number {
  const r = rng();
  if (r < 0.08) return -128;
  if (r < 0.12) return 127;
  return r < 0.6 ? randInt(rng, -20, 20) : randInt(rng, -100, 100);
}

export function describeOp(o: OpDesc): string {
  switch (o.type) {
    case 'CONV_2D':
      return `CONV_2D k${o.k} s${o.stride} d${o.dilation} ${o.padding} ->${o.outC}${o.bias ? '' : ' nobias'} ${o.activation}`;
    case 'DEPTHWISE_CONV_2D':
      return `DEPTHWISE_CONV_2D k${o.k} s${o.stride} d${o.dilation} ${o.padding} m${o.multiplier}${o.bias ? '' : ' nobias'} ${o.activation}`;
    case 'FULLY_CONNECTED':
      return `FULLY_CONNECTED ->${o.units}${o.perChannel ? ' per-channel' : ''}${o.keepNumDims ? ' keepNumDims' : ''}${o.bias ? '' : ' nobias'} ${o.activation}`;
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D':
      return `${o.type} ${o.filterH}x${o.filterW} s${o.stride} ${o.padding} ${o.activation}`;
    case 'ADD':
    case 'MUL':
    case 'SUB':
      return `${o.type} const [${o.constShape}]${o.constFirst ? ' first' : ''} ${o.activation}`;
    case 'MAXIMUM':
    case 'MINIMUM':
      return `${o.type} const [${o.constShape}]${o.constFirst ? ' first' : ''}`;
    case 'TRANSPOSE':
      return `TRANSPOSE [${o.perm}]`;
    case 'SLICE':
      return `SLICE begin [${o.begin}] size [${o.size}]`;
    case 'RESHAPE':
      return `RESHAPE [${o.shape}]`;
    case 'CONCATENATION':
      return `CONCATENATION axis ${o.axis} const [${o.constShape}]${o.constFirst ? ' first' : ''}`;
    case 'PAD':
      return `PAD [${o.paddings}]`;
    case 'MEAN':
      return `MEAN [${o.axes}]${o.keepDims ? ' keepDims' : ''}`;
    case 'LEAKY_RELU':
      return `LEAKY_RELU ${o.alpha}`;
    case 'RESIZE_BILINEAR':
    case 'RESIZE_NEAREST_NEIGHBOR':
      return `${o.type} ->[${o.size}]${o.alignCorners ? ' align_corners' : ''}${o.halfPixelCenters ? ' half_pixel' : ''}`;
    case 'DEPTH_TO_SPACE':
    case 'SPACE_TO_DEPTH':
      return `${o.type} ${o.blockSize}`;
    case 'STRIDED_SLICE':
      return `STRIDED_SLICE [${o.begin}]:[${o.end}]:[${o.strides}] masks b${o.beginMask} e${o.endMask} s${o.shrinkAxisMask}`;
    case 'GATHER':
      return `GATHER axis ${o.axis} [${o.indices}]${o.indicesShape.length > 1 ? ` as [${o.indicesShape}]` : ''}`;
    case 'TILE':
      return `TILE [${o.multiples}]`;
    case 'SQUEEZE':
      return `SQUEEZE [${o.squeezeDims}]`;
    case 'EXPAND_DIMS':
      return `EXPAND_DIMS ${o.axis}`;
    case 'PRELU':
      return `PRELU alpha [${o.alphaShape}]`;
    case 'SQUARED_DIFFERENCE':
      return `SQUARED_DIFFERENCE const [${o.constShape}]${o.constFirst ? ' first' : ''}`;
    case 'SUM':
    case 'REDUCE_MAX':
    case 'REDUCE_MIN':
      return `${o.type} [${o.axes}]${o.keepDims ? ' keepDims' : ''}`;
    case 'TRANSPOSE_CONV':
      return `TRANSPOSE_CONV k${o.k} s${o.stride} ${o.padding} ->${o.outC}${o.perChannel ? ' per-channel' : ''}${o.bias ? '' : ' nobias'} ${o.activation}`;
    case 'BATCH_MATMUL':
      return `BATCH_MATMUL const [${o.rhsBatch}|${o.adjY ? `${o.n}xK` : `Kx${o.n}`}]${o.adjX ? ' adj_x' : ''}${o.adjY ? ' adj_y' : ''}`;
    case 'ARG_MAX':
      return `ARG_MAX axis ${o.axis}`;
    default:
      return o.type;
  }
}

export function describeGraph(d: GraphDesc): string {
  return `[${d.input.shape}] ${d.ops.map(describeOp).join(' → ')}`;
}

/** The shape an op gives its input `s` (the generator's own shape inference). */
export function opOutputShape(o: OpDesc, s: readonly number[]): number[] {
  switch (o.type) {
    case 'CONV_2D':
    case 'DEPTHWISE_CONV_2D': {
      const [n, h, w, c] = s as [number, number, number, number];
      const outC = o.type === 'CONV_2D' ? o.outC : c * o.multiplier;
      return [n, outSize(o.padding, h, o.k, o.stride, o.dilation), outSize(o.padding, w, o.k, o.stride, o.dilation), outC];
    }
    case 'FULLY_CONNECTED': {
      const lead = s.slice(0, -1);
      return o.keepNumDims ? [...lead, o.units] : [tensorElementCount(lead), o.units];
    }
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D': {
      const [n, h, w, c] = s as [number, number, number, number];
      return [n, outSize(o.padding, h, o.filterH, o.stride, 1), outSize(o.padding, w, o.filterW, o.stride, 1), c];
    }
    case 'ADD':
    case 'MUL':
    case 'SUB':
    case 'MAXIMUM':
    case 'MINIMUM':
      return broadcastShape(s, o.constShape);
    case 'TRANSPOSE':
      return o.perm.map((p) => s[p]!);
    case 'SLICE':
      return o.size.slice();
    case 'RESHAPE':
      return o.shape.slice();
    case 'CONCATENATION':
      return s.map((d, i) => (i === o.axis ? d + o.constShape[i]! : d));
    case 'PAD':
      return s.map((d, i) => d + o.paddings[2 * i]! + o.paddings[2 * i + 1]!);
    case 'MEAN': {
      const axes = new Set(o.axes);
      return o.keepDims ? s.map((d, i) => (axes.has(i) ? 1 : d)) : s.filter((_, i) => !axes.has(i));
    }
    case 'SUM':
    case 'REDUCE_MAX':
    case 'REDUCE_MIN': {
      const axes = new Set(o.axes.map((a) => (a < 0 ? a + s.length : a)));
      return o.keepDims ? s.map((d, i) => (axes.has(i) ? 1 : d)) : s.filter((_, i) => !axes.has(i));
    }
    case 'RESIZE_BILINEAR':
    case 'RESIZE_NEAREST_NEIGHBOR':
      return [s[0]!, o.size[0]!, o.size[1]!, s[3]!];
    case 'DEPTH_TO_SPACE': {
      const [n, h, w, c] = s as [number, number, number, number];
      const b = o.blockSize;
      return [n, h * b, w * b, c / (b * b)];
    }
    case 'SPACE_TO_DEPTH': {
      const [n, h, w, c] = s as [number, number, number, number];
      const b = o.blockSize;
      return [n, h / b, w / b, c * b * b];
    }
    case 'STRIDED_SLICE':
      return stridedSliceShape(o, s);
    case 'GATHER': {
      const a = o.axis < 0 ? o.axis + s.length : o.axis;
      return [...s.slice(0, a), ...o.indicesShape, ...s.slice(a + 1)];
    }
    case 'TILE':
      return s.map((d, i) => d * o.multiples[i]!);
    case 'SQUEEZE': {
      // An empty list squeezes every unit dim; negative dims count from the end.
      const dims = o.squeezeDims.map((d) => (d < 0 ? d + s.length : d));
      return s.filter((d, i) => (dims.length === 0 ? d !== 1 : !dims.includes(i)));
    }
    case 'EXPAND_DIMS': {
      const out = s.slice();
      out.splice(o.axis < 0 ? o.axis + s.length + 1 : o.axis, 0, 1);
      return out;
    }
    case 'SQUARED_DIFFERENCE':
      return broadcastShape(s, o.constShape);
    case 'TRANSPOSE_CONV': {
      const [n, h, w] = s as [number, number, number, number];
      const size = (d: number) => (o.padding === 'SAME' ? d * o.stride : (d - 1) * o.stride + o.k);
      return [n, size(h), size(w), o.outC];
    }
    case 'BATCH_MATMUL': {
      const lb = s.slice(0, -2);
      const m = o.adjX ? s[s.length - 1]! : s[s.length - 2]!;
      const rank = Math.max(lb.length, o.rhsBatch.length);
      const pad = (d: number[]) => [...new Array<number>(rank - d.length).fill(1), ...d];
      const rb = pad(o.rhsBatch);
      return [...pad(lb).map((d, i) => Math.max(d, rb[i]!)), m, o.n];
    }
    case 'ARG_MAX': {
      const a = o.axis < 0 ? o.axis + s.length : o.axis;
      return s.filter((_, i) => i !== a);
    }
    default:
      return s.slice();
  }
}

/**
 * STRIDED_SLICE's output shape by TFLite's rules (strided_slice_logic.h): negative indices wrap,
 * begin and end clamp to [0, d] for a positive stride and [−1, d − 1] for a negative one, a masked
 * begin or end takes the whole range, a shrunk axis takes one element and disappears.
 */
export function stridedSliceShape(o: Extract<OpDesc, { type: 'STRIDED_SLICE' }>, s: readonly number[]): number[] {
  const out: number[] = [];
  for (const [i, d] of s.entries()) {
    if (o.shrinkAxisMask & (1 << i)) continue;
    const st = o.strides[i]!;
    const wrap = (v: number) => (v < 0 ? v + d : v);
    const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
    let n: number;
    if (st > 0) {
      const start = o.beginMask & (1 << i) ? 0 : clamp(wrap(o.begin[i]!), 0, d);
      const stop = o.endMask & (1 << i) ? d : clamp(wrap(o.end[i]!), 0, d);
      n = Math.ceil((stop - start) / st);
    } else {
      const start = o.beginMask & (1 << i) ? d - 1 : clamp(wrap(o.begin[i]!), -1, d - 1);
      const stop = o.endMask & (1 << i) ? -1 : clamp(wrap(o.end[i]!), -1, d - 1);
      n = Math.ceil((start - stop) / -st);
    }
    out.push(Math.max(0, n));
  }
  return out;
}

/** The quantization an op gives its output, given its input's. */
function opOutputQuant(o: OpDesc, q: Q): Q {
  if (o.type === 'LOGISTIC' || o.type === 'SOFTMAX') return { scale: 1 / 256, zeroPoint: -128 };
  if (o.type === 'TANH') return { scale: 1 / 128, zeroPoint: 0 };
  if ('out' in o) return o.out;
  // Moves, RESIZE_*, REDUCE_MAX/MIN and ARG_MAX (whose int32 output has none): the input's.
  return q; // pools, moves, RELU, MAXIMUM/MINIMUM: the input's parameters carry over
}

// ---- drawing a description -----------------------------------------------------------------------

type Drawer = (rng: () => number, s: number[], q: Q) => OpDesc | undefined;

function convOutQ(rng: () => number, q: Q, weightScale: number, taps: number): Q {
  // The typical accumulator lands inside the int8 range (clamps would hide requantization bugs).
  return { scale: round(q.scale * weightScale * Math.sqrt(taps) * 60 * (0.3 + rng() * 1.4) * skew(rng)), zeroPoint: randomZeroPoint(rng) };
}

function drawWindow(rng: () => number, h: number, w: number, maxK: number) {
  let padding: Padding = pick(rng, ['SAME', 'VALID'] as const);
  const k = randInt(rng, 1, maxK);
  const dilation = k > 1 && rng() < 0.3 ? 2 : 1;
  const stride = rng() < 0.35 ? 2 : 1;
  const eff = (k - 1) * dilation + 1;
  if (padding === 'VALID' && (eff > h || eff > w)) padding = 'SAME';
  return { k, dilation, stride, padding };
}

const drawConv: Drawer = (rng, s, q) => {
  if (s.length !== 4) return undefined;
  const [, h, w, c] = s as [number, number, number, number];
  const win = drawWindow(rng, h, w, 7);
  const weightScale = randomScale(rng, 0.002, 0.03);
  const outC = rng() < 0.2 ? pick(rng, [1, 4, 8, 16]) : randInt(rng, 1, MAX_CHANNELS);
  return { type: 'CONV_2D', ...win, outC, bias: rng() < 0.8, weightScale, spread: rng() < 0.2, activation: pick(rng, ACTIVATIONS), out: convOutQ(rng, q, weightScale, win.k * win.k * c) };
};

const drawDepthwise: Drawer = (rng, s, q) => {
  if (s.length !== 4) return undefined;
  const [, h, w, c] = s as [number, number, number, number];
  const win = drawWindow(rng, h, w, 7);
  const multiplier = c * 2 <= MAX_CHANNELS && rng() < 0.35 ? 2 : 1;
  const weightScale = randomScale(rng, 0.002, 0.03);
  return { type: 'DEPTHWISE_CONV_2D', ...win, multiplier, bias: rng() < 0.8, weightScale, spread: rng() < 0.2, activation: pick(rng, ACTIVATIONS), out: convOutQ(rng, q, weightScale, win.k * win.k) };
};

const drawFullyConnected: Drawer = (rng, s, q) => {
  const depth = s[s.length - 1]!;
  const weightScale = randomScale(rng, 0.002, 0.03);
  return {
    type: 'FULLY_CONNECTED',
    units: randInt(rng, 1, MAX_CHANNELS),
    perChannel: rng() < 0.6,
    spread: rng() < 0.2,
    bias: rng() < 0.8,
    keepNumDims: s.length > 2 && rng() < 0.6,
    weightScale,
    activation: pick(rng, ACTIVATIONS),
    out: convOutQ(rng, q, weightScale, depth),
  };
};

const drawPool =
  (type: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D'): Drawer =>
  (rng, s) => {
    if (s.length !== 4) return undefined;
    const [, h, w] = s as [number, number, number, number];
    const global = rng() < 0.15;
    let padding: Padding = global ? 'VALID' : pick(rng, ['SAME', 'VALID'] as const);
    const filterH = global ? h : randInt(rng, 1, Math.min(4, Math.max(h, 1)) + 1);
    const filterW = global ? w : randInt(rng, 1, Math.min(4, Math.max(w, 1)) + 1);
    if (padding === 'VALID' && (filterH > h || filterW > w)) padding = 'SAME';
    return { type, filterH, filterW, stride: global ? 1 : randInt(rng, 1, 2), padding, activation: pick(rng, ACTIVATIONS) };
  };

/** A constant shape broadcastable against `s`: each dim 1 or s's; where s has 1, sometimes larger. */
function broadcastableShape(rng: () => number, s: number[]): number[] {
  const rank = randInt(rng, 1, s.length);
  const tail = s.slice(s.length - rank);
  return tail.map((d) => {
    const r = rng();
    if (d === 1) return r < 0.25 ? randInt(rng, 2, 4) : 1;
    return r < 0.55 ? d : 1;
  });
}

const drawBinary =
  (type: 'ADD' | 'MUL' | 'SUB'): Drawer =>
  (rng, s, q) => {
    const constShape = broadcastableShape(rng, s);
    const constQ = { scale: round(q.scale * (0.2 + rng() * 3) * skew(rng)), zeroPoint: randomZeroPoint(rng) };
    const outScale = (type === 'MUL' ? q.scale * constQ.scale * (30 + rng() * 90) : (q.scale + constQ.scale) * (0.5 + rng())) * skew(rng);
    return { type, constShape, constFirst: rng() < 0.3, constQ, activation: pick(rng, ACTIVATIONS), out: { scale: round(outScale), zeroPoint: randomZeroPoint(rng) } };
  };

/** MAXIMUM / MINIMUM compare stored values, so the constant shares the input's parameters. */
const drawMinMax =
  (type: 'MAXIMUM' | 'MINIMUM'): Drawer =>
  (rng, s) => ({ type, constShape: broadcastableShape(rng, s), constFirst: rng() < 0.3 });

const drawTranspose: Drawer = (rng, s) => {
  if (s.length < 2) return undefined;
  const perm = s.map((_, i) => i);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = randInt(rng, 0, i);
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  if (perm.every((p, i) => p === i)) [perm[0], perm[perm.length - 1]] = [perm[perm.length - 1]!, perm[0]!];
  if (s.length === 4 && s[perm[3]!]! > MAX_CHANNELS) return undefined;
  return { type: 'TRANSPOSE', perm };
};

const drawSlice: Drawer = (rng, s) => {
  const begin = s.map((d) => (rng() < 0.5 ? randInt(rng, 0, d - 1) : 0));
  const size = s.map((d, i) => randInt(rng, 1, d - begin[i]!));
  if (size.every((d, i) => d === s[i])) return undefined;
  return { type: 'SLICE', begin, size };
};

/** A new shape of the same element count: rank 4 (continuing the NHWC chain) or a flattening. */
const drawReshape: Drawer = (rng, s) => {
  const n = tensorElementCount(s);
  const batch = s[0]!;
  const rest = n / batch;
  const divisors = Array.from({ length: rest }, (_, i) => i + 1).filter((d) => rest % d === 0);
  let shape: number[];
  const r = rng();
  if (r < 0.25) shape = [batch, rest];
  else if (r < 0.35) shape = [n];
  else if (r < 0.45) {
    const a = pick(rng, divisors);
    shape = [batch, a, rest / a];
  } else {
    const a = pick(rng, divisors);
    const bDivs = divisors.filter((d) => (rest / a) % d === 0);
    const b = pick(rng, bDivs);
    shape = [batch, a, b, rest / a / b];
  }
  if (shape.length === s.length && shape.every((d, i) => d === s[i])) return undefined;
  return { type: 'RESHAPE', shape, minusOne: rng() < 0.3 };
};

const drawConcat: Drawer = (rng, s, q) => {
  const axis = randInt(rng, 0, s.length - 1);
  const extra = randInt(rng, 1, 5);
  if (axis === s.length - 1 && s[axis]! + extra > MAX_CHANNELS) return undefined;
  const constShape = s.map((d, i) => (i === axis ? extra : d));
  const constQ = rng() < 0.3 ? q : { scale: round(q.scale * (0.3 + rng() * 3)), zeroPoint: randomZeroPoint(rng) };
  const out = rng() < 0.3 ? q : { scale: round(Math.max(q.scale, constQ.scale) * (0.7 + rng())), zeroPoint: randomZeroPoint(rng) };
  return { type: 'CONCATENATION', axis, constShape, constFirst: rng() < 0.4, constQ, out };
};

const drawPad: Drawer = (rng, s) => {
  const side = () => (rng() < 0.6 ? randInt(rng, 0, 2) : 0);
  const paddings: number[] = [];
  for (let i = 0; i < s.length; i++) paddings.push(i === 0 ? 0 : side(), i === 0 ? 0 : side());
  if (!paddings.some((p) => p !== 0)) paddings[paddings.length - 1] = 1;
  if (s.length === 4 && s[3]! + paddings[6]! + paddings[7]! > MAX_CHANNELS) return undefined;
  return { type: 'PAD', paddings };
};

const drawMean: Drawer = (rng, s, q) => {
  if (s.length < 2) return undefined;
  const axes = s.length === 4 ? pick(rng, [[1, 2], [1, 2], [1], [2], [3], [1, 2, 3]]) : [s.length - 1];
  return { type: 'MEAN', axes, keepDims: s.length === 4 ? rng() < 0.7 : rng() < 0.5, out: { scale: round(q.scale * (0.15 + rng() * 0.9) * skew(rng)), zeroPoint: randomZeroPoint(rng) } };
};

const drawUnary: Drawer = (rng, _s, q) => {
  const r = rng();
  if (r < 0.15) return { type: 'LOGISTIC' };
  if (r < 0.25) return { type: 'SOFTMAX' };
  if (r < 0.35) return { type: 'TANH' };
  if (r < 0.45) return { type: rng() < 0.5 ? 'RELU' : 'RELU6' };
  // HARD_SWISH: TFLite refuses an output scale below input/128 (the multiplier would exceed 1).
  if (r < 0.7) return { type: 'HARD_SWISH', out: { scale: round(q.scale * Math.max(0.01, (0.2 + rng() * 1.3) * skew(rng))), zeroPoint: randomZeroPoint(rng) } };
  return { type: 'LEAKY_RELU', alpha: round(rng() < 0.15 ? 1 + rng() * 2 : 0.01 + rng() * 0.9), out: { scale: round(q.scale * (0.5 + rng()) * skew(rng)), zeroPoint: randomZeroPoint(rng) } };
};

// ---- ops added after the first 23 types ----------------------------------------------------------

const drawResize =
  (type: 'RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR'): Drawer =>
  (rng, s) => {
    if (s.length !== 4) return undefined;
    const [, h, w] = s as [number, number, number, number];
    // Up by an integer factor, down, or to any size (odd ratios); 1 pixel stays possible.
    const dim = (d: number) => {
      const r = rng();
      if (r < 0.35) return d * randInt(rng, 2, 3);
      if (r < 0.55) return Math.max(1, Math.floor(d / 2));
      return randInt(rng, 1, Math.min(2 * d + 3, 16));
    };
    const size = [dim(h), dim(w)];
    if (size[0] === h && size[1] === w) return undefined;
    const r = rng();
    // TFLite refuses align_corners together with half_pixel_centers.
    return { type, size, alignCorners: r < 0.3, halfPixelCenters: r >= 0.3 && r < 0.65 };
  };

const drawDepthToSpace: Drawer = (rng, s) => {
  if (s.length !== 4) return undefined;
  const blockSize = rng() < 0.75 ? 2 : 3;
  if (s[3]! % (blockSize * blockSize) !== 0) return undefined;
  return { type: 'DEPTH_TO_SPACE', blockSize };
};

const drawSpaceToDepth: Drawer = (rng, s) => {
  if (s.length !== 4) return undefined;
  const blockSize = rng() < 0.75 ? 2 : 3;
  const [, h, w, c] = s as [number, number, number, number];
  if (h % blockSize !== 0 || w % blockSize !== 0 || c * blockSize * blockSize > 2 * MAX_CHANNELS) return undefined;
  return { type: 'SPACE_TO_DEPTH', blockSize };
};

/** Strides of ±1..3, masks, negative (wrapping) indices, an end past the dim (clamped), one shrunk axis. */
const drawStridedSlice: Drawer = (rng, s) => {
  const begin: number[] = [];
  const end: number[] = [];
  const strides: number[] = [];
  let beginMask = 0;
  let endMask = 0;
  let shrinkAxisMask = 0;
  const shrinkAxis = s.length >= 2 && rng() < 0.25 ? randInt(rng, 0, s.length - 1) : -1;
  const asNegative = (v: number, d: number) => (v < d && rng() < 0.25 ? v - d : v);
  for (const [i, d] of s.entries()) {
    if (i === shrinkAxis) {
      const b = randInt(rng, 0, d - 1);
      begin.push(asNegative(b, d));
      end.push(b + 1);
      strides.push(1);
      shrinkAxisMask |= 1 << i;
      continue;
    }
    const st = pick(rng, [1, 1, 1, 2, 3, -1, -1, -2]);
    strides.push(st);
    if (st > 0) {
      const b = rng() < 0.5 ? 0 : randInt(rng, 0, d - 1);
      const e = rng() < 0.4 ? d : rng() < 0.1 ? d + randInt(rng, 1, 3) : randInt(rng, b + 1, d);
      begin.push(asNegative(b, d));
      end.push(asNegative(e, d));
    } else {
      const b = rng() < 0.5 ? d - 1 : randInt(rng, 0, d - 1);
      // An end of −1 (before index 0) can only be written as the end mask: −1 wraps to d − 1.
      const e = rng() < 0.4 ? -1 : randInt(rng, -1, b - 1);
      begin.push(asNegative(b, d));
      if (e < 0) {
        endMask |= 1 << i;
        end.push(randInt(rng, -d, d));
      } else end.push(asNegative(e, d));
    }
    if (rng() < 0.15) {
      beginMask |= 1 << i;
      begin[i] = randInt(rng, -d, d);
    }
    if (rng() < 0.15) endMask |= 1 << i;
  }
  const o = { type: 'STRIDED_SLICE' as const, begin, end, strides, beginMask, endMask, shrinkAxisMask };
  const out = stridedSliceShape(o, s);
  if (shrinkAxis < 0 && out.every((d, i) => d === s[i]) && strides.every((st) => st === 1)) return undefined;
  if (out.length === 4 && out[3]! > MAX_CHANNELS) return undefined;
  return o;
};

const drawGather: Drawer = (rng, s) => {
  const axis = randInt(rng, 0, s.length - 1);
  const d = s[axis]!;
  const r = rng();
  const indicesShape = r < 0.15 && s.length >= 2 ? [] : r < 0.3 && s.length <= 3 ? [randInt(rng, 1, 3), randInt(rng, 1, 3)] : [randInt(rng, 1, 5)];
  const count = tensorElementCount(indicesShape);
  const indices = Array.from({ length: count }, () => randInt(rng, 0, d - 1));
  const out = [...s.slice(0, axis), ...indicesShape, ...s.slice(axis + 1)];
  if (out.length > 4 || (out.length === 4 && out[3]! > MAX_CHANNELS)) return undefined;
  return { type: 'GATHER', axis: rng() < 0.25 ? axis - s.length : axis, indices, indicesShape };
};

const drawTile: Drawer = (rng, s) => {
  const multiples: number[] = s.map(() => (rng() < 0.6 ? 1 : randInt(rng, 2, 3)));
  if (!multiples.some((m) => m > 1)) multiples[randInt(rng, 0, s.length - 1)] = 2;
  if (s.length === 4 && s[3]! * multiples[3]! > MAX_CHANNELS) return undefined;
  return { type: 'TILE', multiples };
};

const drawSqueeze: Drawer = (rng, s) => {
  const units = s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
  if (units.length === 0 || units.length === s.length) return undefined;
  if (rng() < 0.3) return { type: 'SQUEEZE', squeezeDims: [] };
  const dims = units.filter(() => rng() < 0.6);
  if (dims.length === 0) dims.push(pick(rng, units));
  return { type: 'SQUEEZE', squeezeDims: dims.map((i) => (rng() < 0.3 ? i - s.length : i)) };
};

const drawExpandDims: Drawer = (rng, s) => {
  if (s.length > 3) return undefined;
  const a = randInt(rng, 0, s.length);
  return { type: 'EXPAND_DIMS', axis: rng() < 0.3 ? a - s.length - 1 : a };
};

/** A constant alpha whose shape broadcasts to the input's without changing it (PRELU keeps the shape). */
const drawPrelu: Drawer = (rng, s, q) => {
  const rank = randInt(rng, 1, s.length);
  const alphaShape = s.slice(s.length - rank).map((d, i) => (i === rank - 1 ? (rng() < 0.8 ? d : 1) : rng() < 0.3 ? d : 1));
  const alphaQ = { scale: randomScale(rng, 0.001, 0.02), zeroPoint: randomZeroPoint(rng) };
  return { type: 'PRELU', alphaShape, alphaQ, out: { scale: round(q.scale * (0.5 + rng()) * skew(rng)), zeroPoint: randomZeroPoint(rng) } };
};

const drawQuantize: Drawer = (rng, _s, q) => ({ type: 'QUANTIZE', out: { scale: round(q.scale * (0.3 + rng() * 3) * skew(rng)), zeroPoint: randomZeroPoint(rng) } });

const drawSquaredDifference: Drawer = (rng, s, q) => {
  const constShape = broadcastableShape(rng, s);
  const constQ = { scale: round(q.scale * (0.3 + rng() * 2)), zeroPoint: randomZeroPoint(rng) };
  const sum = q.scale + constQ.scale;
  return { type: 'SQUARED_DIFFERENCE', constShape, constFirst: rng() < 0.3, constQ, out: { scale: round(sum * sum * (30 + rng() * 60) * skew(rng)), zeroPoint: randomZeroPoint(rng) } };
};

const drawElu: Drawer = (rng, _s, q) => ({ type: 'ELU', out: { scale: round(q.scale * (0.5 + rng()) * skew(rng)), zeroPoint: randomZeroPoint(rng) } });

/** Axes to reduce; keepDims is forced where dropping them all would leave a scalar. */
function drawAxes(rng: () => number, s: number[]): number[] {
  if (s.length === 4 && rng() < 0.6) return pick(rng, [[1, 2], [1], [2], [3], [1, 2, 3], [0, 3]]);
  const axes = s.map((_, i) => i).filter(() => rng() < 0.4);
  if (axes.length === 0) axes.push(randInt(rng, 0, s.length - 1));
  return axes.map((a) => (rng() < 0.2 ? a - s.length : a));
}

const coversAll = (axes: number[], s: number[]) => new Set(axes.map((a) => (a < 0 ? a + s.length : a))).size === s.length;

const drawSum: Drawer = (rng, s, q) => {
  const axes = drawAxes(rng, s);
  const n = axes.reduce((a, ax) => a * s[ax < 0 ? ax + s.length : ax]!, 1);
  return { type: 'SUM', axes, keepDims: rng() < 0.5 || coversAll(axes, s), out: { scale: round(q.scale * Math.sqrt(n) * (0.5 + rng() * 1.5) * skew(rng)), zeroPoint: randomZeroPoint(rng) } };
};

/** REDUCE_MAX / REDUCE_MIN: TFLite requires the output's quantization to equal the input's. */
const drawReduceMinMax =
  (type: 'REDUCE_MAX' | 'REDUCE_MIN'): Drawer =>
  (rng, s) => {
    const axes = drawAxes(rng, s);
    return { type, axes, keepDims: rng() < 0.5 || coversAll(axes, s) };
  };

const drawTransposeConv: Drawer = (rng, s, q) => {
  if (s.length !== 4) return undefined;
  const c = s[3]!;
  const k = randInt(rng, 1, 4);
  const stride = rng() < 0.5 ? 2 : 1;
  const weightScale = randomScale(rng, 0.002, 0.03);
  const taps = Math.max(1, (k / stride) * (k / stride) * c);
  return {
    type: 'TRANSPOSE_CONV',
    k,
    stride,
    padding: pick(rng, ['SAME', 'VALID'] as const),
    outC: randInt(rng, 1, MAX_CHANNELS),
    bias: rng() < 0.7,
    perChannel: rng() < 0.6,
    weightScale,
    activation: pick(rng, ACTIVATIONS),
    out: convOutQ(rng, q, weightScale, taps),
  };
};

/** BATCH_MATMUL by a constant RHS over a rank-3 or rank-4 activation (batch dims broadcast). */
const drawBatchMatMul: Drawer = (rng, s, q) => {
  if (s.length < 3) return undefined;
  const lb = s.slice(0, -2);
  const r = rng();
  const rhsBatch = r < 0.4 ? [] : r < 0.7 ? lb.slice() : lb.slice(rng() < 0.5 ? 0 : 1).map((d) => (rng() < 0.5 ? d : 1));
  const adjX = rng() < 0.3;
  const k = adjX ? s[s.length - 2]! : s[s.length - 1]!;
  const constQ = { scale: randomScale(rng, 0.01, 0.07), zeroPoint: randomZeroPoint(rng) };
  return {
    type: 'BATCH_MATMUL',
    n: randInt(rng, 1, MAX_CHANNELS),
    adjX,
    adjY: rng() < 0.4,
    rhsBatch,
    constQ,
    out: { scale: round(q.scale * constQ.scale * Math.sqrt(k) * 90 * (0.5 + rng()) * skew(rng)), zeroPoint: randomZeroPoint(rng) },
  };
};

/** Weights of each op kind in a draw; the convolutions and elementwise ops get the most. */
const DRAWERS: Array<[number, Drawer]> = [
  [4, drawConv],
  [3, drawDepthwise],
  [2, drawFullyConnected],
  [1.5, drawPool('AVERAGE_POOL_2D')],
  [1.5, drawPool('MAX_POOL_2D')],
  [1.2, drawBinary('ADD')],
  [1.2, drawBinary('MUL')],
  [1, drawBinary('SUB')],
  [1, drawReshape],
  [1, drawConcat],
  [1, drawPad],
  [1, drawMean],
  [2, drawUnary],
  [0.5, drawMinMax('MAXIMUM')],
  [0.5, drawMinMax('MINIMUM')],
  [0.7, drawTranspose],
  [0.7, drawSlice],
  [0.8, drawResize('RESIZE_BILINEAR')],
  [0.8, drawResize('RESIZE_NEAREST_NEIGHBOR')],
  [1.2, drawDepthToSpace],
  [1.5, drawSpaceToDepth],
  [0.8, drawStridedSlice],
  [0.6, drawGather],
  [0.5, drawTile],
  [0.4, drawSqueeze],
  [1.5, drawExpandDims],
  [0.6, drawPrelu],
  [0.5, drawQuantize],
  [0.5, drawSquaredDifference],
  [0.5, drawElu],
  [0.5, drawSum],
  [0.4, drawReduceMinMax('REDUCE_MAX')],
  [0.4, drawReduceMinMax('REDUCE_MIN')],
  [0.8, drawTransposeConv],
  [0.6, drawBatchMatMul],
];
const TOTAL_WEIGHT = DRAWERS.reduce((a, [w]) => a + w, 0);

function drawOp(rng: () => number, s: number[], q: Q): OpDesc {
  for (;;) {
    let r = rng() * TOTAL_WEIGHT;
    let drawer = DRAWERS[0]![1];
    for (const [w, d] of DRAWERS) {
      if ((r -= w) < 0) {
        drawer = d;
        break;
      }
    }
    const op = drawer(rng, s, q);
    if (!op) continue;
    const out = opOutputShape(op, s);
    if (out.some((d) => d < 1) || tensorElementCount(out) > MAX_ELEMENTS) continue;
    // TFLite quantizes a fused activation's bound (RELU6: 6 / scale) to int32 and refuses the model
    // where it does not fit; a chain of skewed MULs can reach such scales (seed 1, graphs 4176 and 9856).
    if (opOutputQuant(op, q).scale < 1e-8) continue;
    return op;
  }
}

/** A random description: a fresh seeded draw, so (seed, index) names one graph for good. */
export function generateGraphDesc(rng: () => number): GraphDesc {
  const h = randInt(rng, 1, 9);
  const w = rng() < 0.7 ? randInt(rng, 1, 9) : h;
  const c = rng() < 0.25 ? pick(rng, [1, 4, 8, 16]) : randInt(rng, 1, MAX_CHANNELS);
  const batch = rng() < 0.15 ? 2 : 1;
  const input = { shape: [batch, h, w, c], q: { scale: randomScale(rng, 0.005, 0.1), zeroPoint: randomZeroPoint(rng) } };
  const length = randInt(rng, 1, 4);
  const ops: OpDesc[] = [];
  let s = input.shape;
  let q = input.q;
  for (let i = 0; i < length; i++) {
    const op = drawOp(rng, s, q);
    ops.push(op);
    s = opOutputShape(op, s);
    q = opOutputQuant(op, q);
  }
  // ARG_MAX gives int32, which no op here takes: it can only end a chain.
  if (s.length >= 2 && rng() < 0.06) {
    const axis = randInt(rng, 0, s.length - 1);
    ops.push({ type: 'ARG_MAX', axis: rng() < 0.25 ? axis - s.length : axis });
  }
  return { dataSeed: randInt(rng, 1, 0x7fffffff), input, ops };
}

// ---- building the graph --------------------------------------------------------------------------

const qp = (q: Q) => quant(q.scale, q.zeroPoint);

function int8Weights(rng: () => number, n: number): Int8Array {
  return Int8Array.from({ length: n }, () => randInt(rng, -127, 127));
}

/** The graph a description names; the same description always gives the same bytes. */
export function buildGraph(d: GraphDesc, name = describeGraph(d)): Graph {
  const rng = mulberry32(d.dataSeed);
  const b = new GraphBuilder();
  const input = b.tensor('input', d.input.shape, 'int8', qp(d.input.q));
  let x = input;
  let s = d.input.shape;
  let q = d.input.q;
  for (const [i, o] of d.ops.entries()) {
    const outShape = opOutputShape(o, s);
    const outQ = opOutputQuant(o, q);
    const y = o.type === 'ARG_MAX' ? b.tensor(`t${i}_arg_max`, outShape, 'int32') : b.tensor(`t${i}_${o.type.toLowerCase()}`, outShape, 'int8', qp(outQ));
    switch (o.type) {
      case 'CONV_2D':
      case 'DEPTHWISE_CONV_2D': {
        const c = s[3]!;
        const depthwise = o.type === 'DEPTHWISE_CONV_2D';
        const outC = outShape[3]!;
        const filterShape = depthwise ? [1, o.k, o.k, outC] : [outC, o.k, o.k, c];
        const scales = Array.from({ length: outC }, () => round(o.weightScale * (0.5 + rng()) * (o.spread ? 10 ** (rng() * 2 - 1) : 1)));
        const filter = b.tensor(`t${i}_filter`, filterShape, 'int8', quant(scales, new Array(outC).fill(0), depthwise ? 3 : 0), int8Weights(rng, tensorElementCount(filterShape)));
        const bias = o.bias
          ? b.tensor(`t${i}_bias`, [outC], 'int32', quant(scales.map((sc) => sc * q.scale), new Array(outC).fill(0)), Int32Array.from({ length: outC }, () => randInt(rng, -3000, 3000)))
          : -1;
        const common = { padding: o.padding, strideH: o.stride, strideW: o.stride, dilationH: o.dilation, dilationW: o.dilation, activation: o.activation };
        if (depthwise) b.op({ type: 'DEPTHWISE_CONV_2D', inputs: [x, filter, bias], outputs: [y], options: { ...common, depthMultiplier: o.multiplier } });
        else b.op({ type: 'CONV_2D', inputs: [x, filter, bias], outputs: [y], options: common });
        break;
      }
      case 'FULLY_CONNECTED': {
        const depth = s[s.length - 1]!;
        const channels = o.perChannel ? o.units : 1;
        const scales = Array.from({ length: channels }, () => round(o.weightScale * (0.5 + rng()) * (o.spread ? 10 ** (rng() * 2 - 1) : 1)));
        const filter = b.tensor(`t${i}_weights`, [o.units, depth], 'int8', quant(scales, new Array(channels).fill(0), 0), int8Weights(rng, o.units * depth));
        const bias = o.bias
          ? b.tensor(`t${i}_bias`, [o.units], 'int32', quant(scales.map((sc) => sc * q.scale), new Array(channels).fill(0)), Int32Array.from({ length: o.units }, () => randInt(rng, -3000, 3000)))
          : -1;
        b.op({ type: 'FULLY_CONNECTED', inputs: [x, filter, bias], outputs: [y], options: { activation: o.activation, keepNumDims: o.keepNumDims } });
        break;
      }
      case 'AVERAGE_POOL_2D':
      case 'MAX_POOL_2D':
        b.op({ type: o.type, inputs: [x], outputs: [y], options: { padding: o.padding, strideH: o.stride, strideW: o.stride, filterH: o.filterH, filterW: o.filterW, activation: o.activation } });
        break;
      case 'ADD':
      case 'MUL':
      case 'SUB': {
        const k = b.tensor(`t${i}_const`, o.constShape, 'int8', qp(o.constQ), randomBytes(rng, tensorElementCount(o.constShape), 'int8'));
        b.op({ type: o.type, inputs: o.constFirst ? [k, x] : [x, k], outputs: [y], options: { activation: o.activation } });
        break;
      }
      case 'MAXIMUM':
      case 'MINIMUM': {
        const k = b.tensor(`t${i}_const`, o.constShape, 'int8', qp(q), randomBytes(rng, tensorElementCount(o.constShape), 'int8'));
        b.op({ type: o.type, inputs: o.constFirst ? [k, x] : [x, k], outputs: [y], options: {} });
        break;
      }
      case 'TRANSPOSE': {
        const perm = b.tensor(`t${i}_perm`, [o.perm.length], 'int32', undefined, Int32Array.from(o.perm));
        b.op({ type: 'TRANSPOSE', inputs: [x, perm], outputs: [y], options: {} });
        break;
      }
      case 'SLICE': {
        const begin = b.tensor(`t${i}_begin`, [o.begin.length], 'int32', undefined, Int32Array.from(o.begin));
        const size = b.tensor(`t${i}_size`, [o.size.length], 'int32', undefined, Int32Array.from(o.size));
        b.op({ type: 'SLICE', inputs: [x, begin, size], outputs: [y], options: {} });
        break;
      }
      case 'RESHAPE': {
        const values = o.shape.slice();
        if (o.minusOne) values[values.length - 1] = -1;
        const shapeT = b.tensor(`t${i}_shape`, [values.length], 'int32', undefined, Int32Array.from(values));
        b.op({ type: 'RESHAPE', inputs: [x, shapeT], outputs: [y], options: {} });
        break;
      }
      case 'CONCATENATION': {
        const k = b.tensor(`t${i}_const`, o.constShape, 'int8', qp(o.constQ), randomBytes(rng, tensorElementCount(o.constShape), 'int8'));
        b.op({ type: 'CONCATENATION', inputs: o.constFirst ? [k, x] : [x, k], outputs: [y], options: { axis: o.axis, activation: 'NONE' } });
        break;
      }
      case 'PAD': {
        const p = b.tensor(`t${i}_paddings`, [s.length, 2], 'int32', undefined, Int32Array.from(o.paddings));
        b.op({ type: 'PAD', inputs: [x, p], outputs: [y], options: {} });
        break;
      }
      case 'MEAN': {
        const axes = b.tensor(`t${i}_axes`, [o.axes.length], 'int32', undefined, Int32Array.from(o.axes));
        b.op({ type: 'MEAN', inputs: [x, axes], outputs: [y], options: { keepDims: o.keepDims } });
        break;
      }
      case 'LOGISTIC':
      case 'HARD_SWISH':
      case 'TANH':
      case 'RELU':
      case 'RELU6':
        b.op({ type: o.type, inputs: [x], outputs: [y], options: {} });
        break;
      case 'SOFTMAX':
        b.op({ type: 'SOFTMAX', inputs: [x], outputs: [y], options: { beta: 1 } });
        break;
      case 'LEAKY_RELU':
        b.op({ type: 'LEAKY_RELU', inputs: [x], outputs: [y], options: { alpha: o.alpha } });
        break;
      case 'RESIZE_BILINEAR':
      case 'RESIZE_NEAREST_NEIGHBOR': {
        const size = b.tensor(`t${i}_size`, [2], 'int32', undefined, Int32Array.from(o.size));
        // Versions as the converter writes them: 3 with half_pixel_centers, else 2 for 8 bits.
        b.op({ type: o.type, version: o.halfPixelCenters ? 3 : 2, inputs: [x, size], outputs: [y], options: { alignCorners: o.alignCorners, halfPixelCenters: o.halfPixelCenters } });
        break;
      }
      case 'DEPTH_TO_SPACE':
      case 'SPACE_TO_DEPTH':
        b.op({ type: o.type, inputs: [x], outputs: [y], options: { blockSize: o.blockSize } });
        break;
      case 'STRIDED_SLICE': {
        const operand = (name: string, v: number[]) => b.tensor(`t${i}_${name}`, [v.length], 'int32', undefined, Int32Array.from(v));
        const inputs = [x, operand('begin', o.begin), operand('end', o.end), operand('strides', o.strides)];
        const options = { beginMask: o.beginMask, endMask: o.endMask, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: o.shrinkAxisMask, offset: false };
        b.op({ type: 'STRIDED_SLICE', inputs, outputs: [y], options });
        break;
      }
      case 'GATHER': {
        const idx = b.tensor(`t${i}_indices`, o.indicesShape, 'int32', undefined, Int32Array.from(o.indices));
        b.op({ type: 'GATHER', inputs: [x, idx], outputs: [y], options: { axis: o.axis, batchDims: 0 } });
        break;
      }
      case 'TILE': {
        const m = b.tensor(`t${i}_multiples`, [o.multiples.length], 'int32', undefined, Int32Array.from(o.multiples));
        b.op({ type: 'TILE', inputs: [x, m], outputs: [y], options: {} });
        break;
      }
      case 'SQUEEZE':
        b.op({ type: 'SQUEEZE', inputs: [x], outputs: [y], options: { squeezeDims: o.squeezeDims.slice() } });
        break;
      case 'EXPAND_DIMS': {
        const axis = b.tensor(`t${i}_axis`, [], 'int32', undefined, Int32Array.from([o.axis]));
        b.op({ type: 'EXPAND_DIMS', inputs: [x, axis], outputs: [y], options: {} });
        break;
      }
      case 'PRELU': {
        const alpha = b.tensor(`t${i}_alpha`, o.alphaShape, 'int8', qp(o.alphaQ), randomBytes(rng, tensorElementCount(o.alphaShape), 'int8'));
        b.op({ type: 'PRELU', inputs: [x, alpha], outputs: [y], options: {} });
        break;
      }
      case 'QUANTIZE':
      case 'ELU':
        b.op({ type: o.type, inputs: [x], outputs: [y], options: {} });
        break;
      case 'SQUARED_DIFFERENCE': {
        const k = b.tensor(`t${i}_const`, o.constShape, 'int8', qp(o.constQ), randomBytes(rng, tensorElementCount(o.constShape), 'int8'));
        b.op({ type: 'SQUARED_DIFFERENCE', inputs: o.constFirst ? [k, x] : [x, k], outputs: [y], options: {} });
        break;
      }
      case 'SUM':
      case 'REDUCE_MAX':
      case 'REDUCE_MIN': {
        const axes = b.tensor(`t${i}_axes`, [o.axes.length], 'int32', undefined, Int32Array.from(o.axes));
        b.op({ type: o.type, inputs: [x, axes], outputs: [y], options: { keepDims: o.keepDims } });
        break;
      }
      case 'TRANSPOSE_CONV': {
        const c = s[3]!;
        const channels = o.perChannel ? o.outC : 1;
        const filterShape = [o.outC, o.k, o.k, c];
        const scales = Array.from({ length: channels }, () => round(o.weightScale * (0.5 + rng())));
        const filter = b.tensor(`t${i}_filter`, filterShape, 'int8', quant(scales, new Array(channels).fill(0), 0), int8Weights(rng, tensorElementCount(filterShape)));
        const shapeT = b.tensor(`t${i}_output_shape`, [4], 'int32', undefined, Int32Array.from(outShape));
        const bias = o.bias
          ? b.tensor(`t${i}_bias`, [o.outC], 'int32', quant(scales.map((sc) => sc * q.scale), new Array(channels).fill(0)), Int32Array.from({ length: o.outC }, () => randInt(rng, -3000, 3000)))
          : -1;
        // Versions as the converter writes them: 4 with a fused activation, 3 with a bias.
        const version = o.activation !== 'NONE' ? 4 : o.bias ? 3 : 2;
        const inputs = o.bias ? [shapeT, filter, x, bias] : [shapeT, filter, x];
        b.op({ type: 'TRANSPOSE_CONV', version, inputs, outputs: [y], options: { padding: o.padding, strideH: o.stride, strideW: o.stride, activation: o.activation } });
        break;
      }
      case 'BATCH_MATMUL': {
        const k = o.adjX ? s[s.length - 2]! : s[s.length - 1]!;
        const rhsShape = [...o.rhsBatch, ...(o.adjY ? [o.n, k] : [k, o.n])];
        const rhs = b.tensor(`t${i}_rhs`, rhsShape, 'int8', qp(o.constQ), randomBytes(rng, tensorElementCount(rhsShape), 'int8'));
        b.op({ type: 'BATCH_MATMUL', version: 2, inputs: [x, rhs], outputs: [y], options: { adjX: o.adjX, adjY: o.adjY } });
        break;
      }
      case 'ARG_MAX': {
        const axis = b.tensor(`t${i}_axis`, [1], 'int32', undefined, Int32Array.from([o.axis]));
        b.op({ type: 'ARG_MAX', version: 2, inputs: [x, axis], outputs: [y], options: { outputType: 'int32' } });
        break;
      }
    }
    x = y;
    s = outShape;
    q = outQ;
  }
  return b.build([input], [x], name);
}

/** Random int8 values for the graph's one input. */
export function graphInputs(graph: Graph, inputSeed: number): Int8Array[] {
  const rng = mulberry32(inputSeed);
  return graph.inputs.map((id) => randomBytes(rng, tensorElementCount(graph.tensors[id]!.shape), 'int8') as Int8Array);
}
