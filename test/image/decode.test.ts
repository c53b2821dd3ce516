import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { decodeImage, ImageDecodeError, sniffImageFormat } from '../../src/image/decode.ts';
import { buildBmp } from './bmp-builder.ts';

const read = (...parts: string[]) => new Uint8Array(readFileSync(assetPath(...parts)));

function pixel(img: { width: number; data: Uint8Array }, x: number, y: number): number[] {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

function expectDecodeError(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ImageDecodeError);
  expect((caught as Error).message).toMatch(pattern);
}

describe('sample images in the shared assets', () => {
  // Sizes from `file`; 'format' is what the magic bytes must say.
  const samples: [string, string, number, number][] = [
    ['images/coral/cat.bmp', 'bmp', 512, 341],
    ['images/coral/bird.bmp', 'bmp', 512, 343],
    ['images/coral/grace_hopper.bmp', 'bmp', 512, 600],
    ['images/coral/resized_cat.bmp', 'bmp', 224, 224],
    ['images/coral/parrot.jpg', 'jpeg', 512, 929],
    ['images/coral/hot_dog.jpg', 'jpeg', 512, 384],
    ['images/tflite-support/burger.jpg', 'jpeg', 480, 325],
    ['images/tflite-support/cats_and_dogs.jpg', 'jpeg', 1200, 600], // progressive
    ['images/tflite-support/burger-224.png', 'png', 224, 224],
    ['images/tflite-support/sparrow.png', 'png', 1280, 851], // RGBA
    ['images/tflite-micro/person.bmp', 'bmp', 96, 96], // 8-bit palette
  ];
  for (const [file, format, width, height] of samples) {
    it(`decodes ${file}`, () => {
      const bytes = read(file);
      expect(sniffImageFormat(bytes)).toBe(format);
      const img = decodeImage(bytes, file);
      expect([img.width, img.height]).toEqual([width, height]);
      expect(img.data.length).toBe(width * height * 3);
      // A real photo is neither blank nor a single colour.
      let min = 255;
      let max = 0;
      for (const v of img.data) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect(max - min).toBeGreaterThan(100);
    });
  }

  it('reads person_detect BMPs as their raw grey bytes, which are the reference int8 inputs', () => {
    // The tflite-micro test copies the BMP pixel bytes (top-down) straight into the int8 input;
    // with an identity grey palette the decoded R = G = B must equal those bytes.
    for (const name of ['person', 'no_person']) {
      const img = decodeImage(read('images/tflite-micro', `${name}.bmp`), `${name}.bmp`);
      const ref = read('reference/vectors', `person_detect__${name}.input.bin`);
      const grey = new Uint8Array(img.width * img.height);
      for (let i = 0; i < grey.length; i++) {
        expect(img.data[i * 3]).toBe(img.data[i * 3 + 1]);
        expect(img.data[i * 3]).toBe(img.data[i * 3 + 2]);
        grey[i] = img.data[i * 3];
      }
      expect(Buffer.from(grey).equals(Buffer.from(ref))).toBe(true);
    }
  });
});

