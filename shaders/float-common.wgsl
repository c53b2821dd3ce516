// Shared helpers, prepended to every float32 kernel (after shaders/indexing.wgsl).

// Element (d) of a rank-8 shape or stride list packed into two vec4 words of a uniform struct.
fn dim_at(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}
