// The two rounding rules every stage shares (src/rounding.ts), against their C definitions.
import { describe, expect, it } from 'vitest';
import { roundHalfAway, roundHalfEven } from '../src/rounding.ts';

describe('rounding', () => {
  it('roundHalfEven is lrintf: halves to the even neighbour, sign of zero kept, beyond 32 bits too', () => {
    const cases: Array<[number, number]> = [
      [0.5, 0], [1.5, 2], [2.5, 2], [-0.5, -0], [-1.5, -2], [-2.5, -2], [2.4999, 2], [2.5001, 3],
      [-0, -0], [0, 0], [2 ** 32 + 0.5, 2 ** 32], [2 ** 32 + 1.5, 2 ** 32 + 2], [-(2 ** 33) - 0.5, -(2 ** 33)],
    ];
    for (const [x, want] of cases) expect(Object.is(roundHalfEven(x), want), `roundHalfEven(${x}) = ${roundHalfEven(x)}, want ${want}`).toBe(true);
    expect(roundHalfEven(NaN)).toBeNaN();
    expect(roundHalfEven(Infinity)).toBe(Infinity);
  });

  it('roundHalfAway is std::round: halves away from zero, sign of zero kept', () => {
    const cases: Array<[number, number]> = [[0.5, 1], [1.5, 2], [2.5, 3], [-0.5, -1], [-2.5, -3], [-0.4, -0], [0.4, 0], [-0, -0]];
    for (const [x, want] of cases) expect(Object.is(roundHalfAway(x), want), `roundHalfAway(${x}) = ${roundHalfAway(x)}, want ${want}`).toBe(true);
  });
});
