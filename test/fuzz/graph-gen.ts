// Seeded random int8 graphs for the GPU-versus-reference fuzzer (test/fuzz/graph-fuzz.ts): a short
// chain of 1–4 ops over one NHWC int8 input (convolutions, pools, broadcast arithmetic, moves,
// activations; see DRAWERS). A graph is first drawn as a GraphDesc, a small JSON
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
  | { type: 'LEAKY_RELU'; alpha: number; out: Q };

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
    default:
      return s.slice();
  }
}

/** The quantization an op gives its output, given its input's. */
function opOutputQuant(o: OpDesc, q: Q): Q {
  if (o.type === 'LOGISTIC' || o.type === 'SOFTMAX') return { scale: 1 / 256, zeroPoint: -128 };
  if (o.type === 'TANH') return { scale: 1 / 128, zeroPoint: 0 };
  if ('out' in o) return o.out;
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
    const y = b.tensor(`t${i}_${o.type.toLowerCase()}`, outShape, 'int8', qp(outQ));
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
