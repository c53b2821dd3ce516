// CONV_2D and FULLY_CONNECTED (as a 1x1 convolution over a 1x1 image), int8, NHWC.
// Activations are packed 4 channels to a u32 (channels padded to a multiple of 4); weights are
// [out_c / 4][k_h][k_w][in_c / 4] vec4s, each holding the 4 output channels' words for one input
// word, so that one load feeds the 4 dot4 products (loads dominate on software adapters). One
// invocation computes 4 output channels of one output pixel: per tap, one input word, one vec4.
//
// Zero points: an out-of-image tap reads a word holding the input zero point 4 times, so it
// contributes nothing after the host folded -zx * sum(w) into the bias. Legacy uint8 models with a
// weight zero point (in the int8 domain, zw != 0) also need -zw * sum(x), computed with
// dot4(x, 0x01010101) over the real channels in the same loop ({{WEIGHT_ZP}}).

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
  input_zp_word: u32,
  last_word_mask: u32,
  output_zp: i32,
  act_min: i32,
  act_max: i32,
  weight_zp: i32,
  total: u32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<u32>>;
// Per output channel: (bias with zero-point terms folded in, multiplier, shift, f32 scale bits).
@group(0) @binding(2) var<storage, read> channel_params: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> output: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

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
  var input_sum = 0;
  let taps_per_channel = params.k_h * params.k_w * params.in_c4;
  let w_base = ocw * taps_per_channel;
  for (var ky = 0u; ky < params.k_h; ky++) {
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - params.pad_top;
    for (var kx = 0u; kx < params.k_w; kx++) {
      let ix = i32(ox * params.stride_w + kx * params.dil_w) - params.pad_left;
      let inside = iy >= 0 && iy < i32(params.in_h) && ix >= 0 && ix < i32(params.in_w);
      let in_base = ((n * params.in_h + u32(max(iy, 0))) * params.in_w + u32(max(ix, 0))) * params.in_c4;
      let tap = (ky * params.k_w + kx) * params.in_c4;
      for (var icw = 0u; icw < params.in_c4; icw++) {
        let x = select(params.input_zp_word, input[in_base + icw], inside);
        let w = weights[w_base + tap + icw];
        acc += vec4<i32>(dot4(x, w.x), dot4(x, w.y), dot4(x, w.z), dot4(x, w.w));
#if {{WEIGHT_ZP}}
        input_sum += dot4(x, select(0x01010101u, params.last_word_mask, icw + 1u == params.in_c4));
#endif
      }
    }
  }

  var result = vec4<i32>(0);
  for (var j = 0u; j < 4u; j++) {
    let cp = channel_params[ocw * 4u + j];
    let folded = acc[j] + cp.x - params.weight_zp * input_sum;
    result[j] = requantize(folded, cp, params.output_zp, params.act_min, params.act_max);
  }
  output[index] = pack_i8x4(result);
}
