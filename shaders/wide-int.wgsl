// 64-bit integer arithmetic on (low, high) u32 pairs, which WGSL lacks: prepended to the int8
// kernels (src/kernels/common.ts, src/kernels/gemm.ts) for the fixed-point requantization and to
// the image input (src/image/gpu-input.ts) for its binary64 emulation.

// Unsigned 32x32 -> 64 product as (lo, hi).
fn umul64(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xFFFFu;
  let a1 = a >> 16u;
  let b0 = b & 0xFFFFu;
  let b1 = b >> 16u;
  let p00 = a0 * b0;
  let p01 = a0 * b1;
  let p10 = a1 * b0;
  let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xFFFFu) + (p10 & 0xFFFFu);
  let lo = (p00 & 0xFFFFu) | (mid << 16u);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return vec2<u32>(lo, hi);
}

fn add64(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}
