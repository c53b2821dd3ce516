// GPU-resident image input: an image texture (or a browser image source, copied into one) becomes
// a model input tensor on the GPU, written straight into the input's activation buffer in Octet's
// packed layout by shaders/image-input.wgsl. The result is byte for byte what the CPU pipeline
// (resizeToPixels → encodePixels in src/image/preprocess.ts) makes of the same 8-bit RGB pixels:
// the source positions and float64 fractions are the CPU's own (samplePositions,
// nearestPositions), the float64 blend runs in software binary64 on the GPU where a pixel is an
// exact .5 tie (an exact integer blend, provably the same, decides every other pixel; bilinear is
// three dispatches so that only the tie words run the float64 code), and the encoding is a table
// of the CPU encoder's values (pixelEncodingTable).
import imageInputSource from '../../shaders/image-input.wgsl?raw';
import wideIntSource from '../../shaders/wide-int.wgsl?raw';
import indexingSource from '../../shaders/indexing.wgsl?raw';
import { OctetError } from '../errors.ts';
import type { TensorIR } from '../model/graph.ts';
import type { GpuBufferTracker } from '../gpu/memory.ts';
import { BUFFER_USAGE, TEXTURE_USAGE } from '../gpu/usage.ts';
import { gpuByteLength, innerDim, isEightBit, roundUp4 } from '../kernels/layout.ts';
import { renderShader } from '../kernels/shader.ts';
import { imageInputLayout, inputImageSize, pixelEncodingTable, PreprocessError, type InputRecipe } from './preprocess.ts';
import { nearestPositions, samplePositions } from './resize.ts';

/**
 * An image on the GPU or in the browser: a GPUTexture on the model's device (format rgba8unorm
 * or bgra8unorm, 2D, one layer, not multisampled, usage TEXTURE_BINDING; mip level 0 is read),
 * or anything `GPUQueue.copyExternalImageToTexture` takes (ImageBitmap, VideoFrame,
 * HTMLVideoElement, HTMLCanvasElement, OffscreenCanvas, HTMLImageElement, ImageData), copied into
 * an rgba8unorm texture first (colour space sRGB, alpha not premultiplied; a video the browser
 * will not copy directly goes through createImageBitmap). Alpha is ignored.
 */
export type ImageSource = GPUTexture | GPUCopyExternalImageSource;

/**
 * A model input given as an image (GPU backend): resized as a whole to the input's H×W, then
 * grayscale and encoded per `recipe` on the GPU, giving the same tensor bytes as
 * `imageToModelInput` (src/image/preprocess.ts) on the same 8-bit RGB pixels. The input must be
 * one image: [1, H, W, 1|3] or [1, 1|3, H, W], int8, uint8 or float32.
 */
export interface ImageInput {
  image: ImageSource;
  /**
   * How pixels become the tensor; default the model's own (chooseInputRecipe: its metadata, then
   * Octet's table by file name, then the dtype default). Its layout and channel count must match the
   * input's shape.
   */
  recipe?: InputRecipe;
}

export class ImageInputError extends OctetError {
  override name = 'ImageInputError';
  readonly code = 'IMAGE_INPUT';
}

const { TEXTURE_BINDING, COPY_DST: COPY_DST_TEXTURE, RENDER_ATTACHMENT } = TEXTURE_USAGE;
const { STORAGE, UNIFORM, COPY_DST, INDIRECT } = BUFFER_USAGE;

const READABLE_FORMATS: readonly string[] = ['rgba8unorm', 'bgra8unorm'];

/** Whether a run input is an ImageInput ({ image }) rather than host data or a GPUBuffer. */
export function isImageInput(x: unknown): x is ImageInput {
  return typeof x === 'object' && x !== null && !ArrayBuffer.isView(x) && 'image' in x && typeof (x as ImageInput).image === 'object' && (x as ImageInput).image !== null;
}

export function isGpuTexture(x: unknown): x is GPUTexture {
  return typeof x === 'object' && x !== null && typeof (x as GPUTexture).createView === 'function' && typeof (x as GPUTexture).format === 'string';
}

