// SOFTMAX, LOGISTIC, RELU, RELU6, QUANTIZE, DEQUANTIZE, RESHAPE, SQUEEZE, PAD, TRANSPOSE and
// CONCATENATION on the GPU equal the CPU reference byte for byte, over random shapes with odd
// innermost dimensions, int8 and legacy uint8, batches, and the extreme inputs where fixed-point
// code breaks (all equal, one dominant, the full range, beta far from 1).
import { describe, expect, it } from 'vitest';
import { tensorElementCount, type Graph } from '../../src/model/graph.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { quant, randomInput } from '../helpers/graphs.ts';
import { compareTensors } from '../helpers/compare.ts';
import { runReference, type RequantizationMode } from '../../src/reference/run.ts';
import { testContext } from '../helpers/gpu.ts';
import { mulberry32, pick, randInt } from '../helpers/rng.ts';
import {
  concatGraph,
  dequantizeGraph,
  logisticGraph,
  quantizeGraph,
  reluGraph,
  padGraph,
  randomQuant,
  reshapeGraph,
  softmaxGraph,
  transposeGraph,
  type Int8Type,
} from '../helpers/shape-ops-graphs.ts';

/** A graph and the input sets to run through it (building a program costs far more than a run). */
interface Case {
  graph: Graph;
  inputSets: TensorData[][];
}

/** Runs every case and returns one line per input set whose output differs anywhere. */
async function failuresOf(cases: Case[], requantization: RequantizationMode = 'tflite'): Promise<string[]> {
  const ctx = await testContext();
  const failures: string[] = [];
  for (const { graph, inputSets } of cases) {
    const program = await GpuProgram.build(ctx, graph, { requantization });
    try {
      for (const [k, inputs] of inputSets.entries()) {
        const { outputs } = await program.run(inputs);
        const expected = runReference(graph, inputs, { requantization });
        outputs.forEach((got, i) => {
          const cmp = compareTensors(got, expected[i]!);
          if (cmp.differing > 0) failures.push(`${graph.name} (input set ${k}): ${cmp.differing}/${cmp.elements} differ, ${cmp.firstDiff}`);
        });
      }
    } finally {
      program.dispose();
    }
  }
  return failures;
}

function randomInputs(rng: () => number, graph: Graph): TensorData[] {
  return graph.inputs.map((id) => randomInput(rng, graph.tensors[id]!));
}

function withRandomInputs(rng: () => number, graph: Graph, sets = 1): Case {
  return { graph, inputSets: Array.from({ length: sets }, () => randomInputs(rng, graph)) };
}

/** An 8-bit input filled by `value(i)` in the quantized domain of `dtype`. */
function filled(dtype: Int8Type, count: number, value: (i: number) => number): Int8Array | Uint8Array {
  const out = dtype === 'int8' ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = value(i);
  return out;
}

const DTYPES: Int8Type[] = ['int8', 'uint8'];

/**
 * `count` float32 reals near (k + 1/2)·scale (a few ulp either side) for which `isTie` holds,
 * cycled when fewer are found.
 */
function tiesNear(rng: () => number, scale: number, count: number, isTie: (x: number, s: number) => boolean): Float32Array {
  const s = Math.fround(scale);
  const bits = new Int32Array(1);
  const view = new Float32Array(bits.buffer);
  const out: number[] = [];
  for (let attempt = 0; out.length < count && attempt < 100 * count; attempt++) {
    view[0] = Math.fround((randInt(rng, -200, 200) + 0.5) * s);
    bits[0]! += randInt(rng, -3, 3);
    if (isTie(view[0]!, s)) out.push(view[0]!);
  }
  return Float32Array.from({ length: count }, (_, i) => out[i % out.length]!);
}

/**
 * Reals x (float32) whose float32 quotient x / scale is exactly k + 1/2 although the exact
 * quotient is not: only a correctly rounded division sends them the way TFLite rounds them.
 */
