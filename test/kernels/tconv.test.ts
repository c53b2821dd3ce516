// TRANSPOSE_CONV and BATCH_MATMUL on the GPU equal the CPU reference: byte for byte on the int8
// path (int8 per-channel and per-tensor, legacy uint8 with weight zero points; odd channel counts,
// strides 1 to 3 including strides larger than the kernel, both paddings with TFLite's allowed
// output adjustments, with and without bias, fused activations; both requantization modes; dot4
// and its fallback), and within float32 rounding on the float path.
import { describe, expect, it } from 'vitest';
import type { Activation, Padding } from '../../src/model/graph.ts';
import { gpuVersusReference } from '../helpers/compare.ts';
import { describeFailures, floatGpuVersusReference, randomFloatInput } from '../helpers/float-graphs.ts';
import { randomInput } from '../helpers/graphs.ts';
import { DOT4_MODES, REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { mulberry32, pick, randInt } from '../helpers/rng.ts';
import {
  batchMatMulGraph,
  describeBatchMatMul,
  describeTransposeConv,
  transposeConvGraph,
  type BatchMatMulCase,
  type TransposeConvCase,
} from '../helpers/tconv-graphs.ts';

const ACTIVATIONS: Activation[] = ['NONE', 'RELU', 'RELU6', 'NONE'];
const PADDINGS: Padding[] = ['SAME', 'VALID'];

function randomTransposeConvCases(seed: number, dtype: TransposeConvCase['dtype'], count: number): TransposeConvCase[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => {
    const kH = pick(rng, [1, 2, 3, 3, 4, 5]);
    const kW = i % 5 === 2 ? pick(rng, [1, 2, 3]) : kH;
    const strideH = pick(rng, [1, 2, 2, 3]);
    const strideW = i % 4 === 1 ? pick(rng, [1, 2, 3]) : strideH;
    const padding = PADDINGS[i % 2]!;
    // TFLite allows stride − 1 extra rows (VALID) or fewer (SAME) for one input size.
    const adjust = (s: number) => (i % 3 === 0 || s === 1 ? 0 : padding === 'VALID' ? randInt(rng, 1, s - 1) : -randInt(rng, 1, s - 1));
    return {
      dtype,
      batch: i % 5 === 3 ? 2 : 1,
      inH: randInt(rng, 1, 6),
      inW: randInt(rng, 1, 6),
      inC: pick(rng, [1, 3, 4, 5, 7, 8, 13]),
      outC: pick(rng, [1, 2, 3, 4, 5, 9, 11]),
      kH,
      kW,
      strideH,
      strideW,
      padding,
      activation: ACTIVATIONS[i % ACTIVATIONS.length]!,
      bias: i % 4 !== 2,
      perChannel: dtype === 'int8' && i % 2 === 0,
      adjustH: adjust(strideH),
      adjustW: adjust(strideW),
    };
  }).filter((c) => c.padding === 'SAME' || (c.inH - 1) * c.strideH + c.kH + (c.adjustH ?? 0) >= 1);
}

function randomBatchMatMulCases(seed: number, dtype: BatchMatMulCase['dtype'], count: number): BatchMatMulCase[] {
  const rng = mulberry32(seed);
  const batches: Array<[number[], number[]]> = [[[], []], [[2], [2]], [[3], []], [[2, 3], [3]], [[1, 2], [3, 1]], [[2, 1, 2], [2, 1]], [[], [2, 2]]];
  return Array.from({ length: count }, (_, i) => {
    const [lhsBatch, rhsBatch] = batches[i % batches.length]!;
    return {
      dtype,
      lhsBatch,
      rhsBatch,
      m: pick(rng, [1, 2, 3, 5, 8]),
      k: pick(rng, [1, 3, 4, 5, 9, 17]),
      n: pick(rng, [1, 2, 3, 4, 6, 7]),
      adjX: i % 2 === 1,
      adjY: i % 4 >= 2,
      constantRhs: i % 3 === 2,
    };
  });
}

for (const [dot4, requantization] of DOT4_MODES.flatMap((d) => REQUANTIZATION_MODES.map((r) => [d, r] as const))) {
  describe(`TRANSPOSE_CONV and BATCH_MATMUL (8-bit) equal the reference (dot4 ${dot4}, ${requantization} requantization)`, () => {
    for (const dtype of ['int8', 'uint8'] as const) {
      it(`TRANSPOSE_CONV ${dtype}: 14 random cases`, async () => {
        const ctx = await testContext(dot4);
        const failures: string[] = [];
        for (const [i, c] of randomTransposeConvCases(dtype === 'int8' ? 31 : 37, dtype, 14).entries()) {
          const rng = mulberry32(2000 + i);
          const graph = transposeConvGraph(rng, c);
          const [cmp] = await gpuVersusReference(ctx, graph, [randomInput(rng, graph.tensors[graph.inputs[0]!]!)], requantization);
          if (cmp!.differing > 0) failures.push(`${describeTransposeConv(c)}: ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
        }
        expect(failures).toEqual([]);
      });
    }

    it('BATCH_MATMUL int8: 14 random cases (adj_x, adj_y, broadcast batch dims, rank 2 to 5, constant RHS)', async () => {
      const ctx = await testContext(dot4);
      const failures: string[] = [];
      for (const [i, c] of randomBatchMatMulCases(41, 'int8', 14).entries()) {
        const rng = mulberry32(3000 + i);
        const graph = batchMatMulGraph(rng, c);
        const inputs = graph.inputs.map((id) => randomInput(rng, graph.tensors[id]!));
        const [cmp] = await gpuVersusReference(ctx, graph, inputs, requantization);
        if (cmp!.differing > 0) failures.push(`${describeBatchMatMul(c)}: ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
      }
      expect(failures).toEqual([]);
    });
  });
}

describe('TRANSPOSE_CONV and BATCH_MATMUL (float32) equal the float reference', () => {
  it('TRANSPOSE_CONV float32: 12 random cases', async () => {
    const ctx = await testContext();
    const failures: string[] = [];
    for (const [i, c] of randomTransposeConvCases(43, 'float32', 12).entries()) {
      const rng = mulberry32(4000 + i);
      const graph = transposeConvGraph(rng, c);
      failures.push(...describeFailures(describeTransposeConv(c), await floatGpuVersusReference(ctx, graph, [randomFloatInput(rng, graph.tensors[graph.inputs[0]!]!)])));
    }
    expect(failures).toEqual([]);
  });

  it('BATCH_MATMUL float32: 10 random cases', async () => {
    const ctx = await testContext();
    const failures: string[] = [];
    for (const [i, c] of randomBatchMatMulCases(47, 'float32', 10).entries()) {
      const rng = mulberry32(5000 + i);
      const graph = batchMatMulGraph(rng, c);
      const inputs = graph.inputs.map((id) => randomFloatInput(rng, graph.tensors[id]!));
      failures.push(...describeFailures(describeBatchMatMul(c), await floatGpuVersusReference(ctx, graph, inputs)));
    }
    expect(failures).toEqual([]);
  });
});
