// ADD, MUL, AVERAGE_POOL_2D, MAX_POOL_2D and MEAN on the GPU equal the CPU reference byte for byte:
// int8 and legacy uint8, odd channel counts (the packed layout's padding lanes), batch 2,
// broadcasting and constant operands, SAME/VALID, strides 1 and 2, the 7x7 global pool of the
// MobileNets, and every fused activation. None of these kernels uses dot4, so only the
// requantization mode is varied, for ADD and MUL, whose references depend on it (pooling runs
// under both modes once each, to show they share one semantics).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findAssetsDir } from '../../src/assets-node.ts';
import type { Activation, Graph, OpIR, Padding } from '../../src/model/graph.ts';
import { importTflite } from '../../src/model/import.ts';
import { UnsupportedOpError } from '../../src/model/errors.ts';
import { randomInput } from '../helpers/graphs.ts';
import { gpuVersusReference } from '../helpers/compare.ts';
import { REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { mulberry32, pick, randInt } from '../helpers/rng.ts';
import {
  binaryGraph,
  describeBinary,
  describePool,
  meanGraph,
  poolGraph,
  type BinaryCase,
  type MeanCase,
  type PoolCase,
} from '../helpers/pool-elementwise-graphs.ts';
import type { RequantizationMode } from '../../src/reference/run.ts';

const ACTIVATIONS: Activation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const PADDINGS: Padding[] = ['SAME', 'VALID'];
const CHANNELS = [1, 3, 5, 7, 8, 16];

/** Runs each graph on both sides with fresh random inputs; returns one line per mismatch. */
async function mismatches(graphs: Graph[], requantization: RequantizationMode, seed: number): Promise<string[]> {
  const ctx = await testContext();
  const failures: string[] = [];
  for (const [i, graph] of graphs.entries()) {
    const rng = mulberry32(seed + i);
    const inputs = graph.inputs.map((id) => randomInput(rng, graph.tensors[id]!));
    const [cmp] = await gpuVersusReference(ctx, graph, inputs, requantization);
    if (cmp!.differing > 0) failures.push(`${graph.name}: ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
  }
  return failures;
}

function randomSameShapeCases(seed: number, op: 'ADD' | 'MUL', count: number): BinaryCase[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => {
    const shape = [i % 2 === 0 ? 2 : 1, randInt(rng, 1, 6), randInt(rng, 1, 6), pick(rng, CHANNELS)];
    return {
      op,
      dtype: i % 3 === 1 ? 'uint8' : 'int8',
      aShape: shape,
      bShape: shape,
      outShape: shape,
      activation: ACTIVATIONS[i % ACTIVATIONS.length]!,
      scaleRatio: pick(rng, [0.13, 0.5, 1, 1.7, 4, 9.5]),
    } satisfies BinaryCase;
  });
}

function broadcastCases(op: 'ADD' | 'MUL'): BinaryCase[] {
  const c = (dtype: 'int8' | 'uint8', aShape: number[], bShape: number[], outShape: number[], activation: Activation, constantB = false): BinaryCase =>
    ({ op, dtype, aShape, bShape, outShape, activation, constantB });
  return [
    c('int8', [2, 3, 4, 5], [5], [2, 3, 4, 5], 'NONE'),
    c('uint8', [2, 3, 4, 7], [1, 1, 1, 7], [2, 3, 4, 7], 'RELU6', true),
    c('int8', [2, 3, 4, 1], [2, 3, 4, 6], [2, 3, 4, 6], 'RELU'),
    c('uint8', [1, 3, 1, 7], [2, 1, 4, 7], [2, 3, 4, 7], 'NONE'),
    c('int8', [2, 3, 2, 3], [], [2, 3, 2, 3], 'RELU_N1_TO_1', true),
    c('int8', [6, 7], [6, 7], [6, 7], 'NONE'),
    c('uint8', [2, 5, 3], [5, 1], [2, 5, 3], 'RELU'),
    c('int8', [2, 2, 2, 2, 5], [2, 2, 2, 2, 5], [2, 2, 2, 2, 5], 'NONE', true),
  ];
}

for (const requantization of REQUANTIZATION_MODES) {
  describe(`ADD equals the reference (${requantization} requantization)`, () => {
    it('same-shape inputs: 12 random cases', async () => {
      const graphs = randomSameShapeCases(5, 'ADD', 12).map((c, i) => binaryGraph(mulberry32(100 + i), c));
      expect(await mismatches(graphs, requantization, 200)).toEqual([]);
    });

    it('broadcasting, constant operands and other ranks', async () => {
      const graphs = broadcastCases('ADD').map((c, i) => binaryGraph(mulberry32(300 + i), c));
      expect(await mismatches(graphs, requantization, 400)).toEqual([]);
    });

    it('dyadic scale ratios, where every rounding step meets exact ties', async () => {
      const out = 2 ** -6;
      const graphs = ([
        [1.5 * out, 0.75 * out, out],
        [3 * out, 1.25 * out, out],
        [0.5 * out, 0.375 * out, out],
        [out / 3, 2.5 * out, out],
      ] as const).flatMap((scales, i) =>
        (['int8', 'uint8'] as const).map((dtype) =>
          binaryGraph(mulberry32(450 + i), { op: 'ADD', dtype, aShape: [2, 3, 4, 7], bShape: [2, 3, 4, 7], outShape: [2, 3, 4, 7], activation: 'NONE', scales: [...scales] }),
        ),
      );
      expect(await mismatches(graphs, requantization, 460)).toEqual([]);
    });

    it('a tensor added to itself', async () => {
      const graph = binaryGraph(mulberry32(9), { op: 'ADD', dtype: 'int8', aShape: [2, 3, 3, 5], bShape: [2, 3, 3, 5], outShape: [2, 3, 3, 5], activation: 'NONE' });
      graph.ops[0]!.inputs[1] = graph.ops[0]!.inputs[0]!;
      graph.inputs = [graph.inputs[0]!];
      expect(await mismatches([graph], requantization, 500)).toEqual([]);
    });
  });
}

for (const requantization of REQUANTIZATION_MODES) {
  describe(`MUL equals the reference (${requantization} requantization)`, () => {
    it('same-shape inputs: 10 random cases', async () => {
      const graphs = randomSameShapeCases(6, 'MUL', 10).map((c, i) => binaryGraph(mulberry32(600 + i), c));
      expect(await mismatches(graphs, requantization, 700)).toEqual([]);
    });

    it('broadcasting and constant operands', async () => {
      const graphs = broadcastCases('MUL').map((c, i) => binaryGraph(mulberry32(800 + i), c));
      expect(await mismatches(graphs, requantization, 900)).toEqual([]);
    });

    // scale_a·scale_b/scale_out at XNNPACK's lower bound 2^−16 and just below it (where the
    // delegate leaves MUL to mul.cc), and dyadic scales whose products land on exact ties.
    it('product scales at the edge of XNNPACK\'s range and at exact ties', async () => {
      const graphs = ([
        [0.5, 0.25, 0.125 * 2 ** 16],
        [0.5, 0.25, 0.125 * 2 ** 16 * 1.001],
        [2 ** -4, 2 ** -5, 2 ** -6],
        [0.75 * 2 ** -4, 2 ** -5, 2 ** -10],
      ] as const).flatMap((scales, i) =>
        (['int8', 'uint8'] as const).map((dtype) =>
          binaryGraph(mulberry32(950 + i), { op: 'MUL', dtype, aShape: [2, 3, 4, 7], bShape: [1, 1, 1, 7], outShape: [2, 3, 4, 7], activation: 'NONE', scales: [...scales] }),
        ),
      );
      expect(await mismatches(graphs, requantization, 960)).toEqual([]);
    });
  });
}

function randomPoolCases(seed: number, op: PoolCase['op'], count: number): PoolCase[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => {
    const filterH = pick(rng, [1, 2, 3, 3, 5]);
    const filterW = i % 4 === 3 ? pick(rng, [1, 2, 3]) : filterH;
    return {
      op,
      dtype: i % 2 === 1 ? 'uint8' : 'int8',
      batch: i % 3 === 0 ? 2 : 1,
      inH: randInt(rng, filterH, filterH + 5),
      inW: randInt(rng, filterW, filterW + 5),
      channels: pick(rng, CHANNELS),
      filterH,
      filterW,
      stride: pick(rng, [1, 2]),
      padding: PADDINGS[Math.floor(i / 2) % 2]!,
      activation: ACTIVATIONS[i % ACTIVATIONS.length]!,
    } satisfies PoolCase;
  });
}

/** MobileNet's global pool (7x7 over 7x7) and the count/rounding corners of both dtypes. */
function fixedPoolCases(op: PoolCase['op']): PoolCase[] {
  const p = (dtype: 'int8' | 'uint8', batch: number, inH: number, inW: number, channels: number, k: number, stride: number, padding: Padding, activation: Activation): PoolCase =>
    ({ op, dtype, batch, inH, inW, channels, filterH: k, filterW: k, stride, padding, activation });
  return [
    p('int8', 2, 7, 7, 5, 7, 1, 'VALID', 'NONE'),
    p('uint8', 2, 7, 7, 7, 7, 2, 'VALID', 'NONE'),
    p('int8', 2, 6, 5, 3, 3, 2, 'SAME', 'RELU6'),
    p('uint8', 2, 5, 6, 1, 2, 2, 'SAME', 'RELU'),
    p('uint8', 1, 4, 4, 12, 4, 1, 'SAME', 'NONE'),
  ];
}

for (const op of ['AVERAGE_POOL_2D', 'MAX_POOL_2D'] as const) {
  describe(`${op} equals the reference`, () => {
    it('16 random cases', async () => {
      const graphs = randomPoolCases(op === 'AVERAGE_POOL_2D' ? 31 : 37, op, 16).map((c, i) => poolGraph(mulberry32(1000 + i), c));
      expect(await mismatches(graphs, 'tflite', 1100)).toEqual([]);
    });

    it('global 7x7 pools and window-count corners, under xnnpack requantization', async () => {
      const graphs = fixedPoolCases(op).map((c, i) => poolGraph(mulberry32(1200 + i), c));
      expect(await mismatches(graphs, 'xnnpack', 1300)).toEqual([]);
    });
  });
}

describe('MEAN equals the reference', () => {
  const cases: MeanCase[] = [
    // Over H and W of NHWC: XNNPACK's global average pooling under 'xnnpack'; under 'tflite'
    // reduce.cc's optimized 4-D mean with keepDims, QuantizedMeanOrSum without.
    { dtype: 'int8', shape: [2, 7, 7, 5], axes: [1, 2], keepDims: true },
    { dtype: 'int8', shape: [2, 7, 7, 5], axes: [2, 1], keepDims: false },
    { dtype: 'uint8', shape: [2, 7, 7, 7], axes: [1, 2], keepDims: true },
    { dtype: 'uint8', shape: [2, 4, 6, 3], axes: [1, 2], keepDims: false, int64Axes: true },
    { dtype: 'int8', shape: [1, 3, 5, 16], axes: [-3, -2], keepDims: false },
    { dtype: 'int8', shape: [2, 2, 4, 9], axes: [1, 2], keepDims: true },
    // Small windows, where most sums sit near a rounding tie.
    { dtype: 'int8', shape: [1, 2, 2, 16], axes: [1, 2], keepDims: false },
    { dtype: 'uint8', shape: [1, 2, 2, 16], axes: [1, 2], keepDims: true },
    // Other axes (W alone goes to XNNPACK too): word-wise (channels kept) and lane-wise.
    { dtype: 'int8', shape: [2, 3, 4, 5], axes: [1], keepDims: true },
    { dtype: 'uint8', shape: [2, 3, 4, 7], axes: [2], keepDims: false },
    { dtype: 'int8', shape: [2, 3, 4, 6], axes: [-1], keepDims: true },
    { dtype: 'uint8', shape: [2, 3, 4, 5], axes: [3, 1], keepDims: false },
    { dtype: 'int8', shape: [3, 10], axes: [1], keepDims: false },
    { dtype: 'uint8', shape: [2, 3, 4, 5], axes: [0, 1, 2, 3], keepDims: false },
  ];
  for (const requantization of REQUANTIZATION_MODES) {
    it(`${cases.length} shapes and axis sets, int8 and uint8 (${requantization} requantization)`, async () => {
      const graphs = cases.map((c, i) => meanGraph(mulberry32(1400 + i), c));
      expect(await mismatches(graphs, requantization, 1500)).toEqual([]);
    });
  }

  it('equal input and output quantization: the integer mean, truncating (reduce.cc)', async () => {
    const graphs = cases.slice(8).map((c, i) => {
      const g = meanGraph(mulberry32(1800 + i), c);
      const out = g.tensors[g.outputs[0]!]!;
      out.quant = g.tensors[g.inputs[0]!]!.quant;
      return g;
    });
    expect(await mismatches(graphs, 'xnnpack', 1900)).toEqual([]);
  });
});

// Guard against a vacuous pass: the case descriptions must name what they claim to cover.
it('case lists cover odd channels, uint8 and every activation', () => {
  const names = [
    ...randomSameShapeCases(5, 'ADD', 12).map(describeBinary),
    ...randomPoolCases(31, 'AVERAGE_POOL_2D', 16).map(describePool),
  ].join('\n');
  for (const needle of ['uint8', 'int8', 'RELU6', 'RELU_N1_TO_1', 'SAME', 'VALID', 'x1 ', 'x3 ', 'x5 ', 'x7 ']) expect(names).toContain(needle);
});

/**
 * Every ADD, MUL, pool and MEAN of the shared models (deduplicated by shape and quantization),
 * cut out as a single-op graph that keeps the model's own quantization and shapes: real scale
 * ratios exercise shifts and multipliers that hand-picked scales might not.
 */
function modelOps(): Graph[] {
  const root = join(findAssetsDir(), 'models');
  const seen = new Set<string>();
  const graphs: Graph[] = [];
  for (const folder of readdirSync(root).sort()) {
    for (const file of readdirSync(join(root, folder)).filter((f) => f.endsWith('.tflite')).sort()) {
      // Models with ops the importer does not read yet (models/corpus/) give no ops to cut out.
      let model: Graph;
      try {
        model = importTflite(new Uint8Array(readFileSync(join(root, folder, file))), file);
      } catch (e) {
        if (e instanceof UnsupportedOpError) continue;
        throw e;
      }
      for (const op of model.ops) {
        if (!MODEL_OP_TYPES.has(op.type)) continue;
        const first = model.tensors[op.inputs[0]!]!;
        if (first.dtype !== 'int8' && first.dtype !== 'uint8') continue;
        const used = [...op.inputs.filter((id) => id >= 0), ...op.outputs].map((id) => model.tensors[id]!);
        const key = JSON.stringify([op.type, op.options, used.map((t) => [t.shape, t.dtype, Array.from(t.quant?.scale ?? []), Array.from(t.quant?.zeroPoint ?? []), !!t.data])]);
        if (seen.has(key)) continue;
        seen.add(key);
        // Renumber the op's tensors 0..k−1; constants keep their data. A same-shape ADD or MUL
        // keeps its arithmetic over a 4x4 patch: only the quantization matters to it.
        const ids = new Map(used.map((t, i) => [t.id, i]));
        const shrink = (op.type === 'ADD' || op.type === 'MUL') && used.every((t) => !t.data && t.shape.length === 4 && t.shape.join() === first.shape.join());
        const tensors = used.map((t, i) => ({ ...t, id: i, shape: shrink ? [t.shape[0]!, Math.min(t.shape[1]!, 4), Math.min(t.shape[2]!, 4), t.shape[3]!] : t.shape }));
        graphs.push({
          name: `${file} op ${op.index} ${op.type} [${first.shape}]`,
          description: '',
          tensors,
          ops: [{ ...op, index: 0, inputs: op.inputs.map((id) => (id >= 0 ? ids.get(id)! : -1)), outputs: op.outputs.map((id) => ids.get(id)!) } as OpIR],
          inputs: used.filter((t) => !t.data && !op.outputs.includes(t.id)).map((t) => ids.get(t.id)!),
          outputs: op.outputs.map((id) => ids.get(id)!),
        });
      }
    }
  }
  return graphs;
}
const MODEL_OP_TYPES = new Set(['ADD', 'MUL', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'MEAN']);
let MODEL_GRAPHS: Graph[] | undefined;

describe('the ops of the shared models, with their own quantization', () => {
  for (const requantization of REQUANTIZATION_MODES) {
    it(`equal the reference (${requantization} requantization${requantization === 'tflite' ? ', ADD and MUL only' : ''})`, async () => {
      // Only ADD's and MUL's references depend on the mode; the rest run once, under 'xnnpack'.
      const graphs = (MODEL_GRAPHS ??= modelOps()).filter((g) => requantization === 'xnnpack' || g.ops[0]!.type === 'ADD' || g.ops[0]!.type === 'MUL');
      expect(graphs.length).toBeGreaterThan(0);
      expect(await mismatches(graphs, requantization, 2000)).toEqual([]);
    }, 30_000);
  }
});