const quotientTies = (rng: () => number, scale: number, count: number) =>
  tiesNear(rng, scale, count, (x, s) => {
    const q = Math.fround(x / s);
    return q !== x / s && Math.abs(q % 1) === 0.5;
  });

/** Inputs x whose float32 product with float32(1/scale) is an exact tie (XNNPACK's QUANTIZE). */
const productTies = (rng: () => number, scale: number, count: number) =>
  tiesNear(rng, scale, count, (x, s) => Math.abs(Math.fround(x * Math.fround(1 / s)) % 1) === 0.5);

describe('SOFTMAX equals the reference (gemmlowp under tflite, the float lookup table under xnnpack)', () => {
  it('random shapes, scales and betas, int8 and uint8', async () => {
    const rng = mulberry32(101);
    const specs: Array<[Int8Type, number[], number]> = [
      ['int8', [1, 1001], 1],
      ['uint8', [2, 10], 1],
      ['int8', [2, 3, 5], 2.7],
      ['uint8', [1, 1], 1],
      ['uint8', [1, 1500], 0.5],
    ];
    const cases = specs.map(([dtype, shape, beta]) => {
      const scale = pick(rng, [0.01, 0.05, 0.1, 0.2, 0.5]) * (0.8 + rng() * 0.4);
      const zp = dtype === 'int8' ? randInt(rng, -30, 30) : randInt(rng, 100, 150);
      return withRandomInputs(rng, softmaxGraph(dtype, shape, quant(scale, zp), beta), 2);
    });
    expect(await failuresOf(cases, 'tflite')).toEqual([]);
    expect(await failuresOf(cases, 'xnnpack')).toEqual([]);
  });

  it('extreme inputs (all equal, one dominant, full range) and beta far from 1', async () => {
    const cases: Case[] = [];
    const specs: Array<[Int8Type, number, number, number]> = [
      ['int8', 10, 1, 100],
      ['int8', 1001, 0.1, 1],
      ['uint8', 10, 0.004, 0.1],
      ['uint8', 1001, 0.0625, 30],
    ];
    const rng = mulberry32(102);
    for (const [dtype, depth, scale, beta] of specs) {
      const [lo, hi] = dtype === 'int8' ? [-128, 127] : [0, 255];
      // One row per pattern: all equal (at the low end and mid range), one dominant, all but one
      // a step below the maximum, alternating extremes, a ramp over the whole range, random.
      // With 1001 classes the flat rows sum to 512 or more, where TFLite's final shift count
      // passes 31 (see shaders/softmax.wgsl): each probability is below 1/512, so the lowest output.
      const patterns: Array<(c: number) => number> = [
        () => lo,
        () => lo + 37,
        (c) => (c === 3 ? hi : lo),
        (c) => (c === 0 ? hi : hi - 1),
        (c) => (c % 2 ? hi : lo),
        (c) => lo + (c % (hi - lo + 1)),
        () => randInt(rng, lo, hi),
      ];
      const graph = softmaxGraph(dtype, [patterns.length, depth], quant(scale, dtype === 'int8' ? 5 : 133), beta);
      const input = filled(dtype, patterns.length * depth, (i) => patterns[Math.floor(i / depth)]!(i % depth));
      cases.push({ graph, inputSets: [[input]] });
    }
    expect(await failuresOf(cases, 'tflite')).toEqual([]);
    expect(await failuresOf(cases, 'xnnpack')).toEqual([]);
  });
});

