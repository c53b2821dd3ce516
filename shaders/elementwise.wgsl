// ADD and MUL of two 8-bit tensors (uint8 ones arrive in the int8 domain), NHWC or any rank.
// One invocation writes one output word: 4 consecutive elements of the innermost dimension.
// Inputs of the output's shape are read word for word; otherwise ({{BROADCAST}}) each lane
// finds its element through byte strides in the packed layout, 0 along stretched dimensions.
// Differences x − zp are the same in the int8 and the uint8 domain, so no op needs a uint8 flag.
//
// ADD: add4 of shaders/common.wgsl, in either requantization (the convolution kernel's fused
// ADD computes the same). MUL ({{MUL}}): mul.cc's MultiplyByQuantizedMultiplier, or XNNPACK's
// fp32 multiply ({{XNNPACK_MUL}}) where the delegate takes the op.

struct Params {
  out_shape: vec4<u32>,
  a_strides: vec4<u32>,
  b_strides: vec4<u32>,
  out_inner: u32,
  out_c4: u32,
  total: u32,
  // A uniform struct member starts at a multiple of 16 (the host writes a padding word before it).
  @align(16) quant: BinaryQuant,
};

@group(0) @binding(0) var<storage, read> input_a: array<u32>;
@group(0) @binding(1) var<storage, read> input_b: array<u32>;
@group(0) @binding(2) var<storage, read_write> output: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

#if {{MUL}}
fn mul_lane(x: i32, y: i32) -> i32 {
  let dx = x - params.quant.a_zp;
  let dy = y - params.quant.b_zp;
#if {{XNNPACK_MUL}}
  // XNNPACK's fp32 multiply: the exact product (|Δa·Δb| ≤ 255², so the conversion is exact) times
  // the float32 scale (out_multiplier's bits), clamped relative to the zero point, rounded half
  // to even by round().
  let scaled = f32(dx * dy) * bitcast<f32>(params.quant.out_multiplier);
  let clamped = clamp(scaled, f32(params.quant.act_min - params.quant.out_zp), f32(params.quant.act_max - params.quant.out_zp));
  let v = i32(round(clamped));
#else
  let v = multiply_by_quantized_multiplier(dx * dy, params.quant.out_multiplier, params.quant.out_shift);
#endif
  return clamp(v + params.quant.out_zp, params.quant.act_min, params.quant.act_max);
}
#endif

fn combine4(x: vec4<i32>, y: vec4<i32>) -> vec4<i32> {
#if {{MUL}}
  var result = vec4<i32>(0);
  // A loop, not four inlined calls: SwiftShader compiles the requantization once, much faster.
  for (var j = 0u; j < 4u; j++) {
    result[j] = mul_lane(x[j], y[j]);
  }
  return result;
#else
  return add4(x, y, params.quant);
#endif
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
  var x = vec4<i32>(0);
  var y = vec4<i32>(0);
  for (var j = 0u; j < 4u; j++) {
    let c = c0 + j;
    if (c < params.out_inner) {
      let coord = coordinates(row * params.out_inner + c);
      let a_byte = dot(coord, params.a_strides);
      let b_byte = dot(coord, params.b_strides);
      x[j] = byte_of(input_a[a_byte / 4u], a_byte % 4u);
      y[j] = byte_of(input_b[b_byte / 4u], b_byte % 4u);
    }
  }
  // Padding lanes past the innermost dimension are written as 0.
  let real = vec4<u32>(c0) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(params.out_inner);
  let result = select(vec4<i32>(0), combine4(x, y), real);
#else
  // Padding lanes past the innermost dimension compute garbage that no reader looks at.
  let result = combine4(unpack_i8x4(input_a[index]), unpack_i8x4(input_b[index]));
#endif
  output[index] = pack_i8x4(result);
}
