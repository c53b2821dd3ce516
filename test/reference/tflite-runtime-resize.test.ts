// RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, ARG_MAX, ARG_MIN and CAST: the CPU reference under
// 'xnnpack' equals the TFLite runtime itself (the WASM build with the XNNPACK delegate that made
// the corpus vectors) on single-op graphs written by Octet: every flag combination TFLite runs,
// up- and downscaling by odd factors, 1-pixel sides, the corpus models' shapes, every dtype.
import { describe, expect, it } from 'vitest';
import type { DType, Graph } from '../../src/model/graph.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { runReference, type TensorData } from '../../src/reference/run.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { argGraph, castGraph, describeResize, inputsOf, resizeGraph, type ArgCase, type ResizeCase } from '../helpers/resize-graphs.ts';

/** The runtime's bytes read as the reference's value of that dtype (int64 → numbers). */
function numbersOf(raw: ArrayBufferView, dtype: DType): number[] {
  const b = raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength);
  switch (dtype) {
    case 'int8':
      return Array.from(new Int8Array(b));
    case 'uint8':
    case 'bool':
      return Array.from(new Uint8Array(b));
    case 'int16':
      return Array.from(new Int16Array(b));
    case 'int32':
      return Array.from(new Int32Array(b));
    case 'int64':
      return Array.from(new BigInt64Array(b), Number);
    case 'float32':
      return Array.from(new Float32Array(b));
  }
}

/** Reference inputs: int64 as int32 (the reference's representation), the rest as they are. */
function referenceInput(v: TensorData): TensorData {
  return v instanceof BigInt64Array ? Int32Array.from(v as unknown as BigInt64Array, Number) : v;
}

/**
 * This runtime build cannot read or write int64 tensors through its web API: int64 graph inputs
 * arrive through a CAST from int32 and int64 outputs leave through a CAST to int32, in the graph
 * both sides run.
 */
function withInt32Boundary(graph: Graph): Graph {
  const tensors = [...graph.tensors];
  const ops = [...graph.ops];
  const inputs = graph.inputs.map((id) => {
    const t = tensors[id]!;
    if (t.dtype !== 'int64') return id;
    const outer = tensors.length;
    tensors.push({ id: outer, name: `${t.name}/int32`, shape: t.shape, dtype: 'int32' });
    ops.unshift({ index: 0, type: 'CAST', version: 1, inputs: [outer], outputs: [id], options: {} });
    return outer;
  });
  const outputs = graph.outputs.map((id) => {
    const t = tensors[id]!;
    if (t.dtype !== 'int64') return id;
    const outer = tensors.length;
    tensors.push({ id: outer, name: `${t.name}/int32`, shape: t.shape, dtype: 'int32' });
    ops.push({ index: 0, type: 'CAST', version: 1, inputs: [id], outputs: [outer], options: {} });
    return outer;
  });
  return { ...graph, tensors, ops: ops.map((op, index) => ({ ...op, index })), inputs, outputs };
}

async function differences(modelGraph: Graph, seed = 7): Promise<string[]> {
  const graph = withInt32Boundary(modelGraph);
  const inputs = inputsOf(mulberry32(seed), graph);
  const peer = await createTflitePeer(exportTflite(graph));
  let theirs: ArrayBufferView[];
  try {
    theirs = peer.run(inputs);
  } finally {
    // Runners hold WASM memory; a few dozen left alive exhaust it.
    peer.runner.cleanUp?.();
  }
  const ours = runReference(graph, inputs.map(referenceInput), { requantization: 'xnnpack' });
  const out: string[] = [];
  ours.forEach((o, k) => {
    const t = graph.tensors[graph.outputs[k]!]!;
    const expected = numbersOf(theirs[k]!, t.dtype);
    let differing = 0;
    let first = '';
    for (let i = 0; i < expected.length; i++) {
      const got = Number(o[i]);
      if (!Object.is(got, expected[i]) && !(got === expected[i])) {
        if (differing++ === 0) first = `element ${i}: ours ${got}, TFLite ${expected[i]}`;
      }
    }
    if (o.length !== expected.length) out.push(`${graph.name}: ${o.length} elements, TFLite ${expected.length}`);
    else if (differing > 0) out.push(`${graph.name}: ${differing}/${expected.length} differ, ${first}`);
  });
  return out;
}

