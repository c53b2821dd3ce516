// The data movement family on the GPU (shaders/move.wgsl) equals the CPU reference byte for byte:
// every op, every mask and option, int8 and uint8 (innermost dims that are not multiples of 4,
// so packed words are split), int32 and float32 (the 32-bit path), shapes from the corpus
// models (yolov8n's STRIDED_SLICEs, MoveNet's PACK/UNPACK/GATHER_ND, yolov10's GATHER).
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { lowerOp } from '../../src/kernels/registry.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { runReference, ReferenceRunError } from '../../src/reference/run.ts';
import { compareTensors } from '../helpers/compare.ts';
import { testContext } from '../helpers/gpu.ts';
import { mulberry32, pick } from '../helpers/rng.ts';
import {
  batchToSpaceCase,
  broadcastToCase,
  depthToSpaceCase,
  expandDimsCase,
  gatherCase,
  gatherNdCase,
  moveGraph,
  moveInputs,
  MOVE_DTYPES,
  packCase,
  reverseCase,
  sliceCase,
  spaceToBatchCase,
  spaceToDepthCase,
  splitCase,
  splitVCase,
  stridedSliceCase,
  tileCase,
  unpackCase,
  type MoveCase,
  type MoveDType,
} from '../helpers/move-graphs.ts';

interface Run {
  graph: Graph;
  indexValues?: number[];
}

async function failuresOf(runs: Run[]): Promise<string[]> {
  const ctx = await testContext();
  const rng = mulberry32(7);
  const failures: string[] = [];
  for (const { graph, indexValues } of runs) {
    const program = await GpuProgram.build(ctx, graph);
    try {
      const inputs = moveInputs(rng, graph, indexValues);
      const { outputs } = await program.run(inputs);
      const expected = runReference(graph, inputs, { requantization: 'xnnpack' });
      outputs.forEach((got, i) => {
        const cmp = compareTensors(got, expected[i]!);
        if (cmp.differing > 0 || got.length !== expected[i]!.length) failures.push(`${graph.name} output ${i}: ${cmp.differing}/${cmp.elements} differ, ${cmp.firstDiff}`);
      });
    } finally {
      program.dispose();
    }
  }
  return failures;
}

/** Every case in the 8-bit dtypes plus one 32-bit dtype (alternating, so both 32-bit kinds are covered). */
function overDtypes(make: (d: MoveDType) => MoveCase, all = false): Run[] {
  const dtypes = all ? MOVE_DTYPES : (['int8', 'uint8', pick(mulberry32(make('int8').inShapes[0]!.length), ['int32', 'float32'] as const)] as MoveDType[]);
  return dtypes.map((d) => ({ graph: moveGraph(make(d)) }));
}

