// RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, ARG_MAX, ARG_MIN and CAST on the GPU
// (shaders/resize.wgsl, argminmax.wgsl, cast.wgsl) equal the CPU reference: byte for byte for
// 8-bit and integer tensors (int8 and uint8 with channel counts that split packed words, int64
// and bool outputs), under both requantization modes where the GPU has the op; float32 within
// the float path's tolerance. Shapes include the corpus models' (DeepLab's 33 → 513 resize and
// its 21-class ARG_MAX to int64, MoveNet's ARG_MAX over 2304 positions and its casts).
import { describe, expect, it } from 'vitest';
import type { DType, Graph } from '../../src/model/graph.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { LoweringError } from '../../src/kernels/lowering.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { Int64RangeError } from '../../src/kernels/layout.ts';
import { runReference, type RequantizationMode, type TensorData } from '../../src/reference/run.ts';
import { compareTensors } from '../helpers/compare.ts';
import { compareFloat } from '../helpers/float-graphs.ts';
import { testContext } from '../helpers/gpu.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { argGraph, castGraph, describeResize, inputsOf, resizeGraph, type ArgCase, type ResizeCase } from '../helpers/resize-graphs.ts';

/** GPU inputs in the API's dtypes: int64 as Int32Array (what the reference holds too). */
function apiInput(v: TensorData): TensorData {
  return (v as unknown) instanceof BigInt64Array ? Int32Array.from(v as unknown as BigInt64Array, Number) : v;
}

async function failuresOf(graphs: Graph[], requantization: RequantizationMode = 'xnnpack'): Promise<string[]> {
  const ctx = await testContext();
  const rng = mulberry32(11);
  const failures: string[] = [];
  for (const graph of graphs) {
    const program = await GpuProgram.build(ctx, graph, { requantization });
    try {
      const inputs = inputsOf(rng, graph).map(apiInput);
      const { outputs } = await program.run(inputs);
      const expected = runReference(graph, inputs, { requantization });
      outputs.forEach((got, i) => {
        const dtype = graph.tensors[graph.outputs[i]!]!.dtype;
        if (got.length !== expected[i]!.length) failures.push(`${graph.name}: ${got.length} elements, expected ${expected[i]!.length}`);
        else if (dtype === 'float32') {
          const cmp = compareFloat(got as Float32Array, expected[i] as Float32Array);
          if (cmp.bad > 0) failures.push(`${graph.name} (${requantization}): ${cmp.bad} outside tolerance, ${cmp.firstBad}`);
        } else {
          const cmp = compareTensors(got, expected[i]!);
          if (cmp.differing > 0) failures.push(`${graph.name} (${requantization}): ${cmp.differing}/${cmp.elements} differ, ${cmp.firstDiff}`);
        }
      });
    } finally {
      program.dispose();
    }
  }
  return failures;
}

const GEOMETRIES: Array<{ inShape: number[]; size: [number, number] }> = [
  { inShape: [1, 6, 6, 5], size: [12, 12] },
  { inShape: [2, 5, 7, 3], size: [13, 4] },
  { inShape: [1, 7, 3, 6], size: [3, 10] },
  { inShape: [1, 1, 1, 9], size: [5, 3] },
  { inShape: [1, 4, 5, 2], size: [1, 1] },
  { inShape: [1, 9, 11, 1], size: [31, 17] },
];
const FLAGS: Array<Pick<ResizeCase, 'alignCorners' | 'halfPixelCenters'>> = [{}, { alignCorners: true }, { halfPixelCenters: true }];

function resizeCases(type: ResizeCase['type'], dtype: ResizeCase['dtype'], flags = FLAGS): Graph[] {
  return GEOMETRIES.flatMap((g) => flags.map((f) => resizeGraph({ type, dtype, ...g, ...f })));
}

describe('RESIZE_BILINEAR on the GPU equals the reference', () => {
  for (const dtype of ['int8', 'uint8', 'float32'] as const) {
    it(`${dtype}, 'xnnpack' (XNNPACK's q11 / float weights): every geometry and flag`, async () => {
      expect(await failuresOf(resizeCases('RESIZE_BILINEAR', dtype))).toEqual([]);
    }, 120_000);
  }
  for (const dtype of ['int8', 'float32'] as const) {
    it(`${dtype}, 'tflite' (reference_ops): every geometry and flag`, async () => {
      expect(await failuresOf(resizeCases('RESIZE_BILINEAR', dtype), 'tflite')).toEqual([]);
    }, 120_000);
  }
  it("uint8 under 'tflite' is refused by name (reference_ops' float weights)", async () => {
    const graph = resizeGraph({ type: 'RESIZE_BILINEAR', dtype: 'uint8', inShape: [1, 3, 3, 4], size: [5, 5] });
    await expect(GpuProgram.build(await testContext(), graph, { requantization: 'tflite' })).rejects.toThrow(LoweringError);
  });
  it("DeepLab's uint8 resizes: 1×1 → 33×33 over 256 channels, 33×33 → 513×513 over 21", async () => {
    const graphs = [
      resizeGraph({ type: 'RESIZE_BILINEAR', dtype: 'uint8', inShape: [1, 1, 1, 256], size: [33, 33] }),
      resizeGraph({ type: 'RESIZE_BILINEAR', dtype: 'uint8', inShape: [1, 33, 33, 21], size: [513, 513] }),
    ];
    expect(await failuresOf(graphs)).toEqual([]);
  }, 120_000);
});

