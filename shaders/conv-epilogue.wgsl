// The requantization epilogue of the int8 conv kernels (shaders/conv2d.wgsl and
// shaders/conv2d-shared.wgsl), appended to each: both declare `channel_params` and a `params`
// struct with out_c4, output_zp, act_min, act_max and weight_zp.

// The params of channel word `ocw`'s 4 channels, loaded once per invocation for all its pixels.
fn word_params(ocw: u32) -> array<vec4<i32>, 4> {
  let c = min(ocw, params.out_c4 - 1u) * 4u;
  return array<vec4<i32>, 4>(channel_params[c], channel_params[c + 1u], channel_params[c + 2u], channel_params[c + 3u]);
}

// The 4 channels of one channel word at one pixel, requantized with their params `cp` and packed.
#if {{F32_EPILOGUE}}
// f32 sums and bias added in f32: exact by the layer's load-time bound (F32_EPILOGUE), XNNPACK's
// float requantization with no conversion to i32 and back.
fn requantize_word(acc: vec4<f32>, cp: array<vec4<i32>, 4>, input_sum: i32) -> u32 {
  let bias = vec4<i32>(cp[0].x, cp[1].x, cp[2].x, cp[3].x);
  let scale = bitcast<vec4<f32>>(vec4<i32>(cp[0].w, cp[1].w, cp[2].w, cp[3].w));
  return requantize_exact_f32x4(acc, bias, scale, params.output_zp, params.act_min, params.act_max);
}
#else
fn requantize_word(acc: vec4<i32>, cp: array<vec4<i32>, 4>, input_sum: i32) -> u32 {
  let folded = acc + vec4<i32>(cp[0].x, cp[1].x, cp[2].x, cp[3].x) - vec4<i32>(params.weight_zp * input_sum);
#if {{FLOAT_REQUANT}}
  let scale = bitcast<vec4<f32>>(vec4<i32>(cp[0].w, cp[1].w, cp[2].w, cp[3].w));
  return requantize_float4(folded, scale, params.output_zp, params.act_min, params.act_max);
#else
  var result = vec4<i32>(0);
  for (var j = 0u; j < 4u; j++) {
    result[j] = requantize(folded[j], cp[j], params.output_zp, params.act_min, params.act_max);
  }
  return pack_i8x4(result);
#endif
}
#endif
