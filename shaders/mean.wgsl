// MEAN of an 8-bit tensor (rank ≤ 4, padded to 4 at the front) over any set of axes. One
// invocation writes one output word. The output's elements are the input's kept coordinates in
// row-major order (keepDims only changes the shape), so an output element's coordinates come from
// kept_shape, and the reduced coordinates from reduced_shape; input bytes are found through
// byte strides in the packed layout.
// When the innermost dimension is kept ({{WORDWISE}}) an output word sums whole input words;
// otherwise each lane sums its own bytes.
//
// The accumulator is the int8-domain sum S' (uint8 values minus 128, S' = S - 128·n). Whichever
// TFLite kernel finishes this MEAN (src/quant/mean.ts: XNNPACK's global average pooling, reduce.cc's
// optimized 4-D mean, its integer mean or QuantizedMeanOrSum), its rounding is a non-decreasing
// step function of the sum, given here by the host as 255 thresholds: the int8-domain output is
// -128 plus the number of thresholds <= S'. The float32 arithmetic of those kernels happens on the
// host, exactly; the shader only compares integers.

struct Params {
  kept_shape: vec4<u32>,
  reduced_shape: vec4<u32>,
  in_strides: vec4<u32>,
  out_inner: u32,
  out_c4: u32,
  total: u32,
  count: u32,
  // thresholds[k / 4][k % 4] for k in 0..254, non-decreasing; entry 255 is 2^31 - 1.
  thresholds: array<vec4<i32>, 64>,
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
  // The first k in [0, 255] whose threshold exceeds the sum (entry 255 always does).
  var lo = 0u;
  var hi = 255u;
  for (var step = 0u; step < 8u; step++) {
    let mid = (lo + hi) / 2u;
    if (params.thresholds[mid / 4u][mid % 4u] <= sum) {
      lo = mid + 1u;
    } else {
      hi = mid;
    }
  }
  return -128 + i32(lo);
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
