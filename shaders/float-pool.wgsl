// AVERAGE_POOL_2D and MAX_POOL_2D, float32, NHWC, one output element per invocation. The window
// is clipped to the image; the average divides by the number of taps inside it, as TFLite does.

struct Params {
  batch: u32,
  in_h: u32,
  in_w: u32,
  channels: u32,
  out_h: u32,
  out_w: u32,
  filter_h: u32,
  filter_w: u32,
  stride_h: u32,
  stride_w: u32,
  pad_top: i32,
  pad_left: i32,
  act_min: f32,
  act_max: f32,
  total: u32,
};

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let at = nhwc_position(index, params.channels, params.out_w, params.out_h);
  let c = at.x;
  let ox = at.y;
  let oy = at.z;
  let n = at.w;

  let origin_y = i32(oy * params.stride_h) - params.pad_top;
  let origin_x = i32(ox * params.stride_w) - params.pad_left;
  let y0 = u32(max(origin_y, 0));
  let y1 = u32(min(origin_y + i32(params.filter_h), i32(params.in_h)));
  let x0 = u32(max(origin_x, 0));
  let x1 = u32(min(origin_x + i32(params.filter_w), i32(params.in_w)));

#if {{MAX}}
  // -FLT_MAX: every window holds at least one tap, which replaces it.
  var acc = bitcast<f32>(0xff7fffffu);
#else
  var acc = 0.0;
#endif
  for (var y = y0; y < y1; y++) {
    for (var x = x0; x < x1; x++) {
      let v = input[((n * params.in_h + y) * params.in_w + x) * params.channels + c];
#if {{MAX}}
      acc = max(acc, v);
#else
      acc += v;
#endif
    }
  }
#if {{MAX}}
  let result = acc;
#else
  let result = acc / f32((y1 - y0) * (x1 - x0));
#endif
  output[index] = clamp(result, params.act_min, params.act_max);
}
