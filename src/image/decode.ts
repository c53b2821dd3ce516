// Image decoding to 8-bit RGB for model inputs: JPEG (jpeg-js), PNG (pngjs) and BMP (own reader).
// Runs in the browser as well as in Node, so nothing here may import node: modules; the
// PNG path uses pngjs's self-contained browser bundle for that reason (see decodePng).
import { OctetError } from '../errors.ts';
import jpeg from 'jpeg-js';
import pngBrowser from 'pngjs/browser.js';

/** 8-bit RGB, 3 bytes per pixel, rows top-down, no padding between rows. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export type ImageFormat = 'jpeg' | 'png' | 'bmp';

export interface DecodeOptions {
  /** Refuse images with more pixels than this (default 64 megapixels) before allocating them. */
  maxPixels?: number;
}

export const DEFAULT_MAX_PIXELS = 64_000_000;

export class ImageDecodeError extends OctetError {
  override name = 'ImageDecodeError';
  readonly code = 'IMAGE_DECODE';
  constructor(
    /** The file (or caller-supplied name) that failed. */
    readonly source: string,
    /** Why, without the file name. */
    readonly reason: string,
  ) {
    super(`${source}: ${reason}`);
  }
}

/** Format from magic bytes, or undefined when none of the supported signatures match. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  const pngSignature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length >= 8 && pngSignature.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  return undefined;
}

/** Decodes JPEG, PNG or BMP bytes (format sniffed from the content, not the name) to RGB. */
export function decodeImage(bytes: Uint8Array, nameForErrors = 'image', options: DecodeOptions = {}): RgbImage {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const format = sniffImageFormat(bytes);
  let image: RgbImage;
  switch (format) {
    case 'jpeg':
      image = decodeJpeg(bytes, nameForErrors, maxPixels);
      break;
    case 'png':
      image = decodePng(bytes, nameForErrors, maxPixels);
      break;
    case 'bmp':
      image = decodeBmp(bytes, nameForErrors, maxPixels);
      break;
    default: {
      const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
      throw new ImageDecodeError(
        nameForErrors,
        bytes.length === 0
          ? 'empty file'
          : `unknown image format (first bytes ${head}); supported: JPEG, PNG, BMP`,
      );
    }
  }
  return image;
}

function checkDimensions(width: number, height: number, source: string, maxPixels: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new ImageDecodeError(source, `invalid image size ${width}x${height}`);
  }
  if (width * height > maxPixels) {
    throw new ImageDecodeError(
      source,
      `image is ${width}x${height} = ${((width * height) / 1e6).toFixed(1)} MP, above the ${(maxPixels / 1e6).toFixed(1)} MP cap`,
    );
  }
}

function errorText(e: unknown): string {
  // jpeg-js and pngjs throw Error objects, but older code paths throw bare strings.
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------
// JPEG

function decodeJpeg(bytes: Uint8Array, source: string, maxPixels: number): RgbImage {
  // Read the frame size first so that the pixel cap is reported as such, not as a jpeg-js limit.
  const frame = jpegFrameSize(bytes);
  if (frame) checkDimensions(frame.width, frame.height, source, maxPixels);
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: maxPixels / 1e6,
      // RGB output plus jpeg-js's per-component planes stay far below this for capped sizes.
      maxMemoryUsageInMB: Math.max(512, Math.ceil((maxPixels * 12) / (1 << 20))),
    });
  } catch (e) {
    throw new ImageDecodeError(source, `corrupt or truncated JPEG: ${errorText(e)}`);
  }
  checkDimensions(decoded.width, decoded.height, source, maxPixels);
  if (decoded.data.length !== decoded.width * decoded.height * 3) {
    throw new ImageDecodeError(source, `JPEG decoder returned ${decoded.data.length} bytes for ${decoded.width}x${decoded.height} RGB`);
  }
  return { width: decoded.width, height: decoded.height, data: decoded.data };
}

/** Width and height from the first SOFn marker, or undefined if none is found (left to jpeg-js to report). */
function jpegFrameSize(bytes: Uint8Array): { width: number; height: number } | undefined {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    const segmentLength = (bytes[offset + 2] << 8) | bytes[offset + 3];
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      return { height: (bytes[offset + 5] << 8) | bytes[offset + 6], width: (bytes[offset + 7] << 8) | bytes[offset + 8] };
    }
    if (marker === 0xda) return undefined; // scan data before any frame header
    offset += 2 + segmentLength;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// PNG

