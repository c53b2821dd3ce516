import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  multiplyByQuantizedMultiplier,
  quantizeMultiplier,
  roundingDivideByPOT,
  ruyMultiplyByQuantizedMultiplier,
  saturatingRoundingDoublingHighMul,
} from '../../src/quant/fixedpoint.ts';
import {
  multiplyByQuantizedMultiplierExact,
  quantizeMultiplierExact,
  roundHalfAwayDivideByPOT,
  roundingDivideByPOTExact,
  srdhmExact,
} from './exact.ts';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const RUNS = { numRuns: 3000 };

const EDGE_INT32 = [
  INT32_MIN, INT32_MIN + 1, INT32_MIN + 2, -(2 ** 30) - 1, -(2 ** 30), -(2 ** 30) + 1, -65537, -65536,
  -65535, -32769, -32768, -3, -2, -1, 0, 1, 2, 3, 32767, 32768, 65535, 65536, 65537, 2 ** 30 - 1, 2 ** 30,
  2 ** 30 + 1, INT32_MAX - 1, INT32_MAX,
];

/** int32s weighted toward the places fixed-point code breaks: extremes, limb edges, ±2^k ± 1. */
const int32 = fc.oneof(
  { arbitrary: fc.integer({ min: INT32_MIN, max: INT32_MAX }), weight: 4 },
  { arbitrary: fc.constantFrom(...EDGE_INT32), weight: 2 },
  {
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: -2, max: 2 }), fc.boolean())
      .map(([k, offset, negative]) => {
        const v = (negative ? -1 : 1) * 2 ** k + offset;
        return Math.min(INT32_MAX, Math.max(INT32_MIN, v));
      }),
    weight: 2,
  },
  {
    // Log-uniform magnitudes, so that products land in every binade, not only near 2^62.
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 30 }), fc.boolean())
      .chain(([k, negative]) =>
        fc.integer({ min: 2 ** k, max: 2 ** (k + 1) - 1 }).map((v) => (negative ? -v : v)),
      ),
    weight: 3,
  },
);

/** Multipliers as QuantizeMultiplier makes them: [2^30, 2^31), plus 0 and the negative range. */
const multiplier = fc.oneof(
  { arbitrary: fc.integer({ min: 2 ** 30, max: INT32_MAX }), weight: 4 },
  { arbitrary: fc.constantFrom(0, 2 ** 30, 2 ** 30 + 1, INT32_MAX - 1, INT32_MAX, INT32_MIN, -(2 ** 30)), weight: 1 },
  { arbitrary: int32, weight: 1 },
);

