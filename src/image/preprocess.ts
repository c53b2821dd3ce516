// Turns a decoded image (or raw 8-bit pixels) into a model's input tensor.
//
// Every model family wants its pixels differently (see the shared assets' ASSETS.md and
// reference/README.md), and the quant params alone do not say which: tf2_mobilenet_v2_ptq has
// scale 1/127.5, zp 127 yet takes the raw uint8 pixel. So the conversion is an explicit
// InputRecipe, chosen from a table keyed by model file name with a documented default.
//
// A model that carries TFLite Support metadata says itself how it wants its pixels
// (recipeFromMetadata); the table and the dtype default serve models without it (chooseInputRecipe).
//
// Pipeline: whole-image resize (no crop) to the input's H×W → round to 8-bit pixels (the
// reference inputs and PIL/TFLite Support all go through an 8-bit image) → optional grayscale
// → encode per recipe → NHWC or NCHW.
import { OctetError } from '../errors.ts';
import type { TensorIR } from '../model/graph.ts';
import type { ModelMetadata, TensorMetadataInfo } from '../model/metadata.ts';
import type { RgbImage } from './decode.ts';
import { resizeBilinearInto, resizeNearest } from './resize.ts';

export type InputLayout = 'NHWC' | 'NCHW';

/**
 * How an 8-bit pixel value p (0..255, per channel c) becomes a tensor element.
 * - 'pixel': the quantized element is p + offset, bypassing the quant params. This is the
 *   convention of models whose input quantization was built around the raw pixel (uint8
 *   MobileNets: offset 0; MLPerf Tiny int8 models and person_detect: offset −128).
 * - 'real': the model sees real = toReal(p, c); float inputs take it as is, quantized inputs
 *   quantize it with their own (per-tensor) quant params, rounding half away from zero.
 */
export type PixelEncoding =
  | { kind: 'pixel'; offset: number }
  | { kind: 'real'; toReal: (pixel: number, channel: number) => number; description: string };

export interface InputRecipe {
  /** Short name for logs and errors, e.g. 'uint8 pixel'. */
  name: string;
  layout: InputLayout;
  /** 3 = RGB; 1 = grayscale round(mean(R, G, B)). */
  channels: 1 | 3;
  resize: 'bilinear' | 'nearest';
  encoding: PixelEncoding;
}

export class PreprocessError extends OctetError {
  override name = 'PreprocessError';
  readonly code = 'PREPROCESS';
}

export type ModelInputArray = Int8Array | Uint8Array | Float32Array;

// ---------------------------------------------------------------------------------------------
// Recipes

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

export const RECIPES = {
  /** q = p: coral / TFLite Support uint8 MobileNets (scale 1/128, zp 128) and tf2 ptq (1/127.5, 127). */
  uint8Pixel: { name: 'uint8 pixel', layout: 'NHWC', channels: 3, resize: 'bilinear', encoding: { kind: 'pixel', offset: 0 } },
  /** q = p − 128: MLPerf Tiny int8 models (ResNet-8, VWW). */
  int8PixelMinus128: { name: 'pixel − 128', layout: 'NHWC', channels: 3, resize: 'bilinear', encoding: { kind: 'pixel', offset: -128 } },
  /** q = round(mean(R,G,B)) − 128, one channel: tflite-micro person_detect. */
  grayPixelMinus128: { name: 'gray pixel − 128', layout: 'NHWC', channels: 1, resize: 'bilinear', encoding: { kind: 'pixel', offset: -128 } },
  /** (p − 127.5) / 127.5 ∈ [−1, 1]: float MobileNets. */
  floatMinusOneToOne: {
    name: '(p − 127.5) / 127.5',
    layout: 'NHWC',
    channels: 3,
    resize: 'bilinear',
    encoding: { kind: 'real', toReal: (p) => (p - 127.5) / 127.5, description: '(p − 127.5) / 127.5' },
  },
  /** p / 255 ∈ [0, 1]: MLPerf vww_96_float. */
  floatZeroToOne: {
    name: 'p / 255',
    layout: 'NHWC',
    channels: 3,
    resize: 'bilinear',
    encoding: { kind: 'real', toReal: (p) => p / 255, description: 'p / 255' },
  },
  /** p ∈ [0, 255] as float: MLPerf ResNet-8 float. */
  floatRawPixel: {
    name: 'raw pixel',
    layout: 'NHWC',
    channels: 3,
    resize: 'bilinear',
    encoding: { kind: 'real', toReal: (p) => p, description: 'p' },
  },
  /** torchvision: (p/255 − mean[c]) / std[c] with ImageNet mean/std, NCHW, quantized by the input params. */
  torchvisionImagenetNchw: {
    name: 'torchvision ImageNet mean/std, NCHW',
    layout: 'NCHW',
    channels: 3,
    resize: 'bilinear',
    encoding: {
      kind: 'real',
      toReal: (p, c) => (p / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c],
      description: '(p/255 − ImageNet mean) / ImageNet std',
    },
  },
} as const satisfies Record<string, InputRecipe>;

