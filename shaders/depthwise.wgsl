// DEPTHWISE_CONV_2D, int8, NHWC, packed 4 channels to a u32. One invocation computes 4 output
// channels of one output pixel. The reduction runs over the taps only (no channel sum), so dot4
// does not apply; each tap is 4 lane-wise multiply-adds. Weights are [k_h][k_w][out_c / 4] words.
// With depth multiplier 1 an input word maps to an output word; otherwise each output channel
// reads its input channel (oc / multiplier) byte by byte ({{MULTIPLIER_ONE}}).
// Zero points as in conv2d: padding reads the input zero point, -zx * sum(w) is in the bias, and
// a uint8 weight zero point needs the per-lane input sum ({{WEIGHT_ZP}}).

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  in_c4: u32,
  out_h: u32,
  out_w: u32,
  out_c4: u32,
  k_h: u32,
  k_w: u32,
  stride_h: u32,
  stride_w: u32,
  dil_h: u32,
  dil_w: u32,
  pad_top: i32,
  pad_left: i32,
  input_zp: i32,
  multiplier: u32,
  output_zp: i32,
  act_min: i32,
  act_max: i32,
  weight_zp: i32,
  total: u32,
};

#if {{VEC}}
// Four channel words (16 channels) per invocation, each operand read as one vec4 per tap, the
// arithmetic written out without loops or arrays: on a software adapter (SwiftShader) loads and
// function-scope arrays indexed in loops cost far more than the multiply-adds they feed (the
// GEMM's straight-line vec4 variant measured 4× faster than its looped word variant,
// bench/README.md). Depth multiplier 1 only; params.in_c4 and params.out_c4 count vec4s.
@group(0) @binding(0) var<storage, read> input: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read> channel_params: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> output: array<vec4<u32>>;
@group(0) @binding(4) var<uniform> params: Params;

// Word `word` of the output vector: its 4 channels requantized and packed.
fn output_word(acc: vec4<i32>, input_sum: vec4<i32>, word: u32) -> u32 {
  var result = vec4<i32>(0);
  for (var l = 0u; l < 4u; l++) {
    let cp = channel_params[word * 4u + l];
    let folded = acc[l] + cp.x - params.weight_zp * input_sum[l];
    result[l] = requantize(folded, cp, params.output_zp, params.act_min, params.act_max);
  }
  return pack_i8x4(result);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let at = nhwc_position(index, params.out_c4, params.out_w, params.out_h);
  let ocv = at.x;
  let ox = at.y;
  let oy = at.z;
  let n = at.w;

  var acc0 = vec4<i32>(0);
  var acc1 = vec4<i32>(0);
  var acc2 = vec4<i32>(0);
  var acc3 = vec4<i32>(0);
  var sum0 = vec4<i32>(0);
  var sum1 = vec4<i32>(0);
  var sum2 = vec4<i32>(0);
  var sum3 = vec4<i32>(0);
  let zp4 = vec4<i32>(params.input_zp);
  for (var ky = 0u; ky < params.k_h; ky++) {
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - params.pad_top;
    for (var kx = 0u; kx < params.k_w; kx++) {
      let ix = i32(ox * params.stride_w + kx * params.dil_w) - params.pad_left;
      let inside = iy >= 0 && iy < i32(params.in_h) && ix >= 0 && ix < i32(params.in_w);
      let in_base = ((n * params.in_h + u32(max(iy, 0))) * params.in_w + u32(max(ix, 0))) * params.in_c4;
      let xs = input[in_base + ocv];
      let ws = weights[(ky * params.k_w + kx) * params.out_c4 + ocv];
      let x0 = select(zp4, unpack_i8x4(xs.x), inside);
      let x1 = select(zp4, unpack_i8x4(xs.y), inside);
      let x2 = select(zp4, unpack_i8x4(xs.z), inside);
      let x3 = select(zp4, unpack_i8x4(xs.w), inside);
      acc0 += x0 * unpack_i8x4(ws.x);
      acc1 += x1 * unpack_i8x4(ws.y);
      acc2 += x2 * unpack_i8x4(ws.z);
      acc3 += x3 * unpack_i8x4(ws.w);
#if {{WEIGHT_ZP}}
      sum0 += x0;
      sum1 += x1;
      sum2 += x2;
      sum3 += x3;
#endif
    }
  }
  let word = ocv * 4u;
  output[index] = vec4<u32>(
    output_word(acc0, sum0, word),
    output_word(acc1, sum1, word + 1u),
    output_word(acc2, sum2, word + 2u),
    output_word(acc3, sum3, word + 3u));
}
#else
@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read> weights: array<u32>;
@group(0) @binding(2) var<storage, read> channel_params: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> output: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

fn input_lane(word_base: u32, channel: u32) -> i32 {
  let w = input[word_base + channel / 4u];
  return bitcast<i32>(w << (24u - 8u * (channel % 4u))) >> 24u;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let at = nhwc_position(index, params.out_c4, params.out_w, params.out_h);
  let ocw = at.x;
  let ox = at.y;
  let oy = at.z;
  let n = at.w;

  var acc = vec4<i32>(0);
  var input_sum = vec4<i32>(0);
  let zp4 = vec4<i32>(params.input_zp);
  for (var ky = 0u; ky < params.k_h; ky++) {
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - params.pad_top;
    for (var kx = 0u; kx < params.k_w; kx++) {
      let ix = i32(ox * params.stride_w + kx * params.dil_w) - params.pad_left;
      let inside = iy >= 0 && iy < i32(params.in_h) && ix >= 0 && ix < i32(params.in_w);
      let in_base = ((n * params.in_h + u32(max(iy, 0))) * params.in_w + u32(max(ix, 0))) * params.in_c4;
#if {{MULTIPLIER_ONE}}
      let x = select(zp4, unpack_i8x4(input[in_base + ocw]), inside);
#else
      var x = zp4;
      if (inside) {
        let c0 = ocw * 4u;
        // Padded output channels past the real ones read a clamped, harmless input channel.
        let last = params.in_c4 * 4u - 1u;
        x = vec4<i32>(
          input_lane(in_base, min(c0 / params.multiplier, last)),
          input_lane(in_base, min((c0 + 1u) / params.multiplier, last)),
          input_lane(in_base, min((c0 + 2u) / params.multiplier, last)),
          input_lane(in_base, min((c0 + 3u) / params.multiplier, last)));
      }
#endif
      acc += x * unpack_i8x4(weights[(ky * params.k_w + kx) * params.out_c4 + ocw]);
#if {{WEIGHT_ZP}}
      input_sum += x;
#endif
    }
  }

  var result = vec4<i32>(0);
  for (var j = 0u; j < 4u; j++) {
    let cp = channel_params[ocw * 4u + j];
    let folded = acc[j] + cp.x - params.weight_zp * input_sum[j];
    result[j] = requantize(folded, cp, params.output_zp, params.act_min, params.act_max);
  }
  output[index] = pack_i8x4(result);
}
#endif
