// PRELU, int8 (legacy uint8 runs in the int8 domain: zero points move by 128, the arithmetic on
// x − zp is the same), as reference_ops::BroadcastPrelu4DSlow: x − zp ≥ 0 → requantize by the
// identity multiplier; else (x − zp)·(alpha − zp_alpha) by the alpha multiplier; + zp_out, clamp.
// One invocation per packed output word. Shapes are padded to rank 4 at the front; alpha
// broadcasts where its dimension is 1 (stretch flags), and is read from its own packed layout.
// (A constant alpha that varies along the channels only takes channel tables instead:
// src/kernels/unary.ts channelTableLookup, shaders/unary.wgsl.)

struct Params {
  total: u32,
  inner: u32,
  c4: u32,
  d1: u32,
  d2: u32,
  a1: u32,
  a2: u32,
  // 1 where alpha's dimension is the input's, 0 where it is 1 and broadcasts (dims 0..3).
  keep: vec4<u32>,
  // Alpha's innermost dimension rounded up to 4: the row pitch of its packed layout.
  alpha_pitch: u32,
  input_zp: i32,
  alpha_zp: i32,
  output_zp: i32,
  identity_multiplier: i32,
  identity_shift: i32,
  alpha_multiplier: i32,
  alpha_shift: i32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read> alpha: array<u32>;
@group(0) @binding(2) var<storage, read_write> output: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

fn alpha_at(c0: u32, c1: u32, c2: u32, c3: u32) -> i32 {
  let outer = ((c0 * params.keep.x) * params.a1 + c1 * params.keep.y) * params.a2 + c2 * params.keep.z;
  let address = outer * params.alpha_pitch + c3 * params.keep.w;
  let word = alpha[address / 4u];
  return bitcast<i32>(word << (24u - 8u * (address % 4u))) >> 24u;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let outer = index / params.c4;
  let jw = index % params.c4;
  let c2 = outer % params.d2;
  let c1 = (outer / params.d2) % params.d1;
  let c0 = outer / (params.d2 * params.d1);
  let x = unpack_i8x4(input[index]);
  var result = vec4<i32>(0);
  for (var b = 0u; b < 4u; b++) {
    let j = jw * 4u + b;
    if (j < params.inner) {
      let v = x[b] - params.input_zp;
      var r: i32;
      if (v >= 0) {
        r = multiply_by_quantized_multiplier(v, params.identity_multiplier, params.identity_shift);
      } else {
        r = multiply_by_quantized_multiplier(v * (alpha_at(c0, c1, c2, j) - params.alpha_zp), params.alpha_multiplier, params.alpha_shift);
      }
      result[b] = clamp(r + params.output_zp, -128, 127);
    }
  }
  output[index] = pack_i8x4(result);
}
