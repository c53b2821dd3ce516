// Graphs of a few producers → CONCATENATION along the last axis → a reader, for the in-place
// concatenation pass (src/passes/place-concat.ts): each producer a CONV_2D, DEPTHWISE_CONV_2D,
// FULLY_CONNECTED or MAX_POOL_2D reading the graph input, their outputs sharing the
// concatenation's quantization unless a case says otherwise.
import type { DType, Graph, OpOf, QuantParams } from '../../src/model/graph.ts';
import { tensorElementCount } from '../../src/model/graph.ts';
import { randomFloats } from './float-graphs.ts';
import { GraphBuilder, quant, randomBytes } from './graphs.ts';
import { randInt } from './rng.ts';

export type ConcatDType = 'int8' | 'uint8' | 'float32';

export interface ConcatProducer {
  /**
   * 'fc' needs every producer 'fc' (the graph is then [batch, depth] rows, not an image). A 'pool'
   * (3×3 MAX_POOL_2D) keeps the input's quantization, which becomes the concatenation's when it
   * comes first.
   */
  kind: 'conv' | 'depthwise' | 'fc' | 'pool';
  /** Output channels (a depthwise producer has the input's times its multiplier, a pool the input's). */
  channels: number;
  /** A depthwise producer's depth multiplier (default 1). */
  multiplier?: number;
  k?: number;
  /** Its output quantized unlike the concatenation's (8-bit): the concatenation rescales it. */
  ownQuantization?: boolean;
  /** Its output read by another op too: 'output' (a graph output), 'conv' (a second reader, whose output is a graph output). */
  alsoRead?: 'output' | 'conv';
}

export interface ConcatCase {
  dtype: ConcatDType;
  batch: number;
  /** Image size (ignored by 'fc' producers). */
  h: number;
  w: number;
  inC: number;
  producers: ConcatProducer[];
  /** Read the concatenation by a 3×3 convolution (1×1 FC rows), else it is the graph output itself. */
  reader: boolean;
}

export function describeConcatCase(c: ConcatCase): string {
  const parts = c.producers.map((p) => `${p.kind}${p.multiplier ? `×${p.multiplier}` : ''}${p.channels}${p.ownQuantization ? ' own-q' : ''}${p.alsoRead ? ` +${p.alsoRead}` : ''}`);
  return `${c.dtype} ${c.batch}x${c.h}x${c.w}x${c.inC} [${parts.join(', ')}]${c.reader ? ' → conv' : ''}`;
}

/** One producer's or the reader's weights, bias and output quantization. */
function weightsOf(b: GraphBuilder, rng: () => number, dtype: ConcatDType, name: string, shape: number[], outC: number, inScale: number, axis: number) {
  const count = tensorElementCount(shape);
  const taps = count / outC;
  if (dtype === 'float32') {
    const filter = b.tensor(`${name} weights`, shape, 'float32', undefined, randomFloats(rng, count, -2 / Math.sqrt(taps), 2 / Math.sqrt(taps)));
    const bias = b.tensor(`${name} bias`, [outC], 'float32', undefined, randomFloats(rng, outC));
    return { filter, bias, typicalScale: 0 };
  }
  let scales: number[];
  let filter: number;
  if (dtype === 'int8') {
    scales = Array.from({ length: outC }, () => 0.002 + rng() * 0.02);
    filter = b.tensor(`${name} weights`, shape, 'int8', quant(scales, new Array(outC).fill(0), axis), Int8Array.from({ length: count }, () => randInt(rng, -127, 127)));
  } else {
    scales = [0.002 + rng() * 0.02];
    filter = b.tensor(`${name} weights`, shape, 'uint8', quant(scales, randInt(rng, 90, 160)), randomBytes(rng, count, 'uint8'));
  }
  const biasQuant = quant(scales.map((s) => s * inScale), new Array(scales.length).fill(0));
  const bias = b.tensor(`${name} bias`, [outC], 'int32', biasQuant, Int32Array.from({ length: outC }, () => randInt(rng, -3000, 3000)));
  // The typical accumulator lands inside the 8-bit range, so clamps do not hide a wrong value.
  return { filter, bias, typicalScale: inScale * scales[0]! * Math.sqrt(taps) * 60 };
}

function outputQuant(rng: () => number, dtype: ConcatDType, scale: number): QuantParams | undefined {
  if (dtype === 'float32') return undefined;
  return quant(scale * (0.5 + rng()), dtype === 'int8' ? randInt(rng, -10, 10) : randInt(rng, 118, 138));
}

function channelsOf(c: ConcatCase, p: ConcatProducer): number {
  if (p.kind === 'pool') return c.inC;
  return p.kind === 'depthwise' ? c.inC * (p.multiplier ?? 1) : p.channels;
}