describe('RESHAPE and SQUEEZE equal the reference', () => {
  it('copies when the innermost dimension stays, relayouts when it changes', async () => {
    const rng = mulberry32(202);
    const specs: Array<['RESHAPE' | 'SQUEEZE', Int8Type, number[], number[]]> = [
      ['RESHAPE', 'uint8', [1, 1, 1, 1001], [1, 1001]],
      ['RESHAPE', 'int8', [1, 7, 7, 8], [1, 392]],
      ['RESHAPE', 'int8', [1, 1960], [1, 49, 40, 1]],
      ['RESHAPE', 'uint8', [2, 3, 5], [2, 15]],
      ['RESHAPE', 'int8', [2, 15], [6, 5]],
      ['RESHAPE', 'uint8', [1, 5, 3], [15]],
      ['SQUEEZE', 'int8', [1, 1, 1, 7], [1, 7]],
      ['SQUEEZE', 'uint8', [2, 1, 3, 1], [2, 3]],
    ];
    const cases = specs.map(([type, dtype, from, to]) => withRandomInputs(rng, reshapeGraph(type, dtype, from, to, randomQuant(rng, dtype)), 2));
    expect(await failuresOf(cases)).toEqual([]);
  });
});

describe('PAD and TRANSPOSE equal the reference', () => {
  it('PAD: spatial and whole channel words (word copies), every dimension (bytes), int32 and int64 paddings', async () => {
    const rng = mulberry32(303);
    const specs: Array<[Int8Type, number[], Array<[number, number]>, 'int32' | 'int64']> = [
      ['int8', [1, 5, 5, 3], [[0, 0], [1, 1], [1, 1], [0, 0]], 'int64'],
      ['uint8', [2, 3, 4, 5], [[0, 1], [1, 0], [2, 1], [1, 2]], 'int32'],
      ['int8', [1, 7], [[0, 0], [3, 2]], 'int32'],
      ['uint8', [1, 3, 3, 8], [[0, 0], [0, 2], [1, 0], [0, 0]], 'int64'],
      // Channels padded by whole words (BlazeFace's widened shortcuts): before and after 8
      // channels; before 6, the input's cut last word ending the output's; with spatial pads.
      ['int8', [1, 3, 3, 8], [[0, 0], [0, 0], [0, 0], [4, 8]], 'int32'],
      ['uint8', [1, 2, 5, 6], [[0, 0], [0, 0], [0, 0], [8, 0]], 'int64'],
      ['int8', [1, 3, 4, 8], [[0, 0], [1, 0], [0, 2], [0, 8]], 'int32'],
      ['int8', [1, 3, 4, 6], [[0, 0], [0, 0], [0, 0], [0, 6]], 'int32'],
    ];
    const cases = specs.map(([dtype, shape, pads, type]) => withRandomInputs(rng, padGraph(dtype, shape, pads, randomQuant(rng, dtype), type), 2));
    expect(await failuresOf(cases)).toEqual([]);
  });

  it('TRANSPOSE: NCHW to NHWC, rank 2 to 5, innermost kept and moved', async () => {
    const rng = mulberry32(404);
    const specs: Array<[Int8Type, number[], number[]]> = [
      ['int8', [1, 3, 6, 5], [0, 2, 3, 1]],
      ['uint8', [2, 3, 5], [2, 0, 1]],
      ['int8', [2, 5, 3], [1, 0, 2]],
      ['uint8', [4, 7], [-1, 0]],
      ['int8', [2, 1, 3, 2, 3], [4, 2, 0, 3, 1]],
    ];
    const cases = specs.map(([dtype, shape, perm]) => withRandomInputs(rng, transposeGraph(dtype, shape, perm, randomQuant(rng, dtype)), 2));
    expect(await failuresOf(cases)).toEqual([]);
  });
});

