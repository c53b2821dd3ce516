// gemmlowp's fixed-point transcendental functions against Math, over dense sweeps of their
// domains. The tolerances are gemmlowp's own accuracy (a few units in 2^−31 scaled), far below
// what would survive into an 8-bit output; a wrong constant or shift is off by orders more.
import { describe, expect, it } from 'vitest';
import { expOnNegativeValues, fixedOne, logistic, oneOverOnePlusXForXIn01, roundingHalfSum } from '../../src/quant/gemmlowp.ts';
import { saturatingRoundingMultiplyByPOT } from '../../src/quant/fixedpoint.ts';

const Q31 = 2 ** 31;

describe('gemmlowp fixed point', () => {
  it('exp_on_negative_values in Q5.26 matches exp within 1e-6 over [−32, 0]', () => {
    for (let i = 0; i <= 4000; i++) {
      const real = -32 * (i / 4000);
      const raw = Math.round(real * 2 ** 26);
      const got = expOnNegativeValues(raw, 5) / Q31;
      expect(Math.abs(got - Math.exp(raw / 2 ** 26)), `x=${real}`).toBeLessThan(1e-6);
    }
    expect(expOnNegativeValues(0, 5)).toBe(2147483647); // exp(0) saturates to One()
  });

  it('one_over_one_plus_x_for_x_in_0_1 matches 1/(1+x) within 1e-8', () => {
    for (let i = 0; i < 2000; i++) {
      const raw = Math.floor((i / 2000) * (Q31 - 1));
      const got = oneOverOnePlusXForXIn01(raw) / Q31;
      expect(Math.abs(got - 1 / (1 + raw / Q31))).toBeLessThan(1e-8);
    }
  });

  it('logistic in Q4.27 matches the sigmoid within 1e-6 and is symmetric', () => {
    for (let i = -2000; i <= 2000; i++) {
      const raw = Math.round((i / 2000) * 15 * 2 ** 27);
      const got = logistic(raw, 4) / Q31;
      expect(Math.abs(got - 1 / (1 + Math.exp(-raw / 2 ** 27)))).toBeLessThan(1e-6);
    }
    expect(logistic(0, 4)).toBe(2 ** 30);
  });

  it('saturating and rounding power-of-two multiplies, rounding half sum, One()', () => {
    expect(saturatingRoundingMultiplyByPOT(2 ** 29, 2)).toBe(2147483647);
    expect(saturatingRoundingMultiplyByPOT(-(2 ** 29) - 1, 2)).toBe(-2147483648);
    expect(saturatingRoundingMultiplyByPOT(3, 2)).toBe(12);
    expect(saturatingRoundingMultiplyByPOT(6, -2)).toBe(2); // 1.5 → 2
    expect(saturatingRoundingMultiplyByPOT(-6, -2)).toBe(-2); // −1.5 → −2
    expect(roundingHalfSum(3, 4)).toBe(4);
    expect(roundingHalfSum(-3, -4)).toBe(-4);
    expect(fixedOne(0)).toBe(2147483647);
    expect(fixedOne(2)).toBe(2 ** 29);
  });
});
