// The two rounding rules TFLite's kernels use when they turn a real number into an integer. Every
// stage (op definitions, host-side integer arithmetic, the quantizer) needs them, so they live at
// the top of src/, which every layer may import.

/** std::round: half away from zero (the sign of zero kept, as Math.round keeps it). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * lrintf / std::nearbyint in the default rounding mode: half to even (the sign of zero kept).
 * `% 2` rather than `& 1`, which would truncate values beyond 32 bits.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