/**
 * pngjs's main entry needs Node's zlib and streams; its browser bundle is self-contained but
 * carries its own Buffer polyfill and its parser calls Buffer methods on the input. A PNG it
 * constructs allocates its pixels with that same Buffer, so we borrow the constructor from a
 * 1×1 PNG once. In Node this is the bundled polyfill too, which keeps one code path everywhere.
 */
type BundledBuffer = { from(buffer: ArrayBufferLike, byteOffset: number, length: number): Uint8Array };
let bundledBuffer: BundledBuffer | undefined;
function pngjsBuffer(): BundledBuffer {
  bundledBuffer ??= new pngBrowser.PNG({ width: 1, height: 1 }).data.constructor as unknown as BundledBuffer;
  return bundledBuffer;
}

function decodePng(bytes: Uint8Array, source: string, maxPixels: number): RgbImage {
  // IHDR is always the first chunk: signature(8) length(4) "IHDR"(4) width(4) height(4).
  if (bytes.length < 33) throw new ImageDecodeError(source, `truncated PNG (${bytes.length} bytes, no complete IHDR)`);
  const header = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
    throw new ImageDecodeError(source, 'corrupt PNG: first chunk is not IHDR');
  }
  checkDimensions(header.getUint32(16), header.getUint32(20), source, maxPixels);
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    // Default options: palette, grey, grey+alpha and 16-bit samples come back as 8-bit RGBA.
    rgba = pngBrowser.PNG.sync.read(pngjsBuffer().from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as never);
  } catch (e) {
    throw new ImageDecodeError(source, `corrupt or truncated PNG: ${errorText(e)}`);
  }
  const { width, height } = rgba;
  checkDimensions(width, height, source, maxPixels);
  if (rgba.data.length !== width * height * 4) {
    throw new ImageDecodeError(source, `PNG decoder returned ${rgba.data.length} bytes for ${width}x${height} RGBA`);
  }
  // Alpha is dropped, not composited: what PIL's convert('RGB') and TFLite Support do.
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < rgb.length; i += 4, j += 3) {
    rgb[j] = rgba.data[i];
    rgb[j + 1] = rgba.data[i + 1];
    rgb[j + 2] = rgba.data[i + 2];
  }
  return { width, height, data: rgb };
}

// ---------------------------------------------------------------------------------------------
// BMP

const BI_RGB = 0;
const BI_BITFIELDS = 3;
const BI_ALPHABITFIELDS = 6;

/**
 * Windows BMP: 1/4/8-bit palette (greyscale BMPs are 8-bit with a grey palette), 24-bit BGR,
 * 32-bit BGRX or bit-field masks; bottom-up (positive height) and top-down (negative height).
 * RLE-compressed and 16-bit BMPs are refused with a clear error.
 */
