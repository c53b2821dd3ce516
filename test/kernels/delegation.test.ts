// Graphs the TFLite runtime keeps from its XNNPACK delegate (a SHAPE → RESHAPE tail sizes a tensor
// at run time): under 'xnnpack' requantization every op follows TFLite's builtin kernels, on the
// GPU byte for byte as in the CPU reference (test/reference/tflite-runtime-delegation.test.ts
// checks the reference against the runtime): ruy's single rounding for int8 CONV_2D (direct and
// pointwise) and FULLY_CONNECTED, double rounding for DEPTHWISE_CONV_2D and uint8, TFLite's
// ADD, MUL and QUANTIZE (8-bit, and from float32 through the exact quotient), reduce.cc's MEAN.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import { xnnpackDelegateApplies } from '../../src/model/tflite-delegation.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { gpuVersusReference } from '../helpers/compare.ts';
import { withDynamicTail } from '../helpers/delegation-graphs.ts';
import { testContext } from '../helpers/gpu.ts';
import { convGraph, fullyConnectedGraph, quant, randomInput, type ConvCase } from '../helpers/graphs.ts';
import { binaryGraph } from '../helpers/pool-elementwise-graphs.ts';
import { meanGraph } from '../helpers/pool-elementwise-graphs.ts';
import { quantizeGraph } from '../helpers/shape-ops-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

async function mismatches(graphs: Graph[], inputsOf: (g: Graph, i: number) => TensorData[]): Promise<string[]> {
  const ctx = await testContext();
  const failures: string[] = [];
  for (const [i, plain] of graphs.entries()) {
    const graph = withDynamicTail(plain);
    expect(xnnpackDelegateApplies(graph), graph.name).toBe(false);
    const comparisons = await gpuVersusReference(ctx, graph, inputsOf(graph, i), 'xnnpack');
    for (const cmp of comparisons) if (cmp.differing > 0) failures.push(`${graph.name}: ${cmp.differing}/${cmp.elements} differ, ${cmp.firstDiff}`);
  }
  return failures;
}

const randomInputs = (g: Graph, i: number): TensorData[] => {
  const rng = mulberry32(900 + i);
  return g.inputs.map((id) => randomInput(rng, g.tensors[id]!));
};

const conv = (c: Partial<ConvCase>): ConvCase => ({
  kind: 'conv', dtype: 'int8', batch: 1, inH: 9, inW: 9, inC: 8, outC: 12, k: 3, stride: 1, dilation: 1,
  padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true, ...c,
});

describe("a graph the delegate refuses: TFLite's builtin kernels on the GPU equal the reference", () => {
  it('CONV_2D (3×3 and pointwise), DEPTHWISE_CONV_2D and FULLY_CONNECTED, int8 and uint8', async () => {
    const graphs = [
      conv({}),
      conv({ k: 1, inC: 16, outC: 24, activation: 'RELU6' }),
      conv({ stride: 2, padding: 'VALID', inC: 3, outC: 8, activation: 'RELU' }),
      conv({ kind: 'depthwise', inC: 16, activation: 'RELU6' }),
      conv({ dtype: 'uint8' }),
      conv({ dtype: 'uint8', k: 1, inC: 16, outC: 24 }),
    ].map((c, i) => convGraph(mulberry32(30 + i), c));
    graphs.push(fullyConnectedGraph(mulberry32(40), { dtype: 'int8', batch: 3, depth: 40, units: 33, perChannel: true, activation: 'NONE' }));
    graphs.push(fullyConnectedGraph(mulberry32(41), { dtype: 'uint8', batch: 2, depth: 24, units: 9, perChannel: false, activation: 'RELU' }));
    expect(await mismatches(graphs, randomInputs)).toEqual([]);
  });

  it('ADD, MUL, MEAN and 8-bit QUANTIZE', async () => {
    const graphs: Graph[] = [];
    for (const [i, op] of (['ADD', 'MUL'] as const).entries()) {
      for (const dtype of ['int8', 'uint8'] as const) {
        graphs.push(binaryGraph(mulberry32(50 + i), { op, dtype, aShape: [2, 3, 4, 7], bShape: [1, 1, 1, 7], outShape: [2, 3, 4, 7], activation: 'NONE' }));
      }
    }
    graphs.push(meanGraph(mulberry32(60), { dtype: 'int8', shape: [1, 4, 4, 24], axes: [1, 2], keepDims: true }));
    graphs.push(quantizeGraph('int8', 'int8', [2, 128], quant(0.2831 * 0.01, 31), quant(0.01, 66)));
    expect(await mismatches(graphs, randomInputs)).toEqual([]);
  });

  it('QUANTIZE from float32 at float32 ties, which the exact quotient moves', async () => {
    const graphs: Graph[] = [];
    const inputs: TensorData[][] = [];
    for (const [dtype, scale, zp] of [['int8', 0.05, 3], ['int8', 1 / 3, 0], ['uint8', 0.003921568859368563, 0], ['uint8', 0.0236, 131]] as const) {
      graphs.push(quantizeGraph('float32', dtype, [3, 201], undefined, quant(scale, zp)));
      const s = Math.fround(scale);
      inputs.push([Float32Array.from({ length: 603 }, (_, k) => (k < 600 ? Math.fround((k - 300 + 0.5) * s) : [0, 1e30, -Infinity][k - 600]!))]);
    }
    expect(await mismatches(graphs, (_, i) => inputs[i]!)).toEqual([]);
  });
});
