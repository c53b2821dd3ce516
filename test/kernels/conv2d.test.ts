// CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED on the GPU equal the CPU reference byte for byte,
// over random shapes (odd channel counts, 1x1 and 3x3, strides 1 and 2, SAME/VALID, dilation 2,
// every fused activation, int8 per-channel and legacy uint8 with weight zero points), with
// dot4I8Packed and with the unpacking fallback, in each int8 arithmetic (dot4, i32, f32); the conv
// kernel's register micro-tile over W remainders, narrow rows, strides 1-3, dilations 2-3 and
// channel-word remainders; f32 accumulation at its exactness bound and past it, in the conv kernel
// and in the depthwise one (whose every variant also runs in each int8 arithmetic).
import { describe, expect, it } from 'vitest';
import type { Activation, Graph, Padding } from '../../src/model/graph.ts';
import { chainGraphs, CONV_TILE_SHAPES, convGraph, describeCase, fullyConnectedGraph, GraphBuilder, quant, randomInput, saturatingFc, type ConvCase } from '../helpers/graphs.ts';
import { gpuVersusReference } from '../helpers/compare.ts';
import { DOT4_MODES, INT8_ARITHMETICS, REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { mulberry32, pick, randInt } from '../helpers/rng.ts';
import { lowerOp } from '../../src/kernels/registry.ts';
import { constantChannels, convTile } from '../../src/kernels/conv2d.ts';
import { f32ProductsExact, productBounds, type Int8Arithmetic } from '../../src/kernels/lowering.ts';

const ACTIVATIONS: Activation[] = ['NONE', 'RELU', 'RELU6'];

const PADDINGS: Padding[] = ['SAME', 'VALID'];

/**
 * Whether the graph's depthwise layer lowers to shaders/depthwise.wgsl's f32 kernel under
 * `int8Arithmetic`: f32 weights uploaded, and f32 lanes in the shader, or neither (else throws).
 */
function depthwiseLoweredInF32(graph: Graph, int8Arithmetic: Int8Arithmetic): boolean {
  const lowered = lowerOp({ graph, useDot4: false, requantization: 'tflite', workgroupSize: 64, maxWorkgroupsPerDimension: 65535, int8Arithmetic }, graph.ops[0]!);
  const code = 'dispatch' in lowered.steps[0]! ? lowered.steps[0].dispatch.code : '';
  const f32Weights = lowered.constants[0]!.data instanceof Float32Array;
  const f32Lanes = code.includes('alias Lane = vec4<f32>;');
  if (f32Weights !== f32Lanes) throw new Error(`${graph.name}: f32 weights ${f32Weights}, f32 lanes ${f32Lanes}`);
  return f32Lanes;
}

function randomConvCases(seed: number, kind: 'conv' | 'depthwise', count: number): ConvCase[] {
  const rng = mulberry32(seed);
  const cases: ConvCase[] = [];
  for (let i = 0; i < count; i++) {
    const k = pick(rng, [1, 3, 3, 5]);
    const dilation = i % 5 === 4 ? 2 : 1;
    const effective = (k - 1) * dilation + 1;
    cases.push({
      kind,
      dtype: i % 3 === 2 ? 'uint8' : 'int8',
      batch: i % 4 === 3 ? 2 : 1,
      inH: randInt(rng, effective, effective + 7),
      inW: randInt(rng, effective, effective + 7),
      inC: pick(rng, [1, 3, 4, 5, 7, 8, 13, 16]),
      outC: pick(rng, [1, 2, 4, 5, 8, 11, 16]),
      k,
      stride: pick(rng, [1, 2]),
      dilation,
      padding: pick(rng, PADDINGS),
      activation: ACTIVATIONS[i % ACTIVATIONS.length]!,
      depthMultiplier: kind === 'depthwise' && i % 4 === 1 ? 2 : 1,
      bias: i % 6 !== 5,
    });
  }
  return cases;
}

for (const [dot4, requantization] of DOT4_MODES.flatMap((d) => REQUANTIZATION_MODES.map((r) => [d, r] as const))) {
  describe(`int8 convolutions equal the reference (dot4 ${dot4}, ${requantization} requantization)`, () => {
    for (const kind of ['conv', 'depthwise'] as const) {
      it(`${kind}: 18 random cases${kind === 'depthwise' ? ', in every int8 arithmetic' : ''}`, async () => {
        const ctx = await testContext(dot4);
        const failures: string[] = [];
        const cases = randomConvCases(kind === 'conv' ? 11 : 23, kind, 18);
        // Convolutions take every arithmetic in the micro-tile tests below; here the adapter's own.
        const arithmetics = kind === 'depthwise' ? INT8_ARITHMETICS : [undefined];
        for (const [i, c] of cases.entries()) {
          const rng = mulberry32(1000 + i);
          const graph = convGraph(rng, c);
          const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
          for (const int8Arithmetic of arithmetics) {
            const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic });
            if (cmp!.differing > 0) failures.push(`${describeCase(c)} (${int8Arithmetic ?? 'adapter'}): ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
          }
        }
        expect(failures).toEqual([]);
      });
    }

    // shaders/depthwise.wgsl computes a strip of output pixels along W per invocation, reusing
    // input columns between taps where the dilation divides the stride: the last strip's
    // remainder, outputs narrower than a strip, stride 2 and 3 phases, dilation with and without
    // column reuse, the 16-channel, word and depth-multiplier variants, batches and uint8, each in
    // every int8 arithmetic: 'f32' lowers to the f32 kernel (3×3 and 5×5 weights are always within
    // f32ProductsExact's bound), 'dot4' and 'i32' to the i32 one.
    it('depthwise strips: W remainders, narrow outputs, strides, dilations, every variant, every int8 arithmetic', async () => {
      const ctx = await testContext(dot4);
      const failures: string[] = [];
      // [inH, inW, inC, k, stride, dilation, padding, depth multiplier, dtype, batch]
      const shapes: Array<[number, number, number, number, number, number, Padding, number, 'int8' | 'uint8', number]> = [
        [5, 9, 16, 3, 1, 1, 'SAME', 1, 'int8', 1],
        [6, 10, 32, 3, 2, 1, 'SAME', 1, 'int8', 1],
        [7, 11, 16, 3, 1, 2, 'SAME', 1, 'uint8', 1],
        [9, 13, 16, 3, 2, 2, 'VALID', 1, 'int8', 1],
        [4, 3, 16, 3, 1, 1, 'SAME', 1, 'uint8', 1],
        [6, 1, 16, 3, 1, 1, 'SAME', 1, 'int8', 2],
        [6, 9, 16, 3, 3, 1, 'VALID', 1, 'int8', 1],
        [5, 6, 48, 1, 1, 1, 'SAME', 1, 'int8', 1],
        [10, 10, 16, 5, 1, 1, 'SAME', 1, 'uint8', 2],
        [3, 2, 8, 3, 1, 1, 'SAME', 1, 'int8', 1],
        [5, 5, 5, 3, 2, 1, 'VALID', 1, 'int8', 2],
        [8, 14, 8, 5, 2, 1, 'SAME', 1, 'uint8', 1],
        [8, 7, 13, 3, 1, 2, 'VALID', 1, 'int8', 1],
        [7, 12, 3, 3, 2, 1, 'SAME', 2, 'int8', 1],
        [6, 7, 8, 3, 1, 2, 'SAME', 2, 'uint8', 2],
        [7, 10, 4, 3, 3, 2, 'SAME', 3, 'int8', 1],
        [4, 3, 5, 3, 1, 1, 'SAME', 2, 'uint8', 1],
      ];
      for (const [i, [inH, inW, inC, k, stride, dilation, padding, depthMultiplier, dtype, batch]] of shapes.entries()) {
        const rng = mulberry32(700 + i);
        const c: ConvCase = { kind: 'depthwise', dtype, batch, inH, inW, inC, outC: inC * depthMultiplier, k, stride, dilation, padding, activation: ACTIVATIONS[i % 3]!, depthMultiplier, bias: i % 5 !== 4 };
        const graph = convGraph(rng, c);
        const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
        for (const int8Arithmetic of INT8_ARITHMETICS) {
          const f32 = depthwiseLoweredInF32(graph, int8Arithmetic);
          if (f32 !== (int8Arithmetic === 'f32')) failures.push(`${describeCase(c)} (${int8Arithmetic}): lowered ${f32 ? '' : 'not '}in f32`);
          const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic });
          if (cmp!.differing > 0) failures.push(`${describeCase(c)} (${int8Arithmetic}): ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
        }
      }
      expect(failures).toEqual([]);
    });

    // A uint8 weight zero point in i32 lanes: w − zw as i16, two to a word (depthwiseWeightsI16).
    // Weights of 0 and 255 about zero points 0 and 255 reach ±255, the i16 values' extremes here.
    it('depthwise i16 weights: w − zw up to ±255, 16-channel, word and depth-multiplier variants', async () => {
      const ctx = await testContext(dot4);
      const failures: string[] = [];
      for (const [i, [inC, depthMultiplier, weightZp]] of ([[16, 1, 0], [16, 1, 255], [8, 1, 255], [6, 2, 0], [3, 3, 255]] as const).entries()) {
        const rng = mulberry32(900 + i);
        const c: ConvCase = { kind: 'depthwise', dtype: 'uint8', batch: 1, inH: 6, inW: 7, inC, outC: inC * depthMultiplier, k: 3, stride: 1 + (i % 2), dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier, bias: true };
        const graph = convGraph(rng, c);
        const filter = graph.tensors[graph.ops[0]!.inputs[1]!]!;
        const extremes = (filter.data as Uint8Array).map(() => (rng() < 0.5 ? 0 : 255));
        graph.tensors[filter.id] = { ...filter, data: extremes, quant: { ...filter.quant!, zeroPoint: Int32Array.of(weightZp) } };
        const lowered = lowerOp({ graph, useDot4: false, requantization, workgroupSize: 64, maxWorkgroupsPerDimension: 65535, int8Arithmetic: 'i32' }, graph.ops[0]!);
        if (!(lowered.constants[0]!.data instanceof Int16Array)) failures.push(`${describeCase(c)}: weights not i16`);
        const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
        for (const int8Arithmetic of ['dot4', 'i32'] as const) {
          const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic });
          if (cmp!.differing > 0) failures.push(`${describeCase(c)} zw ${weightZp} (${int8Arithmetic}): ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('pointwise convolutions (1×1, the micro-tile), per-channel int8 and legacy uint8, in every int8 arithmetic', async () => {
      const ctx = await testContext(dot4);
      const failures: string[] = [];
      const shapes: Array<[number, number, number, number]> = [
        // [inH, inW, inC, outC]: channel words whole and with a remainder, rows narrower than a strip.
        [7, 5, 16, 12],
        [6, 6, 32, 5],
        [5, 9, 7, 13],
        [4, 8, 3, 4],
        [3, 3, 16, 8],
        // Legacy uint8 (weight zero point: row sums in dot4 and i32, w − zw weights in f32).
        [6, 4, 32, 9],
        [5, 5, 13, 6],
        [2, 4, 7, 4],
      ];
      for (const [i, [inH, inW, inC, outC]] of shapes.entries()) {
        const rng = mulberry32(500 + i);
        const dtype = i >= 5 ? 'uint8' : 'int8';
        const c: ConvCase = { kind: 'conv', dtype, batch: i === 2 ? 2 : 1, inH, inW, inC, outC, k: 1, stride: 1, dilation: 1, padding: i % 2 ? 'VALID' : 'SAME', activation: ACTIVATIONS[i % 3]!, depthMultiplier: 1, bias: true };
        const graph = convGraph(rng, c);
        const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
        for (const int8Arithmetic of INT8_ARITHMETICS) {
          const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic });
          if (cmp!.differing > 0) failures.push(`${describeCase(c)} (${int8Arithmetic}): ${cmp!.differing} differ, ${cmp!.firstDiff}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('conv micro-tile: strips with a W remainder, rows narrower than a strip, strides, dilations, channel-word remainders', async () => {
      const ctx = await testContext(dot4);
      const failures: string[] = [];
      let partialStrips = 0;
      let partialBlocks = 0;
      for (const [i, [inW, k, stride, dilation, padding, inC, outC]] of CONV_TILE_SHAPES.entries()) {
        const rng = mulberry32(700 + i);
        const c: ConvCase = {
          kind: 'conv', dtype: i % 3 === 1 ? 'uint8' : 'int8', batch: i % 4 === 2 ? 2 : 1, inH: (k - 1) * dilation + 1 + (i % 3), inW, inC, outC, k, stride, dilation, padding,
          activation: ACTIVATIONS[i % 3]!, depthMultiplier: 1, bias: i % 5 !== 4,
        };
        const graph = convGraph(rng, c);
        const [, , outW, outCGraph] = graph.tensors[graph.outputs[0]!]!.shape as number[];
        const tile = convTile({ int8Arithmetic: 'dot4' }, outW!, Math.ceil(outCGraph! / 4), true);
        if (outW! % tile.pixels !== 0) partialStrips++;
        if (Math.ceil(outCGraph! / 4) % tile.groups !== 0) partialBlocks++;
        const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
        for (const int8Arithmetic of INT8_ARITHMETICS) {
          const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic });
          if (cmp!.differing > 0) failures.push(`${describeCase(c)} (${int8Arithmetic}): ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
        }
      }
      expect(failures).toEqual([]);
      // The shapes must keep exercising the remainders whatever the tile constants are.
      expect(partialStrips).toBeGreaterThan(2);
      expect(partialBlocks).toBeGreaterThan(2);
    });

    // An activation written by a kernel carries the output zero point in its padding bytes (the
    // padded channels requantize a zero accumulator), unlike an uploaded input (zeros): the row
    // sums must mask them and f32's w − zw weights must be 0 there, which only a chain shows.
    it('uint8 pointwise convolution after a convolution with padded channels (13 → 16)', async () => {
      const ctx = await testContext(dot4);
      const rng = mulberry32(640);
      const first = convGraph(rng, { kind: 'conv', dtype: 'uint8', batch: 1, inH: 6, inW: 5, inC: 5, outC: 13, k: 1, stride: 1, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true });
      const second = convGraph(rng, { kind: 'conv', dtype: 'uint8', batch: 1, inH: 6, inW: 5, inC: 13, outC: 7, k: 1, stride: 1, dilation: 1, padding: 'SAME', activation: 'RELU', depthMultiplier: 1, bias: true });
      const graph = chainGraphs(first, second);
      // Zero point 141: the padding bytes are 13, not 0, in the int8 domain.
      const middle = graph.tensors[first.outputs[0]!]!;
      graph.tensors[middle.id] = { ...middle, quant: quant(middle.quant!.scale[0]!, 141) };
      const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
      for (const int8Arithmetic of INT8_ARITHMETICS) {
        const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic });
        expect(cmp, `${int8Arithmetic}: ${cmp!.differing} differ, ${cmp!.firstDiff}`).toMatchObject({ differing: 0 });
      }
    });

    it('fully connected: per-tensor, per-channel, uint8, batches', async () => {
      const ctx = await testContext(dot4);
      const rng = mulberry32(77);
      const failures: string[] = [];
      const specs = [
        { dtype: 'int8', batch: 1, depth: 10, units: 7, perChannel: false, activation: 'NONE' },
        { dtype: 'int8', batch: 3, depth: 33, units: 12, perChannel: true, activation: 'RELU' },
        { dtype: 'uint8', batch: 2, depth: 64, units: 10, perChannel: false, activation: 'RELU6' },
        { dtype: 'int8', batch: 1, depth: 256, units: 1001, perChannel: false, activation: 'NONE' },
        // Rows are a 1×rows image: 9 and 20 rows are strips with a remainder.
        { dtype: 'int8', batch: 9, depth: 20, units: 13, perChannel: true, activation: 'RELU6' },
        { dtype: 'uint8', batch: 9, depth: 7, units: 6, perChannel: false, activation: 'NONE' },
        { dtype: 'int8', batch: 20, depth: 48, units: 9, perChannel: true, activation: 'NONE' },
        { dtype: 'uint8', batch: 20, depth: 13, units: 16, perChannel: false, activation: 'RELU' },
      ] as const;
      for (const spec of specs) {
        const graph = fullyConnectedGraph(rng, spec);
        const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
        for (const int8Arithmetic of INT8_ARITHMETICS) {
          const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic });
          if (cmp!.differing > 0) failures.push(`${graph.name} (${int8Arithmetic}): ${cmp!.differing} differ, ${cmp!.firstDiff}`);
        }
      }
      expect(failures).toEqual([]);
    });
  });
}

// 'f32' accumulates int8 products in f32, exact only while no partial sum reaches 2^24. A
// FULLY_CONNECTED whose every product is positive (each weight ±127 with its input's sign, inputs
// of magnitude 100-128) makes the partial sums grow to 128·127·depth at worst: depth 1024 stays
// below 2^24 and must take f32; depth 2048 passes it (about 2.9·10^7, where an f32 sum of odd
// products rounds) and must take i32. The bias cancels the sum, so an accumulator off by one
// changes the output (output scale = input scale × weight scale).
describe('f32 accumulation: taken within its exactness bound, refused past it', () => {

  for (const [depth, exact] of [[1024, true], [2048, false]] as const) {
    it(`depth ${depth}: ${exact ? 'f32' : 'i32'}, equal to the reference`, async () => {
      const ctx = await testContext('auto');
      const { graph, input } = saturatingFc(depth);
      const w = new Int8Array(graph.tensors[graph.ops[0]!.inputs[1]!]!.data!.buffer);
      expect(f32ProductsExact(productBounds(w, 0, 4, depth))).toBe(exact);
      const lowered = lowerOp({ graph, useDot4: ctx.useDot4, requantization: 'tflite', workgroupSize: 64, maxWorkgroupsPerDimension: 65535, int8Arithmetic: 'f32' }, graph.ops[0]!);
      const code = 'dispatch' in lowered.steps[0]! ? lowered.steps[0].dispatch.code : '';
      expect(code.includes('array<mat4x4<f32>>'), 'f32 weights in the lowered shader').toBe(exact);
      for (const requantization of REQUANTIZATION_MODES) {
        const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic: 'f32' });
        expect(cmp, `${requantization}: ${cmp!.differing} differ, ${cmp!.firstDiff}`).toMatchObject({ differing: 0 });
      }
    });
  }
});

// XNNPACK's requantization converts the accumulator to f32 rounding to nearest even; past 2^24 that
// rounding is done by hand (i32_to_f32_rne), 4 lanes at once in the conv epilogue. Biases near
// ±2^24..2^26 put the accumulators there, the output scale keeps them in range, and 64-deep sums
// (bounds of about ±0.6 output steps) keep each channel's outputs varying: a channel with one
// output for every input would be computed from no products (constantChannels).
describe('conv epilogue: accumulators past 2^24 round as the reference', () => {
  it('every int8 arithmetic, both requantizations; the f32 epilogue only below the bound', async () => {
    const ctx = await testContext('auto');
    const rng = mulberry32(2024);
    const b = new GraphBuilder();
    const units = 8;
    const depth = 64;
    const input = b.tensor('input', [3, depth], 'int8', quant(0.05, 3));
    const w = Int8Array.from({ length: units * depth }, () => randInt(rng, -127, 127));
    const bias = Int32Array.from([2 ** 24 + 1, -(2 ** 24) - 3, 2 ** 25 + 7, -(2 ** 25) - 5, 2 ** 26 + 3, -(2 ** 26) - 1, 16777215, 3]);
    const filter = b.tensor('weights', [units, depth], 'int8', quant([0.01], [0], 0), w);
    const biasId = b.tensor('bias', [units], 'int32', quant([0.0005], [0]), bias);
    // 2^26 · 0.0005 / 400 ≈ 84 output steps: inside int8.
    const output = b.tensor('output', [3, units], 'int8', quant(400, -2));
    b.op({ type: 'FULLY_CONNECTED', inputs: [input, filter, biasId], outputs: [output], options: { activation: 'NONE', keepNumDims: false } });
    const graph = b.build([input], [output], 'fc with accumulators past 2^24');
    const x = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
    // These biases keep f32 arithmetic from the f32 epilogue (acc + bias added in f32, exact only
    // below 2^24): the lowered shader converts the sums to i32 and rounds by hand past 2^24.
    const lowered = (g: Graph) => {
      const op = lowerOp({ graph: g, useDot4: ctx.useDot4, requantization: 'xnnpack', workgroupSize: 64, maxWorkgroupsPerDimension: 65535, int8Arithmetic: 'f32' }, g.ops[0]!);
      return 'dispatch' in op.steps[0]! ? op.steps[0].dispatch.code : '';
    };
    expect(lowered(graph)).not.toMatch(/fn requantize_word\(acc: vec4<f32>/);
    const smallBias = { ...graph, tensors: graph.tensors.map((t) => (t.id === biasId ? { ...t, data: new Uint8Array(Int32Array.from(bias, (v) => v % 4096).buffer) } : t)) };
    expect(lowered(smallBias)).toMatch(/fn requantize_word\(acc: vec4<f32>/);
    for (const requantization of REQUANTIZATION_MODES) {
      for (const int8Arithmetic of INT8_ARITHMETICS) {
        const [cmp] = await gpuVersusReference(ctx, graph, [x], requantization, { int8Arithmetic });
        expect(cmp, `${requantization}, ${int8Arithmetic}: ${cmp!.differing} differ, ${cmp!.firstDiff}`).toMatchObject({ differing: 0 });
      }
    }
  });
});

// The same bound for DEPTHWISE_CONV_2D, whose sums run over the taps of one channel: a k×k VALID
// window over a k×k input (one output pixel) with every product positive (weights ±127 with the
// input's sign, inputs of magnitude 120-128). 32×32 taps reach 128·127·1024 = 16,646,144 at
// worst, below 2^24 = 16,777,216, and must take f32; 33×33 taps pass it (Σ|w| = 127·1089 =
// 138,303 ≥ 2^24 / 128 = 131,072; the sums themselves reach about 1.7·10^7, where f32 sums of odd
// products round) and must fall back to i32 (forced into f32 with the check bypassed, it gave 16
// of 16 outputs wrong). 16 channels: the vec4 kernel; the bias cancels the sum, so an accumulator
// off by one changes the output.
describe('depthwise f32 accumulation: taken within its exactness bound, refused past it', () => {
  function saturatingDepthwise(k: number): { graph: Graph; input: Int8Array; weights: Int8Array } {
    const rng = mulberry32(k);
    const b = new GraphBuilder();
    const channels = 16;
    const taps = k * k;
    const input = b.tensor('input', [1, k, k, channels], 'int8', quant(0.05, 0));
    const x = Int8Array.from({ length: taps * channels }, (_, i) => (i % 3 === 0 ? -1 : 1) * randInt(rng, 120, 127) - (i % 7 === 0 ? 1 : 0));
    // [1][k][k][channels], the input's layout: tap t of channel c at t·channels + c.
    const w = new Int8Array(taps * channels);
    const bias = new Int32Array(channels);
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let t = 0; t < taps; t++) {
        const i = t * channels + c;
        w[i] = Math.sign(x[i]!) * 127;
        sum += x[i]! * w[i]!;
      }
      bias[c] = -sum + (c - 8) * 7;
    }
    const filter = b.tensor('weights', [1, k, k, channels], 'int8', quant(new Array(channels).fill(0.01), new Array(channels).fill(0), 3), w);
    const biasId = b.tensor('bias', [channels], 'int32', quant(new Array(channels).fill(0.0005), new Array(channels).fill(0)), bias);
    const output = b.tensor('output', [1, 1, 1, channels], 'int8', quant(0.0005, 0));
    const options = { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE', depthMultiplier: 1 } as const;
    b.op({ type: 'DEPTHWISE_CONV_2D', inputs: [input, filter, biasId], outputs: [output], options });
    return { graph: b.build([input], [output], `saturating depthwise ${k}x${k}`), input: x, weights: w };
  }

  for (const [k, exact] of [[32, true], [33, false]] as const) {
    it(`${k}×${k} taps of ±127: ${exact ? 'f32' : 'i32'}, equal to the reference`, async () => {
      const ctx = await testContext('auto');
      const { graph, input, weights } = saturatingDepthwise(k);
      // Channel 0's taps as one row: Σ|w| = 127·k², against 2^24 / 128.
      const channel0 = weights.filter((_, i) => i % 16 === 0);
      expect(f32ProductsExact(productBounds(channel0, 0, 1, k * k))).toBe(exact);
      expect(depthwiseLoweredInF32(graph, 'f32')).toBe(exact);
      for (const requantization of REQUANTIZATION_MODES) {
        for (const int8Arithmetic of INT8_ARITHMETICS) {
          const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic });
          expect(cmp, `${requantization}, ${int8Arithmetic}: ${cmp!.differing} differ, ${cmp!.firstDiff}`).toMatchObject({ differing: 0 });
        }
      }
    });
  }
});

// Dead channels (constantChannels): a channel whose every output is one value, like the ones whose
// tiny weight scale pushed the folded bias to 2^30 in MLPerf Tiny's VWW, is computed from no
// products (weights = zero point, bias 1, scale = the output), which keeps its layer on the f32
// epilogue. Channels 0 and 1 saturate high and low from biases of ±2^30, channel 2 has zero
// weights and a bias of 2^26 that lands mid-range (output 8 + zp); channel 3's bias of 2^25 is
// nearly constant but not quite (its ends requantize 2 steps apart; in the depthwise layer, with 9
// taps, weights of ±127 and 2^24 + 5), so it stays computed and, being past 2^24, keeps the layer
// off the f32 epilogue; with it small the layer takes it.
describe('constant channels: computed from no products, outputs unchanged', () => {
  const channels = 8;
  function layer(kind: 'conv' | 'depthwise', nearlyConstant: boolean): { graph: Graph; input: Int8Array } {
    const weightScales = [0.01, 0.01, 1e-6, kind === 'conv' ? 1e-5 : 4.8e-5, 0.01, 0.02, 0.005, 0.01];
    const nearlyConstantBias = kind === 'conv' ? 2 ** 25 : 2 ** 24 + 5;
    const rng = mulberry32(kind === 'conv' ? 11 : 12);
    const b = new GraphBuilder();
    const inC = kind === 'conv' ? 12 : channels;
    const input = b.tensor('input', [1, 6, 7, inC], 'int8', quant(0.05, 3));
    const taps = 9;
    const w = Int8Array.from({ length: channels * taps * (kind === 'conv' ? inC : 1) }, () => randInt(rng, -127, 127));
    // Channel 2's weights are zero: [oc][ky][kx][ic] for conv, [1][ky][kx][oc] for depthwise.
    const channelOf = (i: number) => (kind === 'conv' ? Math.floor(i / (taps * inC)) : i % channels);
    for (let i = 0; i < w.length; i++) if (channelOf(i) === 2) w[i] = 0;
    if (kind === 'depthwise') for (let i = 0; i < w.length; i++) if (channelOf(i) === 3) w[i] = w[i]! < 0 ? -127 : 127;
    const shape = kind === 'conv' ? [channels, 3, 3, inC] : [1, 3, 3, channels];
    const filter = b.tensor('weights', shape, 'int8', quant(weightScales, new Array(channels).fill(0), kind === 'conv' ? 0 : 3), w);
    const biasId = b.tensor('bias', [channels], 'int32', quant(weightScales.map((s) => s * 0.05), new Array(channels).fill(0)), Int32Array.from([2 ** 30, -(2 ** 30), 2 ** 26, nearlyConstant ? nearlyConstantBias : 2 ** 12, 300, -200, 50, 0]));
    const output = b.tensor('output', [1, 6, 7, channels], 'int8', quant(0.4, -2));
    const window = { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } as const;
    if (kind === 'conv') b.op({ type: 'CONV_2D', inputs: [input, filter, biasId], outputs: [output], options: window });
    else b.op({ type: 'DEPTHWISE_CONV_2D', inputs: [input, filter, biasId], outputs: [output], options: { ...window, depthMultiplier: 1 } });
    const graph = b.build([input], [output], `${kind} with constant channels`);
    return { graph, input: randomInput(rng, graph.tensors[graph.inputs[0]!]!) as Int8Array };
  }
  const f32Epilogue = (graph: Graph) => {
    const op = lowerOp({ graph, useDot4: false, requantization: 'xnnpack', workgroupSize: 64, maxWorkgroupsPerDimension: 65535, int8Arithmetic: 'f32' }, graph.ops[0]!);
    const code = 'dispatch' in op.steps[0]! ? op.steps[0].dispatch.code : '';
    return /fn requantize_word\(acc: vec4<f32>|fn requantize_lane\(sum: Lane[^{]*\{\s*return requantize_exact_f32x4/.test(code);
  };

  it('constantChannels finds exactly the channels whose ends requantize alike', () => {
    const params = new Int32Array(4 * 4);
    const scales = new Float32Array(params.buffer);
    // (folded bias, bound, scale): saturated, zero weights mid-range, two steps apart, ordinary.
    const cases: Array<[number, number, number]> = [[2 ** 30, 1e6, 0.00125], [2 ** 26, 0, 1.25e-7], [2 ** 25, 884_000, 1.25e-6], [300, 50_000, 0.00125]];
    cases.forEach(([folded, , scale], c) => {
      params[c * 4] = folded;
      scales[c * 4 + 3] = scale;
    });
    const found = constantChannels(cases.map(([, bound]) => bound), params, -2, -128, 127);
    expect([...found.entries()]).toEqual([[0, 129], [1, Math.round(Math.fround(Math.fround(2 ** 26) * Math.fround(1.25e-7)))]]);
  });

  for (const kind of ['conv', 'depthwise'] as const) {
    it(`${kind}: the f32 epilogue once only dead channels pass 2^24, equal to the reference in every arithmetic`, async () => {
      expect(f32Epilogue(layer(kind, true).graph)).toBe(false);
      expect(f32Epilogue(layer(kind, false).graph)).toBe(true);
      for (const dot4 of DOT4_MODES) {
        const ctx = await testContext(dot4);
        for (const nearlyConstant of [true, false]) {
          const { graph, input } = layer(kind, nearlyConstant);
          for (const requantization of REQUANTIZATION_MODES) {
            for (const int8Arithmetic of INT8_ARITHMETICS) {
              const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic });
              expect(cmp, `${dot4}, ${requantization}, ${int8Arithmetic}, nearly constant ${nearlyConstant}: ${cmp!.differing} differ, ${cmp!.firstDiff}`).toMatchObject({ differing: 0 });
            }
          }
        }
      }
    });
  }
});
