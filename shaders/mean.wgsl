// MEAN of an 8-bit tensor (rank ≤ 4, padded to 4 at the front) over any set of axes. One
// invocation writes one output word. The output's elements are the input's kept coordinates in
// row-major order (keepDims only changes the shape), so an output element's coordinates come from
// kept_shape, and the reduced coordinates from reduced_shape; input bytes are found through
// byte strides in the packed layout.
// When the innermost dimension is kept ({{WORDWISE}}) an output word sums whole input words;
// otherwise each lane sums its own bytes.
//
// The accumulator is the int8-domain sum S' (uint8 values minus 128). The finishing step mirrors
// the TFLite kernel the reference picks:
//  {{INT8_SPATIAL}}: reference_integer_ops::Mean — MBQM(S − zp·n), then divide by n rounding half
//    away from zero, + zp_out.
//  {{UINT8_SPATIAL}}: reference_ops::Mean for uint8 — MBQM(S_uint8) + bias, S_uint8 = S' + 128·n.
//  otherwise: QuantizedMeanOrSum — MBQM(S − zp·n) with 1/n folded into the multiplier, + zp_out.
// zp_in and zp_out are int8-domain values; S − zp·n is the same in both domains.

struct Params {
  kept_shape: vec4<u32>,
  reduced_shape: vec4<u32>,
  in_strides: vec4<u32>,
  out_inner: u32,
  out_c4: u32,
  total: u32,
  count: u32,
  input_zp: i32,
  output_zp: i32,
  multiplier: i32,
  shift: i32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn coordinates(flat: u32, shape: vec4<u32>) -> vec4<u32> {
  var rest = flat;
  var c: vec4<u32>;
  c.w = rest % shape.w;
  rest = rest / shape.w;
  c.z = rest % shape.z;
  rest = rest / shape.z;
  c.y = rest % shape.y;
  c.x = rest / shape.y;
  return c;
}

fn finish(sum: i32) -> i32 {
  let n = i32(params.count);
#if {{INT8_SPATIAL}}
  let acc = multiply_by_quantized_multiplier(sum - params.input_zp * n, params.multiplier, params.shift);
  let half = n / 2;
  let mean = (acc + select(-half, half, acc > 0)) / n;
  return clamp(mean + params.output_zp, -128, 127);
#elif {{UINT8_SPATIAL}}
  // output_zp holds the host's bias term (zp_out − round(zp_in·scale_in/scale_out)) − 128.
  return clamp(multiply_by_quantized_multiplier(sum + 128 * n, params.multiplier, params.shift) + params.output_zp, -128, 127);
#else
  return clamp(multiply_by_quantized_multiplier(sum - params.input_zp * n, params.multiplier, params.shift) + params.output_zp, -128, 127);
#endif
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let row = index / params.out_c4;
  let c0 = (index % params.out_c4) * 4u;
#if {{WORDWISE}}
  // Lane 0's byte offset is a multiple of 4: its innermost coordinate is c0 and every outer
  // stride is a whole number of words.
  let kept = coordinates(row * params.out_inner + c0, params.kept_shape);
  var sum = vec4<i32>(0);
  for (var r = 0u; r < params.count; r++) {
    let byte = dot(kept + coordinates(r, params.reduced_shape), params.in_strides);
    sum += unpack_i8x4(input[byte / 4u]);
  }
  var result = vec4<i32>(0);
  // A loop, not four inlined calls: SwiftShader compiles the requantization once, much faster.
  for (var j = 0u; j < 4u; j++) {
    result[j] = finish(sum[j]);
  }
#else
  var result = vec4<i32>(0);
  for (var j = 0u; j < 4u; j++) {
    let c = c0 + j;
    if (c < params.out_inner) {
      let kept = coordinates(row * params.out_inner + c, params.kept_shape);
      var sum = 0;
      for (var r = 0u; r < params.count; r++) {
        let byte = dot(kept + coordinates(r, params.reduced_shape), params.in_strides);
        sum += bitcast<i32>(input[byte / 4u] << (24u - 8u * (byte % 4u))) >> 24u;
      }
      result[j] = finish(sum);
    }
  }
#endif
  output[index] = pack_i8x4(result);
}
