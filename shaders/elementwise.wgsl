// ADD and MUL of two 8-bit tensors (uint8 ones arrive in the int8 domain), NHWC or any rank.
// One invocation writes one output word: 4 consecutive elements of the innermost dimension.
// Inputs of the output's shape are read word for word; otherwise ({{BROADCAST}}) each lane
// finds its element through byte strides in the packed layout, 0 along stretched dimensions.
// Differences x − zp are the same in the int8 and the uint8 domain, so no op needs a uint8 flag.
//
// ADD, 'tflite' requantization: TFLite's reference Add with left_shift 20, three
// MultiplyByQuantizedMultiplier calls. ADD, 'xnnpack' ({{FLOAT_REQUANT}}): XNNPACK's 20-bit
// multipliers, (2^(shift−1) + (x1 − zp1)·m1 + (x2 − zp2)·m2) >> shift, which stays inside int32
// because both multipliers are below 2^21 and |x − zp| ≤ 255. MUL ({{MUL}}): mul.cc's
// MultiplyByQuantizedMultiplier, or XNNPACK's fp32 multiply ({{XNNPACK_MUL}}) where the delegate
// takes the op.

struct Params {
  out_shape: vec4<u32>,
  a_strides: vec4<u32>,
  b_strides: vec4<u32>,
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
  let dx = x - params.a_zp;
  let dy = y - params.b_zp;
#if {{XNNPACK_MUL}}
  // XNNPACK's fp32 multiply: the exact product (|Δa·Δb| ≤ 255², so the conversion is exact) times
  // the float32 scale (out_multiplier's bits), clamped relative to the zero point, rounded half
  // to even by round().
  let scaled = f32(dx * dy) * bitcast<f32>(params.out_multiplier);
  let clamped = clamp(scaled, f32(params.act_min - params.out_zp), f32(params.act_max - params.out_zp));
  let v = i32(round(clamped));
#elif {{MUL}}
  let v = multiply_by_quantized_multiplier(dx * dy, params.out_multiplier, params.out_shift);
#elif {{FLOAT_REQUANT}}
  let rounding = 1 << u32(params.out_shift - 1);
  let v = (rounding + dx * params.a_multiplier + dy * params.b_multiplier) >> u32(params.out_shift);
#else
  let scaled_a = multiply_by_quantized_multiplier(dx * 1048576, params.a_multiplier, params.a_shift);
  let scaled_b = multiply_by_quantized_multiplier(dy * 1048576, params.b_multiplier, params.b_shift);
  let v = multiply_by_quantized_multiplier(scaled_a + scaled_b, params.out_multiplier, params.out_shift);
#endif
  return clamp(v + params.out_zp, params.act_min, params.act_max);
}

#if {{BROADCAST}}
fn byte_of(word: u32, lane: u32) -> i32 {
  return bitcast<i32>(word << (24u - 8u * lane)) >> 24u;
}

// Coordinates of an output element (row-major over out_shape, rank padded to 4 at the front).
fn coordinates(flat: u32) -> vec4<u32> {
  var rest = flat;
  var c: vec4<u32>;
  c.w = rest % params.out_shape.w;
  rest = rest / params.out_shape.w;
  c.z = rest % params.out_shape.z;
  rest = rest / params.out_shape.z;
  c.y = rest % params.out_shape.y;
  c.x = rest / params.out_shape.y;
  return c;
}
#endif

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
#if {{BROADCAST}}
  let row = index / params.out_c4;
  let c0 = (index % params.out_c4) * 4u;
  var result = vec4<i32>(0);
  for (var j = 0u; j < 4u; j++) {
    let c = c0 + j;
    if (c < params.out_inner) {
      let coord = coordinates(row * params.out_inner + c);
      let a_byte = dot(coord, params.a_strides);
      let b_byte = dot(coord, params.b_strides);
      let x = byte_of(input_a[a_byte / 4u], a_byte % 4u);
      let y = byte_of(input_b[b_byte / 4u], b_byte % 4u);
      result[j] = combine(x, y);
    }
  }
#else
  // Padding lanes past the innermost dimension compute garbage that no reader looks at.
  let x = unpack_i8x4(input_a[index]);
  let y = unpack_i8x4(input_b[index]);
  var result = vec4<i32>(0);
  // A loop, not four inlined calls: SwiftShader compiles the requantization once, much faster.
  for (var j = 0u; j < 4u; j++) {
    result[j] = combine(x[j], y[j]);
  }
#endif
  output[index] = pack_i8x4(result);
}
