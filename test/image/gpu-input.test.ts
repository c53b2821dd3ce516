// GPU-resident image input: an rgba8unorm/bgra8unorm texture preprocessed by the GPU
// (src/image/gpu-input.ts, shaders/image-input.wgsl) gives the same tensor bytes as the CPU
// pipeline (imageToModelInput) on the same 8-bit pixels, byte for byte: asset images at the
// asset models' input sizes and recipes, random images of odd sizes up and down, cases where the
// CPU's float64 blend rounds an exact .5 tie down (so an exact-arithmetic GPU would fail), and
// whole models run on a texture against the same models run on the CPU-preprocessed tensor.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { requestNodeGpuContext } from '../../src/gpu/node-gpu.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { decodeImage, type RgbImage } from '../../src/image/decode.ts';
import { GpuImageInput, ImageInputError, type ImageInput } from '../../src/image/gpu-input.ts';
import { GpuBufferTracker } from '../../src/gpu/memory.ts';
import { chooseInputRecipe, imageToModelInput, RECIPES, resizeToPixels, type InputRecipe } from '../../src/image/preprocess.ts';
import type { DType, QuantParams } from '../../src/model/graph.ts';
import { readTfliteMetadata } from '../../src/model/metadata.ts';
import { InputError } from '../../src/runtime/gpu-program.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { fromGpuLayout, gpuByteLength } from '../../src/kernels/layout.ts';
import { fullyConnectedGraph, imageProbeGraph, quant } from '../helpers/graphs.ts';
import { testContext } from '../helpers/gpu.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { modelBytes } from '../helpers/vectors.ts';

const TEXTURE_BINDING = 0x04;
const COPY_DST = 0x02;

const bytesOf = (x: ArrayBufferView) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);

function decodeAsset(file: string): RgbImage {
  return decodeImage(new Uint8Array(readFileSync(assetPath(file))), file);
}

/** The image as a texture, alpha random (the input ignores it). */
function textureOf(device: GPUDevice, img: RgbImage, format: 'rgba8unorm' | 'bgra8unorm' = 'rgba8unorm', seed = 1): GPUTexture {
  const rng = mulberry32(seed);
  const texels = new Uint8Array(img.width * img.height * 4);
  const [r, b] = format === 'rgba8unorm' ? [0, 2] : [2, 0];
  for (let i = 0; i < img.width * img.height; i++) {
    texels[4 * i + r] = img.data[3 * i]!;
    texels[4 * i + 1] = img.data[3 * i + 1]!;
    texels[4 * i + b] = img.data[3 * i + 2]!;
    texels[4 * i + 3] = Math.floor(rng() * 256);
  }
  const texture = device.createTexture({ size: [img.width, img.height], format, usage: TEXTURE_BINDING | COPY_DST });
  device.queue.writeTexture({ texture }, texels, { bytesPerRow: img.width * 4 }, [img.width, img.height]);
  return texture;
}

function randomImage(seed: number, width: number, height: number): RgbImage {
  const rng = mulberry32(seed);
  return { width, height, data: Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rng() * 256)) };
}

const probeGraph = imageProbeGraph;

interface Case {
  name: string;
  shape: number[];
  dtype: DType;
  quant?: QuantParams;
  recipe: InputRecipe;
}

const CASES: Case[] = [
  { name: 'uint8 pixel 224x224x3', shape: [1, 224, 224, 3], dtype: 'uint8', quant: quant(1 / 128, 128), recipe: RECIPES.uint8Pixel },
  { name: 'int8 pixel − 128, 96x96x3', shape: [1, 96, 96, 3], dtype: 'int8', quant: quant(1 / 255, -128), recipe: RECIPES.int8PixelMinus128 },
  { name: 'int8 pixel − 128, 32x32x3', shape: [1, 32, 32, 3], dtype: 'int8', quant: quant(1, -128), recipe: RECIPES.int8PixelMinus128 },
  { name: 'grayscale int8 pixel − 128, 96x96x1', shape: [1, 96, 96, 1], dtype: 'int8', quant: quant(1 / 255, -128), recipe: RECIPES.grayPixelMinus128 },
  { name: "'real' (p − 127.5)/127.5 quantized to int8 (scale 0.00787, zp 3), 128x128x3", shape: [1, 128, 128, 3], dtype: 'int8', quant: quant(0.00787, 3), recipe: RECIPES.floatMinusOneToOne },
  { name: 'float32 (p − 127.5)/127.5, 224x224x3', shape: [1, 224, 224, 3], dtype: 'float32', recipe: RECIPES.floatMinusOneToOne },
  { name: 'float32 p / 255, 96x96x3', shape: [1, 96, 96, 3], dtype: 'float32', recipe: RECIPES.floatZeroToOne },
  { name: 'torchvision NCHW int8 1x3x224x224', shape: [1, 3, 224, 224], dtype: 'int8', quant: quant(0.0186311, -14), recipe: RECIPES.torchvisionImagenetNchw },
  { name: 'nearest uint8 160x160x3', shape: [1, 160, 160, 3], dtype: 'uint8', quant: quant(1 / 128, 128), recipe: { ...RECIPES.uint8Pixel, resize: 'nearest' } },
  { name: 'grayscale NCHW uint8 1x1x61x97', shape: [1, 1, 61, 97], dtype: 'uint8', quant: quant(1 / 255, 0), recipe: { ...RECIPES.uint8Pixel, channels: 1, layout: 'NCHW' } },
];

