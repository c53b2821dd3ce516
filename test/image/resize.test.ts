import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RgbImage } from '../../src/image/decode.ts';
import { resizeBilinear, resizeBilinearInto, resizeNearest } from '../../src/image/resize.ts';

function image(width: number, height: number, at: (x: number, y: number, c: number) => number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = at(x, y, c);
  return { width, height, data };
}

/** Channel c of the output as rows, for readable expectations. */
function channelRows(out: ArrayLike<number>, width: number, height: number, c: number): number[][] {
  return Array.from({ length: height }, (_, y) => Array.from({ length: width }, (_, x) => out[(y * width + x) * 3 + c]));
}

describe('resizeBilinear', () => {
  it('keeps a constant image constant, up and down', () => {
    const img = image(7, 5, (_x, _y, c) => [13, 200, 255][c]);
    for (const [w, h] of [[3, 2], [20, 11], [7, 5], [1, 1]]) {
      const out = resizeBilinear(img, w, h);
      for (let i = 0; i < out.length; i++) expect(out[i]).toBe([13, 200, 255][i % 3]);
    }
  });

  it('2x2 → 4x4 matches hand-computed half-pixel values with clamped edges', () => {
    // Source coordinates for outputs 0..3: (i + 0.5)·2/4 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped 0, .25, .75, 1.
    const src = [[0, 100], [200, 40]];
    const img = image(2, 2, (x, y, c) => (c === 0 ? src[y][x] : c === 1 ? 255 - src[y][x] : 7));
    const out = resizeBilinear(img, 4, 4);
    const expected = [
      [0, 25, 75, 100],
      [50, 58.75, 76.25, 85], // 0.75·row0 + 0.25·row3
      [150, 126.25, 78.75, 55], // 0.25·row0 + 0.75·row3
      [200, 160, 80, 40],
    ];
    expect(channelRows(out, 4, 4, 0)).toEqual(expected);
    expect(channelRows(out, 4, 4, 1)).toEqual(expected.map((row) => row.map((v) => 255 - v)));
    expect(channelRows(out, 4, 4, 2)).toEqual(expected.map((row) => row.map(() => 7)));
  });

  it('is the identity at the same size', () => {
    const img = image(5, 4, (x, y, c) => (x * 31 + y * 17 + c * 101) % 256);
    expect(Array.from(resizeBilinear(img, 5, 4))).toEqual(Array.from(img.data));
  });

  it('2x downscale averages each 2x2 block (half-pixel centres fall between pixels)', () => {
    const img = image(4, 2, (x, y) => x * 10 + y * 100);
    expect(channelRows(resizeBilinear(img, 2, 1), 2, 1, 0)).toEqual([[55, 75]]);
  });

  it('stays within the source range (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }),
        fc.uint8Array({ minLength: 108, maxLength: 108 }),
        (sw, sh, dw, dh, bytes) => {
          const img = { width: sw, height: sh, data: bytes.subarray(0, sw * sh * 3) };
          const lo = Math.min(...img.data);
          const hi = Math.max(...img.data);
          const out = resizeBilinearInto(img, dw, dh, new Float64Array(dw * dh * 3));
          return out.every((v) => v >= lo - 1e-9 && v <= hi + 1e-9);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('rejects bad sizes', () => {
    const img = image(2, 2, () => 0);
    expect(() => resizeBilinear(img, 0, 3)).toThrow(RangeError);
    expect(() => resizeBilinear({ width: 3, height: 3, data: new Uint8Array(5) }, 2, 2)).toThrow(/not a 3x3 RGB image/);
  });
});

describe('resizeNearest', () => {
  it('picks floor((i + 0.5)·in/out) in each axis', () => {
    const img = image(4, 3, (x, y) => y * 10 + x);
    // x: (i + 0.5)·4/2 → 1, 3; y: (i + 0.5)·3/2 → 0.75 → 0, 2.25 → 2
    expect(channelRows(resizeNearest(img, 2, 2), 2, 2, 0)).toEqual([[1, 3], [21, 23]]);
    // Upscale 2 → 5: (i + 0.5)·2/5 = 0.2, 0.6, 1.0, 1.4, 1.8 → 0, 0, 1, 1, 1
    const row = image(2, 1, (x) => x * 100);
    expect(channelRows(resizeNearest(row, 5, 1), 5, 1, 0)).toEqual([[0, 0, 100, 100, 100]]);
  });
});
