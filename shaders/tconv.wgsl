// TRANSPOSE_CONV, int8 (legacy uint8 in the int8 domain), NHWC, written as a gather so that no
// atomics are needed: each invocation computes 4 output channels of one output pixel by summing
// exactly the taps that reach it. Output row oy gets input row iy through tap ky when
// oy + pad_top = iy·stride_h + ky, so only the taps ky ≡ (oy + pad_top) mod stride_h take part
// (the pixel's phase), each with iy = (oy + pad_top − ky) / stride_h; likewise for columns.
//
// Layouts are conv2d.wgsl's: activations 4 channels per u32, weights [out_c padded][k_h][k_w]
// [in_c / 4] words, and the same dot4 loop. A tap whose input row or column lies outside the
// image reads the input zero point 4 times; the host folded −zx·Σw over the phase's taps (and,
// for uint8 weights, +taps·zx·zw) into a bias per phase and channel, so such taps add nothing.
// {{WEIGHT_ZP}}: legacy uint8 weights with a zero point also need −zw·Σx over the taps.

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
  pad_top: u32,
  pad_left: u32,
  phases_w: u32,
  input_zp_word: u32,
  last_word_mask: u32,
  output_zp: i32,
  act_min: i32,
  act_max: i32,
  weight_zp: i32,
  total: u32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read> weights: array<u32>;
// Per phase and output channel: (bias with zero-point terms folded in, multiplier, shift, f32 scale bits).
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

  let ty = oy + params.pad_top;
  let tx = ox + params.pad_left;
  let py = ty % params.stride_h;
  let px = tx % params.stride_w;
  // Phases at or past the kernel size have no taps; they share the last row of the table.
  let phase = min(py, params.k_h) * params.phases_w + min(px, params.k_w);

  var acc = vec4<i32>(0);
  var input_sum = 0;
  let taps_per_channel = params.k_h * params.k_w * params.in_c4;
  let w_base = ocw * 4u * taps_per_channel;
  for (var ky = py; ky < params.k_h; ky += params.stride_h) {
    let iy = (i32(ty) - i32(ky)) / i32(params.stride_h);
    for (var kx = px; kx < params.k_w; kx += params.stride_w) {
      let ix = (i32(tx) - i32(kx)) / i32(params.stride_w);
      let inside = iy >= 0 && iy < i32(params.in_h) && ix >= 0 && ix < i32(params.in_w);
      let in_base = ((n * params.in_h + u32(max(iy, 0))) * params.in_w + u32(max(ix, 0))) * params.in_c4;
      let tap = (ky * params.k_w + kx) * params.in_c4;
      for (var icw = 0u; icw < params.in_c4; icw++) {
        let x = select(params.input_zp_word, input[min(in_base + icw, arrayLength(&input) - 1u)], inside);
        let w = w_base + tap + icw;
        acc += vec4<i32>(
          dot4(x, weights[w]),
          dot4(x, weights[w + taps_per_channel]),
          dot4(x, weights[w + 2u * taps_per_channel]),
          dot4(x, weights[w + 3u * taps_per_channel]));
#if {{WEIGHT_ZP}}
        input_sum += dot4(x, select(0x01010101u, params.last_word_mask, icw + 1u == params.in_c4));
#endif
      }
    }
  }

  var result = vec4<i32>(0);
  let cp_base = phase * params.out_c4 * 4u + ocw * 4u;
  for (var j = 0u; j < 4u; j++) {
    let cp = channel_params[cp_base + j];
    let folded = acc[j] + cp.x - params.weight_zp * input_sum;
    result[j] = requantize(folded, cp, params.output_zp, params.act_min, params.act_max);
  }
  output[index] = pack_i8x4(result);
}