function decodeBmp(bytes: Uint8Array, source: string, maxPixels: number): RgbImage {
  const truncated = (what: string) => new ImageDecodeError(source, `truncated BMP: ${what} (file is ${bytes.length} bytes)`);
  if (bytes.length < 26) throw truncated('no complete header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pixelOffset = view.getUint32(10, true);
  const dibSize = view.getUint32(14, true);
  if (bytes.length < 14 + dibSize) throw truncated(`DIB header of ${dibSize} bytes`);

  let width: number;
  let signedHeight: number;
  let bitsPerPixel: number;
  let compression = BI_RGB;
  let colorsUsed = 0;
  let paletteEntryBytes = 4;
  if (dibSize === 12) {
    // BITMAPCOREHEADER (OS/2 1.x): 16-bit sizes, 3-byte palette entries.
    width = view.getUint16(18, true);
    signedHeight = view.getInt16(20, true);
    bitsPerPixel = view.getUint16(24, true);
    paletteEntryBytes = 3;
  } else if (dibSize >= 40) {
    width = view.getInt32(18, true);
    signedHeight = view.getInt32(22, true);
    bitsPerPixel = view.getUint16(28, true);
    compression = view.getUint32(30, true);
    colorsUsed = view.getUint32(46, true);
  } else {
    throw new ImageDecodeError(source, `unsupported BMP header size ${dibSize}`);
  }
  const topDown = signedHeight < 0;
  const height = Math.abs(signedHeight);
  checkDimensions(width, height, source, maxPixels);

  // Channel masks for 32-bit images; BI_RGB 32-bit is BGRX.
  let masks = { r: 0x00ff0000, g: 0x0000ff00, b: 0x000000ff };
  if (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS) {
    if (bitsPerPixel !== 32) throw new ImageDecodeError(source, `unsupported BMP: ${bitsPerPixel}-bit with bit-field masks`);
    // The masks follow a 40-byte header; V4/V5 headers hold them at the same offsets.
    if (bytes.length < 14 + 40 + 12) throw truncated('bit-field masks');
    masks = { r: view.getUint32(54, true), g: view.getUint32(58, true), b: view.getUint32(62, true) };
  } else if (compression !== BI_RGB) {
    throw new ImageDecodeError(source, `unsupported BMP compression ${compression} (RLE and embedded JPEG/PNG are not supported)`);
  }

  let palette: Uint8Array | undefined; // RGB triples
  if (bitsPerPixel === 1 || bitsPerPixel === 4 || bitsPerPixel === 8) {
    const entries = colorsUsed > 0 ? colorsUsed : 1 << bitsPerPixel;
    if (entries > 1 << bitsPerPixel) throw new ImageDecodeError(source, `BMP palette of ${entries} colours for ${bitsPerPixel}-bit pixels`);
    let paletteStart = 14 + dibSize;
    if (dibSize === 40 && (compression === BI_BITFIELDS || compression === BI_ALPHABITFIELDS)) paletteStart += 12;
    if (paletteStart + entries * paletteEntryBytes > bytes.length) throw truncated('palette');
    palette = new Uint8Array(entries * 3);
    for (let i = 0; i < entries; i++) {
      const p = paletteStart + i * paletteEntryBytes; // stored B, G, R(, reserved)
      palette[i * 3] = bytes[p + 2];
      palette[i * 3 + 1] = bytes[p + 1];
      palette[i * 3 + 2] = bytes[p];
    }
  } else if (bitsPerPixel !== 24 && bitsPerPixel !== 32) {
    throw new ImageDecodeError(source, `unsupported BMP bit depth ${bitsPerPixel}`);
  }

  const rowStride = Math.floor((bitsPerPixel * width + 31) / 32) * 4; // rows pad to 4 bytes
  if (pixelOffset + rowStride * height > bytes.length) {
    throw truncated(`pixel data needs ${rowStride * height} bytes from offset ${pixelOffset}`);
  }

  const rgb = new Uint8Array(width * height * 3);
  const maskToByte = maskReader(masks);
  for (let y = 0; y < height; y++) {
    const rowStart = pixelOffset + (topDown ? y : height - 1 - y) * rowStride;
    let out = y * width * 3;
    for (let x = 0; x < width; x++, out += 3) {
      if (palette) {
        const bitOffset = x * bitsPerPixel;
        const byte = bytes[rowStart + (bitOffset >> 3)];
        // Pixels are packed most-significant bits first within each byte.
        const index = (byte >> (8 - bitsPerPixel - (bitOffset & 7))) & ((1 << bitsPerPixel) - 1);
        if (index * 3 >= palette.length) {
          throw new ImageDecodeError(source, `corrupt BMP: pixel (${x}, ${y}) uses colour ${index} of a ${palette.length / 3}-colour palette`);
        }
        rgb[out] = palette[index * 3];
        rgb[out + 1] = palette[index * 3 + 1];
        rgb[out + 2] = palette[index * 3 + 2];
      } else if (bitsPerPixel === 24) {
        const p = rowStart + x * 3;
        rgb[out] = bytes[p + 2];
        rgb[out + 1] = bytes[p + 1];
        rgb[out + 2] = bytes[p];
      } else {
        const value = view.getUint32(rowStart + x * 4, true);
        rgb[out] = maskToByte.r(value);
        rgb[out + 1] = maskToByte.g(value);
        rgb[out + 2] = maskToByte.b(value);
      }
    }
  }
  return { width, height, data: rgb };
}

/** Extracts a masked channel from a 32-bit pixel and scales it to 0..255. */
function maskReader(masks: { r: number; g: number; b: number }) {
  const one = (mask: number) => {
    if (mask === 0) return () => 0;
    let shift = 0;
    while (((mask >>> shift) & 1) === 0) shift++;
    const max = mask >>> shift;
    return (value: number) => Math.round((((value & mask) >>> shift) * 255) / max);
  };
  return { r: one(masks.r >>> 0), g: one(masks.g >>> 0), b: one(masks.b >>> 0) };
}