/** The GPU-preprocessed tensor of `img` for `c` (read back through the probe model) and the CPU's, as bytes. */
async function both(ctx: GpuContext, model: OctetModel, img: RgbImage, c: Case, format: 'rgba8unorm' | 'bgra8unorm' = 'rgba8unorm') {
  const texture = textureOf(ctx.device, img, format);
  try {
    const [gpu] = await model.run({ image: texture, recipe: c.recipe });
    const cpu = imageToModelInput(img, model.inputs[0]!, { recipe: c.recipe });
    return { gpu: bytesOf(gpu!), cpu: bytesOf(cpu) };
  } finally {
    texture.destroy();
  }
}

function mismatches(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

describe('image input on the GPU equals the CPU preprocessing byte for byte', () => {
  const images = ['images/coral/grace_hopper.bmp', 'images/tflite-support/burger.jpg', 'images/tflite-micro/person.bmp'];
  for (const c of CASES) {
    it(c.name, async () => {
      const ctx = await testContext();
      const model = await OctetModel.load(probeGraph(c.shape, c.dtype, c.quant), { context: ctx });
      try {
        for (const [k, file] of images.entries()) {
          const { gpu, cpu } = await both(ctx, model, decodeAsset(file), c, k === 1 ? 'bgra8unorm' : 'rgba8unorm');
          expect(mismatches(gpu, cpu), file).toBe(0);
        }
        // Odd sizes, up and down.
        for (const [seed, w, h] of [[1, 7, 5], [2, 333, 257], [3, 1, 1], [4, 641, 3]] as const) {
          const { gpu, cpu } = await both(ctx, model, randomImage(seed, w, h), c);
          expect(mismatches(gpu, cpu), `random ${w}x${h}`).toBe(0);
        }
      } finally {
        model.dispose();
      }
    });
  }
});

/** round((upper·(1 − fy) + lower·fy)) in exact rational arithmetic, halves up: what an exact-arithmetic GPU would give. */
function exactResize(img: RgbImage, width: number, height: number): Uint8Array {
  const axis = (inSize: number, outSize: number) => {
    const den = 2 * outSize;
    const lo: number[] = [];
    const hi: number[] = [];
    const num: number[] = [];
    for (let i = 0; i < outSize; i++) {
      const n = Math.min(Math.max((2 * i + 1) * inSize - outSize, 0), (inSize - 1) * den);
      const l = Math.floor(n / den);
      lo.push(l);
      hi.push(Math.min(l + 1, inSize - 1));
      num.push(n - l * den);
    }
    return { lo, hi, num, den };
  };
  const xs = axis(img.width, width);
  const ys = axis(img.height, height);
  const d = BigInt(xs.den * ys.den);
  const out = new Uint8Array(width * height * 3);
  let o = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const p = (row: number, col: number) => BigInt(img.data[(row * img.width + col) * 3 + c]!);
        const [nx, ny] = [BigInt(xs.num[x]!), BigInt(ys.num[y]!)];
        const [gx, gy] = [BigInt(xs.den) - nx, BigInt(ys.den) - ny];
        const upper = p(ys.lo[y]!, xs.lo[x]!) * gx + p(ys.lo[y]!, xs.hi[x]!) * nx;
        const lower = p(ys.hi[y]!, xs.lo[x]!) * gx + p(ys.hi[y]!, xs.hi[x]!) * nx;
        out[o++] = Number((2n * (upper * gy + lower * ny) + d) / (2n * d));
      }
    }
  }
  return out;
}

