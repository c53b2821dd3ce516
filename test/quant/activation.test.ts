import { describe, expect, it } from 'vitest';
import { activationRangeFloat, activationRangeQuantized } from '../../src/quant/activation.ts';
import type { Activation } from '../../src/model/graph.ts';

// Expected values are worked out by hand from TFLite's CalculateActivationRangeQuantizedImpl:
// bound = zero_point + round(real / scale) (float32 division, halves away from zero), then
// act_min = max(qmin, bound(low)), act_max = min(qmax, bound(high)).

describe('activationRangeQuantized', () => {
  it('RELU6 at scale 6/255, zero point −128 spans the whole int8 range', () => {
    // 0 → −128 + 0; 6 / (6/255) = 255 → −128 + 255 = 127.
    expect(activationRangeQuantized('RELU6', 6 / 255, -128, 'int8')).toEqual([-128, 127]);
  });

  it('RELU6 clamps the upper bound to the dtype when 6 lies outside it', () => {
    // 6 / 0.01 = 600 → 600, clamped to 127.
    expect(activationRangeQuantized('RELU6', 0.01, 0, 'int8')).toEqual([0, 127]);
    // uint8: 0 → 10, 6 / 0.1 = 60 → 70.
    expect(activationRangeQuantized('RELU6', 0.1, 10, 'uint8')).toEqual([10, 70]);
  });

  it('RELU lifts only the lower bound to the zero point', () => {
    expect(activationRangeQuantized('RELU', 0.05, -10, 'int8')).toEqual([-10, 127]);
    expect(activationRangeQuantized('RELU', 0.05, 0, 'uint8')).toEqual([0, 255]);
    expect(activationRangeQuantized('RELU', 0.05, 37, 'uint8')).toEqual([37, 255]);
  });

  it('RELU_N1_TO_1 quantizes ±1 and clamps each side to the dtype', () => {
    // ±1 / (1/64) = ±64.
    expect(activationRangeQuantized('RELU_N1_TO_1', 1 / 64, 0, 'int8')).toEqual([-64, 64]);
    // −100 − 64 = −164 → −128; −100 + 64 = −36.
    expect(activationRangeQuantized('RELU_N1_TO_1', 1 / 64, -100, 'int8')).toEqual([-128, -36]);
    // uint8, zero point 128: 64 and 192.
    expect(activationRangeQuantized('RELU_N1_TO_1', 1 / 64, 128, 'uint8')).toEqual([64, 192]);
  });

  it('rounds a bound that lands on a half away from zero, on both sides', () => {
    // ±1 / 2 = ±0.5 → ±1; zero point 3 → [2, 4]. Math.round would give [3, 4].
    expect(activationRangeQuantized('RELU_N1_TO_1', 2, 3, 'int8')).toEqual([2, 4]);
    // 6 / 4 = 1.5 → 2.
    expect(activationRangeQuantized('RELU6', 4, 0, 'int8')).toEqual([0, 2]);
  });

  it('leaves NONE, TANH and SIGN_BIT at the full range of every dtype', () => {
    const full = {
      int8: [-128, 127],
      uint8: [0, 255],
      int16: [-32768, 32767],
      int32: [-2147483648, 2147483647],
    } as const;
    for (const act of ['NONE', 'TANH', 'SIGN_BIT'] as Activation[]) {
      for (const dtype of ['int8', 'uint8', 'int16', 'int32'] as const) {
        expect(activationRangeQuantized(act, 0.5, 3, dtype), `${act} ${dtype}`).toEqual(full[dtype]);
      }
    }
  });

  it('uses the int16 and int32 ranges for the clamps', () => {
    // 6 / 2^−10 = 6144, inside int16.
    expect(activationRangeQuantized('RELU6', 2 ** -10, 0, 'int16')).toEqual([0, 6144]);
    expect(activationRangeQuantized('RELU', 0.1, 0, 'int32')).toEqual([0, 2147483647]);
  });

  it('throws when a bound does not fit in int32, as TFLite does', () => {
    expect(() => activationRangeQuantized('RELU6', 1e-12, 0, 'int8')).toThrow(RangeError);
  });
});

describe('activationRangeFloat', () => {
  const FLT_MAX = 3.4028234663852886e38;
  it('matches TFLite CalculateActivationRange<float>', () => {
    expect(activationRangeFloat('NONE')).toEqual([-FLT_MAX, FLT_MAX]);
    expect(activationRangeFloat('RELU')).toEqual([0, FLT_MAX]);
    expect(activationRangeFloat('RELU6')).toEqual([0, 6]);
    expect(activationRangeFloat('RELU_N1_TO_1')).toEqual([-1, 1]);
    expect(activationRangeFloat('TANH')).toEqual([-FLT_MAX, FLT_MAX]);
    expect(activationRangeFloat('SIGN_BIT')).toEqual([-FLT_MAX, FLT_MAX]);
    expect(Math.fround(FLT_MAX)).toBe(FLT_MAX); // the bound is a float32, so Float32Array keeps it
  });
});
