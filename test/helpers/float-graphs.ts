// Builders for small float32 single-op graphs with random weights, and the comparison of a float
// graph's GPU outputs with the CPU reference's float32 kernels within a stated tolerance.
import type { Activation, Graph, Padding, TensorIR } from '../../src/model/graph.ts';
import { tensorElementCount } from '../../src/model/graph.ts';
import { GpuProgram, type GpuProgramOptions } from '../../src/runtime/gpu-program.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { runReference } from '../../src/reference/run.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { GraphBuilder, outSize, quant } from './graphs.ts';
import { randInt } from './rng.ts';

export function randomFloats(rng: () => number, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + rng() * (hi - lo));
}

export function randomFloatInput(rng: () => number, t: TensorIR): Float32Array {
  return randomFloats(rng, tensorElementCount(t.shape), -4, 4);
}

/**
 * Float32 summation in a different order than the reference (which accumulates in double) moves
 * a dot product of K terms by about √K·2⁻²⁴ of the sum of its terms' magnitudes, and exp/divide
 * in WGSL are a few ulp; 1e-4 of the output's largest magnitude is far above both for the sizes
 * tested here and far below any indexing or padding bug, which moves elements by O(1) of it.
 */
export const FLOAT_RELATIVE_TOLERANCE = 1e-4;

export interface FloatComparison {
  elements: number;
  maxAbsDiff: number;
  /** Largest |expected|: the scale the tolerance is relative to. */
  magnitude: number;
  bad: number;
  firstBad?: string;
}

export function compareFloat(got: ArrayLike<number>, expected: ArrayLike<number>, relative = FLOAT_RELATIVE_TOLERANCE): FloatComparison {
  let magnitude = 0;
  for (let i = 0; i < expected.length; i++) magnitude = Math.max(magnitude, Math.abs(expected[i]!));
  // The absolute floor covers an all-zero output (every value clamped by a ReLU).
  const limit = relative * magnitude + 1e-6;
  let maxAbsDiff = 0;
  let bad = got.length === expected.length ? 0 : 1;
  let firstBad = got.length === expected.length ? undefined : `length ${got.length}, expected ${expected.length}`;
  for (let i = 0; i < Math.min(got.length, expected.length); i++) {
    const d = Math.abs(got[i]! - expected[i]!);
    if (!(d <= limit)) {
      bad++;
      firstBad ??= `element ${i}: got ${got[i]}, expected ${expected[i]}`;
    }
    if (!Number.isNaN(d)) maxAbsDiff = Math.max(maxAbsDiff, d);
  }
  return { elements: expected.length, maxAbsDiff, magnitude, bad, firstBad };
}

/** GPU outputs of a float graph against the CPU reference's float kernels; disposes the program. */
export async function floatGpuVersusReference(
  ctx: GpuContext,
  graph: Graph,
  inputs: TensorData[],
  relative = FLOAT_RELATIVE_TOLERANCE,
  options: Pick<GpuProgramOptions, 'tiles'> = {},
): Promise<FloatComparison[]> {
  const program = await GpuProgram.build(ctx, graph, options);
  try {
    const { outputs } = await program.run(inputs);
    const expected = runReference(graph, inputs);
    return outputs.map((o, i) => compareFloat(o, expected[i]!, relative));
  } finally {
    program.dispose();
  }
}

export function describeFailures(name: string, cmps: FloatComparison[]): string[] {
  return cmps.filter((c) => c.bad > 0).map((c) => `${name}: ${c.bad}/${c.elements} outside tolerance (max diff ${c.maxAbsDiff}, magnitude ${c.magnitude}), ${c.firstBad}`);
}

export interface FloatConvCase {
  kind: 'conv' | 'depthwise';
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
  /** int8 weights with per-channel scales, dequantized at load (hybrid models). */
  hybrid: boolean;
}