describe('saturatingRoundingDoublingHighMul', () => {
  it('equals the literal gemmlowp model on random int32 pairs', () => {
    fc.assert(
      fc.property(int32, int32, (a, b) => {
        expect(saturatingRoundingDoublingHighMul(a, b)).toBe(srdhmExact(a, b));
      }),
      RUNS,
    );
  });

  it('equals the model on every pair of edge values', () => {
    for (const a of EDGE_INT32) {
      for (const b of EDGE_INT32) expect(saturatingRoundingDoublingHighMul(a, b), `${a}×${b}`).toBe(srdhmExact(a, b));
    }
  });

  it('saturates only INT32_MIN × INT32_MIN', () => {
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MIN)).toBe(INT32_MAX);
    // (−2^31)(2^31 − 1)·2 / 2^32 = −(2^31 − 1) exactly: no rounding, no saturation.
    expect(saturatingRoundingDoublingHighMul(INT32_MIN, INT32_MAX)).toBe(-INT32_MAX);
    expect(saturatingRoundingDoublingHighMul(INT32_MAX, INT32_MIN)).toBe(-INT32_MAX);
    // (2^31 − 1)^2 / 2^31 = 2^31 − 2 + 1/2^31: rounds down to 2^31 − 2.
    expect(saturatingRoundingDoublingHighMul(INT32_MAX, INT32_MAX)).toBe(INT32_MAX - 1);
  });

  it('rounds a product of exactly ±2^30 (a half) toward +∞, as the sign-dependent nudge does', () => {
    // a·b / 2^31 = ±0.5: the positive nudge carries it to 1, the negative one truncates to 0.
    expect(saturatingRoundingDoublingHighMul(2 ** 15, 2 ** 15)).toBe(1);
    expect(saturatingRoundingDoublingHighMul(-(2 ** 15), 2 ** 15)).toBe(0);
    expect(saturatingRoundingDoublingHighMul(3 * 2 ** 15, 2 ** 15)).toBe(2); // 1.5 → 2
    expect(saturatingRoundingDoublingHighMul(-3 * 2 ** 15, 2 ** 15)).toBe(-1); // −1.5 → −1
  });

  it('is exact for large products one unit from a rounding tie, where double arithmetic slips', () => {
    // A product ≥ 2^53 is rounded by a double multiply; that changes the result only when
    // a·b ≡ 2^30 − 1 (mod 2^31), one below a tie. Build such b for odd a via a modular inverse.
    const inverseMod2p31 = (a: bigint): bigint => {
      let inverse = a; // correct to 3 bits for odd a; each Newton step doubles the bits
      for (let i = 0; i < 5; i++) inverse = (inverse * (2n - a * inverse)) & (2n ** 31n - 1n);
      return inverse;
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 2 ** 22, max: INT32_MAX }),
        fc.integer({ min: -1, max: 1 }),
        fc.boolean(),
        fc.boolean(),
        (rawA, delta, negA, negB) => {
          const a = rawA | 1;
          const target = (2n ** 30n - 1n + BigInt(delta)) & (2n ** 31n - 1n);
          const b = Number((target * inverseMod2p31(BigInt(a))) & (2n ** 31n - 1n));
          const sa = negA ? -a : a;
          const sb = negB ? -b : b;
          expect(saturatingRoundingDoublingHighMul(sa, sb), `${sa}×${sb}`).toBe(srdhmExact(sa, sb));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is exact around the 2^52 boundary between its two code paths and where doubles stop being exact', () => {
    const pairs: [number, number][] = [];
    const products = [2 ** 52, 2 ** 53, 2 ** 54, 2 ** 55 + 2 ** 30];
    for (const a of [2 ** 26 + 1, 2 ** 26 - 1, 3 * 2 ** 25 + 1, INT32_MAX, 2 ** 24 + 7]) {
      for (const product of products) {
        const b = Math.floor(product / a);
        for (const db of [-1, 0, 1, 2]) {
          pairs.push([a, b + db], [-a, b + db], [a, -(b + db)], [-a, -(b + db)]);
        }
      }
    }
    for (const [a, b] of pairs) {
      if (b > INT32_MAX || b < INT32_MIN) continue;
      expect(saturatingRoundingDoublingHighMul(a, b), `${a}×${b}`).toBe(srdhmExact(a, b));
    }
  });
});

describe('roundingDivideByPOT', () => {
  const exponent = fc.integer({ min: 0, max: 31 });

  it('equals the literal gemmlowp model and rounds halves away from zero, on random inputs', () => {
    fc.assert(
      fc.property(int32, exponent, (x, e) => {
        const got = roundingDivideByPOT(x, e);
        expect(got).toBe(roundingDivideByPOTExact(x, e));
        expect(got).toBe(roundHalfAwayDivideByPOT(x, e));
      }),
      RUNS,
    );
  });

  it('equals the model for every exponent 0..31 on every edge value', () => {
    for (let e = 0; e <= 31; e++) {
      for (const x of EDGE_INT32) {
        expect(roundingDivideByPOT(x, e), `${x} / 2^${e}`).toBe(roundingDivideByPOTExact(x, e));
        expect(roundingDivideByPOT(x, e), `${x} / 2^${e}`).toBe(roundHalfAwayDivideByPOT(x, e));
      }
    }
  });

  it('sends exact positive and negative ties away from zero, for every exponent 1..31', () => {
    for (let e = 1; e <= 31; e++) {
      const half = 2 ** (e - 1);
      for (const k of [0, 1, 2, 5]) {
        const tie = k * 2 ** e + half; // (k + 0.5)·2^e
        if (tie > INT32_MAX) continue;
        expect(roundingDivideByPOT(tie, e), `${tie} / 2^${e}`).toBe(k + 1);
        expect(roundingDivideByPOT(-tie, e), `${-tie} / 2^${e}`).toBe(-(k + 1));
        // Just inside the tie rounds toward zero.
        expect(roundingDivideByPOT(tie - 1, e)).toBe(k);
        expect(roundingDivideByPOT(-(tie - 1), e)).toBe(0 - k);
      }
    }
  });

  it('handles exponent 0 (identity) and 31 (the whole range maps to −1, 0 or 1)', () => {
    for (const x of EDGE_INT32) expect(roundingDivideByPOT(x, 0)).toBe(x);
    expect(roundingDivideByPOT(INT32_MIN, 31)).toBe(-1);
    expect(roundingDivideByPOT(-(2 ** 30), 31)).toBe(-1); // −0.5 → −1
    expect(roundingDivideByPOT(-(2 ** 30) + 1, 31)).toBe(0);
    expect(roundingDivideByPOT(2 ** 30, 31)).toBe(1); // 0.5 → 1
    expect(roundingDivideByPOT(2 ** 30 - 1, 31)).toBe(0);
    expect(roundingDivideByPOT(INT32_MAX, 31)).toBe(1);
  });
});