describe('STRIDED_SLICE and SLICE', () => {
  it('masks, negative strides, offset, ellipsis, new axes, shrinking; SLICE with size −1', async () => {
    const runs: Run[] = [
      // yolov8n: channel halves and the box rows.
      ...overDtypes((d) => stridedSliceCase(d, [1, 6, 6, 34], [0, 0, 0, 0], [1, 6, 6, 17], [1, 1, 1, 1]), true),
      ...overDtypes((d) => stridedSliceCase(d, [1, 6, 6, 34], [0, 0, 0, 17], [1, 6, 6, 34], [1, 1, 1, 1], { beginMask: 7, endMask: 7 })),
      ...overDtypes((d) => stridedSliceCase(d, [1, 65, 30], [0, 0, 0], [1, 64, 30], [1, 1, 1])),
      ...overDtypes((d) => stridedSliceCase(d, [1, 65, 30], [0, 64, 0], [1, 65, 30], [1, 1, 1], { shrinkAxisMask: 0 })),
      // Negative strides and indices, reversed innermost dim with an odd size.
      ...overDtypes((d) => stridedSliceCase(d, [3, 5, 7], [-1, 4, -2], [-4, 0, 0], [-1, -2, -3]), true),
      ...overDtypes((d) => stridedSliceCase(d, [4, 9], [1, 0], [3, 0], [1, -1], { endMask: 2, beginMask: 2 })),
      // Strides > 1 with clamped out-of-range ends.
      ...overDtypes((d) => stridedSliceCase(d, [2, 7, 10], [0, 1, 1], [5, 100, 9], [1, 3, 2])),
      // Shrink axes (to a scalar too) and the offset option.
      ...overDtypes((d) => stridedSliceCase(d, [3, 5, 6], [1, -1, 2], [2, 0, 3], [1, 1, 1], { shrinkAxisMask: 5 })),
      ...overDtypes((d) => stridedSliceCase(d, [4], [2], [3], [1], { shrinkAxisMask: 1 })),
      ...overDtypes((d) => stridedSliceCase(d, [5, 9], [1, 2], [3, 5], [1, 2], { offset: true })),
      // Ellipsis (expanding to two dims) and new axes.
      ...overDtypes((d) => stridedSliceCase(d, [2, 3, 4, 5], [0, 1], [0, 4], [1, 2], { ellipsisMask: 1 })),
      ...overDtypes((d) => stridedSliceCase(d, [3, 5], [0, 1, 0], [0, 3, 0], [1, 1, 1], { newAxisMask: 1, endMask: 4 })),
      ...overDtypes((d) => stridedSliceCase(d, [3, 5], [1, 0, 0], [2, 0, 5], [1, 1, 2], { newAxisMask: 2, shrinkAxisMask: 1 })),
      // Empty result.
      ...overDtypes((d) => stridedSliceCase(d, [3, 5], [2, 0], [1, 5], [1, 1])),
      ...overDtypes((d) => sliceCase(d, [2, 5, 7], [1, 1, 2], [1, -1, 3]), true),
      ...overDtypes((d) => sliceCase(d, [6, 9], [0, 3], [-1, 5], true)),
    ];
    expect(await failuresOf(runs)).toEqual([]);
  });
});

describe('SPLIT, SPLIT_V, PACK and UNPACK', () => {
  it('every axis, negative axes, −1 sizes; MoveNet shapes', async () => {
    const runs: Run[] = [
      ...overDtypes((d) => splitCase(d, [1, 8, 8, 6], 3, 6), true), // coral_split_concat
      ...overDtypes((d) => splitCase(d, [2, 6, 5], -2, 3)),
      ...overDtypes((d) => splitCase(d, [4, 3], 0, 2)),
      ...overDtypes((d) => splitVCase(d, [2, 9, 3], [2, -1, 4], 1), true),
      ...overDtypes((d) => splitVCase(d, [3, 7], [5, 0, 2], -1)),
      ...overDtypes((d) => packCase(d, [17], 2, 1), true), // MoveNet
      ...overDtypes((d) => packCase(d, [1, 17], 2, 2)),
      ...overDtypes((d) => packCase(d, [2, 3], 3, 0)),
      ...overDtypes((d) => packCase(d, [2, 5], 3, -2)),
      ...overDtypes((d) => packCase(d, [], 2, 0)),
      ...overDtypes((d) => unpackCase(d, [17, 2], 1), true), // MoveNet
      ...overDtypes((d) => unpackCase(d, [3, 5, 2], 0)),
      ...overDtypes((d) => unpackCase(d, [2, 3, 5], -2)),
    ];
    expect(await failuresOf(runs)).toEqual([]);
  });
});