describe('CONCATENATION equals the reference', () => {
  it('innermost and outer axes, equal and rescaled quantization', async () => {
    const rng = mulberry32(505);
    const specs: Array<[Int8Type, number[][], number, boolean]> = [
      ['int8', [[1, 2, 3], [1, 2, 5], [1, 2, 1]], -1, false],
      ['uint8', [[2, 3, 5], [2, 1, 5]], 1, true],
      ['int8', [[1, 3], [2, 3]], 0, true],
      ['uint8', [[2, 2, 3], [2, 2, 6]], 2, true],
      // Copied word for word into place: channel offsets of whole words (the last input's cut
      // word ending the output's), an outer axis with rows of several words below it.
      ['int8', [[1, 2, 3, 4], [1, 2, 3, 6]], -1, false],
      ['uint8', [[2, 8], [2, 4], [2, 3]], 1, true],
      ['int8', [[2, 3, 4, 5], [2, 1, 4, 5], [2, 2, 4, 5]], 1, true],
    ];
    const cases = specs.map(([dtype, shapes, axis, rescaled]) => {
      const outQuant = randomQuant(rng, dtype);
      const inQuants = shapes.map((_, i) => (rescaled && i % 2 === 1 ? randomQuant(rng, dtype) : outQuant));
      return withRandomInputs(rng, concatGraph(dtype, shapes, axis, inQuants, outQuant), 2);
    });
    expect(await failuresOf(cases)).toEqual([]);
  });
});

describe('QUANTIZE and DEQUANTIZE equal the reference', () => {
  it('float32 to int8/uint8, including exact ties and values beyond the range', async () => {
    const rng = mulberry32(606);
    const cases: Case[] = [];
    for (const [dtype, shape, scale, zp] of [
      ['int8', [1, 5, 5, 3], 0.05, -3],
      ['uint8', [2, 7], 0.0236, 131],
      ['int8', [1, 1001], 1 / 3, 0],
      ['uint8', [3, 1], 0.1, 0],
    ] as const) {
      const graph = quantizeGraph('float32', dtype, [...shape], undefined, quant(scale, zp));
      const n = tensorElementCount([...shape]);
      const s = Math.fround(scale);
      // Random reals, quotients that round to a tie in float32, then zeros, tiny, huge and
      // infinite values.
      const ties = quotientTies(rng, s, n);
      const extremes = Float32Array.from({ length: n }, (_, i) => [0, -0, 1e-40, -1e-30, 1e30, -1e30, Infinity, -Infinity, 3.4e38][i % 9]!);
      cases.push({ graph, inputSets: [[Float32Array.from({ length: n }, () => (rng() - 0.5) * 300 * s)], [ties], [productTies(rng, s, n)], [extremes]] });
    }
    expect(await failuresOf(cases, 'tflite')).toEqual([]);
    expect(await failuresOf(cases, 'xnnpack')).toEqual([]);
  });

  it("float32 to int8 at the BlazeFace tie (208.5 steps): 80 under 'xnnpack' as the TFLite runtime, 81 under 'tflite'", async () => {
    const s = 0.003921568859368563;
    // 0.8176471 and its neighbours on the 1/255 grid: exactly 205.5 … 211.5 steps in float32 both
    // as x × float32(1/scale) and as x / scale.
    const x = Float32Array.from([0.8176471, 0.8058823943138123, 0.8098039627075195, 0.8137255311012268, 0.8215686678886414, 0.8254902362823486, 0.8294118046760559]);
    const graph = quantizeGraph('float32', 'int8', [1, x.length], undefined, quant(s, -128));
    const ctx = await testContext();
    for (const [requantization, expected] of [
      ['xnnpack', [80, 78, 78, 80, 82, 82, 84]],
      ['tflite', [81, 78, 79, 80, 82, 83, 84]],
    ] as const) {
      const program = await GpuProgram.build(ctx, graph, { requantization });
      try {
        const { outputs } = await program.run([x]);
        expect(Array.from(outputs[0]!), requantization).toEqual(expected);
      } finally {
        program.dispose();
      }
    }
  });

  it('8-bit requantization between int8 and uint8, and DEQUANTIZE to float32', async () => {
    const rng = mulberry32(707);
    const cases: Case[] = [
      withRandomInputs(rng, quantizeGraph('uint8', 'int8', [1, 4, 4, 3], quant(0.0078125, 128), quant(0.0078125, 0)), 2),
      withRandomInputs(rng, quantizeGraph('int8', 'uint8', [2, 1001], quant(1 / 256, -128), quant(1 / 256, 0)), 2),
      withRandomInputs(rng, quantizeGraph('int8', 'int8', [3, 5], quant(0.03, 7), quant(0.011, -20)), 2),
      withRandomInputs(rng, quantizeGraph('uint8', 'uint8', [2, 3, 7], quant(0.02, 120), quant(0.07, 140)), 2),
      withRandomInputs(rng, dequantizeGraph('int8', [2, 3, 5], quant(0.0371, -9)), 2),
      withRandomInputs(rng, dequantizeGraph('uint8', [1, 1001], quant(0.1, 131)), 2),
    ];
    // Every input value at the ratios where XNNPACK's convert and Requantize part (around the
    // delegate's bound 2^−8, a fraction beyond 8 bits, a large ratio that saturates).
    for (const [dtype, ratio, zi, zo] of [['int8', 2 ** -8, 0, 0], ['int8', 0.0039, 0, 3], ['uint8', 100.499, 128, 100], ['int8', 0.2831, 31, 66], ['uint8', 3.7, 200, 7]] as const) {
      const x = dtype === 'int8' ? filled('int8', 256, (i) => i - 128) : filled('uint8', 256, (i) => i);
      cases.push({ graph: quantizeGraph(dtype, dtype, [2, 128], quant(ratio * 0.01, zi), quant(0.01, zo)), inputSets: [[x]] });
    }
    expect(await failuresOf(cases, 'tflite')).toEqual([]);
    expect(await failuresOf(cases, 'xnnpack')).toEqual([]);
  });
});

