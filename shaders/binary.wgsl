// Binary arithmetic of two 8-bit tensors (uint8 ones arrive in the int8 domain) with numpy-style
// broadcasting up to rank 8 (TFLite stops at 6): ADD, SUB and MUL with their requantization,
// MAXIMUM and MINIMUM (raw comparison: order survives the uint8 → int8 shift), and
// SQUARED_DIFFERENCE (squared_difference.cc, left shift 7).
// One invocation writes one output word, 4 consecutive elements of the innermost dimension.
// Same-shape operands ({{BROADCAST}} off) are read word for word: their padding lanes compute
// garbage no reader looks at. Otherwise each lane finds its element through byte strides in the
// packed layout (innermost dimension padded to 4), 0 along stretched dimensions.

struct Params {
  out_shape: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
  out_inner: u32,
  out_c4: u32,
  total: u32,
  a_zp: i32,
  b_zp: i32,
  out_zp: i32,
  act_min: i32,
  act_max: i32,
  a_multiplier: i32,
  a_shift: i32,
  b_multiplier: i32,
  b_shift: i32,
  out_multiplier: i32,
  out_shift: i32,
};

@group(0) @binding(0) var<storage, read> input_a: array<u32>;
@group(0) @binding(1) var<storage, read> input_b: array<u32>;
@group(0) @binding(2) var<storage, read_write> output: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

fn combine(x: i32, y: i32) -> i32 {
#if {{MAXIMUM}}
  return max(x, y);
#elif {{MINIMUM}}
  return min(x, y);
#else
  let dx = x - params.a_zp;
  let dy = y - params.b_zp;
#if {{XNNPACK_MUL}}
  // XNNPACK's fp32 multiply: exact product times the float32 scale (out_multiplier's bits),
  // clamped relative to the zero point, rounded half to even.
  let scaled = f32(dx * dy) * bitcast<f32>(params.out_multiplier);
  let clamped = clamp(scaled, f32(params.act_min - params.out_zp), f32(params.act_max - params.out_zp));
  let v = i32(round(clamped));
#elif {{MUL}}
  let v = multiply_by_quantized_multiplier(dx * dy, params.out_multiplier, params.out_shift);
#elif {{SQUARED_DIFFERENCE}}
  let sa = multiply_by_quantized_multiplier(dx * 128, params.a_multiplier, params.a_shift);
  let sb = multiply_by_quantized_multiplier(dy * 128, params.b_multiplier, params.b_shift);
  let d = sa - sb;
  let v = multiply_by_quantized_multiplier(d * d, params.out_multiplier, params.out_shift);
#elif {{XNNPACK_ADD}}
  // XNNPACK's add and subtract (subtract: b_multiplier negative): one flooring shift, inside
  // int32 since both multipliers are below 2^21 in magnitude and |x − zp| ≤ 255.
  let rounding = 1 << u32(params.out_shift - 1);
  let v = (rounding + dx * params.a_multiplier + dy * params.b_multiplier) >> u32(params.out_shift);
#else
  // TFLite's Add / Sub: left shift 20, three MultiplyByQuantizedMultiplier calls.
  let sa = multiply_by_quantized_multiplier(dx * 1048576, params.a_multiplier, params.a_shift);
  let sb = multiply_by_quantized_multiplier(dy * 1048576, params.b_multiplier, params.b_shift);
#if {{SUB}}
  let v = multiply_by_quantized_multiplier(sa - sb, params.out_multiplier, params.out_shift);
#else
  let v = multiply_by_quantized_multiplier(sa + sb, params.out_multiplier, params.out_shift);
#endif
#endif
  return clamp(v + params.out_zp, params.act_min, params.act_max);
#endif
}

#if {{BROADCAST}}
fn byte_of(word: u32, lane: u32) -> i32 {
  return bitcast<i32>(word << (24u - 8u * lane)) >> 24u;
}

fn dim_of(v: array<vec4<u32>, 2>, d: u32) -> u32 {
  return v[d / 4u][d % 4u];
}
#endif

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  var result = vec4<i32>(0);
#if {{BROADCAST}}
  let row = index / params.out_c4;
  let c0 = (index % params.out_c4) * 4u;
  for (var j = 0u; j < 4u; j++) {
    let c = c0 + j;
    if (c < params.out_inner) {
      // Walk the output coordinates from the innermost dimension outwards.
      var rest = row * params.out_inner + c;
      var a_byte = 0u;
      var b_byte = 0u;
      for (var d = 7; d >= 0; d--) {
        let dim = dim_of(params.out_shape, u32(d));
        let coord = rest % dim;
        rest = rest / dim;
        a_byte += coord * dim_of(params.a_strides, u32(d));
        b_byte += coord * dim_of(params.b_strides, u32(d));
      }
      let x = byte_of(input_a[a_byte / 4u], a_byte % 4u);
      let y = byte_of(input_b[b_byte / 4u], b_byte % 4u);
      result[j] = combine(x, y);
    }
  }
#else
  let x = unpack_i8x4(input_a[index]);
  let y = unpack_i8x4(input_b[index]);
  // A loop, not four inlined calls: SwiftShader compiles the requantization once, much faster.
  for (var j = 0u; j < 4u; j++) {
    result[j] = combine(x[j], y[j]);
  }
#endif
  output[index] = pack_i8x4(result);
}
