// The data movement reference on hand-computed cases (the ones the TFLite runtime build cannot
// judge: STRIDED_SLICE's `offset`, BROADCAST_TO), the refusals of hostile or invalid operands
// (before anything is allocated), and the importer/writer round trip of every option.
import { describe, expect, it } from 'vitest';
import { importTflite } from '../../src/model/import.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { prepareReference, runReference, ReferenceRunError } from '../../src/reference/run.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { testContext } from '../helpers/gpu.ts';
import {
  broadcastToCase,
  gatherCase,
  gatherNdCase,
  moveGraph,
  packCase,
  spaceToBatchCase,
  splitVCase,
  stridedSliceCase,
  tileCase,
  unpackCase,
  type MoveCase,
} from '../helpers/move-graphs.ts';

const iota = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('hand-computed values', () => {
  it('STRIDED_SLICE offset: end is relative to begin', () => {
    const g = moveGraph(stridedSliceCase('int32', [5, 9], [1, 2], [3, 5], [1, 2], { offset: true }));
    expect(g.tensors[g.outputs[0]!]!.shape).toEqual([3, 3]);
    expect(Array.from(runReference(g, [iota(45)])[0]!)).toEqual([11, 13, 15, 20, 22, 24, 29, 31, 33]);
  });

  it('STRIDED_SLICE reversed with begin/end masks; shrink to a scalar', () => {
    const g = moveGraph(stridedSliceCase('int32', [6], [0], [0], [-2], { beginMask: 1, endMask: 1 }));
    expect(Array.from(runReference(g, [iota(6)])[0]!)).toEqual([5, 3, 1]);
    const s = moveGraph(stridedSliceCase('int32', [6], [-2], [0], [1], { shrinkAxisMask: 1 }));
    expect(s.tensors[s.outputs[0]!]!.shape).toEqual([]);
    expect(Array.from(runReference(s, [iota(6)])[0]!)).toEqual([4]);
  });

  it('BROADCAST_TO repeats size-1 and missing leading dims', () => {
    const g = moveGraph(broadcastToCase('int32', [3, 1], [2, 3, 2]));
    expect(Array.from(runReference(g, [Int32Array.from([7, 8, 9])])[0]!)).toEqual([7, 7, 8, 8, 9, 9, 7, 7, 8, 8, 9, 9]);
  });

  it('SPACE_TO_BATCH_ND pads with the output zero point', () => {
    const g = moveGraph(spaceToBatchCase('int8', [1, 1, 2, 1], [1, 2], [0, 0, 1, 1]));
    expect(Array.from(runReference(g, [Int8Array.from([5, 6])])[0]!)).toEqual([-3, 6, 5, -3]);
  });
});

function refusal(c: MoveCase | ReturnType<typeof moveGraph>): () => unknown {
  const g = 'type' in c ? moveGraph(c) : c;
  return () => prepareReference(g);
}

describe('refused before anything is allocated, with a named error', () => {
  it('zero stride, TILE multiples whose product overflows, absurd BROADCAST_TO shapes', () => {
    const zero = stridedSliceCase('int8', [4], [0], [4], [1]);
    (zero.operands[3] as { values: number[] }).values = [0];
    expect(refusal(zero)).toThrow(/stride 0 is zero/);
    const tile = tileCase('int8', [2, 3], [1, 1]);
    (tile.operands[1] as { values: number[] }).values = [2 ** 30, 2 ** 30];
    tile.outShapes = [[2 ** 31, 3 * 2 ** 30]];
    expect(refusal(tile)).toThrow(/more than 2147483647 elements/);
    const big = broadcastToCase('int8', [1], [65536, 65536]);
    expect(refusal(big)).toThrow(ReferenceRunError);
  });

  it('constant indices out of range: GATHER, GATHER_ND (reference and GPU lowering)', async () => {
    const g = moveGraph(gatherCase('int8', [4, 3], { values: [1, 4], shape: [2] }, 0));
    expect(refusal(g)).toThrow(/index 4 \(at 1\) is outside \[0, 4\)/);
    await expect(GpuProgram.build(await testContext(), g)).rejects.toThrow(/index 4 \(at 1\) is outside \[0, 4\)/);
    expect(refusal(gatherNdCase('int8', [3, 5], { values: [2, 5], shape: [1, 2] }))).toThrow(/outside dimension 1/);
  });

  it('shape mismatches and bad option values', () => {
    const v = splitVCase('int8', [2, 9], [2, -1, -1], 1);
    expect(refusal({ ...v, outShapes: [[2, 2], [2, 3], [2, 4]] })).toThrow(/one −1/);
    const p = packCase('int8', [2, 5], 3, 1);
    expect(refusal({ ...p, options: { valuesCount: 2, axis: 1 } })).toThrow(/values_count 2/);
    const q = moveGraph(packCase('int8', [2, 5], 2, 0));
    q.tensors[q.inputs[1]!]!.quant = { scale: Float64Array.from([0.07]), zeroPoint: Int32Array.from([-3]), axis: 0 };
    expect(refusal(q)).toThrow(/quantized unlike the output/);
    const u = unpackCase('int8', [3, 4], 0);
    expect(refusal({ ...u, options: { num: 4, axis: 0 } })).toThrow(/num 4/);
  });
});

describe('import and writer', () => {
  it('every option survives exportTflite → importTflite', () => {
    for (const c of [
      stridedSliceCase('int8', [5, 9], [1, 2], [3, 5], [1, 2], { offset: true, beginMask: 1, endMask: 2 }),
      stridedSliceCase('int8', [3, 5], [1, 0, 0], [2, 0, 5], [1, 1, 2], { newAxisMask: 2, shrinkAxisMask: 1 }),
      gatherCase('float32', [2, 5, 3], { values: [4, 0, 1, 2], shape: [2, 2] }, 1, 1),
      packCase('int8', [2, 5], 3, -2),
      unpackCase('uint8', [3, 4], 1),
      splitVCase('int32', [2, 9], [2, -1], 1),
    ]) {
      const g = moveGraph(c);
      const back = importTflite(exportTflite(g));
      expect(back.ops.map((op) => [op.type, op.options])).toEqual(g.ops.map((op) => [op.type, op.options]));
    }
    const b = moveGraph({ type: 'SHAPE', dtype: 'int8', inShapes: [[1, 2, 3]], operands: ['data'], outShapes: [[3]], options: { outType: 'int64' } });
    b.tensors[b.outputs[0]!]!.dtype = 'int64';
    b.tensors[b.outputs[0]!]!.quant = undefined;
    expect(importTflite(exportTflite(b)).ops[0]!.options).toEqual({ outType: 'int64' });
    for (const type of ['DEPTH_TO_SPACE', 'SPACE_TO_DEPTH'] as const) {
      const d = moveGraph({ type, dtype: 'int8', inShapes: [[1, 2, 2, 4]], operands: ['data'], outShapes: [type === 'DEPTH_TO_SPACE' ? [1, 4, 4, 1] : [1, 1, 1, 16]], options: { blockSize: 2 } });
      expect(importTflite(exportTflite(d)).ops[0]!.options).toEqual({ blockSize: 2 });
    }
  });
});
