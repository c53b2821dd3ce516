// GPU-resident input and output: a run fed GPUBuffers in the tensors' plain dense layout, and a
// run whose outputs stay on the GPU, give the same bytes as the TypedArray route, on small conv
// graphs (int8 and uint8, channels not a multiple of 4, batch 2) and asset models (int8 ResNet-8,
// a three-input uint8 graph, a float32-in/float32-out model); buffers the program cannot take are
// refused with InputError before anything runs.
import { describe, expect, it } from 'vitest';
import { requestNodeGpuContext } from '../../src/gpu/node-gpu.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { InputError } from '../../src/runtime/gpu-program.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { importTflite } from '../../src/model/import.ts';
import { tensorElementCount, type Graph, type TensorIR } from '../../src/model/graph.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { convGraph, fullyConnectedGraph, randomInput, type ConvCase } from '../helpers/graphs.ts';
import { testContext } from '../helpers/gpu.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { detectionGraph } from '../helpers/detection-graphs.ts';
import { modelBytes } from '../helpers/vectors.ts';

const MAP_READ = 0x01;
const COPY_SRC = 0x04;
const COPY_DST = 0x08;
const STORAGE = 0x80;

const roundUp4 = (n: number) => Math.ceil(n / 4) * 4;
const bytesOf = (x: TensorData) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

/**
 * A buffer holding `data`'s bytes, then `slack` bytes of 0xAB: the program must read the tensor's
 * bytes only (a packed input's padding comes from it, never from what follows).
 */
function uploadPlain(device: GPUDevice, data: TensorData, usage = STORAGE | COPY_SRC | COPY_DST, slack = 8): GPUBuffer {
  const bytes = bytesOf(data);
  const buffer = device.createBuffer({ size: roundUp4(bytes.length) + slack, usage, mappedAtCreation: true });
  const view = new Uint8Array(buffer.getMappedRange());
  view.fill(0xab);
  view.set(bytes);
  buffer.unmap();
  return buffer;
}