/**
 * Models in the shared assets, by file basename (without .tflite). `null` marks models whose
 * input is not an image (audio features, embeddings, synthetic vectors).
 */
const RECIPE_BY_MODEL: Readonly<Record<string, InputRecipe | null>> = {
  'mobilenet_v1_0.25_128_quant': RECIPES.uint8Pixel,
  'mobilenet_v1_0.5_160_quant': RECIPES.uint8Pixel,
  'mobilenet_v1_0.75_192_quant': RECIPES.uint8Pixel,
  'mobilenet_v1_1.0_224_quant_embedding_extractor': RECIPES.uint8Pixel,
  'mobilenet_v2_1.0_224_quant': RECIPES.uint8Pixel,
  'tf2_mobilenet_v2_1.0_224_ptq': RECIPES.uint8Pixel,
  'mobilenet_v1_0.25_224_quant': RECIPES.uint8Pixel,
  'mobilenet_v1_0.25_224_1_default_1': RECIPES.floatMinusOneToOne,
  mobilenet_v2_quantized_1x3x224x224: RECIPES.torchvisionImagenetNchw,
  person_detect: RECIPES.grayPixelMinus128,
  vww_96_int8: RECIPES.int8PixelMinus128,
  vww_96_float: RECIPES.floatZeroToOne,
  pretrainedResnet_quant: RECIPES.int8PixelMinus128,
  pretrainedResnet_large_int8: RECIPES.int8PixelMinus128,
  pretrainedResnet: RECIPES.floatRawPixel,
  pretrainedResnet_large_float: RECIPES.floatRawPixel,
  mobilenet_quant_v1_224_head_layers: null,
  kws_ref_model: null,
  kws_ref_model_float32: null,
  micro_speech_quantized: null,
  ad01_int8: null,
  ad01_fp32: null,
  hello_world_int8: null,
  hello_world_float: null,
};

/** 'models/coral/x.tflite' or 'x.tflite' or 'x' → 'x'. */
export function modelBaseName(modelName: string): string {
  const file = modelName.split(/[\\/]/).pop() ?? modelName;
  return file.replace(/\.tflite$/i, '');
}

/** Whether the input looks like one image: [1, H, W, 1|3] or [1, 1|3, H, W]. */
export function imageInputLayout(input: TensorIR): InputLayout | undefined {
  const s = input.shape;
  if (s.length !== 4 || s[0] !== 1) return undefined;
  const nhwc = s[3] === 1 || s[3] === 3;
  const nchw = s[1] === 1 || s[1] === 3;
  if (nhwc) return 'NHWC'; // [1, 3, 224, 3] style ambiguity resolves to TFLite's native layout
  if (nchw) return 'NCHW';
  return undefined;
}

