// AVERAGE_POOL_2D and MAX_POOL_2D ({{MAX}}), 8-bit NHWC packed 4 channels to a u32. One invocation
// writes 4 channels of one output pixel. The window is clipped to the image, as in TFLite: padded
// taps are skipped, and the average divides by the number of taps inside.
// Rounding of the average follows the model's dtype: int8 rounds half away from zero; uint8
// ({{UINT8}}) computes (sum + count/2) / count on the uint8 values, so the int8-domain sum gets
// 128·count added back before dividing and 128 taken away after.
// Max pooling needs no flag: the uint8 → int8 shift keeps the order.

struct Params {
  in_h: u32,
  in_w: u32,
  c4: u32,
  out_h: u32,
  out_w: u32,
  k_h: u32,
  k_w: u32,
  stride_h: u32,
  stride_w: u32,
  pad_top: i32,
  pad_left: i32,
  act_min: i32,
  act_max: i32,
  total: u32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let at = nhwc_position(index, params.c4, params.out_w, params.out_h);
  let cw = at.x;
  let ox = at.y;
  let oy = at.z;
  let n = at.w;

  let origin_y = i32(oy * params.stride_h) - params.pad_top;
  let origin_x = i32(ox * params.stride_w) - params.pad_left;
  let y0 = u32(max(origin_y, 0));
  let y1 = u32(min(origin_y + i32(params.k_h), i32(params.in_h)));
  let x0 = u32(max(origin_x, 0));
  let x1 = u32(min(origin_x + i32(params.k_w), i32(params.in_w)));

#if {{MAX}}
  var acc = vec4<i32>(-128);
#else
  var acc = vec4<i32>(0);
#endif
  for (var y = y0; y < y1; y++) {
    let row = (n * params.in_h + y) * params.in_w;
    for (var x = x0; x < x1; x++) {
      let v = unpack_i8x4(input[(row + x) * params.c4 + cw]);
#if {{MAX}}
      acc = max(acc, v);
#else
      acc += v;
#endif
    }
  }

#if {{MAX}}
  let result = clamp(acc, vec4<i32>(params.act_min), vec4<i32>(params.act_max));
#else
  let count = i32((y1 - y0) * (x1 - x0));
  let half = count / 2;
#if {{UINT8}}
  // Sums of uint8 values are never negative: TFLite's uint8 kernel has only this branch.
  let average = (acc + vec4<i32>(128 * count + half)) / vec4<i32>(count) - vec4<i32>(128);
#else
  // i32 division truncates toward zero, as C's does.
  let average = (acc + select(vec4<i32>(-half), vec4<i32>(half), acc > vec4<i32>(0))) / vec4<i32>(count);
#endif
  let result = clamp(average, vec4<i32>(params.act_min), vec4<i32>(params.act_max));
#endif
  output[index] = pack_i8x4(result);
}