describe('multiplyByQuantizedMultiplier', () => {
  it('equals the literal TFLite model on random inputs, every shift in −31..30', () => {
    fc.assert(
      fc.property(int32, multiplier, fc.integer({ min: -31, max: 30 }), (x, m, shift) => {
        expect(multiplyByQuantizedMultiplier(x, m, shift)).toBe(multiplyByQuantizedMultiplierExact(x, m, shift));
      }),
      RUNS,
    );
  });

  it('equals the model for every shift −31..31 on edge values and edge multipliers', () => {
    const multipliers = [0, 2 ** 30, 2 ** 30 + 1, 1518500250, INT32_MAX - 1, INT32_MAX];
    for (let shift = -31; shift <= 31; shift++) {
      for (const m of multipliers) {
        for (const x of EDGE_INT32) {
          expect(multiplyByQuantizedMultiplier(x, m, shift), `${x}·${m}·2^${shift}`).toBe(
            multiplyByQuantizedMultiplierExact(x, m, shift),
          );
        }
      }
    }
  });

  it('approximates x·real to within one unit for multipliers from quantizeMultiplier', () => {
    // Two roundings (SRDHM, then the shift) can each add half a unit; the product is bounded so
    // that the left shift cannot wrap.
    fc.assert(
      fc.property(
        fc.double({ min: 2 ** -20, max: 4, noNaN: true }),
        fc.integer({ min: -(2 ** 20), max: 2 ** 20 }),
        (real, x) => {
          const { multiplier: m, shift } = quantizeMultiplier(real);
          const got = multiplyByQuantizedMultiplier(x, m, shift);
          expect(Math.abs(got - x * real)).toBeLessThanOrEqual(1 + Math.abs(x * real) * 2 ** -29);
        },
      ),
      RUNS,
    );
  });

  it('wraps x·2^left in int32 as the compiled C++ does', () => {
    // 2^30 · 2^2 wraps to 0 in int32; SRDHM(0, m) = 0.
    expect(multiplyByQuantizedMultiplier(2 ** 30, 2 ** 30, 2)).toBe(0);
    // 3 · 2^30 wraps to −2^30; SRDHM(−2^30, 2^30) = −2^29.
    expect(multiplyByQuantizedMultiplier(3, 2 ** 30, 30)).toBe(-(2 ** 29));
  });
});

/** ruy's apply_multiplier.cc read literally: (x·M + 2^(t−1)) >> t in 64 bits, t = 31 − shift, cast to int32. */
function ruyExact(x: number, m: number, shift: number): number {
  const t = BigInt(31 - shift);
  return Number(BigInt.asIntN(32, (BigInt(x) * BigInt(m) + (1n << (t - 1n))) >> t));
}

describe('ruyMultiplyByQuantizedMultiplier (single rounding)', () => {
  it('equals the literal ruy model on random inputs and on edge values, every shift −31..30', () => {
    fc.assert(
      fc.property(int32, multiplier, fc.integer({ min: -31, max: 30 }), (x, m, shift) => {
        expect(ruyMultiplyByQuantizedMultiplier(x, m, shift)).toBe(ruyExact(x, m, shift));
      }),
      RUNS,
    );
    for (let shift = -31; shift <= 30; shift++) {
      for (const m of [0, 2 ** 30, 2 ** 30 + 1, 1518500250, INT32_MAX]) {
        for (const x of EDGE_INT32) expect(ruyMultiplyByQuantizedMultiplier(x, m, shift), `${x}·${m}·2^${shift}`).toBe(ruyExact(x, m, shift));
      }
    }
  });

  it('rounds ties toward +∞ where the double rounding goes away from zero', () => {
    // ±4 · 2^30 · 2^−33 = ±0.5 exactly: ruy gives 0 and 1, TFLite's double rounding −1 and 1.
    expect(ruyMultiplyByQuantizedMultiplier(-4, 2 ** 30, -2)).toBe(0);
    expect(multiplyByQuantizedMultiplier(-4, 2 ** 30, -2)).toBe(-1);
    expect(ruyMultiplyByQuantizedMultiplier(4, 2 ** 30, -2)).toBe(1);
  });
});