/**
 * The recipe for a model: the table entry for known asset models, else the default derived
 * from the input tensor. Undefined when the model does not take an image.
 *
 * Default (unknown models), by input dtype:
 * - uint8 → q = p. uint8 image models are quantized so that the raw pixel is the input.
 * - int8 → q = p − 128. Whether the int8 range stands for [0, 1] (scale ≈ 1/255, zp −128),
 *   [−1, 1] (scale ≈ 1/128, zp 0) or [0, 255] (scale ≈ 1, zp −128), quantizing the matching
 *   normalisation of p gives p − 128 (to within a rounding step), so the shift is the robust choice.
 * - float32 → (p − 127.5) / 127.5, the Keras / TF Hub MobileNet convention.
 * Layout and channel count come from the input shape (1 channel → grayscale).
 */
export function recipeForModel(modelName: string, input: TensorIR): InputRecipe | undefined {
  const base = modelBaseName(modelName);
  if (Object.hasOwn(RECIPE_BY_MODEL, base)) return RECIPE_BY_MODEL[base] ?? undefined;
  return defaultRecipe(input);
}

/** Where a model's input recipe came from: its own metadata, Octet's table of asset models, or the dtype default. */
export type RecipeSource = 'metadata' | 'table' | 'default';

export interface ChosenRecipe {
  recipe: InputRecipe;
  source: RecipeSource;
}

/**
 * The recipe an image input's TFLite Support metadata implies, as the TFLite Task Library reads it:
 * a uint8 input takes the raw pixel (the Task Library feeds 8-bit images as they are); a float32
 * input takes (p − mean[c]) / std[c] from the NormalizationOptions; an int8 input (which the Task
 * Library does not take) quantizes that normalized value with the input's own parameters. The
 * colour space picks RGB or grayscale. Undefined when the metadata does not describe an image
 * input or lacks what its dtype needs (a float32 input without normalization).
 */
export function recipeFromMetadata(input: TensorIR, metadata: TensorMetadataInfo): InputRecipe | undefined {
  const content = metadata.content;
  if (content?.kind !== 'image') return undefined;
  const layout = imageInputLayout(input);
  if (!layout) return undefined;
  const channels = (layout === 'NHWC' ? input.shape[3] : input.shape[1]) as 1 | 3;
  const wanted = content.colorSpace === 'GRAYSCALE' ? 1 : content.colorSpace === 'RGB' ? 3 : channels;
  if (wanted !== channels) {
    throw new PreprocessError(
      `input '${input.name}' [${input.shape.join(', ')}] has ${channels} channel(s), but its metadata says ${content.colorSpace}`,
    );
  }
  if (input.dtype === 'uint8') {
    return { name: 'metadata: uint8 pixel', layout, channels, resize: 'bilinear', encoding: { kind: 'pixel', offset: 0 } };
  }
  const norm = metadata.normalization;
  if (!norm || (input.dtype !== 'float32' && input.dtype !== 'int8')) return undefined;
  const mean = (c: number) => norm.mean[norm.mean.length === 1 ? 0 : c] ?? norm.mean[0]!;
  const std = (c: number) => norm.std[norm.std.length === 1 ? 0 : c] ?? norm.std[0]!;
  if ((norm.mean.length !== 1 && norm.mean.length !== channels) || (norm.std.length !== 1 && norm.std.length !== channels)) {
    throw new PreprocessError(`input '${input.name}': metadata normalization has ${norm.mean.length} means and ${norm.std.length} stds for ${channels} channel(s)`);
  }
  const describe = (v: number[]) => (v.length === 1 ? String(v[0]) : `[${v.join(', ')}]`);
  const description = `(p − ${describe(norm.mean)}) / ${describe(norm.std)}`;
  return {
    name: `metadata: ${description}`,
    layout,
    channels,
    resize: 'bilinear',
    encoding: { kind: 'real', toReal: (p, c) => (p - mean(c)) / std(c), description },
  };
}

/**
 * The recipe for input `inputIndex` of a model: from its metadata when it has usable image
 * metadata, else recipeForModel (Octet's table by file name, then the dtype default), with the
 * source said. Undefined when the input is not an image.
 */
