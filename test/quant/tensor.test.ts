import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  constantData,
  dequantizeTensor,
  packInt8x4,
  quantizeTensor,
  uint8ToInt8,
} from '../../src/quant/tensor.ts';
import type { QuantParams, TensorIR } from '../../src/model/graph.ts';

function params(scale: number[], zeroPoint: number[], axis = 0): QuantParams {
  return { scale: Float64Array.from(scale), zeroPoint: Int32Array.from(zeroPoint), axis };
}

/** Scales as a model stores them: float32 values over a wide but sane range. */
const scale = fc.double({ min: 1e-4, max: 10, noNaN: true }).map(Math.fround);

describe('quantizeTensor', () => {
  it('rounds halves away from zero, adds the zero point and clamps to int8', () => {
    const q = params([0.5], [3]);
    const values = Float32Array.from([0.25, -0.25, 0.75, -0.75, 0.2, -0.2, 1000, -1000]);
    // 0.5 → 1, −0.5 → −1, 1.5 → 2, −1.5 → −2, 0.4 → 0, −0.4 → 0; then + 3, clamped.
    expect(Array.from(quantizeTensor(values, [8], q, 'int8'))).toEqual([4, 2, 5, 1, 3, 3, 127, -128]);
  });

  it('clamps to uint8 and int32 ranges', () => {
    const values = Float32Array.from([-0.25, 0, 1e3, -1e3]);
    expect(Array.from(quantizeTensor(values, [4], params([0.5], [128]), 'uint8'))).toEqual([127, 128, 255, 0]);
    const huge = Float32Array.from([3e38, -3e38, 2.5]);
    expect(Array.from(quantizeTensor(huge, [3], params([1], [0]), 'int32'))).toEqual([2147483647, -2147483648, 3]);
  });

  it('divides in float32, as TFLite does', () => {
    // x / s is 46.4999981… in double (which rounds to 46), but the float32 quotient is exactly
    // 46.5, which std::round sends to 47. Both values are float32, as a model's would be.
    const x = 4.416845321655273;
    const s = 0.09498592466115952;
    expect(Math.fround(x)).toBe(x);
    expect(Math.fround(s)).toBe(s);
    expect(x / s).toBeLessThan(46.5);
    expect(Math.fround(x / s)).toBe(46.5);
    expect(quantizeTensor(Float32Array.of(x, -x), [2], params([s], [0]), 'int8')).toEqual(Int8Array.of(47, -47));
  });

  it('quantizes per channel along axis 3 (depthwise layout)', () => {
    // Shape [1, 2, 1, 3]: the channel is the last index.
    const q = params([1, 2, 4], [0, 1, -1], 3);
    const values = Float32Array.from([8, 8, 8, -8, -8, -8]);
    expect(Array.from(quantizeTensor(values, [1, 2, 1, 3], q, 'int8'))).toEqual([8, 5, 1, -8, -3, -3]);
  });

  it('quantizes per channel along axis 0 (conv layout)', () => {
    // Shape [2, 3]: rows 0 and 1 use scales 1 and 0.5.
    const q = params([1, 0.5], [0, 0], 0);
    const values = Float32Array.from([1, 2, 3, 1, 2, 3]);
    expect(Array.from(quantizeTensor(values, [2, 3], q, 'int8'))).toEqual([1, 2, 3, 2, 4, 6]);
  });

  it('rejects parameters that do not fit the shape', () => {
    const values = new Float32Array(6);
    expect(() => quantizeTensor(values, [2, 3], params([1, 2, 3], [0, 0, 0], 0), 'int8')).toThrow();
    expect(() => quantizeTensor(values, [2, 3], params([1, 2], [0, 0], 2), 'int8')).toThrow();
    expect(() => quantizeTensor(values, [2, 3], params([1, 2], [0, 0, 0], 0), 'int8')).toThrow();
    expect(() => quantizeTensor(values, [7], params([1], [0]), 'int8')).toThrow();
  });
});