async function readBack(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<Uint8Array> {
  const staging = device.createBuffer({ size: roundUp4(Math.max(bytes, 4)), usage: MAP_READ | COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, staging.size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MAP_READ);
  const out = new Uint8Array(staging.getMappedRange().slice(0, bytes));
  staging.destroy();
  return out;
}

const plainBytes = (t: TensorIR) => tensorElementCount(t.shape) * (t.dtype === 'float32' || t.dtype === 'int32' ? 4 : 1);

/**
 * The model on `runs` random inputs: typed in and out (the baseline), GPUBuffers in with host
 * outputs, and GPUBuffers in with outputs left on the GPU and read back here; all byte-identical.
 */
async function checkRoutes(ctx: GpuContext, graph: Graph, runs: number, seed: number) {
  const model = await OctetModel.load(graph, { context: ctx });
  const { device } = ctx;
  const owned: GPUBuffer[] = [];
  try {
    const rng = mulberry32(seed);
    const distinct = new Set<string>();
    for (let r = 0; r < runs; r++) {
      const inputs = model.inputs.map((t) => randomInput(rng, t));
      const expected = await model.run(inputs);
      distinct.add(expected.map((o) => Array.from(bytesOf(o)).join(',')).join(';'));
      const buffers = inputs.map((x) => uploadPlain(device, x));
      owned.push(...buffers);

      const hostOut = await model.run(buffers);
      hostOut.forEach((o, i) => {
        expect(o.constructor, `output ${i} type`).toBe(expected[i]!.constructor);
        expect(bytesOf(o), `run ${r} output ${i}: GPUBuffer in, host out`).toEqual(bytesOf(expected[i]!));
      });

      const gpuOut = await model.run(buffers, { outputs: 'gpu' });
      owned.push(...gpuOut);
      expect(gpuOut.length).toBe(model.outputs.length);
      for (const [i, b] of gpuOut.entries()) {
        const t = model.outputs[i]!;
        expect(b.size, `output ${i} size`).toBe(roundUp4(Math.max(plainBytes(t), 1)));
        expect(await readBack(device, b, plainBytes(t)), `run ${r} output ${i}: GPUBuffer in, GPU out`).toEqual(bytesOf(expected[i]!));
      }

      // Typed in, GPU out: the output conversion on its own.
      const typedInGpuOut = await model.runDetailed(inputs, { outputs: 'gpu' });
      owned.push(...typedInGpuOut.outputs);
      for (const [i, b] of typedInGpuOut.outputs.entries()) {
        expect(await readBack(device, b, plainBytes(model.outputs[i]!)), `run ${r} output ${i}: typed in, GPU out`).toEqual(bytesOf(expected[i]!));
      }
    }
    // Distinct inputs gave distinct outputs, so a conversion that ignored its input would fail above.
    if (runs > 1) expect(distinct.size).toBe(runs);
  } finally {
    model.dispose();
    for (const b of owned) b.destroy();
  }
}

const conv = (c: Partial<ConvCase>): ConvCase => ({
  kind: 'conv',
  dtype: 'int8',
  batch: 1,
  inH: 6,
  inW: 5,
  inC: 3,
  outC: 5,
  k: 3,
  stride: 1,
  dilation: 1,
  padding: 'SAME',
  activation: 'NONE',
  depthMultiplier: 1,
  bias: true,
  ...c,
});

describe('GPU-resident input and output equal the TypedArray route byte for byte', () => {
  it('int8 conv 2x6x5x3 -> 5 (channels not a multiple of 4, batch 2)', async () => {
    await checkRoutes(await testContext(), convGraph(mulberry32(1), conv({ batch: 2 })), 3, 11);
  });

  it('uint8 conv 1x7x5x3 -> 5 (the uint8 flip both ways)', async () => {
    await checkRoutes(await testContext(), convGraph(mulberry32(2), conv({ dtype: 'uint8', inH: 7 })), 3, 12);
  });

  it('int8 conv 1x4x4x8 -> 4 (channels a multiple of 4)', async () => {
    await checkRoutes(await testContext(), convGraph(mulberry32(3), conv({ inH: 4, inW: 4, inC: 8, outC: 4 })), 2, 13);
  });

  for (const dtype of ['int8', 'uint8'] as const) {
    it(`${dtype} fully connected [1, 10] -> [1, 7] (one row: the packed layout is the plain bytes, padded)`, async () => {
      const graph = fullyConnectedGraph(mulberry32(21), { dtype, batch: 1, depth: 10, units: 7, perChannel: dtype === 'int8', activation: 'NONE' });
      await checkRoutes(await testContext(), graph, 3, 22);
    });
  }

  it('ResNet-8 (mlperf-tiny, int8 input 32x32x3, int8 output [1, 10])', async () => {
    const path = 'models/mlperf-tiny/pretrainedResnet_quant.tflite';
    await checkRoutes(await testContext(), importTflite(modelBytes(path), path), 2, 14);
  });

  it('coral_split_concat (three uint8 inputs of 3, 1 and 2 channels, five outputs)', async () => {
    const path = 'models/corpus/coral_split_concat.tflite';
    const graph = importTflite(modelBytes(path), path);
    expect(graph.inputs.map((id) => graph.tensors[id]!.dtype)).toEqual(['uint8', 'uint8', 'uint8']);
    await checkRoutes(await testContext(), graph, 2, 15);
  });

  it('openmv_blazeface_front_128 (float32 input and outputs around an int8 body)', async () => {
    const path = 'models/corpus/openmv_blazeface_front_128.tflite';
    const graph = importTflite(modelBytes(path), path);
    expect(graph.tensors[graph.inputs[0]!]!.dtype).toBe('float32');
    await checkRoutes(await testContext(), graph, 1, 16);
  });

  it('outputs on the GPU are the caller\'s: not counted in memory(), and still readable after dispose', async () => {
    const ctx = await testContext();
    const graph = convGraph(mulberry32(4), conv({}));
    const model = await OctetModel.load(graph, { context: ctx });
    const input = randomInput(mulberry32(5), model.inputs[0]!);
    const [expected] = await model.run(input);
    const [first] = await model.run(input, { outputs: 'gpu' });
    // The first GPU-output run compiled the conversion and uploaded its params; later ones add nothing.
    const before = model.memory();
    const [second] = await model.run(input, { outputs: 'gpu' });
    expect(model.memory()).toEqual(before);
    model.dispose();
    expect(model.memory().liveBuffers).toBe(0);
    for (const b of [first!, second!]) {
      expect(await readBack(ctx.device, b, expected!.byteLength)).toEqual(bytesOf(expected!));
      b.destroy();
    }
  });
});

describe('GPUBuffers the program cannot take are refused with InputError', () => {
  async function expectInputError(run: Promise<unknown>, message: RegExp) {
    const e = await run.then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).code).toBe('INPUT');
    expect((e as Error).message).toMatch(message);
  }

  it('too small, wrong usage, another device; the model stays usable', async () => {
    const ctx = await testContext();
    const { device } = ctx;
    const graph = convGraph(mulberry32(6), conv({}));
    const model = await OctetModel.load(graph, { context: ctx });
    const other = await requestNodeGpuContext();
    const buffers: GPUBuffer[] = [];
    const make = (d: GPUDevice, size: number, usage: number) => {
      const b = d.createBuffer({ size, usage });
      buffers.push(b);
      return b;
    };
    try {
      const input = randomInput(mulberry32(7), model.inputs[0]!);
      const [expected] = await model.run(input);
      const bytes = input.byteLength; // 6*5*3 = 90, so the buffer must hold 92
      await expectInputError(model.run(make(device, bytes - 2, STORAGE)), /holds 88 bytes.*needs 90, so at least 92/);
      await expectInputError(model.run(make(device, 90, STORAGE)), /holds 90 bytes.*at least 92/);
      await expectInputError(model.run(make(device, 92, COPY_SRC | COPY_DST)), /GPUBufferUsage\.STORAGE/);
      await expectInputError(model.run(make(other.device, 92, STORAGE)), /input 0 \('input'\).*cannot use the GPUBuffer/);
      const destroyed = make(device, 92, STORAGE);
      destroyed.destroy();
      await expectInputError(model.run(destroyed), /input 0 \('input'\): the run's submission failed on its GPUBuffer/);
      // Refused runs ran nothing: the next one is right.
      const [after] = await model.run(uploadPlain(device, input));
      expect(bytesOf(after!)).toEqual(bytesOf(expected!));
    } finally {
      model.dispose();
      for (const b of buffers) b.destroy();
      other.destroy();
    }
  });

  it('a float32 input needs COPY_SRC', async () => {
    const ctx = await testContext();
    const path = 'models/corpus/openmv_blazeface_front_128.tflite';
    const model = await OctetModel.load(importTflite(modelBytes(path), path), { context: ctx });
    const b = ctx.device.createBuffer({ size: 128 * 128 * 3 * 4, usage: STORAGE });
    try {
      await expectInputError(model.run(b), /GPUBufferUsage\.COPY_SRC/);
    } finally {
      model.dispose();
      b.destroy();
    }
  });

  it("outputs: 'gpu' is refused where a host op computes the outputs (TFLite_Detection_PostProcess)", async () => {
    const ctx = await testContext();
    const { graph, inputs } = detectionGraph(mulberry32(10), { name: 'ssd', boxes: 'uint8', classes: 'uint8', numBoxes: 12, numClasses: 3, background: true, options: {} });
    const model = await OctetModel.load(graph, { context: ctx });
    try {
      const expected = await model.run(inputs);
      await expectInputError(model.run(inputs, { outputs: 'gpu' }), /TFLite_Detection_PostProcess/);
      // GPUBuffer inputs still serve it: the host tail runs on what the GPU part read back.
      const buffers = inputs.map((x) => uploadPlain(ctx.device, x));
      try {
        const got = await model.run(buffers);
        got.forEach((o, i) => expect(bytesOf(o), `output ${i}`).toEqual(bytesOf(expected[i]!)));
      } finally {
        for (const b of buffers) b.destroy();
      }
    } finally {
      model.dispose();
    }
  });

  it('the CPU backend takes host data only', async () => {
    const ctx = await testContext();
    const graph = convGraph(mulberry32(8), conv({}));
    const model = await OctetModel.load(graph, { backend: 'cpu' });
    const input = randomInput(mulberry32(9), model.inputs[0]!);
    const b = uploadPlain(ctx.device, input);
    try {
      await expectInputError(model.run(b), /'cpu' backend takes host data/);
      await expectInputError(model.run(input, { outputs: 'gpu' }), /'cpu' backend has no GPU/);
      expect((await model.run(input))[0]!.length).toBe(tensorElementCount(model.outputs[0]!.shape));
    } finally {
      model.dispose();
      b.destroy();
    }
  });
});