export function chooseInputRecipe(modelName: string, input: TensorIR, metadata?: ModelMetadata, inputIndex = 0): ChosenRecipe | undefined {
  const fromMetadata = metadata?.inputs[inputIndex] && recipeFromMetadata(input, metadata.inputs[inputIndex]);
  if (fromMetadata) return { recipe: fromMetadata, source: 'metadata' };
  const recipe = recipeForModel(modelName, input);
  if (!recipe) return undefined;
  return { recipe, source: Object.hasOwn(RECIPE_BY_MODEL, modelBaseName(modelName)) ? 'table' : 'default' };
}

export function defaultRecipe(input: TensorIR): InputRecipe | undefined {
  const layout = imageInputLayout(input);
  if (!layout) return undefined;
  const channels = (layout === 'NHWC' ? input.shape[3] : input.shape[1]) as 1 | 3;
  let base: InputRecipe;
  if (input.dtype === 'uint8') base = RECIPES.uint8Pixel;
  else if (input.dtype === 'int8') base = RECIPES.int8PixelMinus128;
  else if (input.dtype === 'float32') base = RECIPES.floatMinusOneToOne;
  else return undefined;
  return { ...base, name: `default: ${base.name}`, layout, channels };
}

// ---------------------------------------------------------------------------------------------
// Conversion

export interface ImageToModelInputOptions {
  /** Whole recipe; default recipeForModel('', input), i.e. the dtype default. */
  recipe?: InputRecipe;
  /** Overrides of single recipe fields. */
  layout?: InputLayout;
  normalization?: PixelEncoding;
  resize?: 'bilinear' | 'nearest';
}

/** Height and width the input tensor wants, per recipe layout; checks the channel count. */
export function inputImageSize(input: TensorIR, recipe: InputRecipe): { height: number; width: number } {
  const s = input.shape;
  const channelAxis = recipe.layout === 'NHWC' ? 3 : 1;
  if (s.length !== 4 || s[0] !== 1 || s[channelAxis] !== recipe.channels) {
    throw new PreprocessError(
      `input '${input.name}' has shape [${s.join(', ')}]; recipe '${recipe.name}' needs ${recipe.layout} with batch 1 and ${recipe.channels} channel(s)`,
    );
  }
  return recipe.layout === 'NHWC' ? { height: s[1], width: s[2] } : { height: s[2], width: s[3] };
}

/** Decoded image → input tensor: resize (whole image) → 8-bit pixels → encodePixels. */
export function imageToModelInput(img: RgbImage, input: TensorIR, opts: ImageToModelInputOptions = {}): ModelInputArray {
  const recipe = resolveRecipe(input, opts);
  const { height, width } = inputImageSize(input, recipe);
  return encodePixels(resizeToPixels(img, width, height, recipe.resize), width, height, input, recipe);
}

/** Resized 8-bit RGB pixels (HWC), rounded half up as the reference inputs are. */
export function resizeToPixels(img: RgbImage, width: number, height: number, method: 'bilinear' | 'nearest' = 'bilinear'): Uint8Array {
  // Float64 keeps exact .5 ties exact; a Float32Array would turn 67.49999… into 67.5.
  const resized =
    method === 'bilinear'
      ? resizeBilinearInto(img, width, height, new Float64Array(width * height * 3))
      : resizeNearest(img, width, height);
  const pixels = new Uint8Array(resized.length);
  // Bilinear and nearest samples are convex combinations of 0..255 values: no clamping needed.
  for (let i = 0; i < resized.length; i++) pixels[i] = Math.round(resized[i]);
  return pixels;
}

/**
 * 8-bit RGB pixels already at the input's size (HWC, as in the MLPerf .bin files) → tensor,
 * with grayscale, encoding and layout per recipe.
 */
