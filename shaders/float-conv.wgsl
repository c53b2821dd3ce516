// CONV_2D and FULLY_CONNECTED (as a 1x1 convolution over a 1x1 image), float32, NHWC, unpadded.
// Weights are regrouped on the host as [out_c / 4][k_h][k_w][in_c] vec4s: lane j of each vec4 is
// output channel 4g + j (zero beyond out_c), so one invocation computes 4 output channels of one
// output pixel with one input scalar times one weight vec4 per tap and channel.
// Taps outside the image are skipped, which is padding with zeros.

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  in_c: u32,
  out_h: u32,
  out_w: u32,
  out_c: u32,
  out_c4: u32,
  k_h: u32,
  k_w: u32,
  stride_h: u32,
  stride_w: u32,
  dil_h: u32,
  dil_w: u32,
  pad_top: i32,
  pad_left: i32,
  act_min: f32,
  act_max: f32,
  total: u32,
};

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let at = nhwc_position(index, params.out_c4, params.out_w, params.out_h);
  let oc4 = at.x;
  let ox = at.y;
  let oy = at.z;
  let n = at.w;

  var acc = vec4<f32>(0.0);
  let w_base = oc4 * params.k_h * params.k_w * params.in_c;
  for (var ky = 0u; ky < params.k_h; ky++) {
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - params.pad_top;
    if (iy < 0 || iy >= i32(params.in_h)) {
      continue;
    }
    for (var kx = 0u; kx < params.k_w; kx++) {
      let ix = i32(ox * params.stride_w + kx * params.dil_w) - params.pad_left;
      if (ix < 0 || ix >= i32(params.in_w)) {
        continue;
      }
      let in_base = ((n * params.in_h + u32(iy)) * params.in_w + u32(ix)) * params.in_c;
      let tap = w_base + (ky * params.k_w + kx) * params.in_c;
      for (var ic = 0u; ic < params.in_c; ic++) {
        acc += input[in_base + ic] * weights[tap + ic];
      }
    }
  }

  let result = clamp(acc + bias[oc4], vec4<f32>(params.act_min), vec4<f32>(params.act_max));
  let first = oc4 * 4u;
  let out_base = ((n * params.out_h + oy) * params.out_w + ox) * params.out_c + first;
  for (var j = 0u; j < 4u; j++) {
    if (first + j < params.out_c) {
      output[out_base + j] = result[j];
    }
  }
}