export function concatGraph(rng: () => number, c: ConcatCase): Graph {
  const b = new GraphBuilder();
  const fc = c.producers.every((p) => p.kind === 'fc');
  const dtype: DType = c.dtype;
  const inScale = 0.02 + rng() * 0.05;
  const inQuant = c.dtype === 'float32' ? undefined : quant(inScale, c.dtype === 'int8' ? randInt(rng, -20, 20) : randInt(rng, 100, 150));
  const rows = fc ? [c.batch] : [c.batch, c.h, c.w];
  const input = b.tensor('input', [...rows, c.inC], dtype, inQuant);
  const outputs: number[] = [];
  const parts: number[] = [];
  let concatQuant: QuantParams | undefined;
  const same = { padding: 'SAME' as const, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1 };
  for (const [i, p] of c.producers.entries()) {
    const name = `producer ${i}`;
    const k = p.k ?? 3;
    const channels = channelsOf(c, p);
    const act = i % 2 ? 'RELU' : 'NONE';
    if (p.kind === 'pool') {
      concatQuant ??= inQuant;
      const out = b.tensor(`${name} output`, [...rows, channels], dtype, inQuant);
      b.op({ type: 'MAX_POOL_2D', inputs: [input], outputs: [out], options: { padding: 'SAME', strideH: 1, strideW: 1, filterH: 3, filterW: 3, activation: 'NONE' } });
      parts.push(out);
      continue;
    }
    const shape = p.kind === 'fc' ? [channels, c.inC] : p.kind === 'depthwise' ? [1, k, k, channels] : [channels, k, k, c.inC];
    const { filter, bias, typicalScale } = weightsOf(b, rng, c.dtype, name, shape, channels, inScale, p.kind === 'depthwise' ? 3 : 0);
    // The first producer's scale is the concatenation's; the others share it unless told not to.
    concatQuant ??= outputQuant(rng, c.dtype, typicalScale);
    const q = p.ownQuantization ? outputQuant(rng, c.dtype, typicalScale * 1.5) : concatQuant;
    const out = b.tensor(`${name} output`, [...rows, channels], dtype, q);
    if (p.kind === 'fc') b.op({ type: 'FULLY_CONNECTED', inputs: [input, filter, bias], outputs: [out], options: { activation: act, keepNumDims: false } });
    else if (p.kind === 'depthwise') b.op({ type: 'DEPTHWISE_CONV_2D', inputs: [input, filter, bias], outputs: [out], options: { ...same, activation: act, depthMultiplier: p.multiplier ?? 1 } });
    else b.op({ type: 'CONV_2D', inputs: [input, filter, bias], outputs: [out], options: { ...same, activation: act } });
    parts.push(out);
    if (p.alsoRead === 'output') outputs.push(out);
    if (p.alsoRead === 'conv') {
      const w = weightsOf(b, rng, c.dtype, `${name} second reader`, [4, 1, 1, channels], 4, q?.scale[0] ?? 1, 0);
      const second = b.tensor(`${name} second reader output`, [...rows, 4], dtype, outputQuant(rng, c.dtype, w.typicalScale));
      b.op({ type: 'CONV_2D', inputs: [out, w.filter, w.bias], outputs: [second], options: { ...same, activation: 'NONE' } });
      outputs.push(second);
    }
  }
  const total = c.producers.reduce((a, p) => a + channelsOf(c, p), 0);
  const concat = b.tensor('concatenation', [...rows, total], dtype, concatQuant);
  b.op({ type: 'CONCATENATION', inputs: parts, outputs: [concat], options: { axis: rows.length, activation: 'NONE' } });
  if (c.reader) {
    const k = fc ? 1 : 3;
    const outC = 6;
    const w = weightsOf(b, rng, c.dtype, 'reader', fc ? [outC, total] : [outC, k, k, total], outC, concatQuant?.scale[0] ?? 1, 0);
    const out = b.tensor('reader output', [...rows, outC], dtype, outputQuant(rng, c.dtype, w.typicalScale));
    if (fc) b.op({ type: 'FULLY_CONNECTED', inputs: [concat, w.filter, w.bias], outputs: [out], options: { activation: 'NONE', keepNumDims: false } });
    else b.op({ type: 'CONV_2D', inputs: [concat, w.filter, w.bias], outputs: [out], options: { ...same, activation: 'NONE' } });
    outputs.unshift(out);
  } else outputs.unshift(concat);
  return b.build([input], outputs, describeConcatCase(c));
}

/** A case for every dtype, with the concatenation inputs the pass places in 8-bit and in float32. */
/** Tiles that send every one-row int8 layer to the GEMV kernel (shaders/gemv.wgsl), which the software adapters leave off. */
export const GEMV_TILES = { gemvMinWords: 1 } as const;