const FLAGS: Array<Pick<ResizeCase, 'alignCorners' | 'halfPixelCenters'>> = [{}, { alignCorners: true }, { halfPixelCenters: true }];
const NEAREST_FLAGS = [...FLAGS, { alignCorners: true, halfPixelCenters: true }];
const GEOMETRIES: Array<{ inShape: number[]; size: [number, number] }> = [
  { inShape: [1, 6, 6, 5], size: [12, 12] },
  { inShape: [2, 5, 7, 3], size: [13, 4] },
  { inShape: [1, 7, 3, 6], size: [3, 10] },
  { inShape: [1, 1, 1, 9], size: [5, 3] },
  { inShape: [1, 4, 5, 2], size: [1, 1] },
  { inShape: [1, 9, 11, 1], size: [31, 17] },
  // An odd large upscale (DeepLab resizes 33 → 513), on few channels.
  { inShape: [1, 33, 33, 2], size: [129, 129] },
];

describe('RESIZE_BILINEAR equals the TFLite runtime', () => {
  for (const dtype of ['int8', 'uint8', 'float32'] as const) {
    it(`${dtype}: every geometry, align_corners, half_pixel_centers`, async () => {
      const failures: string[] = [];
      for (const g of GEOMETRIES) for (const f of FLAGS) failures.push(...(await differences(resizeGraph({ type: 'RESIZE_BILINEAR', dtype, ...g, ...f }))));
      expect(failures).toEqual([]);
    }, 120_000);
  }
});

describe('RESIZE_NEAREST_NEIGHBOR equals the TFLite runtime', () => {
  for (const dtype of ['int8', 'uint8', 'float32'] as const) {
    it(`${dtype}: every geometry and flag combination`, async () => {
      const failures: string[] = [];
      for (const g of GEOMETRIES) for (const f of NEAREST_FLAGS) failures.push(...(await differences(resizeGraph({ type: 'RESIZE_NEAREST_NEIGHBOR', dtype, ...g, ...f }))));
      expect(failures).toEqual([]);
    }, 120_000);
  }
});

describe('ARG_MAX and ARG_MIN equal the TFLite runtime (ties: the smaller index)', () => {
  const cases: ArgCase[] = [];
  for (const type of ['ARG_MAX', 'ARG_MIN'] as const) {
    for (const dtype of ['int8', 'uint8', 'float32', 'int32'] as const) {
      for (const [inShape, axis] of [[[1, 7, 5, 21], 3], [[3, 17, 4], 1], [[6, 5], 0], [[2, 3, 9], -1], [[1, 2304, 17], 1]] as Array<[number[], number]>) {
        for (const outputType of ['int32', 'int64'] as const) cases.push({ type, dtype, inShape, axis, outputType, axisType: axis === 0 ? 'int64' : 'int32' });
      }
    }
  }
  it(`${cases.length} cases: int8, uint8, float32, int32 inputs; int32 and int64 indices; every axis position`, async () => {
    const failures: string[] = [];
    for (const c of cases) failures.push(...(await differences(argGraph(c))));
    expect(failures).toEqual([]);
  }, 120_000);
});

describe('CAST equals the TFLite runtime', () => {
  const types: DType[] = ['int8', 'uint8', 'int16', 'int32', 'int64', 'float32', 'bool'];
  it('between int8, uint8, int16, int32, int64, float32 and bool', async () => {
    const failures: string[] = [];
    for (const from of types) {
      for (const to of types) {
        if (from === to) continue;
        try {
          failures.push(...(await differences(castGraph(from, to, [3, 37]))));
        } catch (e) {
          failures.push(`CAST ${from} → ${to}: ${(e as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
