// SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD and L2_NORMALIZATION on the GPU equal the CPU reference
// byte for byte (int8 and legacy uint8): keep_dims both ways, negative and duplicate axes, odd
// innermost dimensions (the packed layout's padding lanes), the word-wise path (innermost axis
// kept) and the byte-wise one, SUM raw (wrapping) and rescaled (down and far up: a large
// threshold table), PROD's 64-bit per-step rescaling, L2 rows of the zero point alone. The
// float32 kernels (these and LOG_SOFTMAX) within the float tolerance of test/helpers/float-graphs.ts.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { LoweringError } from '../../src/kernels/lowering.ts';
import { gpuVersusReference } from '../helpers/compare.ts';
import { describeFailures, floatGpuVersusReference } from '../helpers/float-graphs.ts';
import { testContext } from '../helpers/gpu.ts';
import { GraphBuilder, quant, randomBytes } from '../helpers/graphs.ts';
import { gpuPlacement } from '../../src/kernels/registry.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { normalizationGraph, reduceGraph, type ReduceType } from '../helpers/reduce-graphs.ts';

async function failuresOf(graph: Graph, inputs: TensorData[]): Promise<string[]> {
  const ctx = await testContext();
  if (graph.tensors[0]!.dtype === 'float32') return describeFailures(graph.name, await floatGpuVersusReference(ctx, graph, inputs));
  const cmps = await gpuVersusReference(ctx, graph, inputs, 'xnnpack');
  return cmps.flatMap((c, i) => (c.differing > 0 ? [`${graph.name} output ${i}: ${c.differing}/${c.elements} differ, ${c.firstDiff}`] : []));
}

function inputFor(rng: () => number, dtype: string, shape: number[], spread?: [number, number]): TensorData {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'float32') return Float32Array.from({ length: n }, () => (rng() - 0.5) * 6);
  if (!spread) return randomBytes(rng, n, dtype as 'int8' | 'uint8');
  const out = dtype === 'int8' ? new Int8Array(n) : new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = spread[0] + Math.round((rng() * 2 - 1) * spread[1]);
  return out;
}

const SHAPES: Array<[number[], number[]]> = [
  [[2, 3, 5], [1]], // innermost kept, odd: word-wise
  [[2, 3, 5], [-1]],
  [[2, 3, 5], [0, 2]],
  [[2, 3, 5], [2, -1, 0]],
  [[1, 5, 7, 3], [1, 2]],
  [[1, 4, 4, 8], [1, 2]],
  [[7], [0]],
  [[3, 9], [0, 1]],
  [[2, 1, 3], [1]], // size-1 axes only: nothing is reduced
  [[1, 4], [-2]],
  [[2, 6, 5], [0]],
];

describe('8-bit reductions on the GPU equal the reference', () => {
  const cases: Array<{ type: ReduceType; quants: Array<[[number, number], [number, number]]>; spread?: [number, number] }> = [
    { type: 'SUM', quants: [[[0.05, 0], [0.05, 0]], [[0.05, 3], [0.05, 3]], [[0.05, 3], [0.2, -7]], [[0.0712, -11], [0.4, 5]], [[0.5, 4], [0.01, -3]]] },
    { type: 'REDUCE_MAX', quants: [[[0.05, 0], [0.05, 0]], [[0.0712, -11], [0.0712, -11]]] },
    { type: 'REDUCE_MIN', quants: [[[0.05, 0], [0.05, 0]], [[0.0712, -11], [0.0712, -11]]] },
    { type: 'REDUCE_PROD', quants: [[[0.5, 0], [0.3, 0]], [[0.4, 3], [0.9, -5]], [[0.25, -2], [0.05, 10]]], spread: [0, 6] },
  ];
  for (const { type, quants, spread } of cases) {
    for (const dtype of ['int8', 'uint8'] as const) {
      if (type === 'REDUCE_PROD' && dtype === 'uint8') continue;
      it(`${type} ${dtype}: ${SHAPES.length} shapes × keep_dims both ways × ${quants.length} quantizations`, async () => {
        const rng = mulberry32(type.length * 13 + dtype.length);
        const failures: string[] = [];
        const offset = dtype === 'uint8' ? 128 : 0;
        for (const [shape, axes] of SHAPES) {
          // An int8 product over size-1 axes only is refused (the runtime mis-reduces it; tested below).
          if (type === 'REDUCE_PROD' && dtype === 'int8' && axes.every((a) => shape[a < 0 ? a + shape.length : a] === 1)) continue;
          for (const keepDims of [false, true]) {
            for (const [qi, qo] of quants) {
              const graph = reduceGraph({ type, dtype, shape, axes, keepDims, input: [qi[0], qi[1] + offset], output: [qo[0], qo[1] + offset] });
              failures.push(...(await failuresOf(graph, [inputFor(rng, dtype, shape, spread && [spread[0] + qi[1] + offset, spread[1]])])));
            }
          }
        }
        expect(failures).toEqual([]);
      }, 300_000);
    }
  }
});