/** Width and height of an external image source, as copyExternalImageToTexture copies it. */
function externalSize(source: GPUCopyExternalImageSource): { width: number; height: number } {
  const s = source as unknown as Record<string, unknown>;
  const pick = (w: string, h: string) => (typeof s[w] === 'number' && typeof s[h] === 'number' ? { width: s[w] as number, height: s[h] as number } : undefined);
  // VideoFrame, then HTMLVideoElement, then HTMLImageElement, then the rest (bitmaps, canvases, ImageData).
  return pick('displayWidth', 'displayHeight') ?? pick('videoWidth', 'videoHeight') ?? pick('naturalWidth', 'naturalHeight') ?? pick('width', 'height') ?? { width: 0, height: 0 };
}

/** Refuses an input that is not one image ([1, H, W, 1|3] or [1, 1|3, H, W]). */
export function checkImageTensor(input: TensorIR, what: string): void {
  if (!imageInputLayout(input)) {
    throw new ImageInputError(`${what}: [${input.shape.join(', ')}] is not one image ([1, H, W, 1|3] or [1, 1|3, H, W]), so it cannot take an ImageInput`);
  }
}

/** The input checks that need no GPU: an image input at all, and a recipe matching it. */
export function checkImageTarget(input: TensorIR, recipe: InputRecipe, what: string): void {
  checkImageTensor(input, what);
  try {
    pixelEncodingTable(input, recipe);
  } catch (e) {
    if (e instanceof PreprocessError) throw new ImageInputError(`${what}: ${e.message}`);
    throw e;
  }
}

/** Refuses a texture the shader cannot read as 8-bit RGBA texels, before anything is queued. */
export function checkImageSource(source: ImageSource, what: string): void {
  if (isGpuTexture(source)) {
    const t = source;
    if (!READABLE_FORMATS.includes(t.format)) {
      throw new ImageInputError(`${what}: the texture's format is ${t.format}; an image input reads rgba8unorm or bgra8unorm texels (sRGB formats would be decoded to linear values)`);
    }
    if (t.dimension !== '2d' || t.depthOrArrayLayers !== 1 || t.sampleCount !== 1) {
      throw new ImageInputError(`${what}: the texture is ${t.dimension} with ${t.depthOrArrayLayers} layer(s) and ${t.sampleCount} sample(s); an image input is a 2d texture of one layer, not multisampled`);
    }
    if ((t.usage & TEXTURE_BINDING) === 0) {
      throw new ImageInputError(`${what}: the texture needs GPUTextureUsage.TEXTURE_BINDING (a shader reads it); its usage is 0x${t.usage.toString(16)}`);
    }
    return;
  }
  const { width, height } = externalSize(source);
  if (!(width > 0 && height > 0)) {
    throw new ImageInputError(`${what}: the image source has no pixels yet (${width}x${height}; a video before its first frame?)`);
  }
}