describe('hand-built BMPs', () => {
  const rgbRows = [
    [[255, 0, 0], [0, 255, 0], [0, 0, 255]],
    [[10, 20, 30], [40, 50, 60], [70, 80, 90]],
  ];
  const expectRows = (img: ReturnType<typeof decodeImage>, rows: number[][][]) => {
    expect([img.width, img.height]).toEqual([rows[0].length, rows.length]);
    for (let y = 0; y < rows.length; y++) for (let x = 0; x < rows[0].length; x++) expect(pixel(img, x, y)).toEqual(rows[y][x]);
  };

  it('24-bit bottom-up with row padding (3 px = 9 bytes padded to 12)', () => {
    expectRows(decodeImage(buildBmp({ width: 3, rows: rgbRows, bitsPerPixel: 24 }), 't.bmp'), rgbRows);
  });

  it('24-bit top-down (negative height)', () => {
    expectRows(decodeImage(buildBmp({ width: 3, rows: rgbRows, bitsPerPixel: 24, topDown: true }), 't.bmp'), rgbRows);
  });

  it('32-bit BGRX ignores the fourth byte', () => {
    expectRows(decodeImage(buildBmp({ width: 3, rows: rgbRows, bitsPerPixel: 32 }), 't.bmp'), rgbRows);
  });

  it('32-bit with bit-field masks in an unusual order', () => {
    const masks: [number, number, number] = [0x0000ff00, 0xff000000, 0x000000ff];
    expectRows(decodeImage(buildBmp({ width: 3, rows: rgbRows, bitsPerPixel: 32, masks }), 't.bmp'), rgbRows);
  });

  it('8-bit palette, bottom-up, width 5 (row padded to 8)', () => {
    const palette = [[0, 0, 0], [255, 255, 255], [200, 100, 50], [1, 2, 3]];
    const indices = [
      [0, 1, 2, 3, 2],
      [3, 2, 1, 0, 1],
    ];
    const img = decodeImage(buildBmp({ width: 5, rows: indices, bitsPerPixel: 8, palette }), 'p.bmp');
    expectRows(img, indices.map((row) => row.map((i) => palette[i])));
  });

  it('8-bit greyscale palette, top-down', () => {
    const palette = Array.from({ length: 256 }, (_, i) => [i, i, i]);
    const indices = [[0, 128, 255], [7, 8, 9]];
    const img = decodeImage(buildBmp({ width: 3, rows: indices, bitsPerPixel: 8, palette, topDown: true }), 'g.bmp');
    expectRows(img, indices.map((row) => row.map((i) => [i, i, i])));
  });

  it('rejects a palette index beyond the palette', () => {
    const bytes = buildBmp({ width: 2, rows: [[0, 5]], bitsPerPixel: 8, palette: [[1, 1, 1], [2, 2, 2]] });
    expectDecodeError(() => decodeImage(bytes, 'bad-index.bmp'), /bad-index\.bmp: corrupt BMP: .*colour 5 of a 2-colour palette/);
  });

  it('rejects truncated pixel data, 0x0 images and sizes above the pixel cap', () => {
    const good = buildBmp({ width: 3, rows: rgbRows, bitsPerPixel: 24 });
    expectDecodeError(() => decodeImage(good.subarray(0, good.length - 1), 'cut.bmp'), /cut\.bmp: truncated BMP: pixel data/);
    expectDecodeError(() => decodeImage(good.subarray(0, 20), 'header.bmp'), /header\.bmp: truncated BMP/);
    const empty = good.slice();
    new DataView(empty.buffer).setInt32(18, 0, true);
    new DataView(empty.buffer).setInt32(22, 0, true);
    expectDecodeError(() => decodeImage(empty, 'zero.bmp'), /zero\.bmp: invalid image size 0x0/);
    const huge = good.slice();
    new DataView(huge.buffer).setInt32(18, 100_000, true);
    new DataView(huge.buffer).setInt32(22, 100_000, true);
    expectDecodeError(() => decodeImage(huge, 'huge.bmp'), /huge\.bmp: image is 100000x100000 = 10000\.0 MP, above the 64\.0 MP cap/);
    expectDecodeError(() => decodeImage(good, 'small-cap.bmp', { maxPixels: 5 }), /above the 0\.0 MP cap/);
  });

  it('rejects RLE compression by name', () => {
    const bytes = buildBmp({ width: 2, rows: [[0, 1]], bitsPerPixel: 8, palette: [[0, 0, 0], [9, 9, 9]] });
    new DataView(bytes.buffer).setUint32(30, 1, true); // BI_RLE8
    expectDecodeError(() => decodeImage(bytes, 'rle.bmp'), /rle\.bmp: unsupported BMP compression 1/);
  });
});