describe('8-bit L2_NORMALIZATION on the GPU equals the reference', () => {
  for (const dtype of ['int8', 'uint8'] as const) {
    it(`${dtype}: 5 shapes × 4 input quantizations, a zero row and a row one step off`, async () => {
      const rng = mulberry32(dtype === 'int8' ? 91 : 92);
      const failures: string[] = [];
      const offset = dtype === 'uint8' ? 128 : 0;
      for (const shape of [[1, 7], [3, 5, 16], [2, 2, 2, 9], [4, 1], [2, 300]]) {
        for (const [scale, zp] of [[0.05, 0], [0.1, 7], [0.0117, -100], [0.37, 60]] as const) {
          const graph = normalizationGraph('L2_NORMALIZATION', dtype, shape, [scale, zp + offset]);
          const x = inputFor(rng, dtype, shape) as Int8Array | Uint8Array;
          const depth = shape[shape.length - 1]!;
          x.fill(zp + offset, 0, depth);
          if (x.length >= 2 * depth) {
            x.fill(zp + offset, depth, 2 * depth);
            x[depth] = zp + offset + 1;
          }
          failures.push(...(await failuresOf(graph, [x])));
        }
      }
      expect(failures).toEqual([]);
    }, 300_000);
  }
});

describe('float32 reductions and normalizations on the GPU match the reference', () => {
  it(`SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD over ${SHAPES.length} shapes, keep_dims both ways`, async () => {
    const rng = mulberry32(5);
    const failures: string[] = [];
    for (const type of ['SUM', 'REDUCE_MAX', 'REDUCE_MIN', 'REDUCE_PROD'] as const) {
      for (const [shape, axes] of [...SHAPES, [[2, 1, 3, 4, 2], [1, 3]] as [number[], number[]]]) {
        for (const keepDims of [false, true]) {
          const graph = reduceGraph({ type, dtype: 'float32', shape, axes, keepDims });
          failures.push(...(await failuresOf(graph, [inputFor(rng, 'float32', shape)])));
        }
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('L2_NORMALIZATION and LOG_SOFTMAX over odd shapes', async () => {
    const rng = mulberry32(6);
    const failures: string[] = [];
    for (const type of ['L2_NORMALIZATION', 'LOG_SOFTMAX'] as const) {
      for (const shape of [[1, 7], [3, 5, 16], [2, 2, 2, 9], [4, 1], [2, 300]]) {
        const graph = normalizationGraph(type, 'float32', shape);
        failures.push(...(await failuresOf(graph, [inputFor(rng, 'float32', shape)])));
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});

describe('8-bit LOG_SOFTMAX: on the host after the GPU program (its exact result needs a correctly rounded logf)', () => {
  it('at the end of a graph: GPU program + host equal the reference, int8 and uint8, odd shapes', async () => {
    const rng = mulberry32(8);
    const failures: string[] = [];
    for (const dtype of ['int8', 'uint8'] as const) {
      for (const [shape, input] of [[[1, 7], [0.1, 0]], [[3, 5, 16], [0.5, 3]], [[2, 300], [0.02, -7]], [[4, 1], [1, 0]]] as Array<[number[], [number, number]]>) {
        const zp: [number, number] = [input[0], dtype === 'uint8' ? input[1] + 128 : input[1]];
        const graph = normalizationGraph('LOG_SOFTMAX', dtype, shape, zp);
        expect(gpuPlacement(graph, graph.ops[0]!).runsOn).toBe('host');
        failures.push(...(await failuresOf(graph, [inputFor(rng, dtype, shape)])));
      }
    }
    expect(failures).toEqual([]);
  });

  it('is refused, naming both, when a GPU op reads its output', async () => {
    const b = new GraphBuilder();
    const x = b.tensor('x', [2, 5], 'int8', quant(0.1, 0));
    const y = b.tensor('logp', [2, 5], 'int8', quant(16 / 256, 127));
    const z = b.tensor('flat', [10], 'int8', quant(16 / 256, 127));
    b.op({ type: 'LOG_SOFTMAX', inputs: [x], outputs: [y], options: {} });
    b.op({ type: 'RESHAPE', inputs: [y], outputs: [z], options: { newShape: [10] } });
    const built = GpuProgram.build(await testContext(), b.build([x], [z], 'logsoftmax then reshape'));
    await expect(built).rejects.toThrow(LoweringError);
    await expect(built).rejects.toThrow(/RESHAPE \(operator 1\) reads tensor 1, written by LOG_SOFTMAX \(operator 0\), which runs on the host/);
  });
});

describe('what the GPU refuses at load, by name', () => {
  it('uint8 PROD, MAX with different params', async () => {
    const ctx = await testContext();
    const graphs = [
      reduceGraph({ type: 'REDUCE_PROD', dtype: 'uint8', shape: [2, 3], axes: [1], keepDims: false, input: [0.1, 128] }),
      reduceGraph({ type: 'REDUCE_MAX', dtype: 'int8', shape: [2, 3], axes: [1], keepDims: false, input: [0.1, 0], output: [0.2, 0] }),
    ];
    const messages = [/uint8 input \(TFLite's quantized REDUCE_PROD is int8 only\)/, /input and output quantization differ/];
    for (const [i, g] of graphs.entries()) {
      const built = GpuProgram.build(ctx, g);
      await expect(built).rejects.toThrow(LoweringError);
      await expect(built).rejects.toThrow(messages[i]!);
    }
  });
});
