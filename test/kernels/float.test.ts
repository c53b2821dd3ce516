// Every float32 GPU kernel against the CPU reference's float32 kernels, within the relative
// tolerance stated in test/helpers/float-graphs.ts (summation order differs; the reference
// accumulates in double). Random small shapes with odd channel counts, 1x1/3x3/5x5 kernels,
// strides 1 and 2, SAME and VALID, dilation 2, depth multipliers, every fused activation, and
// hybrid int8 weights dequantized at load.
import { describe, expect, it } from 'vitest';
import type { Activation, Graph, Padding } from '../../src/model/graph.ts';
import { LoweringError } from '../../src/kernels/lowering.ts';
import { floatConvTile } from '../../src/kernels/float/conv.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { CONV_TILE_SHAPES, GraphBuilder } from '../helpers/graphs.ts';
import {
  compareFloat,
  describeFailures,
  floatConvGraph,
  floatFullyConnectedGraph,
  floatGpuVersusReference,
  randomFloatInput,
  randomFloats,
  type FloatConvCase,
} from '../helpers/float-graphs.ts';
import { testContext } from '../helpers/gpu.ts';
import { mulberry32, pick, randInt } from '../helpers/rng.ts';

const ACTIVATIONS: Activation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];
const PADDINGS: Padding[] = ['SAME', 'VALID'];

function randomCases(seed: number, kind: 'conv' | 'depthwise', count: number): FloatConvCase[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => {
    const k = pick(rng, [1, 3, 3, 5]);
    const dilation = i % 5 === 4 ? 2 : 1;
    const effective = (k - 1) * dilation + 1;
    return {
      kind,
      batch: i % 4 === 3 ? 2 : 1,
      inH: randInt(rng, effective, effective + 6),
      inW: randInt(rng, effective, effective + 6),
      inC: pick(rng, [1, 3, 4, 5, 7, 8, 13]),
      outC: pick(rng, [1, 2, 4, 5, 8, 11]),
      k,
      stride: pick(rng, [1, 2]),
      dilation,
      padding: pick(rng, PADDINGS),
      activation: ACTIVATIONS[i % ACTIVATIONS.length]!,
      depthMultiplier: kind === 'depthwise' ? [1, 2, 1, 3][i % 4]! : 1,
      bias: i % 6 !== 5,
      hybrid: i % 5 === 2,
    };
  });
}

/** Runs each graph on a fresh random input and collects every failure message. */
async function checkAll(graphs: Graph[], seed: number): Promise<string[]> {
  const ctx = await testContext();
  const failures: string[] = [];
  for (const [i, graph] of graphs.entries()) {
    const rng = mulberry32(seed + i);
    const inputs = graph.inputs.map((id) => randomFloatInput(rng, graph.tensors[id]!));
    failures.push(...describeFailures(graph.name, await floatGpuVersusReference(ctx, graph, inputs)));
  }
  return failures;
}

function unaryGraph(type: 'RELU' | 'RELU6' | 'LOGISTIC', shape: number[]): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('x', shape, 'float32');
  const y = b.tensor('y', shape, 'float32');
  b.op({ type, inputs: [x], outputs: [y], options: {} } as never);
  return b.build([x], [y], `${type} [${shape.join(',')}]`);
}

function binaryGraph(type: 'ADD' | 'MUL', aShape: number[], bShape: number[], outShape: number[], activation: Activation, constantB = false): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('a', aShape, 'float32');
  const count = bShape.reduce((p, d) => p * d, 1);
  const y = constantB ? b.tensor('b', bShape, 'float32', undefined, randomFloats(mulberry32(5), count, -3, 3)) : b.tensor('b', bShape, 'float32');
  const out = b.tensor('out', outShape, 'float32');
  b.op({ type, inputs: [x, y], outputs: [out], options: { activation } });
  return b.build(constantB ? [x] : [x, y], [out], `${type} [${aShape}] [${bShape}]${constantB ? ' const' : ''} ${activation}`);
}