describe('exact .5 ties follow the CPU float64 roundings', () => {
  it('burger.jpg at 224x224: the CPU rounds some exact ties down, and the GPU input does too', async () => {
    const img = decodeAsset('images/tflite-support/burger.jpg');
    const cpuPixels = resizeToPixels(img, 224, 224);
    // Where exact arithmetic and the CPU's float64 part: an exact-arithmetic shader would fail here.
    expect(mismatches(exactResize(img, 224, 224), cpuPixels)).toBeGreaterThan(0);
    const ctx = await testContext();
    const c = CASES[0]!;
    const model = await OctetModel.load(probeGraph(c.shape, c.dtype, c.quant), { context: ctx });
    try {
      const { gpu, cpu } = await both(ctx, model, img, c);
      expect(bytesOf(cpu)).toEqual(cpuPixels);
      expect(mismatches(gpu, cpu)).toBe(0);
    } finally {
      model.dispose();
    }
  });

  it('the float64 emulation alone (no exact integer shortcut) equals the CPU on every pixel', async () => {
    const ctx = await testContext();
    const { device } = ctx;
    const tracker = new GpuBufferTracker(device);
    const cases: Array<[RgbImage, Case]> = [
      [decodeAsset('images/tflite-support/burger.jpg'), CASES[0]!],
      [randomImage(11, 19, 23), CASES[3]!],
      [randomImage(12, 301, 211), CASES[7]!],
      [decodeAsset('images/coral/grace_hopper.bmp'), CASES[5]!],
    ];
    try {
      for (const [img, c] of cases) {
        const tensor = probeGraph(c.shape, c.dtype, c.quant).tensors[0]!;
        const stage = new GpuImageInput({
          device,
          tensor,
          tracker,
          workgroupSize: 64,
          workgroupsFor: (n) => [Math.ceil(n / 64), 1, 1],
          maxWorkgroups: device.limits.maxComputeWorkgroupsPerDimension,
          compile: async (label, code) => device.createComputePipeline({ label, layout: 'auto', compute: { module: device.createShaderModule({ code }), entryPoint: 'main' } }),
          exactBlend: false,
        });
        const bytes = gpuByteLength(tensor);
        const out = device.createBuffer({ size: bytes, usage: 0x80 | 0x04 });
        const read = device.createBuffer({ size: bytes, usage: 0x01 | 0x08 });
        const texture = textureOf(device, img);
        const encoder = device.createCommandEncoder();
        (await stage.prepare(texture, c.recipe))(encoder, out);
        encoder.copyBufferToBuffer(out, 0, read, 0, bytes);
        device.queue.submit([encoder.finish()]);
        await read.mapAsync(0x01);
        const gpu = fromGpuLayout(tensor, new Uint8Array(read.getMappedRange()));
        const cpu = imageToModelInput(img, tensor, { recipe: c.recipe });
        expect(mismatches(bytesOf(gpu), bytesOf(cpu)), `${c.name}, ${img.width}x${img.height}`).toBe(0);
        for (const x of [out, read, texture]) x.destroy();
        stage.dispose();
      }
    } finally {
      tracker.destroyAll();
    }
  });
});

describe('whole models run on a texture as on the CPU-preprocessed tensor', () => {
  const models: Array<[string, string]> = [
    ['models/mlperf-tiny/pretrainedResnet_quant.tflite', 'images/coral/bird.bmp'],
    ['models/coral/mobilenet_v1_0.25_128_quant.tflite', 'images/coral/parrot.jpg'],
    ['models/mlperf-tiny/vww_96_float.tflite', 'images/tflite-micro/person.bmp'],
  ];
  for (const [path, file] of models) {
    it(`${path.split('/').pop()} on ${file.split('/').pop()}, with the model's default recipe`, async () => {
      const ctx = await testContext();
      const model = await OctetModel.load(modelBytes(path), { context: ctx, name: path });
      const img = decodeAsset(file);
      const texture = textureOf(ctx.device, img);
      try {
        const chosen = chooseInputRecipe(path, model.inputs[0]!);
        expect(chosen?.source).toBe('table');
        const expected = await model.run(imageToModelInput(img, model.inputs[0]!, { recipe: chosen!.recipe }));
        const got = await model.run({ image: texture });
        expect(got.length).toBe(expected.length);
        got.forEach((o, i) => expect(bytesOf(o), `output ${i}`).toEqual(bytesOf(expected[i]!)));
        // Outputs left on the GPU too; later frames of the same size add no buffers.
        const first = await model.run({ image: texture }, { outputs: 'gpu' });
        const before = model.memory();
        const second = await model.run({ image: texture }, { outputs: 'gpu' });
        expect(model.memory()).toEqual(before);
        for (const b of [...first, ...second]) b.destroy();
      } finally {
        texture.destroy();
        model.dispose();
      }
      expect(model.memory().liveBuffers).toBe(0);
    });
  }
});

