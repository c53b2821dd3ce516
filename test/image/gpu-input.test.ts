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
import { ImageInputError, type ImageInput } from '../../src/image/gpu-input.ts';
import { imageToModelInput, RECIPES, resizeToPixels, type InputRecipe } from '../../src/image/preprocess.ts';
import { samplePositions } from '../../src/image/resize.ts';
import type { DType, Graph, QuantParams } from '../../src/model/graph.ts';
import { importTflite } from '../../src/model/import.ts';
import { InputError } from '../../src/runtime/gpu-program.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { fullyConnectedGraph, GraphBuilder, quant } from '../helpers/graphs.ts';
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

/** A model whose output is its input's bytes: RESHAPE of the image input to [1, N]. */
function probeGraph(shape: number[], dtype: DType, q?: QuantParams): Graph {
  const b = new GraphBuilder();
  const count = shape.reduce((a, d) => a * d, 1);
  const input = b.tensor('image', shape, dtype, q);
  const newShape = b.tensor('shape', [2], 'int32', undefined, Int32Array.of(1, count));
  const output = b.tensor('flat', [1, count], dtype, q);
  b.op({ type: 'RESHAPE', inputs: [input, newShape], outputs: [output], options: {} });
  return b.build([input], [output], 'probe');
}

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
