import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import type { DType, TensorIR } from '../../src/model/graph.ts';
import { decodeImage, type RgbImage } from '../../src/image/decode.ts';
import {
  encodePixels,
  imageToModelInput,
  PreprocessError,
  RECIPES,
  recipeForModel,
  type InputRecipe,
} from '../../src/image/preprocess.ts';

interface VectorEntry {
  model: string;
  input_file: string;
  input_shape: number[];
  input_dtype: DType;
  how_input_was_made: string;
}

const vectors: VectorEntry[] = JSON.parse(readFileSync(assetPath('reference', 'vectors', 'vectors.json'), 'utf8'));

function tensor(shape: number[], dtype: DType, quant?: { scale: number; zeroPoint: number }): TensorIR {
  return {
    id: 0,
    name: 'input',
    shape,
    dtype,
    quant: quant && { scale: Float64Array.of(quant.scale), zeroPoint: Int32Array.of(quant.zeroPoint), axis: 0 },
  };
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

const decodedCache = new Map<string, RgbImage>();
function decodeAsset(file: string): RgbImage {
  let img = decodedCache.get(file);
  if (!img) {
    img = decodeImage(new Uint8Array(readFileSync(assetPath(file))), file);
    decodedCache.set(file, img);
  }
  return img;
}

describe('reference input vectors made from asset images', () => {
  // "images/coral/cat.bmp decoded RGB, whole image bilinear (half-pixel) resized to 224x224, raw uint8 pixels"
  // "images/tflite-support/burger.jpg bilinear 224, (p-127.5)/127.5"
  const fromImages = vectors.filter((v) => v.how_input_was_made.startsWith('images/'));

  it('covers every image-derived vector (14 uint8 + 2 float)', () => {
    expect(fromImages.length).toBe(16);
  });

  for (const v of fromImages) {
    const source = v.how_input_was_made.split(' ')[0];
    it(`${v.input_file.split('/').pop()} is reproduced byte for byte from ${source}`, () => {
      const input = tensor(v.input_shape, v.input_dtype);
      const recipe = recipeForModel(v.model, input);
      expect(recipe).toBeDefined();
      const ours = bytesOf(imageToModelInput(decodeAsset(source), input, { recipe }));
      const ref = new Uint8Array(readFileSync(assetPath(v.input_file)));
      expect(ours.length).toBe(ref.length);
      let mismatches = 0;
      for (let i = 0; i < ref.length; i++) if (ours[i] !== ref[i]) mismatches++;
      expect(mismatches).toBe(0);
    });
  }
});

describe('recipeForModel', () => {
  const u8 = tensor([1, 224, 224, 3], 'uint8', { scale: 1 / 128, zeroPoint: 128 });

  it('uses the table for asset models, by basename with or without folder and extension', () => {
    expect(recipeForModel('models/coral/tf2_mobilenet_v2_1.0_224_ptq.tflite', u8)).toBe(RECIPES.uint8Pixel);
    expect(recipeForModel('vww_96_int8', tensor([1, 96, 96, 3], 'int8'))).toBe(RECIPES.int8PixelMinus128);
    expect(recipeForModel('C:\\m\\person_detect.tflite', tensor([1, 96, 96, 1], 'int8'))).toBe(RECIPES.grayPixelMinus128);
    expect(recipeForModel('mobilenet_v2_quantized_1x3x224x224.tflite', tensor([1, 3, 224, 224], 'int8'))?.layout).toBe('NCHW');
    expect(recipeForModel('pretrainedResnet.tflite', tensor([1, 32, 32, 3], 'float32'))).toBe(RECIPES.floatRawPixel);
    expect(recipeForModel('vww_96_float.tflite', tensor([1, 96, 96, 3], 'float32'))).toBe(RECIPES.floatZeroToOne);
  });

  it('returns undefined for known non-image models and non-image inputs', () => {
    expect(recipeForModel('kws_ref_model.tflite', tensor([1, 49, 10, 1], 'int8'))).toBeUndefined();
    expect(recipeForModel('mobilenet_quant_v1_224_head_layers', tensor([1, 1, 1, 1024], 'uint8'))).toBeUndefined();
    expect(recipeForModel('unknown.tflite', tensor([1, 640], 'int8'))).toBeUndefined();
    expect(recipeForModel('unknown.tflite', tensor([1, 8, 8, 3], 'int32'))).toBeUndefined();
  });

  it('defaults by dtype for unknown models, taking layout and channels from the shape', () => {
    expect(recipeForModel('new.tflite', u8)).toMatchObject({ layout: 'NHWC', channels: 3, encoding: { kind: 'pixel', offset: 0 } });
    expect(recipeForModel('new.tflite', tensor([1, 64, 64, 1], 'int8'))).toMatchObject({ channels: 1, encoding: { kind: 'pixel', offset: -128 } });
    const f = recipeForModel('new.tflite', tensor([1, 3, 32, 48], 'float32'));
    expect(f).toMatchObject({ layout: 'NCHW', channels: 3, encoding: { kind: 'real' } });
    expect(f?.encoding.kind === 'real' && [f.encoding.toReal(0, 0), f.encoding.toReal(255, 0)]).toEqual([-1, 1]);
  });
});

describe('encodePixels', () => {
  // 2x1 pixels: (10, 20, 31) and (200, 100, 0)
  const rgb = Uint8Array.of(10, 20, 31, 200, 100, 0);

  it('writes NHWC and NCHW orders', () => {
    const nhwc = encodePixels(rgb, 2, 1, tensor([1, 1, 2, 3], 'uint8'), RECIPES.uint8Pixel);
    expect(Array.from(nhwc)).toEqual([10, 20, 31, 200, 100, 0]);
    const nchwRecipe: InputRecipe = { ...RECIPES.uint8Pixel, layout: 'NCHW' };
    const nchw = encodePixels(rgb, 2, 1, tensor([1, 3, 1, 2], 'uint8'), nchwRecipe);
    expect(Array.from(nchw)).toEqual([10, 200, 20, 100, 31, 0]);
  });

  it('grayscale is round(mean(R, G, B)) − 128', () => {
    // mean(10, 20, 31) = 20.33 → 20; mean(200, 100, 0) = 100
    const out = encodePixels(rgb, 2, 1, tensor([1, 1, 2, 1], 'int8'), RECIPES.grayPixelMinus128);
    expect(out).toBeInstanceOf(Int8Array);
    expect(Array.from(out)).toEqual([20 - 128, 100 - 128]);
  });

  it('torchvision recipe normalises with ImageNet mean/std and quantizes with the input params', () => {
    const input = tensor([1, 3, 1, 2], 'int8', { scale: 0.0186311, zeroPoint: -14 });
    const out = encodePixels(rgb, 2, 1, input, RECIPES.torchvisionImagenetNchw);
    const mean = [0.485, 0.456, 0.406];
    const std = [0.229, 0.224, 0.225];
    const q = (p: number, c: number) => {
      const v = (p / 255 - mean[c]) / std[c] / 0.0186311;
      return Math.max(-128, Math.min(127, Math.sign(v) * Math.round(Math.abs(v)) - 14));
    };
    expect(Array.from(out)).toEqual([q(10, 0), q(200, 0), q(20, 1), q(100, 1), q(31, 2), q(0, 2)]);
    // Pixel 200 in the red channel: (0.7843 − 0.485)/0.229 = 1.307 → 70.2 → 70 − 14 = 56.
    expect(out[1]).toBe(56);
  });

  it('rounds quantized real values half away from zero, as TFLite does', () => {
    const input = tensor([1, 1, 2, 1], 'int8', { scale: 1, zeroPoint: 0 });
    const recipe: InputRecipe = {
      ...RECIPES.grayPixelMinus128,
      encoding: { kind: 'real', toReal: (p) => (p === 20 ? -2.5 : 2.5), description: '±2.5' },
    };
    expect(Array.from(encodePixels(rgb, 2, 1, input, recipe))).toEqual([-3, 3]);
  });

  it('float inputs get the real value', () => {
    const out = encodePixels(rgb, 2, 1, tensor([1, 1, 2, 3], 'float32'), RECIPES.floatZeroToOne);
    expect(out).toBeInstanceOf(Float32Array);
    expect(out[3]).toBeCloseTo(200 / 255, 7);
  });

  it('refuses mismatched shapes, dtypes and recipes with a clear error', () => {
    expect(() => encodePixels(rgb, 2, 1, tensor([1, 1, 2, 1], 'uint8'), RECIPES.uint8Pixel)).toThrow(
      /input 'input' has shape \[1, 1, 2, 1\]; recipe 'uint8 pixel' needs NHWC with batch 1 and 3 channel/,
    );
    expect(() => encodePixels(rgb, 2, 1, tensor([1, 1, 2, 3], 'uint8'), RECIPES.int8PixelMinus128)).toThrow(PreprocessError);
    expect(() => encodePixels(rgb, 2, 1, tensor([1, 1, 2, 3], 'float32'), RECIPES.uint8Pixel)).toThrow(/writes quantized pixels/);
    expect(() => encodePixels(rgb, 2, 1, tensor([1, 1, 2, 3], 'int8'), RECIPES.floatMinusOneToOne)).toThrow(/without per-tensor quant params/);
    expect(() => encodePixels(rgb, 3, 1, tensor([1, 1, 2, 3], 'uint8'), RECIPES.uint8Pixel)).toThrow(/pixels are 3x1/);
  });
});

describe('imageToModelInput', () => {
  it('needs a recipe for a non-image input', () => {
    const img = { width: 1, height: 1, data: Uint8Array.of(1, 2, 3) };
    expect(() => imageToModelInput(img, tensor([1, 640], 'int8'))).toThrow(/is not an image input/);
  });

  it('honours layout and normalisation overrides', () => {
    const img = { width: 2, height: 2, data: Uint8Array.from({ length: 12 }, (_, i) => i * 20) };
    const out = imageToModelInput(img, tensor([1, 3, 2, 2], 'float32'), {
      recipe: RECIPES.floatRawPixel,
      layout: 'NCHW',
      normalization: { kind: 'real', toReal: (p) => p + 0.5, description: 'p + .5' },
    });
    // Same size: no resampling; channel-major order.
    expect(Array.from(out)).toEqual([0, 60, 120, 180, 20, 80, 140, 200, 40, 100, 160, 220].map((p) => p + 0.5));
  });

  it('nearest resize on request (the pycoral cat golden uses NEAREST)', () => {
    const cat = decodeAsset('images/coral/cat.bmp');
    const input = tensor([1, 160, 160, 3], 'uint8');
    const nearest = imageToModelInput(cat, input, { recipe: RECIPES.uint8Pixel, resize: 'nearest' });
    // Output pixel (0, 0) samples source (floor(0.5·512/160), floor(0.5·341/160)) = (1, 1).
    expect(Array.from(nearest.subarray(0, 3))).toEqual(Array.from(cat.data.subarray((1 * 512 + 1) * 3, (1 * 512 + 1) * 3 + 3)));
  });
});
