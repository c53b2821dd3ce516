// Invocation indexing, prepended to every int8 and float32 kernel (src/kernels/common.ts,
// src/kernels/float/common.ts, src/kernels/gemm.ts).

// Linear invocation index over a 2D dispatch (large tensors exceed 65535 workgroups in x).
fn linear_index(gid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return gid.x + gid.y * nwg.x * {{WORKGROUP_SIZE}}u;
}

// (channel, x, y, batch) of the output element `index` of an NHWC tensor of `channels` (or
// channel words) by `width` by `height`, channels innermost: the order every per-pixel kernel
// assigns invocations in.
fn nhwc_position(index: u32, channels: u32, width: u32, height: u32) -> vec4<u32> {
  let pixel = index / channels;
  let row = pixel / width;
  return vec4<u32>(index % channels, pixel % width, row % height, row / height);
}