describe('RELU, RELU6 and LOGISTIC equal the reference', () => {
  it('RELU and RELU6 with equal and different input/output quantization', async () => {
    const rng = mulberry32(808);
    const cases: Case[] = [];
    for (const [i, shape] of [[1, 5, 5, 3], [2, 7], [1, 1001], [2, 3, 1]].entries()) {
      const dtype = DTYPES[i % 2]!;
      const inQuant = randomQuant(rng, dtype);
      const outQuant = i % 2 === 0 ? inQuant : randomQuant(rng, dtype);
      cases.push(withRandomInputs(rng, reluGraph(i < 2 ? 'RELU' : 'RELU6', dtype, shape, inQuant, outQuant), 2));
      cases.push(withRandomInputs(rng, reluGraph(i < 2 ? 'RELU6' : 'RELU', dtype, shape, quant(0.05, dtype === 'int8' ? -100 : 20), outQuant), 1));
    }
    expect(await failuresOf(cases)).toEqual([]);
  });

  it('LOGISTIC over the whole input range, int8 and uint8, small and large scales', async () => {
    const cases: Case[] = [];
    for (const [dtype, scale, zp] of [['int8', 0.1, 3], ['uint8', 0.02, 128], ['int8', 0.5, -128], ['uint8', 0.0039, 200]] as const) {
      const graph = logisticGraph(dtype, [2, 256 + 3], quant(scale, zp));
      const [lo] = dtype === 'int8' ? [-128] : [0];
      cases.push({ graph, inputSets: [[filled(dtype, 2 * 259, (i) => lo + (i % 256))]] });
    }
    expect(await failuresOf(cases)).toEqual([]);
  });

  it('a flat row of 1001 classes gives every class the lowest output, not the highest', () => {
    // Each probability is 1/1001 < 1/512: quantized with scale 1/256 that is 0, i.e. -128. TFLite's
    // C++ reference kernel shifts by 32 or more here (undefined; modulo 32 on x86) and outputs 127.
    const graph = softmaxGraph('int8', [1, 1001], quant(0.1, 5), 1);
    const [out] = runReference(graph, [new Int8Array(1001).fill(7)]);
    expect(new Set(out)).toEqual(new Set([-128]));
  });
});