describe('dequantizeTensor', () => {
  it('computes scale × (q − zp) per tensor and per channel', () => {
    const perTensor = dequantizeTensor(Int8Array.from([-128, 0, 5, 127]), [4], params([0.5], [-3]));
    expect(Array.from(perTensor)).toEqual([-62.5, 1.5, 4, 65]);
    const perChannel = dequantizeTensor(Int8Array.from([2, 2, 2, 2]), [1, 1, 2, 2], params([1, 0.25], [0, 2], 3));
    expect(Array.from(perChannel)).toEqual([2, 0, 2, 0]);
    const uint8 = dequantizeTensor(Uint8Array.from([0, 128, 255]), [3], params([2], [128]));
    expect(Array.from(uint8)).toEqual([-256, 0, 254]);
  });
});

describe('quantize/dequantize round trips', () => {
  /** A 4-D shape with the per-channel dimension at `axis`, channel count `channels`. */
  const shape4 = (axis: 0 | 3) =>
    fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }))
      .map(([channels, h, w]) => (axis === 0 ? [channels, h, w, 2] : [1, h, w, channels]));

  const cases = [
    { name: 'per tensor', axis: 0 as const, perChannel: false },
    { name: 'per axis 0', axis: 0 as const, perChannel: true },
    { name: 'per axis 3', axis: 3 as const, perChannel: true },
  ];

  for (const { name, axis, perChannel } of cases) {
    it(`int8 q → real → q is the identity (${name})`, () => {
      fc.assert(
        fc.property(
          shape4(axis).chain((shape) => {
            const channels = perChannel ? shape[axis] : 1;
            const count = shape.reduce((a, b) => a * b, 1);
            return fc.tuple(
              fc.constant(shape),
              fc.array(scale, { minLength: channels, maxLength: channels }),
              fc.array(fc.integer({ min: -128, max: 127 }), { minLength: channels, maxLength: channels }),
              fc.array(fc.integer({ min: -128, max: 127 }), { minLength: count, maxLength: count }),
            );
          }),
          ([shape, scales, zeroPoints, values]) => {
            const q = params(scales, zeroPoints, axis);
            const original = Int8Array.from(values);
            const real = dequantizeTensor(original, shape, q);
            expect(Array.from(quantizeTensor(real, shape, q, 'int8'))).toEqual(values);
          },
        ),
        { numRuns: 200 },
      );
    });

    it(`real → q → real is within half a step (${name})`, () => {
      fc.assert(
        fc.property(
          shape4(axis).chain((shape) => {
            const channels = perChannel ? shape[axis] : 1;
            const count = shape.reduce((a, b) => a * b, 1);
            return fc.tuple(
              fc.constant(shape),
              fc.array(scale, { minLength: channels, maxLength: channels }),
              fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: count, maxLength: count }),
            );
          }),
          ([shape, scales, values]) => {
            // Zero point 0 and the int8 range ±127·scale; keep values inside it so nothing clamps.
            const q = params(scales, new Array(scales.length).fill(0), axis);
            const inner = axis === 0 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
            const channelOf = (i: number) => (scales.length === 1 ? 0 : Math.floor(i / inner) % scales.length);
            const real = Float32Array.from(values, (v, i) => Math.max(-127, Math.min(127, v)) * scales[channelOf(i)] / 1.01);
            const back = dequantizeTensor(quantizeTensor(real, shape, q, 'int8'), shape, q);
            for (let i = 0; i < real.length; i++) {
              const step = scales[channelOf(i)];
              expect(Math.abs(back[i] - real[i])).toBeLessThanOrEqual(step / 2 + step * 2 ** -20);
            }
          },
        ),
        { numRuns: 200 },
      );
    });
  }
});