function poolGraph(type: 'AVERAGE_POOL_2D' | 'MAX_POOL_2D', shape: [number, number, number, number], filter: number, stride: number, padding: Padding, activation: Activation): Graph {
  const [n, h, w, c] = shape;
  const outH = padding === 'SAME' ? Math.ceil(h / stride) : Math.floor((h - filter) / stride) + 1;
  const outW = padding === 'SAME' ? Math.ceil(w / stride) : Math.floor((w - filter) / stride) + 1;
  const b = new GraphBuilder();
  const x = b.tensor('x', shape, 'float32');
  const y = b.tensor('y', [n, outH, outW, c], 'float32');
  b.op({ type, inputs: [x], outputs: [y], options: { padding, strideH: stride, strideW: stride, filterH: filter, filterW: filter, activation } });
  return b.build([x], [y], `${type} [${shape}] f${filter} s${stride} ${padding} ${activation}`);
}

function meanGraph(shape: number[], axes: number[], keepDims: boolean): Graph {
  const rank = shape.length;
  const normalized = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const outShape = keepDims ? shape.map((d, i) => (normalized.has(i) ? 1 : d)) : shape.filter((_, i) => !normalized.has(i));
  const b = new GraphBuilder();
  const x = b.tensor('x', shape, 'float32');
  const axis = b.tensor('axes', [axes.length], 'int32', undefined, Int32Array.from(axes));
  const y = b.tensor('y', outShape, 'float32');
  b.op({ type: 'MEAN', inputs: [x, axis], outputs: [y], options: { keepDims } });
  return b.build([x], [y], `MEAN [${shape}] axes [${axes}]${keepDims ? ' keep' : ''}`);
}

function softmaxGraph(shape: number[], beta: number): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('x', shape, 'float32');
  const y = b.tensor('y', shape, 'float32');
  b.op({ type: 'SOFTMAX', inputs: [x], outputs: [y], options: { beta } });
  return b.build([x], [y], `SOFTMAX [${shape}] beta ${beta}`);
}

function padGraph(shape: number[], paddings: number[]): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('x', shape, 'float32');
  const p = b.tensor('paddings', [shape.length, 2], 'int32', undefined, Int32Array.from(paddings));
  const y = b.tensor('y', shape.map((d, i) => d + paddings[2 * i]! + paddings[2 * i + 1]!), 'float32');
  b.op({ type: 'PAD', inputs: [x, p], outputs: [y], options: {} });
  return b.build([x], [y], `PAD [${shape}] [${paddings}]`);
}

function transposeGraph(shape: number[], perm: number[]): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('x', shape, 'float32');
  const p = b.tensor('perm', [perm.length], 'int32', undefined, Int32Array.from(perm));
  const y = b.tensor('y', perm.map((q) => shape[q]!), 'float32');
  b.op({ type: 'TRANSPOSE', inputs: [x, p], outputs: [y], options: {} });
  return b.build([x], [y], `TRANSPOSE [${shape}] perm [${perm}]`);
}

function concatGraph(shapes: number[][], axis: number, constantIndex = -1): Graph {
  const b = new GraphBuilder();
  const rank = shapes[0]!.length;
  const a = axis < 0 ? axis + rank : axis;
  const ids = shapes.map((s, i) =>
    i === constantIndex
      ? b.tensor(`c${i}`, s, 'float32', undefined, randomFloats(mulberry32(9), s.reduce((p, d) => p * d, 1)))
      : b.tensor(`x${i}`, s, 'float32'),
  );
  const outShape = shapes[0]!.map((d, i) => (i === a ? shapes.reduce((sum, s) => sum + s[i]!, 0) : d));
  const y = b.tensor('y', outShape, 'float32');
  b.op({ type: 'CONCATENATION', inputs: ids, outputs: [y], options: { axis, activation: 'NONE' } });
  return b.build(ids.filter((_, i) => i !== constantIndex), [y], `CONCATENATION ${shapes.map((s) => `[${s}]`).join(' ')} axis ${axis}${constantIndex >= 0 ? ' const' : ''}`);
}

function reshapeGraph(type: 'RESHAPE' | 'SQUEEZE', from: number[], to: number[]): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('x', from, 'float32');
  const y = b.tensor('y', to, 'float32');
  if (type === 'RESHAPE') b.op({ type, inputs: [x], outputs: [y], options: { newShape: to } });
  else b.op({ type, inputs: [x], outputs: [y], options: { squeezeDims: [] } });
  return b.build([x], [y], `${type} [${from}] -> [${to}]`);
}

