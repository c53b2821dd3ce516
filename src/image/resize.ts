// Whole-image resizing (no crop, aspect ratio not kept) to a model's input size, in float so that
// the caller decides how to round or normalise. Matches TFLite's RESIZE_BILINEAR with
// half_pixel_centers=true (tf.image.resize 'bilinear' in TF2) and RESIZE_NEAREST_NEIGHBOR with
// half_pixel_centers=true, which is what the reference inputs in the shared assets were made with.
import type { RgbImage } from './decode.ts';

function checkTarget(img: RgbImage, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`resize target must be positive integers, got ${width}x${height}`);
  }
  if (img.width <= 0 || img.height <= 0 || img.data.length !== img.width * img.height * 3) {
    throw new RangeError(`resize source is not a ${img.width}x${img.height} RGB image (${img.data.length} bytes)`);
  }
}

/**
 * Source coordinate of each output row/column with half-pixel centres (shared with the GPU image
 * input, src/image/gpu-input.ts, which interpolates with exactly these float64 fractions):
 * src = (dst + 0.5) · inSize/outSize − 0.5, clamped to [0, inSize − 1] so that edge pixels are
 * repeated rather than blended with the far side or with zero. Multiplying before dividing
 * keeps exact ties exact (e.g. 67.5 stays 67.5, not 67.49999…), which together with the
 * evaluation order in resizeBilinear reproduces the reference inputs' rounding bit for bit.
 */
export function samplePositions(inSize: number, outSize: number): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const src = Math.min(Math.max(((i + 0.5) * inSize) / outSize - 0.5, 0), inSize - 1);
    const floor = Math.floor(src);
    lo[i] = floor;
    hi[i] = Math.min(floor + 1, inSize - 1);
    frac[i] = src - floor;
  }
  return { lo, hi, frac };
}

/**
 * Bilinear resize with half-pixel centres; returns RGB float samples in 0..255, HWC, no rounding.
 * Blends horizontally first, then vertically, each as a·(1−f) + b·f: the order the reference
 * inputs were made with (other orders differ only on exact .5 ties, by one after rounding).
 */
export function resizeBilinear(img: RgbImage, width: number, height: number): Float32Array {
  return resizeBilinearInto(img, width, height, new Float32Array(width * height * 3));
}

/** resizeBilinear into a caller's array; Float64Array keeps ties exact for later rounding. */
export function resizeBilinearInto<T extends Float32Array | Float64Array>(img: RgbImage, width: number, height: number, out: T): T {
  checkTarget(img, width, height);
  if (out.length !== width * height * 3) throw new RangeError(`resize output holds ${out.length} values, need ${width * height * 3}`);
  const xs = samplePositions(img.width, width);
  const ys = samplePositions(img.height, height);
  const src = img.data;
  const rowBytes = img.width * 3;
  let o = 0;
  for (let y = 0; y < height; y++) {
    const top = ys.lo[y] * rowBytes;
    const bottom = ys.hi[y] * rowBytes;
    const fy = ys.frac[y];
    for (let x = 0; x < width; x++) {
      const left = xs.lo[x] * 3;
      const right = xs.hi[x] * 3;
      const fx = xs.frac[x];
      for (let c = 0; c < 3; c++) {
        const tl = src[top + left + c];
        const tr = src[top + right + c];
        const bl = src[bottom + left + c];
        const br = src[bottom + right + c];
        const upper = tl * (1 - fx) + tr * fx;
        const lower = bl * (1 - fx) + br * fx;
        out[o++] = upper * (1 - fy) + lower * fy;
      }
    }
  }
  return out;
}

/** Source index of each output row/column for resizeNearest (shared with the GPU image input). */
export function nearestPositions(inSize: number, outSize: number): Int32Array {
  const out = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) out[i] = Math.min(Math.floor((i + 0.5) * (inSize / outSize)), inSize - 1);
  return out;
}

/**
 * Nearest-neighbour resize with half-pixel centres (src = floor((dst + 0.5) · inSize/outSize)),
 * as TFLite's RESIZE_NEAREST_NEIGHBOR with half_pixel_centers=true and PIL's Image.NEAREST.
 * Returns the same float layout as resizeBilinear so both feed the same preprocessing.
 */
export function resizeNearest(img: RgbImage, width: number, height: number): Float32Array {
  checkTarget(img, width, height);
  const xs = nearestPositions(img.width, width);
  const ys = nearestPositions(img.height, height);
  const out = new Float32Array(width * height * 3);
  let o = 0;
  for (let y = 0; y < height; y++) {
    const row = ys[y] * img.width * 3;
    for (let x = 0; x < width; x++) {
      const p = row + xs[x] * 3;
      out[o++] = img.data[p];
      out[o++] = img.data[p + 1];
      out[o++] = img.data[p + 2];
    }
  }
  return out;
}