export function describeFloatCase(c: FloatConvCase): string {
  return `float ${c.kind} ${c.batch}x${c.inH}x${c.inW}x${c.inC}->${c.kind === 'depthwise' ? c.inC * c.depthMultiplier : c.outC} k${c.k} s${c.stride} d${c.dilation} ${c.padding} ${c.activation}${c.kind === 'depthwise' ? ` m${c.depthMultiplier}` : ''}${c.bias ? '' : ' nobias'}${c.hybrid ? ' hybrid' : ''}`;
}

/** Weights scaled by 2/√taps so outputs straddle the RELU6 bounds instead of saturating. */
export function floatConvGraph(rng: () => number, c: FloatConvCase): Graph {
  const b = new GraphBuilder();
  const depthwise = c.kind === 'depthwise';
  const outC = depthwise ? c.inC * c.depthMultiplier : c.outC;
  const input = b.tensor('input', [c.batch, c.inH, c.inW, c.inC], 'float32');
  const filterShape = depthwise ? [1, c.k, c.k, outC] : [outC, c.k, c.k, c.inC];
  const count = tensorElementCount(filterShape);
  const taps = c.k * c.k * (depthwise ? 1 : c.inC);
  let filter: number;
  if (c.hybrid) {
    const scales = Array.from({ length: outC }, () => (0.5 + rng()) / (64 * Math.sqrt(taps)));
    const data = Int8Array.from({ length: count }, () => randInt(rng, -127, 127));
    filter = b.tensor('filter', filterShape, 'int8', quant(scales, new Array(outC).fill(0), depthwise ? 3 : 0), data);
  } else {
    filter = b.tensor('filter', filterShape, 'float32', undefined, randomFloats(rng, count, -2 / Math.sqrt(taps), 2 / Math.sqrt(taps)));
  }
  const bias = c.bias ? b.tensor('bias', [outC], 'float32', undefined, randomFloats(rng, outC)) : -1;
  const outH = outSize(c.padding, c.inH, c.k, c.stride, c.dilation);
  const outW = outSize(c.padding, c.inW, c.k, c.stride, c.dilation);
  const output = b.tensor('output', [c.batch, outH, outW, outC], 'float32');
  const common = { padding: c.padding, strideH: c.stride, strideW: c.stride, dilationH: c.dilation, dilationW: c.dilation, activation: c.activation };
  if (depthwise) {
    b.op({ type: 'DEPTHWISE_CONV_2D', inputs: [input, filter, bias], outputs: [output], options: { ...common, depthMultiplier: c.depthMultiplier } });
  } else {
    b.op({ type: 'CONV_2D', inputs: [input, filter, bias], outputs: [output], options: common });
  }
  return b.build([input], [output], describeFloatCase(c));
}

/** FULLY_CONNECTED over an input of any shape holding a multiple of depth elements. */
export function floatFullyConnectedGraph(
  rng: () => number,
  f: { inputShape: number[]; depth: number; units: number; activation: Activation; hybrid: boolean; bias: boolean },
): Graph {
  const b = new GraphBuilder();
  const input = b.tensor('input', f.inputShape, 'float32');
  const batch = tensorElementCount(f.inputShape) / f.depth;
  const bound = 2 / Math.sqrt(f.depth);
  const filter = f.hybrid
    ? b.tensor('weights', [f.units, f.depth], 'int8', quant(bound / 127, 0), Int8Array.from({ length: f.units * f.depth }, () => randInt(rng, -127, 127)))
    : b.tensor('weights', [f.units, f.depth], 'float32', undefined, randomFloats(rng, f.units * f.depth, -bound, bound));
  const bias = f.bias ? b.tensor('bias', [f.units], 'float32', undefined, randomFloats(rng, f.units)) : -1;
  const output = b.tensor('output', [batch, f.units], 'float32');
  b.op({ type: 'FULLY_CONNECTED', inputs: [input, filter, bias], outputs: [output], options: { activation: f.activation, keepNumDims: false } });
  return b.build([input], [output], `float fc [${f.inputShape.join(',')}] depth ${f.depth} -> ${f.units} ${f.activation}${f.hybrid ? ' hybrid' : ''}`);
}