describe('float32 kernels equal the float reference', () => {
  it('CONV_2D: 12 random cases (float and hybrid int8 weights)', async () => {
    const rng = mulberry32(3);
    const graphs = randomCases(11, 'conv', 12).map((c) => floatConvGraph(rng, c));
    expect(await checkAll(graphs, 100)).toEqual([]);
  });

  it('CONV_2D micro-tile: strips with a W remainder, rows narrower than a strip, strides, dilations, channel-group remainders', async () => {
    const rng = mulberry32(6);
    let partialStrips = 0;
    let partialBlocks = 0;
    const graphs = CONV_TILE_SHAPES.map(([inW, k, stride, dilation, padding, inC, outC], i) => {
      const c: FloatConvCase = {
        kind: 'conv', batch: i % 4 === 2 ? 2 : 1, inH: (k - 1) * dilation + 1 + (i % 3), inW, inC, outC, k, stride, dilation, padding,
        activation: ACTIVATIONS[i % ACTIVATIONS.length]!, depthMultiplier: 1, bias: i % 5 !== 4, hybrid: i % 4 === 1,
      };
      const graph = floatConvGraph(rng, c);
      const [, , outW] = graph.tensors[graph.outputs[0]!]!.shape as number[];
      const tile = floatConvTile({}, outW!, Math.ceil(outC / 4));
      if (outW! % tile.pixels !== 0) partialStrips++;
      if (Math.ceil(outC / 4) % tile.groups !== 0) partialBlocks++;
      return graph;
    });
    expect(await checkAll(graphs, 150)).toEqual([]);
    // The shapes must keep exercising the remainders whatever the tile constants are.
    expect(partialStrips).toBeGreaterThan(2);
    expect(partialBlocks).toBeGreaterThan(2);
  });

  it('DEPTHWISE_CONV_2D: 12 random cases with depth multipliers 1, 2 and 3', async () => {
    const rng = mulberry32(4);
    const graphs = randomCases(23, 'depthwise', 12).map((c) => floatConvGraph(rng, c));
    expect(await checkAll(graphs, 200)).toEqual([]);
  });

  // shaders/float-depthwise.wgsl computes a strip of output pixels along W per invocation, reusing
  // input columns where stride equals dilation: the last strip's remainder, outputs narrower than a
  // strip, strides 2 and 3 (no reuse), dilation with and without reuse, multipliers, batches.
  it('DEPTHWISE_CONV_2D strips: W remainders, narrow outputs, strides, dilations', async () => {
    const rng = mulberry32(6);
    // [inH, inW, inC, k, stride, dilation, padding, depth multiplier, batch]
    const shapes: Array<[number, number, number, number, number, number, Padding, number, number]> = [
      [5, 9, 8, 3, 1, 1, 'SAME', 1, 1],
      [6, 10, 5, 3, 2, 1, 'SAME', 1, 1],
      [7, 11, 4, 3, 1, 2, 'SAME', 1, 1],
      [9, 13, 7, 3, 2, 2, 'VALID', 1, 2],
      [4, 3, 8, 3, 1, 1, 'SAME', 1, 1],
      [6, 1, 3, 3, 1, 1, 'SAME', 2, 1],
      [6, 9, 4, 3, 3, 1, 'VALID', 1, 1],
      [10, 10, 6, 5, 1, 1, 'SAME', 1, 2],
      [3, 2, 5, 3, 1, 1, 'SAME', 3, 1],
      [8, 14, 8, 5, 2, 1, 'SAME', 1, 1],
    ];
    const graphs = shapes.map(([inH, inW, inC, k, stride, dilation, padding, depthMultiplier, batch], i) =>
      floatConvGraph(rng, { kind: 'depthwise', batch, inH, inW, inC, outC: inC * depthMultiplier, k, stride, dilation, padding, activation: ACTIVATIONS[i % ACTIVATIONS.length]!, depthMultiplier, bias: i % 4 !== 3, hybrid: i % 5 === 2 }));
    expect(await checkAll(graphs, 250)).toEqual([]);
  });

  it('FULLY_CONNECTED: batches, flattening inputs whose innermost dimension is not depth, hybrid weights', async () => {
    const rng = mulberry32(5);
    const graphs = [
      floatFullyConnectedGraph(rng, { inputShape: [1, 10], depth: 10, units: 7, activation: 'NONE', hybrid: false, bias: true }),
      floatFullyConnectedGraph(rng, { inputShape: [3, 33], depth: 33, units: 12, activation: 'RELU', hybrid: false, bias: false }),
      floatFullyConnectedGraph(rng, { inputShape: [1, 2, 3, 8], depth: 48, units: 5, activation: 'RELU6', hybrid: false, bias: true }),
      floatFullyConnectedGraph(rng, { inputShape: [2, 3, 4], depth: 6, units: 9, activation: 'NONE', hybrid: false, bias: true }),
      floatFullyConnectedGraph(rng, { inputShape: [2, 64], depth: 64, units: 10, activation: 'NONE', hybrid: true, bias: true }),
      floatFullyConnectedGraph(rng, { inputShape: [1, 256], depth: 256, units: 1001, activation: 'NONE', hybrid: false, bias: true }),
      // Rows are a 1×rows image: 11 rows are strips with a remainder, 20 rows more than one strip.
      floatFullyConnectedGraph(rng, { inputShape: [11, 24], depth: 24, units: 13, activation: 'RELU', hybrid: false, bias: true }),
      floatFullyConnectedGraph(rng, { inputShape: [4, 5, 7], depth: 7, units: 9, activation: 'NONE', hybrid: true, bias: false }),
    ];
    expect(await checkAll(graphs, 300)).toEqual([]);
  });

  it('ADD and MUL: same shapes, broadcasting both ways, constant operands, fused activations', async () => {
    const graphs = [
      binaryGraph('ADD', [1, 5, 5, 7], [1, 5, 5, 7], [1, 5, 5, 7], 'RELU'),
      binaryGraph('ADD', [2, 3, 5, 7], [7], [2, 3, 5, 7], 'NONE'),
      binaryGraph('ADD', [1, 3, 1, 7], [2, 1, 5, 1], [2, 3, 5, 7], 'RELU6'),
      binaryGraph('ADD', [3, 1], [1, 4], [3, 4], 'NONE', true),
      binaryGraph('MUL', [1, 4, 4, 3], [1, 4, 4, 3], [1, 4, 4, 3], 'NONE'),
      binaryGraph('MUL', [1, 4, 4, 3], [1, 1, 1, 3], [1, 4, 4, 3], 'RELU_N1_TO_1', true),
      binaryGraph('MUL', [5], [2, 3, 5], [2, 3, 5], 'RELU'),
      binaryGraph('MUL', [2, 1, 3], [], [2, 1, 3], 'NONE', true),
    ];
    expect(await checkAll(graphs, 400)).toEqual([]);
  });

  it('AVERAGE_POOL_2D and MAX_POOL_2D: SAME windows clipped at the edges, VALID, strides, activations', async () => {
    const graphs = [
      poolGraph('AVERAGE_POOL_2D', [1, 7, 6, 5], 3, 2, 'SAME', 'NONE'),
      poolGraph('AVERAGE_POOL_2D', [2, 8, 8, 3], 8, 8, 'VALID', 'RELU'),
      poolGraph('AVERAGE_POOL_2D', [1, 5, 5, 1], 2, 1, 'SAME', 'RELU6'),
      poolGraph('MAX_POOL_2D', [1, 7, 6, 5], 3, 2, 'SAME', 'NONE'),
      poolGraph('MAX_POOL_2D', [2, 9, 9, 3], 2, 2, 'VALID', 'RELU_N1_TO_1'),
      poolGraph('MAX_POOL_2D', [1, 4, 5, 13], 3, 1, 'SAME', 'RELU'),
    ];
    expect(await checkAll(graphs, 500)).toEqual([]);
  });

  it('MEAN: spatial axes with keepDims, the last axis, non-adjacent and negative axes', async () => {
    const graphs = [
      meanGraph([1, 5, 6, 7], [1, 2], true),
      meanGraph([2, 4, 3, 5], [1, 2], false),
      meanGraph([3, 4, 5], [-1], false),
      meanGraph([3, 4, 5], [0, 2], true),
      meanGraph([2, 3, 4, 5], [0, 1, 2, 3], false),
    ];
    expect(await checkAll(graphs, 600)).toEqual([]);
  });

  it('SOFTMAX with beta, LOGISTIC, RELU and RELU6', async () => {
    const graphs = [
      softmaxGraph([1, 10], 1),
      softmaxGraph([3, 7], 0.5),
      softmaxGraph([2, 2, 1001], 1),
      unaryGraph('LOGISTIC', [2, 3, 7]),
      unaryGraph('RELU', [1, 4, 4, 5]),
      unaryGraph('RELU6', [1, 4, 4, 5]),
    ];
    expect(await checkAll(graphs, 700)).toEqual([]);
  });

  it('SOFTMAX subtracts the row maximum: logits in the hundreds do not overflow', async () => {
    const ctx = await testContext();
    const graph = softmaxGraph([2, 6], 1);
    const input = Float32Array.from([400, 390, 0, -50, 401, 200, -300, -310, -305, -400, -301, -320]);
    const [cmp] = await floatGpuVersusReference(ctx, graph, [input]);
    expect(describeFailures(graph.name, [cmp!])).toEqual([]);
  });

  it('LOGISTIC saturates to 0 and 1 without NaN for large |x|', async () => {
    const ctx = await testContext();
    const graph = unaryGraph('LOGISTIC', [6]);
    const program = await GpuProgram.build(ctx, graph);
    try {
      const { outputs } = await program.run([Float32Array.from([-200, -90, -10, 10, 90, 200])]);
      const cmp = compareFloat(outputs[0]!, [0, 0, 1 / (1 + Math.exp(10)), 1 / (1 + Math.exp(-10)), 1, 1], 1e-5);
      expect(cmp.bad, cmp.firstBad).toBe(0);
    } finally {
      program.dispose();
    }
  });

  it('RESHAPE, SQUEEZE, PAD, TRANSPOSE and CONCATENATION', async () => {
    const graphs = [
      reshapeGraph('RESHAPE', [1, 1, 1, 13], [1, 13]),
      reshapeGraph('SQUEEZE', [1, 3, 1, 5], [3, 5]),
      padGraph([1, 3, 4, 5], [0, 0, 1, 2, 2, 1, 0, 0]),
      padGraph([2, 3, 3], [1, 0, 0, 1, 3, 2]),
      transposeGraph([2, 3, 4, 5], [0, 3, 1, 2]),
      transposeGraph([3, 7, 2], [2, 0, 1]),
      concatGraph([[1, 3, 3, 5], [1, 3, 3, 2], [1, 3, 3, 7]], 3),
      concatGraph([[2, 3, 5], [2, 1, 5]], 1, 1),
      concatGraph([[2, 3], [4, 3]], -2),
    ];
    expect(await checkAll(graphs, 800)).toEqual([]);
  });

  it('the comparison catches a wrong element (so the tests above can fail)', () => {
    const expected = randomFloats(mulberry32(1), 50, -3, 3);
    const got = expected.slice();
    expect(compareFloat(got, expected).bad).toBe(0);
    got[17] = got[17]! + 1e-3 * 3;
    expect(compareFloat(got, expected).bad).toBe(1);
  });

  it('refuses what it cannot run, by op, at load', async () => {
    const ctx = await testContext();
    const b = new GraphBuilder();
    const x = b.tensor('x', [2, 3], 'float32');
    const y = b.tensor('y', [5, 3], 'float32');
    b.op({ type: 'CONCATENATION', inputs: [x, x], outputs: [y], options: { axis: 0, activation: 'NONE' } });
    await expect(GpuProgram.build(ctx, b.build([x], [y]))).rejects.toThrow(LoweringError);
    const c = new GraphBuilder();
    const i = c.tensor('x', [4], 'float32');
    const o = c.tensor('y', [4], 'float32');
    c.op({ type: 'ADD', inputs: [i, i], outputs: [o], options: { activation: 'TANH' } });
    await expect(GpuProgram.build(ctx, c.build([i], [o]))).rejects.toThrow(/TANH/);
  });
});
