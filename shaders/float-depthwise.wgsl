// DEPTHWISE_CONV_2D, float32, NHWC, unpadded. Output channel c reads input channel
// c / depth_multiplier. Weights are [k_h][k_w][out_c / 4] vec4s (zero beyond out_c); one
// invocation computes 4 output channels of one output pixel. Taps outside the image are skipped.

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
  multiplier: u32,
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

  // Lanes past out_c read the last real channel: their weights are zero, and the read stays in bounds.
  let first = oc4 * 4u;
  let last = params.out_c - 1u;
  let channels = min(vec4<u32>(first, first + 1u, first + 2u, first + 3u), vec4<u32>(last)) / params.multiplier;

  var acc = vec4<f32>(0.0);
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
      let x = vec4<f32>(input[in_base + channels.x], input[in_base + channels.y], input[in_base + channels.z], input[in_base + channels.w]);
      acc += x * weights[(ky * params.k_w + kx) * params.out_c4 + oc4];
    }
  }

  let result = clamp(acc + bias[oc4], vec4<f32>(params.act_min), vec4<f32>(params.act_max));
  let out_base = ((n * params.out_h + oy) * params.out_w + ox) * params.out_c + first;
  for (var j = 0u; j < 4u; j++) {
    if (first + j < params.out_c) {
      output[out_base + j] = result[j];
    }
  }
}
