// DEPTHWISE_CONV_2D, float32, NHWC, unpadded. Output channel c reads input channel
// c / depth_multiplier. Weights are [k_h][k_w][out_c / 4] vec4s (zero beyond out_c); one
// invocation computes 4 output channels of a strip of {{PIXELS}} consecutive output pixels along
// W. Taps outside the image add nothing.
// As in shaders/depthwise.wgsl, the strip loads each tap's weights once for all its pixels and,
// where stride equals dilation ({{SHIFT_ONE}}), each input column once: pixel p at tap kx + 1
// reads the column pixel p + 1 read at tap kx, so the columns shift down one pixel per tap and
// the last pixel loads the one new column. Taps keep their order (ky, then kx), so every sum is
// the one the one-pixel kernel formed; the int8 kernel's stride phases would reorder it.

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
  strips: u32,
  // Output pixel p's channel c is output[p * out_stride + out_offset + c]: out_c and 0, or the
  // concatenation's channels and this input's first channel when it writes in place
  // (src/passes/place-concat.ts).
  out_stride: u32,
  out_offset: u32,
};

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

// The invocation's 4 channels of one input pixel, read clamped into the image, and whether the
// tap is inside it.
struct Column {
  x: vec4<f32>,
  inside: bool,
};

fn load_column(row_base: u32, ix: i32, channels: vec4<u32>) -> Column {
  let inside = ix >= 0 && ix < i32(params.in_w);
  let base = (row_base + u32(clamp(ix, 0, i32(params.in_w) - 1))) * params.in_c;
  return Column(vec4<f32>(input[base + channels.x], input[base + channels.y], input[base + channels.z], input[base + channels.w]), inside);
}

// A tap outside the image adds +0, which leaves the accumulator as skipping the tap did: it
// starts at +0 and so is never -0 (a sum is -0 only if both terms are).
fn tap(acc: vec4<f32>, column: Column, w: vec4<f32>) -> vec4<f32> {
  return acc + select(vec4<f32>(0.0), column.x * w, column.inside);
}

fn store_pixel(acc: vec4<f32>, b: vec4<f32>, pixel: u32, first: u32) {
  let result = clamp(acc + b, vec4<f32>(params.act_min), vec4<f32>(params.act_max));
  let out_base = pixel * params.out_stride + params.out_offset + first;
  for (var j = 0u; j < 4u; j++) {
    if (first + j < params.out_c) {
      output[out_base + j] = result[j];
    }
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let at = nhwc_position(index, params.out_c4, params.strips, params.out_h);
  let oc4 = at.x;
  let ox0 = at.y * {{PIXELS}}u;
  let oy = at.z;
  let n = at.w;

  // Lanes past out_c read the last real channel: their weights are zero, and the read stays in bounds.
  let first = oc4 * 4u;
  let last = params.out_c - 1u;
  let channels = min(vec4<u32>(first, first + 1u, first + 2u, first + 3u), vec4<u32>(last)) / params.multiplier;

  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  // Column of pixel p at tap kx: x_origin + p * pixel_step + kx * dil_w.
  let x_origin = i32(ox0 * params.stride_w) - params.pad_left;
  let pixel_step = i32(params.stride_w);
  for (var ky = 0u; ky < params.k_h; ky++) {
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - params.pad_top;
    if (iy < 0 || iy >= i32(params.in_h)) {
      continue;
    }
    let row_base = (n * params.in_h + u32(iy)) * params.in_w;
    var x0: Column;
    var x1: Column;
    var x2: Column;
    var x3: Column;
#if {{SHIFT_ONE}}
    // Every pixel but the last at tap 0; later taps shift them down.
#if {{PIXELS_2}}
    x0 = load_column(row_base, x_origin, channels);
#endif
#if {{PIXELS_3}}
    x1 = load_column(row_base, x_origin + pixel_step, channels);
#endif
#if {{PIXELS_4}}
    x2 = load_column(row_base, x_origin + 2 * pixel_step, channels);
#endif
#endif
    for (var kx = 0u; kx < params.k_w; kx++) {
      let ix = x_origin + i32(kx * params.dil_w);
#if {{SHIFT_ONE}}
#else
#if {{PIXELS_2}}
      x0 = load_column(row_base, ix, channels);
#endif
#if {{PIXELS_3}}
      x1 = load_column(row_base, ix + pixel_step, channels);
#endif
#if {{PIXELS_4}}
      x2 = load_column(row_base, ix + 2 * pixel_step, channels);
#endif
#endif
      // The last pixel's column is always new.
#if {{PIXELS_4}}
      x3 = load_column(row_base, ix + 3 * pixel_step, channels);
#elif {{PIXELS_3}}
      x2 = load_column(row_base, ix + 2 * pixel_step, channels);
#elif {{PIXELS_2}}
      x1 = load_column(row_base, ix + pixel_step, channels);
#else
      x0 = load_column(row_base, ix, channels);
#endif
      let w = weights[(ky * params.k_w + kx) * params.out_c4 + oc4];
      acc0 = tap(acc0, x0, w);
#if {{PIXELS_2}}
      acc1 = tap(acc1, x1, w);
#endif
#if {{PIXELS_3}}
      acc2 = tap(acc2, x2, w);
#endif
#if {{PIXELS_4}}
      acc3 = tap(acc3, x3, w);
#endif
#if {{SHIFT_ONE}}
#if {{PIXELS_2}}
      x0 = x1;
#endif
#if {{PIXELS_3}}
      x1 = x2;
#endif
#if {{PIXELS_4}}
      x2 = x3;
#endif
#endif
    }
  }

  let b = bias[oc4];
  let out_row = (n * params.out_h + oy) * params.out_w;
  store_pixel(acc0, b, out_row + ox0, first);
#if {{PIXELS_2}}
  if (ox0 + 1u < params.out_w) {
    store_pixel(acc1, b, out_row + ox0 + 1u, first);
  }
#endif
#if {{PIXELS_3}}
  if (ox0 + 2u < params.out_w) {
    store_pixel(acc2, b, out_row + ox0 + 2u, first);
  }
#endif
#if {{PIXELS_4}}
  if (ox0 + 3u < params.out_w) {
    store_pixel(acc3, b, out_row + ox0 + 3u, first);
  }
#endif
}