describe('GATHER and GATHER_ND', () => {
  it('constant int32/int64 indices, run-time indices, every axis, batch_dims', async () => {
    const rng = mulberry32(3);
    const idx = (n: number, bound: number) => Array.from({ length: n }, () => Math.floor(rng() * bound));
    const runs: Run[] = [
      // yolov10: channel halves with constant int64 indices.
      ...overDtypes((d) => gatherCase(d, [1, 4, 4, 32], { values: idx(16, 32), shape: [16], dtype: 'int64' }, 3), true),
      ...overDtypes((d) => gatherCase(d, [5, 3], { values: idx(6, 5), shape: [2, 3] }, 0)),
      ...overDtypes((d) => gatherCase(d, [2, 5, 3], { values: idx(4, 5), shape: [2, 2] }, 1, 1)),
      ...overDtypes((d) => gatherCase(d, [2, 3, 7], { values: [4], shape: [] }, -1)),
      ...overDtypes((d) => gatherCase(d, [7], { values: [6, 0, 3], shape: [3] }, 0)),
      ...MOVE_DTYPES.map((d) => ({ graph: moveGraph(gatherCase(d, [2, 6, 5], { values: [], shape: [3], runtime: true }, 1)), indexValues: idx(3, 6) })),
      ...MOVE_DTYPES.map((d) => ({ graph: moveGraph(gatherCase(d, [3, 4, 5], { values: [], shape: [3, 2], runtime: true }, 1, 1)), indexValues: idx(6, 4) })),
      // MoveNet: GATHER_ND with run-time [17, 3] indices into [1, 48, 48, 34], and constant [17, 2] ones.
      ...MOVE_DTYPES.map((d) => ({
        graph: moveGraph(gatherNdCase(d, [1, 12, 12, 34], { values: [], shape: [17, 3], runtime: true })),
        indexValues: Array.from({ length: 17 }, () => [0, ...idx(2, 12)]).flat(),
      })),
      ...overDtypes((d) => gatherNdCase(d, [17, 17, 2], { values: Array.from({ length: 17 }, (_, i) => [i, Math.floor(rng() * 17)]).flat(), shape: [17, 2] }), true),
      ...MOVE_DTYPES.map((d) => ({ graph: moveGraph(gatherNdCase(d, [1, 12, 12, 17], { values: [], shape: [17, 4], runtime: true })), indexValues: Array.from({ length: 17 }, (_, j) => [0, ...idx(2, 12), j]).flat() })),
      ...overDtypes((d) => gatherNdCase(d, [3, 5], { values: [2, 0, 1], shape: [3, 1], dtype: 'int64' })),
    ];
    expect(await failuresOf(runs)).toEqual([]);
  });

  it('run-time indices outside the input: the reference throws (TFLite returns an error); the GPU writes the fill and reads nothing out of bounds', async () => {
    const ctx = await testContext();
    for (const [graph, indices, fill] of [
      [moveGraph(gatherCase('int8', [2, 6, 5], { values: [], shape: [3], runtime: true }, 1)), [1, 6, -1], -3],
      [moveGraph(gatherCase('float32', [4, 3], { values: [], shape: [2], runtime: true }, 0)), [3, 1 << 30], 0],
      [moveGraph(gatherNdCase('uint8', [3, 5], { values: [], shape: [2, 2], runtime: true })), [2, 4, 3, 0], 131],
    ] as const) {
      const inputs = moveInputs(mulberry32(1), graph, [...indices]);
      expect(() => runReference(graph, inputs)).toThrow(ReferenceRunError);
      expect(() => runReference(graph, inputs)).toThrow(/is outside/);
      const program = await GpuProgram.build(ctx, graph);
      try {
        const [out] = (await program.run(inputs)).outputs as TensorData[];
        // Rows whose index is valid equal the input's; the others hold the fill everywhere.
        const params = inputs[0]!;
        const t = graph.tensors[graph.inputs[0]!]!;
        if (graph.ops[0]!.type === 'GATHER') {
          const [outer, axis, inner] = t.shape.length === 3 ? [t.shape[0]!, t.shape[1]!, t.shape[2]!] : [1, t.shape[0]!, t.shape[1]!];
          for (let o = 0; o < outer; o++) {
            indices.forEach((ix, i) => {
              for (let j = 0; j < inner; j++) {
                const got = out![(o * indices.length + i) * inner + j];
                expect(got).toBe(ix >= 0 && ix < axis ? params[(o * axis + ix) * inner + j] : fill);
              }
            });
          }
        } else {
          expect(Array.from(out!)).toEqual([params[2 * 5 + 4], fill]);
        }
      } finally {
        program.dispose();
      }
    }
  });
});