describe('quantizeMultiplier', () => {
  /** Doubles spread over many binades, both signs, including subnormals. */
  const real = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc
      .tuple(fc.double({ min: 0.5, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: -40, max: 40 }))
      .map(([fraction, exponent]) => fraction * 2 ** exponent),
    fc.double({ min: 1e-9, max: 1, noNaN: true }),
  );

  it('equals the bit-level model of frexp + std::round on random doubles', () => {
    fc.assert(
      fc.property(real, (r) => {
        expect(quantizeMultiplier(r)).toEqual(quantizeMultiplierExact(r));
      }),
      RUNS,
    );
  });

  it('gives a multiplier in [2^30, 2^31) within half a unit of the real', () => {
    fc.assert(
      fc.property(fc.double({ min: 2 ** -30, max: 2 ** 20, noNaN: true }), (r) => {
        const { multiplier: m, shift } = quantizeMultiplier(r);
        expect(m).toBeGreaterThanOrEqual(2 ** 30);
        expect(m).toBeLessThan(2 ** 31);
        expect(Math.abs(m * 2 ** (shift - 31) - r)).toBeLessThanOrEqual(2 ** (shift - 32));
      }),
      RUNS,
    );
  });

  it('maps zero to (0, 0)', () => {
    expect(quantizeMultiplier(0)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(-0)).toEqual({ multiplier: 0, shift: 0 });
  });

  it('represents exact powers of two with multiplier 2^30', () => {
    expect(quantizeMultiplier(0.5)).toEqual({ multiplier: 2 ** 30, shift: 0 });
    expect(quantizeMultiplier(1)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    expect(quantizeMultiplier(0.25)).toEqual({ multiplier: 2 ** 30, shift: -1 });
    expect(quantizeMultiplier(-0.5)).toEqual({ multiplier: -(2 ** 30), shift: 0 });
  });

  it('halves a mantissa that rounds up to 2^31 and bumps the shift', () => {
    // frexp(1 − 2^−40) = (1 − 2^−40, 0); (1 − 2^−40)·2^31 = 2^31 − 2^−9 rounds to 2^31.
    expect(quantizeMultiplier(1 - 2 ** -40)).toEqual({ multiplier: 2 ** 30, shift: 1 });
    // Just below the rounding boundary stays at the top of the range.
    expect(quantizeMultiplier(1 - 2 ** -31)).toEqual({ multiplier: INT32_MAX, shift: 0 });
    // TFLite compares q_fixed with +2^31 only: the negative mirror keeps −2^31 and shift 0.
    expect(quantizeMultiplier(-(1 - 2 ** -40))).toEqual({ multiplier: INT32_MIN, shift: 0 });
  });

  it('rounds the mantissa half away from zero', () => {
    // 0.5 + 2^−32 has fraction·2^31 = 2^30 + 0.5 exactly.
    expect(quantizeMultiplier(0.5 + 2 ** -32)).toEqual({ multiplier: 2 ** 30 + 1, shift: 0 });
    expect(quantizeMultiplier(-(0.5 + 2 ** -32))).toEqual({ multiplier: -(2 ** 30) - 1, shift: 0 });
  });

  it('flushes reals below 2^−32 (shift < −31) to zero', () => {
    expect(quantizeMultiplier(2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
    expect(quantizeMultiplier(2 ** -33)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(1e-12)).toEqual({ multiplier: 0, shift: 0 });
    expect(quantizeMultiplier(Number.MIN_VALUE)).toEqual({ multiplier: 0, shift: 0 });
    // Rounding up to 2^31 at shift −32 bumps the shift to −31, so this one survives.
    expect(quantizeMultiplier((1 - 2 ** -40) * 2 ** -32)).toEqual({ multiplier: 2 ** 30, shift: -31 });
  });

  it('rejects NaN and infinities', () => {
    expect(() => quantizeMultiplier(Number.NaN)).toThrow(RangeError);
    expect(() => quantizeMultiplier(Infinity)).toThrow(RangeError);
    expect(() => quantizeMultiplier(-Infinity)).toThrow(RangeError);
  });
});

describe('exact models', () => {
  it('SRDHM model agrees with round-half-up of a·b / 2^31 (the identity the fast path relies on)', () => {
    fc.assert(
      fc.property(int32, int32, (a, b) => {
        fc.pre(!(a === INT32_MIN && b === INT32_MIN));
        const product = BigInt(a) * BigInt(b) + (1n << 30n);
        // BigInt >> is a floor shift.
        expect(srdhmExact(a, b)).toBe(Number(product >> 31n));
      }),
      { numRuns: 1000 },
    );
  });
});
