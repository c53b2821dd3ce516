// The GPU image input from the browser's own image sources (test/browser/image-input.test.ts):
// ImageBitmap, ImageData, HTMLCanvasElement, OffscreenCanvas, HTMLImageElement and VideoFrame, each
// copied into a texture by copyExternalImageToTexture and preprocessed on the GPU, against the
// CPU's imageToModelInput on the same opaque pixels, byte for byte. Results land on
// window.__octetImageResults.
import { requestGpuContext } from '../../src/gpu/context.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { imageToModelInput, RECIPES, type InputRecipe } from '../../src/image/preprocess.ts';
import type { RgbImage } from '../../src/image/decode.ts';
import type { DType, QuantParams } from '../../src/model/graph.ts';
import { imageProbeGraph, quant } from '../helpers/graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

interface SourceResult {
  source: string;
  recipe: string;
  elements: number;
  differing: number;
  error?: string;
}

const WIDTH = 37;
const HEIGHT = 29;

function randomImage(seed: number): RgbImage {
  const rng = mulberry32(seed);
  return { width: WIDTH, height: HEIGHT, data: Uint8Array.from({ length: WIDTH * HEIGHT * 3 }, () => Math.floor(rng() * 256)) };
}

/** Opaque RGBA: canvases store premultiplied pixels, which only opaque ones survive unchanged. */
function imageDataOf(img: RgbImage): ImageData {
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) rgba.set([img.data[3 * i]!, img.data[3 * i + 1]!, img.data[3 * i + 2]!, 255], 4 * i);
  return new ImageData(rgba, img.width, img.height);
}

async function sources(img: RgbImage): Promise<Array<[string, GPUCopyExternalImageSource]>> {
  const data = imageDataOf(img);
  const canvas = document.createElement('canvas');
  canvas.width = img.width;
  canvas.height = img.height;
  canvas.getContext('2d')!.putImageData(data, 0, 0);
  const offscreen = new OffscreenCanvas(img.width, img.height);
  offscreen.getContext('2d')!.putImageData(data, 0, 0);
  const bitmap = await createImageBitmap(data, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  // A lossless PNG of the canvas, decoded by the browser.
  const element = new Image();
  element.src = canvas.toDataURL('image/png');
  await element.decode();
  const list: Array<[string, GPUCopyExternalImageSource]> = [
    ['ImageBitmap', bitmap],
    ['ImageData', data],
    ['HTMLCanvasElement', canvas],
    ['OffscreenCanvas', offscreen],
    ['HTMLImageElement', element],
  ];
  // Headless Chromium on SwiftShader copies no VideoFrame directly, so this one takes the image
  // input's createImageBitmap route (src/image/gpu-input.ts).
  if (typeof VideoFrame === 'function') {
    list.push(['VideoFrame', new VideoFrame(canvas, { timestamp: 0 })]);
  }
  return list;
}

async function main(): Promise<void> {
  const results: SourceResult[] = [];
  const context = await requestGpuContext(navigator.gpu);
  const cases: Array<{ shape: number[]; dtype: DType; q: QuantParams; recipe: InputRecipe }> = [
    // Downscale and upscale, RGB and grayscale.
    { shape: [1, 16, 24, 3], dtype: 'uint8', q: quant(1 / 128, 128), recipe: RECIPES.uint8Pixel },
    { shape: [1, 45, 41, 1], dtype: 'int8', q: quant(1 / 255, -128), recipe: RECIPES.grayPixelMinus128 },
  ];
  const img = randomImage(2026);
  for (const c of cases) {
    const model = await OctetModel.load(imageProbeGraph(c.shape, c.dtype, c.q), { context });
    const expected = new Uint8Array(imageToModelInput(img, model.inputs[0]!, { recipe: c.recipe }).buffer);
    for (const [name, source] of await sources(img)) {
      try {
        const [out] = await model.run({ image: source, recipe: c.recipe });
        const got = new Uint8Array(out!.buffer, out!.byteOffset, out!.byteLength);
        let differing = got.length === expected.length ? 0 : Math.max(got.length, expected.length);
        for (let i = 0; i < Math.min(got.length, expected.length); i++) if (got[i] !== expected[i]) differing++;
        results.push({ source: name, recipe: c.recipe.name, elements: expected.length, differing });
      } catch (e) {
        results.push({ source: name, recipe: c.recipe.name, elements: expected.length, differing: -1, error: String((e as Error).message ?? e) });
      }
      if (source instanceof VideoFrame) source.close();
    }
    model.dispose();
  }
  (window as unknown as { __octetImageResults: unknown }).__octetImageResults = { adapter: context.caps.adapter.description, results };
}

main().catch((e: unknown) => {
  (window as unknown as { __octetImageResults: unknown }).__octetImageResults = { fatal: String((e as Error)?.stack ?? e), results: [] };
});