describe('TILE, BROADCAST_TO, EXPAND_DIMS, REVERSE_V2', () => {
  it('all variants', async () => {
    const runs: Run[] = [
      ...overDtypes((d) => tileCase(d, [2, 3], [2, 3]), true),
      ...overDtypes((d) => tileCase(d, [1, 3, 5], [2, 1, 2], true)),
      ...overDtypes((d) => tileCase(d, [2, 3], [0, 2])),
      ...overDtypes((d) => broadcastToCase(d, [3, 1], [2, 3, 5]), true),
      ...overDtypes((d) => broadcastToCase(d, [1, 7], [4, 7])),
      ...overDtypes((d) => broadcastToCase(d, [], [2, 3])),
      ...overDtypes((d) => expandDimsCase(d, [2, 5], 0), true),
      ...overDtypes((d) => expandDimsCase(d, [2, 5], -1)),
      ...overDtypes((d) => expandDimsCase(d, [2, 5], 1)),
      ...overDtypes((d) => reverseCase(d, [3, 4, 5], [2]), true),
      ...overDtypes((d) => reverseCase(d, [3, 4, 5], [0, -2])),
      ...overDtypes((d) => reverseCase(d, [7], [0])),
    ];
    expect(await failuresOf(runs)).toEqual([]);
  });
});

describe('DEPTH_TO_SPACE, SPACE_TO_DEPTH, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND', () => {
  it('block sizes 2 and 3, paddings and crops, rank 3 and 4', async () => {
    const runs: Run[] = [
      ...overDtypes((d) => depthToSpaceCase(d, [1, 2, 3, 12], 2), true),
      ...overDtypes((d) => depthToSpaceCase(d, [2, 2, 2, 9], 3)),
      ...overDtypes((d) => spaceToDepthCase(d, [1, 4, 6, 3], 2), true),
      ...overDtypes((d) => spaceToDepthCase(d, [2, 3, 3, 1], 3)),
      ...overDtypes((d) => spaceToBatchCase(d, [1, 4, 4, 3], [2, 2], [0, 0, 0, 0]), true),
      ...overDtypes((d) => spaceToBatchCase(d, [2, 3, 5, 3], [2, 3], [1, 0, 2, 2]), true),
      ...overDtypes((d) => spaceToBatchCase(d, [1, 5, 2], [3], [1, 0])),
      ...overDtypes((d) => batchToSpaceCase(d, [4, 2, 2, 3], [2, 2], [0, 0, 0, 0]), true),
      ...overDtypes((d) => batchToSpaceCase(d, [12, 2, 3, 5], [2, 3], [1, 0, 2, 3]), true),
      ...overDtypes((d) => batchToSpaceCase(d, [3, 2, 2], [3], [1, 2])),
    ];
    expect(await failuresOf(runs)).toEqual([]);
  });
});

describe('SHAPE as a graph output, GATHER from constant params (an embedding table)', () => {
  it('equal the reference on the GPU', async () => {
    const runs: Run[] = [];
    for (const dtype of MOVE_DTYPES) {
      const s = moveGraph({ type: 'SHAPE', dtype, inShapes: [[2, 3, 5]], operands: ['data'], outShapes: [[3]], options: { outType: 'int32' } });
      s.tensors[s.outputs[0]!] = { ...s.tensors[s.outputs[0]!]!, dtype: 'int32', quant: undefined };
      runs.push({ graph: s });
      const e = moveGraph(gatherCase(dtype, [6, 7], { values: [], shape: [2, 2], runtime: true }, 0));
      const params = e.tensors[e.inputs[0]!]!;
      const values = moveInputs(mulberry32(9), { ...e, inputs: [params.id] })[0]!;
      params.data = new Uint8Array(values.buffer.slice(0));
      runs.push({ graph: { ...e, inputs: e.inputs.slice(1) }, indexValues: [5, 0, 2, 2] });
    }
    expect(await failuresOf(runs)).toEqual([]);
  });
});

/** The shader of each dispatch the graph's one op lowers to. */
function loweredCodes(graph: Graph): string[] {
  const lowered = lowerOp({ graph, useDot4: false, requantization: 'xnnpack', workgroupSize: 64, maxWorkgroupsPerDimension: 65535 }, graph.ops[0]!);
  return lowered.steps.map((s) => ('dispatch' in s ? s.dispatch.code : ''));
}

