// The split-K GEMV (shaders/gemv.wgsl), forced onto every one-row layer, equals the CPU reference
// byte for byte: FULLY_CONNECTED with one row (K not a multiple of the split nor of 4, out_c not a
// multiple of 4, per-tensor and per-channel int8, legacy uint8 with a weight zero point, every
// fused activation, keep_num_dims) and convolutions whose one output pixel's window is the whole
// input (1×1 of a 1×1 image, 3×3 VALID of a 3×3 one), with dot4I8Packed and the fallback, in each
// int8 arithmetic and both requantizations; f32 arithmetic at its exactness bound (partial sums
// in any order); a whole-input convolution of an activation whose padding bytes carry its zero
// point; and the selection (gemvApplies) takes one-row layers and leaves the others.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import { chainGraphs, convGraph, describeCase, fullyConnectedGraph, GraphBuilder, quant, randomInput, saturatingFc, type ConvCase } from '../helpers/graphs.ts';
import { gpuVersusReference } from '../helpers/compare.ts';
import { DOT4_MODES, INT8_ARITHMETICS, REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { mulberry32, randInt } from '../helpers/rng.ts';
import { lowerOp } from '../../src/kernels/registry.ts';
import { gemvShape } from '../../src/kernels/conv2d.ts';
import { DEFAULT_KERNEL_TILES, TUNED_TILES } from '../../src/kernels/tuned-tiles.ts';
import type { Int8Arithmetic } from '../../src/kernels/lowering.ts';

/** Every one-row layer takes the GEMV (no K is too short). */
const FORCED = { gemvMinWords: 1 } as const;
/** Forced, with one channel word a workgroup (a split of up to 64) and with 16 words of a split of 4. */
const FORCED_SHAPES = [{ ...FORCED, gemvSplit: 64 }, { ...FORCED, gemvSplit: 4 }] as const;

/** The lowered shader of the graph's only op, with the GEMV forced or with the default tiles. */
function loweredCode(graph: Graph, forced: boolean, int8Arithmetic: Int8Arithmetic = 'dot4'): string {
  const tiles = { ...DEFAULT_KERNEL_TILES, ...(forced ? FORCED : {}) };
  const lowered = lowerOp({ graph, useDot4: false, requantization: 'tflite', workgroupSize: 64, maxWorkgroupsPerDimension: 65535, int8Arithmetic, tiles }, graph.ops[0]!);
  return 'dispatch' in lowered.steps[0]! ? lowered.steps[0].dispatch.code : '';
}
const isGemv = (code: string) => code.includes('var<workgroup> partial:');

/** `graph`'s FULLY_CONNECTED with keep_num_dims: input [1, 1, depth], output [1, 1, units]. */
function keepingNumDims(graph: Graph): Graph {
  const op = graph.ops[0]!;
  const [inputId, outputId] = [op.inputs[0]!, op.outputs[0]!];
  const tensors = graph.tensors.map((t) => (t.id === inputId || t.id === outputId ? { ...t, shape: [1, ...t.shape] } : t));
  const ops = [{ ...op, options: { ...(op.options as { activation: 'NONE' }), keepNumDims: true } }] as Graph['ops'];
  return { ...graph, name: `${graph.name} keep_num_dims`, tensors, ops };
}

const FC_SPECS = [
  { dtype: 'int8', batch: 1, depth: 1, units: 5, perChannel: true, activation: 'NONE' },
  { dtype: 'int8', batch: 1, depth: 10, units: 7, perChannel: false, activation: 'RELU' },
  { dtype: 'uint8', batch: 1, depth: 33, units: 10, perChannel: false, activation: 'RELU6' },
  { dtype: 'int8', batch: 1, depth: 130, units: 13, perChannel: true, activation: 'RELU6' },
  { dtype: 'uint8', batch: 1, depth: 257, units: 6, perChannel: false, activation: 'NONE' },
  { dtype: 'int8', batch: 1, depth: 1027, units: 1001, perChannel: true, activation: 'NONE' },
  { dtype: 'uint8', batch: 1, depth: 1283, units: 11, perChannel: false, activation: 'RELU' },
] as const;

// [inH = inW = k, inC, outC, dtype]: the window covers the whole (unpadded) input.
const CONV_SHAPES: Array<[number, number, number, 'int8' | 'uint8']> = [
  [1, 1280, 1001, 'int8'],
  [1, 37, 9, 'uint8'],
  [3, 13, 6, 'uint8'],
  [3, 21, 14, 'int8'],
];

function cases(): Array<{ graph: Graph; input: ReturnType<typeof randomInput> }> {
  const rng = mulberry32(4242);
  const out = FC_SPECS.map((spec) => {
    const graph = fullyConnectedGraph(rng, spec);
    return { graph, input: randomInput(rng, graph.tensors[graph.inputs[0]!]!) };
  });
  const kept = keepingNumDims(fullyConnectedGraph(rng, { dtype: 'uint8', batch: 1, depth: 70, units: 9, perChannel: false, activation: 'RELU6' }));
  out.push({ graph: kept, input: randomInput(rng, kept.tensors[kept.inputs[0]!]!) });
  for (const [i, [k, inC, outC, dtype]] of CONV_SHAPES.entries()) {
    const c: ConvCase = { kind: 'conv', dtype, batch: 1, inH: k, inW: k, inC, outC, k, stride: 1, dilation: 1, padding: 'VALID', activation: (['NONE', 'RELU', 'RELU6'] as const)[i % 3]!, depthMultiplier: 1, bias: i !== 2 };
    const graph = convGraph(rng, c);
    graph.name = describeCase(c);
    out.push({ graph, input: randomInput(rng, graph.tensors[graph.inputs[0]!]!) });
  }
  return out;
}

describe('GEMV selection', () => {
  it('one-row layers take it when forced; rows, pixels and padded windows do not', () => {
    const rng = mulberry32(9);
    for (const { graph } of cases()) expect(isGemv(loweredCode(graph, true)), graph.name).toBe(true);
    const twoRows = fullyConnectedGraph(rng, { dtype: 'int8', batch: 2, depth: 64, units: 8, perChannel: true, activation: 'NONE' });
    expect(isGemv(loweredCode(twoRows, true))).toBe(false);
    const pixels = convGraph(rng, { kind: 'conv', dtype: 'int8', batch: 1, inH: 2, inW: 2, inC: 16, outC: 8, k: 1, stride: 1, dilation: 1, padding: 'VALID', activation: 'NONE', depthMultiplier: 1, bias: true });
    expect(isGemv(loweredCode(pixels, true))).toBe(false);
    // A 3×3 SAME window over a 1×1 image reads padding: not the whole input in the weights' order.
    const padded = convGraph(rng, { kind: 'conv', dtype: 'int8', batch: 1, inH: 1, inW: 1, inC: 16, outC: 8, k: 3, stride: 1, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true });
    expect(isGemv(loweredCode(padded, true))).toBe(false);
    // Nor does a dilated 2×2 window (stride 2, SAME) over a 2×2 image: one output pixel, no padding
    // before it, but its taps skip every other pixel.
    const dilated = convGraph(rng, { kind: 'conv', dtype: 'int8', batch: 1, inH: 2, inW: 2, inC: 8, outC: 8, k: 2, stride: 2, dilation: 2, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true });
    expect(dilated.tensors[dilated.outputs[0]!]!.shape).toEqual([1, 1, 1, 8]);
    expect(isGemv(loweredCode(dilated, true))).toBe(false);
    // The default tiles ('gpu') from gemvMinWords words of K on: ResNet-8's classifier (64 → 10,
    // 16 words) takes it, a K of 15 words does not.
    expect(DEFAULT_KERNEL_TILES.gemvMinWords).toBe(16);
    const fc = (depth: number) => fullyConnectedGraph(rng, { dtype: 'int8', batch: 1, depth, units: 10, perChannel: true, activation: 'NONE' });
    expect(isGemv(loweredCode(fc(64), false))).toBe(true);
    expect(isGemv(loweredCode(fc(60), false))).toBe(false);
  });

  it('the software adapter classes never take it (measured slower there)', () => {
    const classifier = convGraph(mulberry32(3), { kind: 'conv', dtype: 'uint8', batch: 1, inH: 1, inW: 1, inC: 1280, outC: 1001, k: 1, stride: 1, dilation: 1, padding: 'VALID', activation: 'NONE', depthMultiplier: 1, bias: true });
    for (const cls of ['swiftshader', 'llvmpipe'] as const) {
      const lowered = lowerOp({ graph: classifier, useDot4: true, requantization: 'xnnpack', workgroupSize: 64, maxWorkgroupsPerDimension: 65535, tiles: TUNED_TILES[cls] }, classifier.ops[0]!);
      const code = 'dispatch' in lowered.steps[0]! ? lowered.steps[0].dispatch.code : '';
      expect(isGemv(code), cls).toBe(false);
    }
  });

  it('the split is a power of two within the K words, gemvSplit and the workgroup, channel words fill the rest', () => {
    const splits = (gemvSplit: number, workgroupSize: number) => [1, 2, 3, 16, 17, 63, 64, 65, 320].map((k) => gemvShape(k, { gemvSplit, workgroupSize }).split);
    expect(splits(64, 64)).toEqual([1, 2, 2, 16, 16, 32, 64, 64, 64]);
    expect(splits(16, 64)).toEqual([1, 2, 2, 16, 16, 16, 16, 16, 16]);
    expect(splits(64, 48)).toEqual([1, 2, 2, 16, 16, 32, 32, 32, 32]);
    expect(gemvShape(320, { gemvSplit: 16, workgroupSize: 64 })).toEqual({ split: 16, words: 4 });
    expect(gemvShape(320, { gemvSplit: 32, workgroupSize: 48 })).toEqual({ split: 32, words: 1 });
    expect(gemvShape(3, { gemvSplit: 64, workgroupSize: 64 })).toEqual({ split: 2, words: 32 });
  });
});

for (const [dot4, requantization] of DOT4_MODES.flatMap((d) => REQUANTIZATION_MODES.map((r) => [d, r] as const))) {
  describe(`GEMV equals the reference (dot4 ${dot4}, ${requantization} requantization)`, () => {
    it('one-row FCs and whole-input convolutions, every int8 arithmetic', async () => {
      const ctx = await testContext(dot4);
      const failures: string[] = [];
      for (const { graph, input } of cases()) {
        for (const int8Arithmetic of INT8_ARITHMETICS) {
          for (const tiles of FORCED_SHAPES) {
            const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic, tiles });
            if (cmp!.differing > 0) failures.push(`${graph.name} (${int8Arithmetic}, split ${tiles.gemvSplit}): ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
          }
        }
      }
      expect(failures).toEqual([]);
    });

    // A kernel's output carries the output zero point in its padding bytes (uploaded inputs hold
    // zeros there): the uint8 row sums must mask each pixel's last word, and f32's w − zw weights
    // be 0 there. A 3×3 VALID convolution over a 3×3 activation of 13 channels: 9 masked words.
    it('uint8 whole-input convolution after a convolution with padded channels (13 → 16)', async () => {
      const ctx = await testContext(dot4);
      const rng = mulberry32(641);
      const first = convGraph(rng, { kind: 'conv', dtype: 'uint8', batch: 1, inH: 3, inW: 3, inC: 5, outC: 13, k: 1, stride: 1, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true });
      // No fused activation: with RELU every output of this seed clamps to the zero point, and an
      // unmasked row sum (checked by leaving the mask out: 4 of 7 differ) would go unseen.
      const second = convGraph(rng, { kind: 'conv', dtype: 'uint8', batch: 1, inH: 3, inW: 3, inC: 13, outC: 7, k: 3, stride: 1, dilation: 1, padding: 'VALID', activation: 'NONE', depthMultiplier: 1, bias: true });
      const graph = chainGraphs(first, second);
      // Zero point 141: the padding bytes are 13, not 0, in the int8 domain.
      const middle = graph.tensors[first.outputs[0]!]!;
      graph.tensors[middle.id] = { ...middle, quant: quant(middle.quant!.scale[0]!, 141) };
      const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
      for (const int8Arithmetic of INT8_ARITHMETICS) {
        for (const tiles of FORCED_SHAPES) {
          const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic, tiles });
          expect(cmp, `${int8Arithmetic}, split ${tiles.gemvSplit}: ${cmp!.differing} differ, ${cmp!.firstDiff}`).toMatchObject({ differing: 0 });
        }
      }
    });
  });
}

// f32 arithmetic sums partial sums in a tree: exact while every subset sum stays below 2^24, the
// bound f32ProductsExact checks. Every product positive (weights ±127 with the input's sign,
// inputs of magnitude 100-128) with depth 1024 puts the total at about 1.6·10^7, just below 2^24;
// the bias cancels it, so a partial sum off by one changes the output.
describe('GEMV in f32 arithmetic at the exactness bound', () => {
  it('depth 1024, every product positive: f32 weights, equal to the reference', async () => {
    const ctx = await testContext('auto');
    const { graph, input: x } = saturatingFc(1024, 6);
    const code = loweredCode(graph, true, 'f32');
    expect(isGemv(code) && code.includes('array<mat4x4<f32>>'), 'the f32 GEMV').toBe(true);
    for (const requantization of REQUANTIZATION_MODES) {
      for (const tiles of FORCED_SHAPES) {
        const [cmp] = await gpuVersusReference(ctx, graph, [x], requantization, { int8Arithmetic: 'f32', tiles });
        expect(cmp, `${requantization}, split ${tiles.gemvSplit}: ${cmp!.differing} differ, ${cmp!.firstDiff}`).toMatchObject({ differing: 0 });
      }
    }
  });
});
