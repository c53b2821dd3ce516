// The data movement family's reference equals the TFLite runtime itself (the WASM build with the
// XNNPACK delegate that made the corpus vectors) on single-op graphs written by Octet: a sample of
// every op, with the masks and options whose semantics are easiest to get wrong. Two are not here:
// this runtime build predates STRIDED_SLICE's `offset` option (it ignores it) and refuses to
// initialize a BROADCAST_TO model; test/reference/move.test.ts checks both against hand-computed values.
import { describe, expect, it } from 'vitest';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { runReference, type TensorData } from '../../src/reference/run.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { compareTensors } from '../helpers/compare.ts';
import { mulberry32 } from '../helpers/rng.ts';
import {
  batchToSpaceCase,
  depthToSpaceCase,
  expandDimsCase,
  gatherCase,
  gatherNdCase,
  moveGraph,
  moveInputs,
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
} from '../helpers/move-graphs.ts';

function asDtype(like: TensorData, raw: TensorData): TensorData {
  const b = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  if (like instanceof Int8Array) return new Int8Array(b);
  if (like instanceof Uint8Array) return new Uint8Array(b);
  if (like instanceof Int32Array) return new Int32Array(b);
  return new Float32Array(b);
}

async function differences(c: MoveCase, indexValues?: number[]): Promise<string[]> {
  const graph = moveGraph(c);
  const inputs = moveInputs(mulberry32(5), graph, indexValues);
  const peer = await createTflitePeer(exportTflite(graph));
  const theirs = peer.run(inputs);
  const ours = runReference(graph, inputs, { requantization: 'xnnpack' });
  const out: string[] = [];
  ours.forEach((o, k) => {
    const cmp = compareTensors(o, asDtype(o, theirs[k]! as TensorData));
    if (cmp.differing > 0) out.push(`${graph.name} output ${k}: ${cmp.differing}/${cmp.elements} differ, ${cmp.firstDiff}`);
  });
  return out;
}

const CASES: Array<[string, () => MoveCase, number[]?]> = [
  ['STRIDED_SLICE negative strides and indices', () => stridedSliceCase('int8', [3, 5, 7], [-1, 4, -2], [-4, 0, 0], [-1, -2, -3])],
  ['STRIDED_SLICE begin/end masks, stride 2', () => stridedSliceCase('float32', [2, 7, 10], [1, 1, 1], [2, 100, 9], [1, 3, 2], { beginMask: 1, endMask: 2 })],
  ['STRIDED_SLICE shrink axes', () => stridedSliceCase('uint8', [3, 5, 6], [1, -1, 2], [2, 0, 3], [1, 1, 1], { shrinkAxisMask: 5 })],
  ['STRIDED_SLICE ellipsis', () => stridedSliceCase('int8', [2, 3, 4, 5], [0, 1], [0, 4], [1, 2], { ellipsisMask: 1 })],
  ['STRIDED_SLICE new axis', () => stridedSliceCase('int32', [3, 5], [0, 1, 0], [0, 3, 0], [1, 1, 1], { newAxisMask: 1, endMask: 4 })],
  ['SLICE size −1', () => sliceCase('int8', [2, 5, 7], [1, 1, 2], [1, -1, 3])],
  ['SPLIT', () => splitCase('uint8', [2, 6, 5], -2, 3)],
  ['SPLIT_V with −1', () => splitVCase('float32', [2, 9, 3], [2, -1, 4], 1)],
  ['PACK axis 1', () => packCase('int8', [2, 5], 3, 1)],
  ['UNPACK axis 1', () => unpackCase('int8', [3, 4, 5], 1)],
  ['GATHER axis 1, int64 indices', () => gatherCase('int8', [2, 6, 5], { values: [5, 0, 3, 3], shape: [2, 2], dtype: 'int64' }, 1)],
  ['GATHER batch_dims 1', () => gatherCase('float32', [2, 5, 3], { values: [4, 0, 1, 2], shape: [2, 2] }, 1, 1)],
  ['GATHER run-time indices', () => gatherCase('int32', [4, 3], { values: [], shape: [3], runtime: true }, 0), [3, 0, 2]],
  ['GATHER_ND', () => gatherNdCase('int8', [3, 4, 5], { values: [2, 1, 0, 3, 1, 1], shape: [3, 2] })],
  ['TILE', () => tileCase('int8', [2, 3], [2, 3])],
  ['EXPAND_DIMS', () => expandDimsCase('int8', [2, 5], -1)],
  ['REVERSE_V2', () => reverseCase('int8', [3, 4, 5], [1])],
  ['DEPTH_TO_SPACE', () => depthToSpaceCase('int8', [1, 2, 3, 12], 2)],
  ['SPACE_TO_DEPTH', () => spaceToDepthCase('uint8', [1, 4, 6, 3], 2)],
  ['SPACE_TO_BATCH_ND with paddings (zero point fill)', () => spaceToBatchCase('int8', [2, 3, 5, 3], [2, 3], [1, 0, 2, 2])],
  ['SPACE_TO_BATCH_ND float', () => spaceToBatchCase('float32', [1, 3, 3, 2], [2, 2], [1, 0, 0, 1])],
  ['BATCH_TO_SPACE_ND with crops', () => batchToSpaceCase('int8', [12, 2, 3, 5], [2, 3], [1, 0, 2, 3])],
];

describe('data movement: reference equals the TFLite runtime', () => {
  for (const [name, make, indices] of CASES) {
    it(name, async () => {
      expect(await differences(make(), indices)).toEqual([]);
    });
  }
});
