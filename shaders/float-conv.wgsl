// CONV_2D and FULLY_CONNECTED (as a 1x1 convolution over a 1 x rows image), float32, NHWC, unpadded.
// Weights are regrouped on the host as [out_c / 4][k_h][k_w][in_c] vec4s: lane j of each vec4 is
// output channel 4g + j (zero beyond out_c), so one input scalar times one weight vec4 feeds 4
// output channels.
//
// Register micro-tile: one invocation computes {{PIXELS}} consecutive output pixels along W by
// {{GROUPS}} groups of 4 output channels, so each weight vec4 feeds {{PIXELS}} pixels and each input
// scalar every group. The per-pixel and per-group statements are written out by
// src/kernels/float/conv.ts (floatConvTileCode), one named variable each, so that every
// accumulator is a plain value a compiler keeps in registers (a loop over a private array would
// index it dynamically). A strip's pixels past
// the row's end and a block's groups past the last channel group are computed on clamped (in
// bounds) reads and not written.
// Taps outside the image are skipped (padding with zeros): a row outside skips the tap for the
// whole strip, a column outside leaves that pixel's accumulators unchanged (select, not a multiply
// by zero, so each pixel sums exactly the products, in the order, that it would alone).

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
  // ceil(out_w / PIXELS) strips per row, ceil(out_c4 / GROUPS) channel blocks per pixel.
  out_strips: u32,
  out_blocks: u32,
  // Output pixel p's channel c is output[p * out_stride + out_offset + c]: out_c and 0, or the
  // concatenation's channels and this input's first channel when it writes in place
  // (src/passes/place-concat.ts).
  out_stride: u32,
  out_offset: u32,
#if {{FUSED_ADD}}
  // The fused ADD's activation clamp.
  add_min: f32,
  add_max: f32,
#endif
};

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;
#if {{FUSED_ADD}}
// A fused ADD (src/passes/fuse-add.ts): the residual, in the output's shape.
@group(0) @binding(5) var<storage, read> residual: array<f32>;
#endif

// Channel group `oc4` of the output pixel starting at `out_base`: bias, activation, the real
// channels; with a fused ADD, the residual added to the activated value and the ADD's clamp, the
// ADD kernel's f32 operations (an f32 sum is the same in either operand order). `own_base`: the
// pixel's start in the convolution's own layout, the residual's (same shape).
fn store_group(acc: vec4<f32>, out_base: u32, own_base: u32, oc4: u32) {
  let result = clamp(acc + bias[oc4], vec4<f32>(params.act_min), vec4<f32>(params.act_max));
  let first = oc4 * 4u;
  for (var j = 0u; j < 4u; j++) {
    let at = out_base + first + j;
    if (first + j < params.out_c) {
#if {{FUSED_ADD}}
      output[at] = clamp(result[j] + residual[own_base + first + j], params.add_min, params.add_max);
#else
      output[at] = result[j];
#endif
    }
  }
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let at = nhwc_position(index, params.out_blocks, params.out_strips, params.out_h);
  let oc4 = at.x * {{GROUPS}}u;
  let ox = at.y * {{PIXELS}}u;
  let oy = at.z;
  let n = at.w;

  let taps_per_channel = params.k_h * params.k_w * params.in_c;
{{DECLARE}}
  for (var ky = 0u; ky < params.k_h; ky++) {
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - params.pad_top;
    if (iy < 0 || iy >= i32(params.in_h)) {
      continue;
    }
    let row_base = (n * params.in_h + u32(iy)) * params.in_w;
    for (var kx = 0u; kx < params.k_w; kx++) {
      let tap = (ky * params.k_w + kx) * params.in_c;
{{TAP}}
      for (var ic = 0u; ic < params.in_c; ic++) {
{{CHANNEL}}
      }
    }
  }

  // Stored in a loop rather than written out per accumulator, which multiplied compile time.
{{COLLECT}}
  let row_out = (n * params.out_h + oy) * params.out_w;
  for (var i = 0u; i < {{PIXELS}}u * {{GROUPS}}u; i++) {
    let p = i / {{GROUPS}}u;
    let g = i % {{GROUPS}}u;
    // A strip's pixels past the row's end and a block's groups past out_c4 are not written.
    if (ox + p < params.out_w && oc4 + g < params.out_c4) {
      store_group(accs[i], (row_out + ox + p) * params.out_stride + params.out_offset, (row_out + ox + p) * params.out_c, oc4 + g);
    }
  }
}