export type PlacementShape = Omit<ConcatCase, 'dtype'> & { name: string; placed8: number[]; placedFloat: number[] };

const image = { batch: 1, h: 6, w: 7, inC: 5 };

export const PLACEMENT_SHAPES: PlacementShape[] = [
  { name: 'three convolutions, the last 6 channels', ...image, producers: [{ kind: 'conv', channels: 8 }, { kind: 'conv', channels: 4 }, { kind: 'conv', channels: 6 }], reader: true, placed8: [0, 1, 2], placedFloat: [0, 1, 2] },
  { name: 'three FULLY_CONNECTED rows', batch: 3, h: 1, w: 1, inC: 10, producers: [{ kind: 'fc', channels: 8 }, { kind: 'fc', channels: 12 }, { kind: 'fc', channels: 5 }], reader: true, placed8: [0, 1, 2], placedFloat: [0, 1, 2] },
  // One row: with gemvMinWords 1 (GEMV_TILES) the int8 producers and reader take the GEMV kernel.
  { name: 'three one-row FULLY_CONNECTED (GEMV)', batch: 1, h: 1, w: 1, inC: 10, producers: [{ kind: 'fc', channels: 8 }, { kind: 'fc', channels: 12 }, { kind: 'fc', channels: 5 }], reader: true, placed8: [0, 1, 2], placedFloat: [0, 1, 2] },
  { name: 'batch 2, 1×1 convolutions, the concatenation a graph output', batch: 2, h: 5, w: 4, inC: 7, producers: [{ kind: 'conv', channels: 4, k: 1 }, { kind: 'conv', channels: 12, k: 1 }, { kind: 'conv', channels: 3, k: 1 }], reader: false, placed8: [0, 1, 2], placedFloat: [0, 1, 2] },
  // 8-bit: input 1 is no whole number of words, so input 2 starts mid-word.
  { name: 'a middle input of 5 channels', ...image, producers: [{ kind: 'conv', channels: 8 }, { kind: 'conv', channels: 5 }, { kind: 'conv', channels: 4 }], reader: true, placed8: [0], placedFloat: [0, 1, 2] },
  { name: 'an input quantized unlike the output', ...image, producers: [{ kind: 'conv', channels: 8 }, { kind: 'conv', channels: 4, ownQuantization: true }, { kind: 'conv', channels: 4 }], reader: true, placed8: [0, 2], placedFloat: [0, 1, 2] },
  { name: 'a producer with a second reader', ...image, producers: [{ kind: 'conv', channels: 8, alsoRead: 'conv' }, { kind: 'conv', channels: 4 }], reader: true, placed8: [1], placedFloat: [1] },
  { name: 'a producer that is a graph output', ...image, producers: [{ kind: 'conv', channels: 4, alsoRead: 'output' }, { kind: 'conv', channels: 8 }], reader: true, placed8: [1], placedFloat: [1] },
  // 8-bit: the depthwise outputs start on whole vec4s of the 16-word rows (the 16-channel kernel).
  { name: 'depthwise producers on vec4 boundaries', ...image, inC: 16, producers: [{ kind: 'depthwise', channels: 16 }, { kind: 'conv', channels: 16 }, { kind: 'depthwise', channels: 16 }, { kind: 'conv', channels: 16 }], reader: true, placed8: [0, 1, 2, 3], placedFloat: [0, 1, 2, 3] },
  // 8-bit: at word 1 and 3 (the word kernel), the second with depth multiplier 2.
  { name: 'depthwise producers off vec4 boundaries', ...image, inC: 8, producers: [{ kind: 'conv', channels: 4 }, { kind: 'depthwise', channels: 8 }, { kind: 'depthwise', channels: 16, multiplier: 2 }, { kind: 'conv', channels: 6 }], reader: true, placed8: [0, 1, 2, 3], placedFloat: [0, 1, 2, 3] },
  { name: 'a pooling producer', ...image, inC: 4, producers: [{ kind: 'pool', channels: 4 }, { kind: 'conv', channels: 8 }], reader: true, placed8: [1], placedFloat: [1] },
];

export const concatOf = (g: Graph) => g.ops.find((op) => op.type === 'CONCATENATION') as OpOf<'CONCATENATION'>;
export const placedOf = (s: PlacementShape, dtype: ConcatDType) => (dtype === 'float32' ? s.placedFloat : s.placed8);
/** A step of a concatenation's own (a copy of an input it was not given in place). */
export const isConcatStep = (label: string): boolean => /concatenation#|float concat#/.test(label);

export function caseOf(s: PlacementShape, dtype: ConcatDType): ConcatCase {
  return { dtype, batch: s.batch, h: s.h, w: s.w, inC: s.inC, producers: s.producers, reader: s.reader };
}