/** Binary64 bits as the shader's F64 (53-bit mantissa high and low words, exponent). */
function f64Words(x: number): [number, number, number] {
  if (x === 0) return [0, 0, 0];
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const high = view.getUint32(0);
  const biased = (high >>> 20) & 0x7ff;
  // Fractions here are 0 or at least about 1/(2·size): normal, finite and positive.
  if (x < 0 || biased === 0 || biased === 0x7ff) throw new Error(`image resize weight ${x} is not a positive normal number`);
  return [(high & 0xfffff) | 0x100000, view.getUint32(4), biased - 1075];
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Sources up to this many pixels a side keep the CPU's fractions within 2^−38 of exact (see the shader). */
const EXACT_MAX_SOURCE = 2 ** 14;

/**
 * The resize taps for the shader: per output column, then per output row, 10 words
 * [lo, hi, exact numerator, 0, frac (3 words), 1 − frac (3 words)], plus each axis's exact
 * denominator and whether the exact integer blend may decide non-tie pixels (see the shader).
 */
export function resizeTaps(srcWidth: number, srcHeight: number, width: number, height: number, method: 'bilinear' | 'nearest'): { words: Uint32Array; exact: boolean; dx: number; dy: number } {
  const words = new Uint32Array(10 * (width + height));
  const axis = (inSize: number, outSize: number, at: number): number => {
    if (method === 'nearest') {
      nearestPositions(inSize, outSize).forEach((lo, i) => (words[at + 10 * i] = lo));
      return 1;
    }
    const { lo, hi, frac } = samplePositions(inSize, outSize);
    // Exact source position ((2i + 1)·in − out) / (2·out), both terms divided by gcd(in, out).
    const g = gcd(inSize, outSize);
    const den = (2 * outSize) / g;
    for (let i = 0; i < outSize; i++) {
      const o = at + 10 * i;
      const num = Math.min(Math.max(((2 * i + 1) * inSize - outSize) / g, 0), (inSize - 1) * den);
      const exactLo = Math.floor(num / den);
      // The float64 positions floor to the exact ones (a non-integer position lies ≥ 1/(2·out) from an integer).
      if (exactLo !== lo[i]) throw new Error(`resize ${inSize} → ${outSize}: exact source row ${exactLo} differs from the CPU's ${lo[i]} at ${i}`);
      words[o] = lo[i]!;
      words[o + 1] = hi[i]!;
      words[o + 2] = num - exactLo * den;
      // The CPU blends with frac and 1 − frac, both float64: the same two values.
      const f = f64Words(frac[i]!);
      const g1 = f64Words(1 - frac[i]!);
      for (let k = 0; k < 3; k++) {
        words[o + 4 + k] = f[k]! >>> 0;
        words[o + 7 + k] = g1[k]! >>> 0;
      }
    }
    return den;
  };
  const dx = axis(srcWidth, width, 0);
  const dy = axis(srcHeight, height, 10 * width);
  const exact = method === 'bilinear' && 511 * dx * dy < 2 ** 32 && srcWidth <= EXACT_MAX_SOURCE && srcHeight <= EXACT_MAX_SOURCE;
  return { words, exact, dx, dy };
}

/** The recipe's encoding as the shader's table: the GPU layout's byte (uint8 flipped) or f32 bits. */
export function encodingWords(input: TensorIR, recipe: InputRecipe): Uint32Array {
  const values = pixelEncodingTable(input, recipe);
  if (input.dtype === 'float32') return new Uint32Array(Float32Array.from(values).buffer);
  const flip = input.dtype === 'uint8' ? 0x80 : 0;
  return Uint32Array.from(values, (v) => ((v & 0xff) ^ flip) >>> 0);
}

interface Compiled {
  /** Nearest: the one pass. Bilinear: the exact pass, then the tie list's dispatch size, then the tie pass (see the shader). */
  pipeline: GPUComputePipeline;
  tiePasses?: { args: GPUComputePipeline; ties: GPUComputePipeline; list: GPUBuffer };
  workgroups: [number, number, number];
  /** Params words 0..6; the taps fill in 7..9 (exact, dx, dy). */
  shape: number[];
}

/** Everything an image input of one model input needs, built on first use and kept for the next frame. */
export interface ImageInputTarget {
  device: GPUDevice;
  /** The input tensor as the GPU program holds it (its shape, dtype and quant params). */
  tensor: TensorIR;
  tracker: GpuBufferTracker;
  workgroupSize: number;
  workgroupsFor: (invocations: number) => [number, number, number];
  /** The device's maxComputeWorkgroupsPerDimension (the tie pass sizes its own dispatch). */
  maxWorkgroups: number;
  compile: (label: string, code: string) => Promise<GPUComputePipeline>;
  /** false: every bilinear pixel through the float64 emulation, not only exact ties (for tests of it alone). Default true. */
  exactBlend?: boolean;
}

/**
 * The image input of one model input: its pipelines (one per resize method), the last source
 * size's taps, the last recipe's table, and the texture external sources are copied into.
 */
export class GpuImageInput {
  private readonly compiled = new Map<string, Promise<Compiled>>();
  private taps: { key: string; buffer: GPUBuffer; params: GPUBuffer } | undefined;
  private table: { recipe: InputRecipe; buffer: GPUBuffer } | undefined;
  private staging: GPUTexture | undefined;

  constructor(private readonly target: ImageInputTarget) {}

  private async pipelineFor(recipe: InputRecipe): Promise<Compiled> {
    const t = this.target.tensor;
    const key = `${recipe.resize} ${recipe.layout} ${recipe.channels}`;
    let c = this.compiled.get(key);
    if (!c) {
      c = (async () => {
        const eightBit = isEightBit(t.dtype);
        const { height, width } = inputImageSize(t, recipe);
        const inner = innerDim(t.shape);
        const words = eightBit ? gpuByteLength(t) / 4 : width * height * recipe.channels;
        const nearest = recipe.resize === 'nearest';
        const compile = (pass: 'FIRST_PASS' | 'ARGS_PASS' | 'TIE_PASS' | undefined) => {
          const flags = { FIRST_PASS: pass === 'FIRST_PASS', ARGS_PASS: pass === 'ARGS_PASS', TIE_PASS: pass === 'TIE_PASS' };
          const params = { WORKGROUP_SIZE: this.target.workgroupSize, MAX_WORKGROUPS: this.target.maxWorkgroups, NEAREST: nearest, EIGHT_BIT: eightBit, ...flags };
          const code = [indexingSource, wideIntSource, imageInputSource].map((s) => renderShader(s, params)).join('\n');
          return this.target.compile(`image input '${t.name}' (${recipe.resize}${pass ? `, ${pass.toLowerCase().replace('_', ' ')}` : ''})`, code);
        };
        const shape = [words, width, height, recipe.channels, inner, roundUp4(inner), recipe.layout === 'NCHW' ? 1 : 0];
        const workgroups = this.target.workgroupsFor(words);
        if (nearest) return { pipeline: await compile(undefined), shape, workgroups };
        const [first, args, ties] = await Promise.all([compile('FIRST_PASS'), compile('ARGS_PASS'), compile('TIE_PASS')]);
        // [count, dispatch x, y, z, word indices…]: every word may be listed.
        const list = this.target.tracker.create({ label: `image input '${t.name}' ties`, size: 16 + 4 * words, usage: STORAGE | INDIRECT | COPY_DST });
        return { pipeline: first, tiePasses: { args, ties, list }, shape, workgroups };
      })();
      this.compiled.set(key, c);
      c.catch(() => this.compiled.delete(key));
    }
    return c;
  }

  /** The taps and params for one source size and recipe shape (kept while frames keep their size). */
  private tapsFor(srcWidth: number, srcHeight: number, recipe: InputRecipe, c: Compiled): { buffer: GPUBuffer; params: GPUBuffer } {
    const { height, width } = inputImageSize(this.target.tensor, recipe);
    const key = `${srcWidth}x${srcHeight} ${c.shape.join(' ')} ${recipe.resize}`;
    if (this.taps?.key !== key) {
      if (this.taps) {
        this.target.tracker.destroy(this.taps.buffer);
        this.target.tracker.destroy(this.taps.params);
      }
      const taps = resizeTaps(srcWidth, srcHeight, width, height, recipe.resize);
      const label = `image input '${this.target.tensor.name}' ${srcWidth}x${srcHeight}`;
      const exact = taps.exact && this.target.exactBlend !== false;
      const params = Uint32Array.of(...c.shape, exact ? 1 : 0, taps.dx, taps.dy, 0, 0, 0, 0, 0, 0);
      this.taps = {
        key,
        buffer: this.target.tracker.createWithData(`${label} taps`, taps.words, STORAGE | COPY_DST),
        params: this.target.tracker.createWithData(`${label} params`, params, UNIFORM | COPY_DST),
      };
    }
    return this.taps;
  }

  private tableFor(recipe: InputRecipe): GPUBuffer {
    if (this.table?.recipe !== recipe) {
      if (this.table) this.target.tracker.destroy(this.table.buffer);
      const words = encodingWords(this.target.tensor, recipe);
      this.table = { recipe, buffer: this.target.tracker.createWithData(`image input table '${recipe.name}'`, words, STORAGE | COPY_DST) };
    }
    return this.table.buffer;
  }

  /** The source as a texture this device reads: a GPUTexture as it is, anything else copied now. */
  private async textureOf(source: ImageSource): Promise<GPUTexture> {
    if (isGpuTexture(source)) return source;
    const { width, height } = externalSize(source);
    const device = this.target.device;
    if (!this.staging || this.staging.width !== width || this.staging.height !== height) {
      this.staging?.destroy();
      this.staging = device.createTexture({
        label: `image input '${this.target.tensor.name}' ${width}x${height}`,
        size: [width, height],
        format: 'rgba8unorm',
        usage: TEXTURE_BINDING | COPY_DST_TEXTURE | RENDER_ATTACHMENT,
      });
    }
    const copy = (from: GPUCopyExternalImageSource) =>
      device.queue.copyExternalImageToTexture({ source: from }, { texture: this.staging!, premultipliedAlpha: false }, [width, height]);
    try {
      copy(source);
    } catch (e) {
      // Headless Chromium on SwiftShader copies no video (VideoFrame or <video>) directly
      // ("Failed to copy content from video element") but does copy an ImageBitmap made from it,
      // with the same pixels (test/browser/image-input.test.ts).
      const video = (typeof VideoFrame === 'function' && source instanceof VideoFrame) || (typeof HTMLVideoElement === 'function' && source instanceof HTMLVideoElement);
      let retried = false;
      if (video && typeof createImageBitmap === 'function') {
        const bitmap = await createImageBitmap(source);
        try {
          copy(bitmap);
          retried = true;
        } catch {
          // Reported below with the first failure.
        } finally {
          bitmap.close();
        }
      }
      if (!retried) {
        // The browser's own refusal (a closed VideoFrame, a tainted cross-origin image, a detached bitmap).
        throw new ImageInputError(`input '${this.target.tensor.name}': copyExternalImageToTexture did not take the ${width}x${height} image source: ${(e as Error)?.message ?? e}`);
      }
    }
    return this.staging;
  }

  /**
   * Everything the dispatch writing `source`'s tensor needs (the pipeline, compiled on first use;
   * an external source copied on the queue now, ahead of the caller's submission), then a
   * synchronous encoder of that dispatch into `destination` (the input's activation buffer,
   * gpuByteLength bytes). The caller encodes inside its validation error scope, with no await
   * between push and pop.
   */
  async prepare(source: ImageSource, recipe: InputRecipe): Promise<(encoder: GPUCommandEncoder, destination: GPUBuffer) => void> {
    const c = await this.pipelineFor(recipe);
    const texture = await this.textureOf(source);
    const taps = this.tapsFor(texture.width, texture.height, recipe, c);
    const table = this.tableFor(recipe);
    const { device, tensor } = this.target;
    const label = `image input '${tensor.name}'`;
    return (encoder, destination) => {
      const view = texture.createView({ dimension: '2d', baseMipLevel: 0, mipLevelCount: 1 });
      const entries = (pipeline: GPUComputePipeline): GPUBindGroupEntry[] => [
        { binding: 0, resource: view },
        { binding: 1, resource: { buffer: taps.buffer } },
        { binding: 2, resource: { buffer: table } },
        { binding: 3, resource: { buffer: destination, size: gpuByteLength(tensor) } },
        { binding: 4, resource: { buffer: taps.params } },
        ...(pipeline === c.pipeline && !c.tiePasses ? [] : [{ binding: 5, resource: { buffer: c.tiePasses!.list } }]),
      ];
      const bind = (pipeline: GPUComputePipeline, list: GPUBindGroupEntry[]) => device.createBindGroup({ label, layout: pipeline.getBindGroupLayout(0), entries: list });
      if (c.tiePasses) encoder.clearBuffer(c.tiePasses.list, 0, 16);
      const pass = encoder.beginComputePass({ label });
      pass.setPipeline(c.pipeline);
      pass.setBindGroup(0, bind(c.pipeline, entries(c.pipeline)));
      pass.dispatchWorkgroups(...c.workgroups);
      if (c.tiePasses) {
        const { args, ties, list } = c.tiePasses;
        pass.setPipeline(args);
        pass.setBindGroup(0, bind(args, [{ binding: 5, resource: { buffer: list } }]));
        pass.dispatchWorkgroups(1);
        pass.setPipeline(ties);
        pass.setBindGroup(0, bind(ties, entries(ties)));
        pass.dispatchWorkgroupsIndirect(list, 4);
      }
      pass.end();
    };
  }

  dispose(): void {
    this.staging?.destroy();
    this.staging = undefined;
  }
}