describe('packInt8x4', () => {
  it('puts element 4j+k in byte k of word j, zero-padding each row', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 11 }),
        fc.infiniteStream(fc.integer({ min: -128, max: 127 })),
        (rows, cols, stream) => {
          const src = Int8Array.from(stream.take(rows * cols));
          const { data, wordsPerRow } = packInt8x4(src, rows, cols);
          expect(wordsPerRow).toBe(Math.ceil(cols / 4));
          expect(data.length).toBe(rows * wordsPerRow);
          // Write each word's value out little-endian, then read the bytes back as int8.
          const view = new DataView(new ArrayBuffer(data.length * 4));
          data.forEach((word, i) => view.setUint32(i * 4, word, true));
          for (let r = 0; r < rows; r++) {
            for (let c = 0; c < wordsPerRow * 4; c++) {
              const byte = view.getInt8((r * wordsPerRow + (c >> 2)) * 4 + (c & 3));
              expect(byte, `row ${r} col ${c}`).toBe(c < cols ? src[r * cols + c] : 0);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('packs a known odd-width matrix', () => {
    // Row 0: [1, −1, 127, −128, 5] → word 0x80_7f_ff_01, word 0x00_00_00_05.
    // Row 1: [−2, 0, 0, 0, −3]     → word 0x00_00_00_fe, word 0x00_00_00_fd.
    const src = Int8Array.from([1, -1, 127, -128, 5, -2, 0, 0, 0, -3]);
    const { data, wordsPerRow } = packInt8x4(src, 2, 5);
    expect(wordsPerRow).toBe(2);
    expect(Array.from(data)).toEqual([0x807fff01, 0x05, 0xfe, 0xfd]);
  });
});

describe('uint8ToInt8', () => {
  it('subtracts 128 from every value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const converted = uint8ToInt8(all);
    expect(converted).toBeInstanceOf(Int8Array);
    for (let i = 0; i < 256; i++) expect(converted[i]).toBe(i - 128);
  });
});

describe('constantData', () => {
  function tensor(dtype: TensorIR['dtype'], shape: number[], data?: Uint8Array): TensorIR {
    return { id: 7, name: 'const', shape, dtype, data };
  }

  /** Little-endian bytes of `values` placed at byte offset `offset` inside a larger buffer. */
  function bytesAt(offset: number, write: (view: DataView) => void, length: number): Uint8Array {
    const buffer = new ArrayBuffer(offset + length + 3);
    write(new DataView(buffer, offset, length));
    return new Uint8Array(buffer, offset, length);
  }

  it('reads int32, int16, float32 and int64 at an unaligned byte offset', () => {
    const int32 = bytesAt(1, (v) => [-2147483648, 1, -1, 123456789].forEach((x, i) => v.setInt32(i * 4, x, true)), 16);
    expect(Array.from(constantData(tensor('int32', [4], int32)) as Int32Array)).toEqual([-2147483648, 1, -1, 123456789]);

    const int16 = bytesAt(3, (v) => [-32768, 32767, -2].forEach((x, i) => v.setInt16(i * 2, x, true)), 6);
    expect(Array.from(constantData(tensor('int16', [3], int16)) as Int16Array)).toEqual([-32768, 32767, -2]);

    const float32 = bytesAt(2, (v) => [1.5, -0.25].forEach((x, i) => v.setFloat32(i * 4, x, true)), 8);
    expect(Array.from(constantData(tensor('float32', [2], float32)) as Float32Array)).toEqual([1.5, -0.25]);

    const int64 = bytesAt(5, (v) => [-3n, 2n ** 40n].forEach((x, i) => v.setBigInt64(i * 8, x, true)), 16);
    expect(Array.from(constantData(tensor('int64', [2], int64)) as BigInt64Array)).toEqual([-3n, 2n ** 40n]);
  });

  it('views aligned data in place and returns the right array type', () => {
    const bytes = bytesAt(8, (v) => [7, -7].forEach((x, i) => v.setInt32(i * 4, x, true)), 8);
    const view = constantData(tensor('int32', [1, 2], bytes));
    expect(view).toBeInstanceOf(Int32Array);
    expect(view.buffer).toBe(bytes.buffer);
    expect(Array.from(view as Int32Array)).toEqual([7, -7]);

    const signed = constantData(tensor('int8', [2], Uint8Array.from([0xff, 0x80])));
    expect(signed).toBeInstanceOf(Int8Array);
    expect(Array.from(signed as Int8Array)).toEqual([-1, -128]);
    const unsigned = constantData(tensor('uint8', [2], Uint8Array.from([0xff, 0x80])));
    expect(Array.from(unsigned as Uint8Array)).toEqual([255, 128]);
  });

  it('throws on a dtype it cannot view, missing data, or a size that does not match the shape', () => {
    expect(() => constantData(tensor('bool', [2], Uint8Array.from([1, 0])))).toThrow(/dtype bool/);
    expect(() => constantData(tensor('int32', [2]))).toThrow(/no constant data/);
    expect(() => constantData(tensor('int32', [3], new Uint8Array(8)))).toThrow(/needs 12/);
  });
});
