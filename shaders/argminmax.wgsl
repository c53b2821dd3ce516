// ARG_MAX and ARG_MIN (src/kernels/resize.ts). One invocation per output element (outer × inner
// positions); it walks the `size` elements of the axis and keeps the first index of the largest
// (smallest) value: a strict comparison, so ties keep the smaller index, as TFLite's ArgMinMax.
// 8-bit inputs are read from the packed layout (innermost dimension `depth`, padded to `depth4`
// words) and compared in the int8 domain (u − 128 keeps uint8's order). int64 indices are
// written as two words, the high one 0.

struct Params {
  total: u32,
  size: u32,
  inner: u32,
  depth: u32,
  depth4: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

#if {{ELEM8}}
fn load(flat: u32) -> i32 {
  let row = flat / params.depth;
  let col = flat % params.depth;
  let w = input[row * params.depth4 + col / 4u];
  return bitcast<i32>(w << (24u - 8u * (col % 4u))) >> 24u;
}
#elif {{FLOAT}}
fn load(flat: u32) -> f32 {
  return bitcast<f32>(input[flat]);
}
#else
fn load(flat: u32) -> i32 {
  return bitcast<i32>(input[flat]);
}
#endif

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let inner = params.inner;
  let base = (index / inner) * params.size * inner + index % inner;
  var best = load(base);
  var best_k = 0u;
  for (var k = 1u; k < params.size; k++) {
    let v = load(base + k * inner);
#if {{MAX}}
    if (v > best) {
#else
    if (v < best) {
#endif
      best = v;
      best_k = k;
    }
  }
#if {{INT64}}
  output[2u * index] = best_k;
  output[2u * index + 1u] = 0u;
#else
  output[index] = best_k;
#endif
}
