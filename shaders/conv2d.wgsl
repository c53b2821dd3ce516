// CONV_2D and FULLY_CONNECTED (as a 1x1 convolution over a 1 x rows image), int8, NHWC.
// Activations are packed 4 channels to a u32 (channels padded to a multiple of 4); weights are
// [out_c / 4][k_h][k_w][in_c / 4] vec4s, each holding the 4 output channels' words for one input
// word, so that one load feeds 4 dot4 products (loads dominate on software adapters).
//
// Register micro-tile: one invocation computes {{PIXELS}} consecutive output pixels along W by
// {{GROUPS}} groups of 4 output channels, so each weight vec4 feeds {{PIXELS}} pixels and each input
// word feeds every group. The per-pixel and per-group statements are written out by
// src/kernels/conv2d.ts (convTileCode), one named variable each, so that every accumulator is a
// plain value a compiler keeps in registers (a loop over a private array would index it
// dynamically). A strip's pixels past the
// row's end and a block's groups past the last channel word are computed on clamped (real, in
// bounds) reads and not written.
//
// Zero points: an out-of-image tap reads a word holding the input zero point 4 times, so it
// contributes nothing after the host folded -zx * sum(w) into the bias. Legacy uint8 models with a
// weight zero point (in the int8 domain, zw != 0) also need -zw * sum(x) per pixel, computed with
// dot4(x, 0x01010101) over the real channels in the same loop (WEIGHT_ZP in convTileCode); f32
// weights hold w - zw instead.
//
// The requantization of a channel word (word_params, requantize_word) is shaders/conv-epilogue.wgsl,
// shared with the split-K GEMV (shaders/gemv.wgsl).

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
  // ceil(out_w / PIXELS) strips per row, ceil(out_c4 / GROUPS) channel blocks per pixel.
  out_strips: u32,
  out_blocks: u32,
  // Output pixel p's channel word w is output[p * out_stride + out_offset + w]: out_c4 and 0, or
  // the concatenation's channel words and this input's first word when it writes in place
  // (src/passes/place-concat.ts).
  out_stride: u32,
  out_offset: u32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
#if {{F32}}
// f32 arithmetic (src/kernels/lowering.ts, Int8Arithmetic): [out_c / 4][k_h][k_w][in_c / 4] 4×4
// matrices of w - zw, column i the 4 output channels' weights for input channel i of the word.
@group(0) @binding(1) var<storage, read> weights: array<mat4x4<f32>>;
#else
@group(0) @binding(1) var<storage, read> weights: array<vec4<u32>>;
#endif
// Per output channel: (bias with zero-point terms folded in, multiplier, shift, f32 scale bits).
@group(0) @binding(2) var<storage, read> channel_params: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> output: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;
#if {{FUSED_ADD}}
// A fused ADD (src/passes/fuse-add.ts): the residual, in the output's shape and layout, and the
// ADD's quantization, its operands in the ADD's order.
@group(0) @binding(5) var<storage, read> residual: array<u32>;
@group(0) @binding(6) var<uniform> add_quant: BinaryQuant;
#endif
#if {{BYTE_TABLE}}
// A fused table op's table (src/passes/fuse-table.ts; table_word in shaders/common.wgsl).
@group(0) @binding(5) var<storage, read> byte_table: array<u32, 256>;
#endif

// word_params and requantize_word, the requantization epilogue: shaders/conv-epilogue.wgsl (shared
// with shaders/conv2d-shared.wgsl).

// The word stored for requantized word `word`: itself, or with a fused ADD the ADD of it (clamped
// by the convolution's activation, as the unfused ADD read it) and the residual's word with the ADD
// kernel's add4, operands in the ADD's order: the same integers as the two ops. `own`: the word's
// index in the convolution's own layout, the residual's (same shape), wherever the output is placed.
// With a fused table op, the word through its table.
fn output_word(word: u32, own: u32) -> u32 {
#if {{FUSED_ADD}}
#if {{RESIDUAL_FIRST}}
  return pack_i8x4(add4(unpack_i8x4(residual[own]), unpack_i8x4(word), add_quant));
#else
  return pack_i8x4(add4(unpack_i8x4(word), unpack_i8x4(residual[own]), add_quant));
#endif
#elif {{BYTE_TABLE}}
  return table_word(word);
#else
  return word;
#endif
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let at = nhwc_position(index, params.out_blocks, params.out_strips, params.out_h);
  let ocw = at.x * {{GROUPS}}u;
  let ox = at.y * {{PIXELS}}u;
  let oy = at.z;
  let n = at.w;

  let taps_per_channel = params.k_h * params.k_w * params.in_c4;
{{DECLARE}}
  for (var ky = 0u; ky < params.k_h; ky++) {
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - params.pad_top;
    let row_inside = iy >= 0 && iy < i32(params.in_h);
    let row_base = (n * params.in_h + u32(clamp(iy, 0, i32(params.in_h) - 1))) * params.in_w;
    for (var kx = 0u; kx < params.k_w; kx++) {
      let tap = (ky * params.k_w + kx) * params.in_c4;
{{TAP}}
      for (var icw = 0u; icw < params.in_c4; icw++) {
{{WORD}}
      }
    }
  }

  // A strip's pixels past the row's end and a block's words past out_c4 are not written.
  let row_out = (n * params.out_h + oy) * params.out_w;
{{STORE}}
}