describe('8-bit slices that are runs of whole words (sliceSlab)', () => {
  // [case, takes the word copy]: channel slices at word offsets (yolov8n's C2f halves), a last
  // part that ends the input mid-word, outer-axis slices below which rows are whole, SPLIT and
  // SPLIT_V along the channels; a misaligned channel offset, a strided slice and two cut axes gather.
  const cases = (d: 'int8' | 'uint8'): Array<[MoveCase, boolean]> => [
    [stridedSliceCase(d, [1, 12, 12, 32], [0, 0, 0, 0], [1, 12, 12, 16], [1, 1, 1, 1], { beginMask: 7, endMask: 7 }), true],
    [stridedSliceCase(d, [1, 12, 12, 32], [0, 0, 0, 16], [1, 12, 12, 32], [1, 1, 1, 1], { beginMask: 15, endMask: 7 }), true],
    [stridedSliceCase(d, [2, 5, 7, 10], [0, 0, 0, 8], [2, 5, 7, 10], [1, 1, 1, 1]), true],
    [stridedSliceCase(d, [2, 9, 7, 6], [0, 3, 0, 0], [2, 8, 7, 6], [1, 1, 1, 1]), true],
    [sliceCase(d, [3, 6, 5], [1, 0, 0], [2, -1, -1]), true],
    [splitCase(d, [1, 6, 6, 24], 3, 3), true],
    [splitVCase(d, [1, 5, 4, 25], [8, 12, -1], 3), true],
    [stridedSliceCase(d, [1, 6, 6, 32], [0, 0, 0, 2], [1, 6, 6, 18], [1, 1, 1, 1]), false],
    [stridedSliceCase(d, [1, 6, 6, 32], [0, 0, 0, 0], [1, 6, 6, 32], [1, 2, 1, 1]), false],
    [stridedSliceCase(d, [1, 6, 6, 32], [0, 1, 0, 0], [1, 5, 6, 16], [1, 1, 1, 1]), false],
  ];

  it('take one load and one store a word where the slice allows, and equal the reference', async () => {
    const runs: Run[] = [];
    for (const d of ['int8', 'uint8'] as const) {
      for (const [c, slab] of cases(d)) {
        const graph = moveGraph(c);
        expect(loweredCodes(graph).every((code) => code.includes('params.chunk_out')), graph.name).toBe(slab);
        runs.push({ graph });
      }
    }
    expect(await failuresOf(runs)).toEqual([]);
  });
});

describe('GATHER of consecutive constant indices', () => {
  it('is a slice: the word copy along the channels at a word offset (yolov10’s channel halves), the gather elsewhere; equal the reference', async () => {
    const runs: Run[] = [];
    for (const d of ['int8', 'uint8'] as const) {
      for (const [values, slab] of [[[16, 17, 18, 19, 20, 21, 22, 23], true], [[0, 1, 2, 3, 4, 5, 6, 7], true], [[2, 3, 4, 5], false], [[8, 9, 11, 12], false]] as const) {
        const graph = moveGraph(gatherCase(d, [1, 6, 5, 24], { values: [...values], dtype: 'int64', shape: [values.length] }, -1));
        expect(loweredCodes(graph)[0]!.includes('params.chunk_out'), graph.name).toBe(slab);
        runs.push({ graph });
      }
    }
    expect(await failuresOf(runs)).toEqual([]);
  });
});

describe('8-bit PACK along an outer axis', () => {
  it('copies each input a word an invocation into place (yolov10\u2019s PACKs), along the innermost axis it gathers; equal the reference', async () => {
    const runs: Run[] = [];
    for (const d of ['int8', 'uint8'] as const) {
      for (const [shape, n, axis, slab] of [[[1, 4, 4, 10], 2, 3, true], [[1, 4, 2, 3, 6], 3, 2, true], [[3, 5], 4, 0, true], [[2, 3, 7], 2, 3, false]] as const) {
        const graph = moveGraph(packCase(d, [...shape], n, axis));
        const codes = loweredCodes(graph);
        expect(codes.length, graph.name).toBe(n);
        expect(codes.every((code) => code.includes('params.slab_offset')), graph.name).toBe(slab);
        runs.push({ graph });
      }
    }
    expect(await failuresOf(runs)).toEqual([]);
  });
});