describe('RESIZE_NEAREST_NEIGHBOR on the GPU equals the reference', () => {
  for (const dtype of ['int8', 'uint8', 'float32'] as const) {
    it(`${dtype}: every geometry and flag combination`, async () => {
      expect(await failuresOf(resizeCases('RESIZE_NEAREST_NEIGHBOR', dtype, [...FLAGS, { alignCorners: true, halfPixelCenters: true }]))).toEqual([]);
    }, 120_000);
  }
});

describe('ARG_MAX and ARG_MIN on the GPU equal the reference', () => {
  const cases: ArgCase[] = [];
  for (const type of ['ARG_MAX', 'ARG_MIN'] as const) {
    for (const dtype of ['int8', 'uint8', 'float32', 'int32'] as const) {
      for (const [inShape, axis] of [[[1, 7, 5, 21], 3], [[3, 17, 4], 1], [[6, 5], 0], [[2, 3, 9], -1], [[1, 2304, 17], 1]] as Array<[number[], number]>) {
        cases.push({ type, dtype, inShape, axis, outputType: cases.length % 2 === 0 ? 'int64' : 'int32' });
      }
    }
  }
  it(`${cases.length} cases over int8, uint8, float32, int32 inputs, int32 and int64 outputs`, async () => {
    expect(await failuresOf(cases.map(argGraph))).toEqual([]);
  }, 120_000);
  it("DeepLab's ARG_MAX: uint8 [1, 513, 513, 21] over the classes to int64", async () => {
    expect(await failuresOf([argGraph({ type: 'ARG_MAX', dtype: 'uint8', inShape: [1, 513, 513, 21], axis: 3, outputType: 'int64' })])).toEqual([]);
  }, 120_000);
});

describe('CAST on the GPU equals the reference', () => {
  const types: DType[] = ['int8', 'uint8', 'int32', 'int64', 'float32', 'bool'];
  it('between int8, uint8, int32, int64, float32 and bool (odd innermost dims)', async () => {
    const graphs: Graph[] = [];
    // Including a cast to its own type (its input's buffer, an alias).
    for (const from of types) for (const to of types) graphs.push(castGraph(from, to, [3, 37]));
    expect(await failuresOf(graphs)).toEqual([]);
  }, 120_000);
  it('int16 tensors are refused by name (no GPU storage)', async () => {
    await expect(GpuProgram.build(await testContext(), castGraph('int16', 'int32', [4]))).rejects.toThrow(/int16/);
  });
});

describe('int64 and bool tensors through the public run API', () => {
  it('bool and int64 inputs and outputs on the GPU and the CPU backends (int64 as Int32Array, bool as 0/1 bytes)', async () => {
    const context = await testContext();
    const boolToInt64 = castGraph('bool', 'int64', [5]);
    const int64ToBool = castGraph('int64', 'bool', [5]);
    for (const backend of ['gpu', 'cpu'] as const) {
      const a = await OctetModel.load(boolToInt64, { context, backend });
      const b = await OctetModel.load(int64ToBool, { context, backend });
      try {
        expect(await a.run(Uint8Array.of(1, 0, 1, 1, 0))).toEqual([Int32Array.of(1, 0, 1, 1, 0)]);
        expect(await b.run(Int32Array.of(0, -7, 2147483647, 0, 1))).toEqual([Uint8Array.of(0, 1, 1, 0, 1)]);
      } finally {
        a.dispose();
        b.dispose();
      }
    }
  });
  it('an int64 value beyond int32 (computed on the GPU) is an error naming the element, not a wrapped value', async () => {
    const model = await OctetModel.load(castGraph('float32', 'int64', [3]), { context: await testContext() });
    try {
      await expect(model.run(Float32Array.of(1, -2, 3e9))).rejects.toThrow(Int64RangeError);
      await expect(model.run(Float32Array.of(1, -2, 3e9))).rejects.toThrow(/element 2 is 3000000000/);
    } finally {
      model.dispose();
    }
  });
});

it('describeResize names the flags', () => {
  expect(describeResize({ type: 'RESIZE_BILINEAR', dtype: 'int8', inShape: [1, 2, 2, 1], size: [3, 3], halfPixelCenters: true })).toContain('half_pixel');
});