export function encodePixels(rgb: Uint8Array, width: number, height: number, input: TensorIR, recipe: InputRecipe): ModelInputArray {
  const size = inputImageSize(input, recipe);
  if (size.width !== width || size.height !== height) {
    throw new PreprocessError(`pixels are ${width}x${height}; input '${input.name}' wants ${size.width}x${size.height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new PreprocessError(`expected ${width}x${height}x3 = ${width * height * 3} RGB bytes, got ${rgb.length}`);
  }
  const channels = recipe.channels;
  const pixelCount = width * height;
  const out = allocateFor(input, pixelCount * channels);
  const encode = elementEncoder(input, recipe);
  for (let i = 0; i < pixelCount; i++) {
    for (let c = 0; c < channels; c++) {
      const pixel =
        channels === 1 ? Math.round((rgb[i * 3] + rgb[i * 3 + 1] + rgb[i * 3 + 2]) / 3) : rgb[i * 3 + c];
      const index = recipe.layout === 'NHWC' ? i * channels + c : c * pixelCount + i;
      out[index] = encode(pixel, c);
    }
  }
  return out;
}

/**
 * What encodePixels writes for each 8-bit value p of each channel c, at c·256 + p: the same
 * encoder, so a table lookup (the GPU image input's, src/image/gpu-input.ts) reproduces the
 * recipe's arithmetic, toReal's float64 and the quantization rounding included, exactly.
 * Checks the recipe against the input as encodePixels does.
 */
export function pixelEncodingTable(input: TensorIR, recipe: InputRecipe): Float64Array {
  inputImageSize(input, recipe);
  allocateFor(input, 0);
  const encode = elementEncoder(input, recipe);
  const table = new Float64Array(256 * recipe.channels);
  for (let c = 0; c < recipe.channels; c++) {
    for (let p = 0; p < 256; p++) table[c * 256 + p] = encode(p, c);
  }
  return table;
}

function resolveRecipe(input: TensorIR, opts: ImageToModelInputOptions): InputRecipe {
  const base = opts.recipe ?? defaultRecipe(input);
  if (!base) {
    throw new PreprocessError(
      `input '${input.name}' ([${input.shape.join(', ')}] ${input.dtype}) is not an image input; pass a recipe to force one`,
    );
  }
  return {
    ...base,
    layout: opts.layout ?? base.layout,
    encoding: opts.normalization ?? base.encoding,
    resize: opts.resize ?? base.resize,
  };
}

function allocateFor(input: TensorIR, length: number): ModelInputArray {
  switch (input.dtype) {
    case 'int8':
      return new Int8Array(length);
    case 'uint8':
      return new Uint8Array(length);
    case 'float32':
      return new Float32Array(length);
    default:
      throw new PreprocessError(`input '${input.name}' has dtype ${input.dtype}; image inputs must be int8, uint8 or float32`);
  }
}

const DTYPE_RANGE = { int8: [-128, 127], uint8: [0, 255] } as const;

function elementEncoder(input: TensorIR, recipe: InputRecipe): (pixel: number, channel: number) => number {
  const enc = recipe.encoding;
  if (input.dtype === 'float32') {
    if (enc.kind !== 'real') {
      throw new PreprocessError(`recipe '${recipe.name}' writes quantized pixels, but input '${input.name}' is float32`);
    }
    return enc.toReal;
  }
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') {
    throw new PreprocessError(`input '${input.name}' has dtype ${input.dtype}; image inputs must be int8, uint8 or float32`);
  }
  const [lo, hi] = DTYPE_RANGE[input.dtype];
  if (enc.kind === 'pixel') {
    if (0 + enc.offset < lo || 255 + enc.offset > hi) {
      throw new PreprocessError(`recipe '${recipe.name}' (pixel ${enc.offset >= 0 ? '+' : '−'} ${Math.abs(enc.offset)}) does not fit ${input.dtype} input '${input.name}'`);
    }
    return (p) => p + enc.offset;
  }
  const q = input.quant;
  if (!q || q.scale.length !== 1) {
    throw new PreprocessError(
      `input '${input.name}' is ${input.dtype} without per-tensor quant params; recipe '${recipe.name}' needs them to quantize ${enc.description}`,
    );
  }
  const scale = q.scale[0];
  const zeroPoint = q.zeroPoint[0];
  return (p, c) => {
    const v = enc.toReal(p, c) / scale;
    // TFLite rounds half away from zero; Math.round would round −2.5 to −2.
    const rounded = Math.sign(v) * Math.round(Math.abs(v));
    return Math.min(hi, Math.max(lo, rounded + zeroPoint));
  };
}
