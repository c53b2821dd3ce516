// Shared helpers, prepended to every float32 kernel.

// Linear invocation index over a 2D dispatch (large tensors exceed 65535 workgroups in x).
fn linear_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
}

// Element (d) of a rank-8 shape or stride list packed into two vec4 words of a uniform struct.
fn dim_at(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}