describe('PNG colour types (encoded with pngjs, decoded through the browser bundle)', () => {
  const width = 4;
  const height = 3;
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([i * 20, 255 - i * 20, (i * 37) % 256, i % 2 ? 0 : 255], i * 4);

  const opaque = rgba.map((v, i) => (i % 4 === 3 ? 255 : v));
  // pngjs composites onto white when it drops alpha, so alpha-less types are written from opaque pixels.
  const encode = (colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16 = 8) => {
    const png = new PNG({ width, height });
    const source = colorType === 6 || colorType === 4 ? rgba : opaque;
    // For 16-bit output pngjs reads 16-bit input samples (native endianness); v·257 maps 0..255 onto 0..65535.
    png.data = bitDepth === 8 ? Buffer.from(source) : Buffer.from(Uint16Array.from(source, (v) => v * 257).buffer);
    return new Uint8Array(PNG.sync.write(png, { colorType, bitDepth, inputHasAlpha: true }));
  };

  it('RGB and RGBA keep R, G, B and drop alpha', () => {
    for (const colorType of [2, 6] as const) {
      const img = decodeImage(encode(colorType), `c${colorType}.png`);
      for (let i = 0; i < width * height; i++) {
        expect(pixel(img, i % width, Math.floor(i / width))).toEqual([rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2]]);
      }
    }
  });

  it('greyscale becomes R = G = B', () => {
    const img = decodeImage(encode(0), 'grey.png');
    for (let i = 0; i < width * height; i++) {
      const [r, g, b] = pixel(img, i % width, Math.floor(i / width));
      expect(r).toBe(g);
      expect(g).toBe(b);
    }
  });

  it('16-bit RGB scales back to the same 8-bit values', () => {
    const eight = decodeImage(encode(2), 'rgb8.png');
    const sixteenBytes = encode(2, 16);
    expect(sixteenBytes[24]).toBe(16); // IHDR bit depth: the file really is 16-bit
    const sixteen = decodeImage(sixteenBytes, 'rgb16.png');
    expect(Array.from(sixteen.data)).toEqual(Array.from(eight.data));
  });

  it('rejects truncation and the pixel cap with the file name', () => {
    const bytes = encode(2);
    expectDecodeError(() => decodeImage(bytes.subarray(0, bytes.length - 20), 'cut.png'), /cut\.png: corrupt or truncated PNG/);
    expectDecodeError(() => decodeImage(bytes.subarray(0, 20), 'tiny.png'), /tiny\.png: truncated PNG/);
    expectDecodeError(() => decodeImage(bytes, 'capped.png', { maxPixels: 11 }), /capped\.png: image is 4x3/);
  });
});

describe('JPEG and unknown data', () => {
  it('rejects truncated and corrupt JPEGs', () => {
    const bytes = read('images/tflite-support/burger.jpg');
    expectDecodeError(() => decodeImage(bytes.subarray(0, 400), 'cut.jpg'), /cut\.jpg: .*JPEG/);
    const corrupt = bytes.slice();
    corrupt.fill(0xff, 2, 200); // wipe the quantization / Huffman tables' markers
    expectDecodeError(() => decodeImage(corrupt, 'corrupt.jpg'), /corrupt\.jpg: .*JPEG/);
  });

  it('applies the pixel cap before decoding', () => {
    expectDecodeError(
      () => decodeImage(read('images/tflite-support/burger.jpg'), 'burger.jpg', { maxPixels: 100_000 }),
      /burger\.jpg: image is 480x325 = 0\.2 MP, above the 0\.1 MP cap/,
    );
  });

  it('rejects unknown formats and empty input', () => {
    expectDecodeError(() => decodeImage(new TextEncoder().encode('GIF89a....'), 'anim.gif'), /anim\.gif: unknown image format \(first bytes 47 49 46 38/);
    expectDecodeError(() => decodeImage(new Uint8Array(0), 'empty.jpg'), /empty\.jpg: empty file/);
  });
});