describe("an ImageInput without a recipe takes the model's metadata first", () => {
  it('tfls_dilated_conv (float32 [1, 1, 1, 3], metadata (p − 0) / 1): the metadata recipe, not the dtype default', async () => {
    const path = 'models/corpus/tfls_dilated_conv.tflite';
    const bytes = modelBytes(path);
    const ctx = await testContext();
    const model = await OctetModel.load(bytes, { context: ctx, name: path });
    const img = randomImage(21, 5, 4);
    const texture = textureOf(ctx.device, img);
    try {
      const input = model.inputs[0]!;
      const chosen = chooseInputRecipe(path, input, readTfliteMetadata(bytes));
      expect(chosen?.source).toBe('metadata');
      const expected = await model.run(imageToModelInput(img, input, { recipe: chosen!.recipe }));
      const got = await model.run({ image: texture });
      got.forEach((o, i) => expect(bytesOf(o), `output ${i}`).toEqual(bytesOf(expected[i]!)));
      // The dtype default, (p − 127.5) / 127.5, would have given other outputs.
      const byDefault = await model.run({ image: texture, recipe: RECIPES.floatMinusOneToOne });
      expect(bytesOf(byDefault[0]!)).not.toEqual(bytesOf(got[0]!));
    } finally {
      texture.destroy();
      model.dispose();
    }
  });
});

describe('image inputs the program cannot take are refused with a clear error', () => {
  async function refused(run: Promise<unknown>, type: typeof ImageInputError | typeof InputError, message: RegExp) {
    const e = await run.then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(type);
    expect((e as Error).message).toMatch(message);
  }

  it('formats, usage, layers, another device, a destroyed texture, a non-image input, a mismatched recipe; the model stays usable', async () => {
    const ctx = await testContext();
    const { device } = ctx;
    const c = CASES[2]!;
    const model = await OctetModel.load(probeGraph(c.shape, c.dtype, c.quant), { context: ctx });
    const other = await requestNodeGpuContext();
    const owned: GPUTexture[] = [];
    const make = (d: GPUDevice, format: GPUTextureFormat, usage = TEXTURE_BINDING, layers = 1) => {
      const t = d.createTexture({ size: [8, 6, layers], format, usage });
      owned.push(t);
      return t;
    };
    const fc = await OctetModel.load(fullyConnectedGraph(mulberry32(3), { dtype: 'int8', batch: 1, depth: 10, units: 4, perChannel: true, activation: 'NONE' }), { context: ctx });
    try {
      const img = randomImage(5, 8, 6);
      const { gpu: expected } = await both(ctx, model, img, c);
      await refused(model.run({ image: make(device, 'r8unorm') }), ImageInputError, /format is r8unorm.*rgba8unorm or bgra8unorm/);
      await refused(model.run({ image: make(device, 'rgba8unorm-srgb') }), ImageInputError, /format is rgba8unorm-srgb/);
      await refused(model.run({ image: make(device, 'rgba8unorm', COPY_DST) }), ImageInputError, /TEXTURE_BINDING/);
      await refused(model.run({ image: make(device, 'rgba8unorm', TEXTURE_BINDING, 2) }), ImageInputError, /2 layer/);
      await refused(model.run({ image: make(other.device, 'rgba8unorm') }), ImageInputError, /input 0 \('image'\).*cannot use the image/);
      const destroyed = make(device, 'rgba8unorm');
      destroyed.destroy();
      await refused(model.run({ image: destroyed }), ImageInputError, /input 0 \('image'\).*submission failed on its texture/);
      await refused(model.run({ image: make(device, 'rgba8unorm'), recipe: RECIPES.torchvisionImagenetNchw }), ImageInputError, /NCHW/);
      await refused(model.run({ image: make(device, 'rgba8unorm'), recipe: RECIPES.grayPixelMinus128 }), ImageInputError, /1 channel/);
      await refused(model.run({ image: make(device, 'rgba8unorm'), recipe: RECIPES.uint8Pixel }), ImageInputError, /does not fit int8/);
      await refused(fc.run({ image: make(device, 'rgba8unorm') }), ImageInputError, /\[1, 10\] is not one image/);
      // Refused runs ran nothing: the next one is right.
      const { gpu: after } = await both(ctx, model, img, c);
      expect(after).toEqual(expected);
    } finally {
      model.dispose();
      fc.dispose();
      for (const t of owned) t.destroy();
      other.destroy();
    }
  });

  it('the CPU backend refuses an ImageInput', async () => {
    const ctx = await testContext();
    const c = CASES[2]!;
    const model = await OctetModel.load(probeGraph(c.shape, c.dtype, c.quant), { backend: 'cpu' });
    const texture = textureOf(ctx.device, randomImage(6, 4, 4));
    try {
      await refused(model.run({ image: texture } satisfies ImageInput), InputError, /'cpu' backend takes host data.*not an ImageInput/);
    } finally {
      texture.destroy();
      model.dispose();
    }
  });
});
