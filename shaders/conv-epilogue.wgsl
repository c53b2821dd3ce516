// The epilogue of the int8 conv-family kernels that produce a word of 4 output channels from its
// sums (shaders/conv2d.wgsl, shaders/gemv.wgsl): each appends this file, and declares the
// `channel_params` binding and a `params` uniform with out_c4, output_zp, act_min, act_max and
// weight_zp.

// The params of channel word `ocw`'s 4 channels, loaded once per invocation for all its pixels:
// word-major (wordMajorParams in src/kernels/conv2d.ts), element f the 4 channels' field f (folded
// bias, multiplier, shift, f32 scale bits), so XNNPACK's float requantization loads 2 vec4s, not 4.
fn word_params(ocw: u32) -> array<vec4<i32>, 4> {
  let c = min(ocw, params.out_c4 - 1u) * 4u;
#if {{FLOAT_REQUANT}}
  return array<vec4<i32>, 4>(channel_params[c], vec4<i32>(0), vec4<i32>(0), channel_params[c + 3u]);
#else
  return array<vec4<i32>, 4>(channel_params[c], channel_params[c + 1u], channel_params[c + 2u], channel_params[c + 3u]);
#endif
}

// The 4 channels of one channel word at one pixel, requantized with their params `cp` and packed.
#if {{F32_EPILOGUE}}
// f32 sums and bias added in f32: exact by the layer's load-time bound (F32_EPILOGUE), XNNPACK's
// float requantization with no conversion to i32 and back.
fn requantize_word(acc: vec4<f32>, cp: array<vec4<i32>, 4>, input_sum: i32) -> u32 {
  return requantize_exact_f32x4(acc, cp[0], bitcast<vec4<f32>>(cp[3]), params.output_zp, params.act_min, params.act_max);
}
#else
fn requantize_word(acc: vec4<i32>, cp: array<vec4<i32>, 4>, input_sum: i32) -> u32 {
  let folded = acc + cp[0] - vec4<i32>(params.weight_zp * input_sum);
#if {{FLOAT_REQUANT}}
  return requantize_float4(folded, bitcast<vec4<f32>>(cp[3]), params.output_zp, params.act_min, params.act_max);
#else
  var result = vec4<i32>(0);
  for (var j = 0u; j < 4u; j++) {
    result[j] = requantize(folded[j], vec4<i32>(cp[0][j], cp[1][j], cp[2][j], cp[3][j]), params.output_zp, params.act_min, params.act_max);
  }
  return pack_i8x4(result);
#endif
}
#endif
