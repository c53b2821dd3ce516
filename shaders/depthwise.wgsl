// DEPTHWISE_CONV_2D, int8, NHWC, packed 4 channels to a u32. One invocation computes a strip of
// {{PIXELS}} consecutive output pixels along W for its channels: 16 (4 words, {{VEC}}) or 4. The
// reduction runs over the taps only (no channel sum), so dot4 does not apply; each tap is
// lane-wise multiply-adds. Weights are [k_h][k_w][out_c / 4] words, or with a weight zero point
// i16 values two to a word ({{WEIGHT_I16}}), or in f32 arithmetic one Lane value per channel
// ({{WEIGHT_LANES}}; below).
// With depth multiplier 1 an input word maps to an output word; otherwise each output channel
// reads its input channel (oc / multiplier) byte by byte ({{MULTIPLIER_ONE}}).
// Zero points as in conv2d: padding reads the input zero point and -zx * sum(w) is in the bias. A
// uint8 weight zero point zw is subtracted from the weights at load instead of taking
// -zw * sum(x) per lane: w - zw no longer fits a byte, so those weights are i16 (two to a word;
// one i32 each was the slower on llvmpipe, depthwiseWeightsI16 in src/kernels/conv2d.ts), but the
// per-pixel input sums (a register set and an add per lane per tap) go; params.weight_zp is then
// unused.
// Arithmetic (Int8Arithmetic in src/kernels/lowering.ts): i32 lanes, or f32 lanes ({{F32}}), each
// input word converted once where it is loaded and the weights uploaded as f32 w - zw whether or
// not there is a weight zero point; the sums go back to i32 for the requantization. Exact:
// f32ProductsExact proved at load that no partial sum reaches 2^24.
//
// Why a strip: neighbouring output pixels read overlapping input columns (a 3×3 stride-1 filter
// reads each input pixel from 9 invocations) and the same weights. Within a strip each tap's
// weights are loaded and unpacked once for all the pixels, and each input column once: pixel p at
// tap kx + kx_step reads the column that pixel p + 1 read at tap kx whenever the dilation divides
// the stride ({{SHIFT_ONE}}: kx_step = stride / dilation), so taps run in kx_step phases and the
// columns shift down one pixel per tap, the last pixel loading the one new column. Otherwise every
// pixel loads its own column per tap and only the weights are shared. Each channel's
// requantization params are likewise loaded once per strip. The arithmetic is written
// out per pixel without loops or arrays: on a software adapter (SwiftShader) loads and
// function-scope arrays indexed in loops cost far more than the multiply-adds they feed (the
// GEMM's straight-line vec4 variant measured 4× faster than its looped word variant,
// bench/README.md). Pixels of the last strip past out_w are computed from clamped reads and not
// stored.

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
  input_zp: i32,
  multiplier: u32,
  output_zp: i32,
  act_min: i32,
  act_max: i32,
  weight_zp: i32,
  total: u32,
  strips: u32,
  kx_step: u32,
  // Output pixel p's channel unit u (a vec4 of words with {{VEC}}, else a word) is
  // output[p * out_stride + out_offset + u]: out_c4 and 0, or the concatenation's row and this
  // input's first unit when it writes in place (src/passes/place-concat.ts).
  out_stride: u32,
  out_offset: u32,
};

// One word of channels, unpacked: an input pixel's, a tap's weights or an accumulator.
#if {{F32}}
alias Lane = vec4<f32>;
#else
alias Lane = vec4<i32>;
#endif

// Four i16 values, two to a word (the lower half first), sign-extended.
fn unpack_i16x4(v: vec2<u32>) -> vec4<i32> {
  return bitcast<vec4<i32>>(vec4<u32>(v.x << 16u, v.x, v.y << 16u, v.y)) >> vec4<u32>(16u);
}

// An accumulator as i32: exact in f32 too, every sum being an integer below 2^24.
fn lane_sums(a: Lane) -> vec4<i32> {
  return vec4<i32>(a);
}

#if {{BYTE_TABLE}}
// A fused table op's table (src/passes/fuse-table.ts), in both variants.
@group(0) @binding(5) var<storage, read> byte_table: array<u32, 256>;
#endif

#if {{VEC}}
// Four channel words (16 channels) per invocation, each operand read as one vec4 per tap. Depth
// multiplier 1 only; params.in_c4 and params.out_c4 count vec4s.
@group(0) @binding(0) var<storage, read> input: array<vec4<u32>>;
#if {{WEIGHT_I16}}
// [k_h][k_w][out_c / 16] 16 weights less the weight zero point as i16, two to a word: 2 vec4s per tap.
@group(0) @binding(1) var<storage, read> weights: array<vec4<u32>>;
#elif {{WEIGHT_LANES}}
// [k_h][k_w][out_c / 16][16] f32 weights less the weight zero point, 4 vec4s per tap.
@group(0) @binding(1) var<storage, read> weights: array<Lane>;
#else
@group(0) @binding(1) var<storage, read> weights: array<vec4<u32>>;
#endif
@group(0) @binding(2) var<storage, read> channel_params: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> output: array<vec4<u32>>;
@group(0) @binding(4) var<uniform> params: Params;

// The invocation's 16 channels, unpacked: of one input pixel, one tap's weights or one accumulator.
struct Lanes {
  c0: Lane,
  c1: Lane,
  c2: Lane,
  c3: Lane,
};

// f32: fma, exact as a separate multiply and add are (integers below 2^24), and on SwiftShader
// measured ahead of them (depthwise worker-thread CPU of MobileNet v2 against i32 lanes: 0.89 with
// fma, 0.94 without, two runs each on a loaded machine).
fn mul_add(acc: Lanes, x: Lanes, w: Lanes) -> Lanes {
#if {{F32}}
  return Lanes(fma(x.c0, w.c0, acc.c0), fma(x.c1, w.c1, acc.c1), fma(x.c2, w.c2, acc.c2), fma(x.c3, w.c3, acc.c3));
#else
  return Lanes(acc.c0 + x.c0 * w.c0, acc.c1 + x.c1 * w.c1, acc.c2 + x.c2 * w.c2, acc.c3 + x.c3 * w.c3);
#endif
}

fn tap_weights(tap: u32, ocv: u32) -> Lanes {
#if {{WEIGHT_I16}}
  let at = (tap * params.out_c4 + ocv) * 2u;
  let lo = weights[at];
  let hi = weights[at + 1u];
  return Lanes(unpack_i16x4(lo.xy), unpack_i16x4(lo.zw), unpack_i16x4(hi.xy), unpack_i16x4(hi.zw));
#elif {{WEIGHT_LANES}}
  let at = (tap * params.out_c4 + ocv) * 4u;
  return Lanes(weights[at], weights[at + 1u], weights[at + 2u], weights[at + 3u]);
#else
  let ws = weights[tap * params.out_c4 + ocv];
  return Lanes(unpack_i8x4(ws.x), unpack_i8x4(ws.y), unpack_i8x4(ws.z), unpack_i8x4(ws.w));
#endif
}

// Input pixel `pixel` (n, iy, ix clamped into the image), or the input zero point where the tap
// is outside it.
fn input_pixel(pixel: u32, inside: bool, ocv: u32) -> Lanes {
  let zp4 = vec4<i32>(params.input_zp);
  let xs = input[pixel * params.in_c4 + ocv];
  return Lanes(
    Lane(select(zp4, unpack_i8x4(xs.x), inside)),
    Lane(select(zp4, unpack_i8x4(xs.y), inside)),
    Lane(select(zp4, unpack_i8x4(xs.z), inside)),
    Lane(select(zp4, unpack_i8x4(xs.w), inside)));
}

fn store_strip(acc0: Lanes, acc1: Lanes, acc2: Lanes, acc3: Lanes, pixel: u32, valid: u32, ocv: u32) {
  let word = ocv * 4u;
  let w0 = requantize_words(word, acc0.c0, acc1.c0, acc2.c0, acc3.c0);
  let w1 = requantize_words(word + 1u, acc0.c1, acc1.c1, acc2.c1, acc3.c1);
  let w2 = requantize_words(word + 2u, acc0.c2, acc1.c2, acc2.c2, acc3.c2);
  let w3 = requantize_words(word + 3u, acc0.c3, acc1.c3, acc2.c3, acc3.c3);
  let base = pixel * params.out_stride + params.out_offset + ocv;
  output[base] = vec4<u32>(w0.x, w1.x, w2.x, w3.x);
#if {{PIXELS_2}}
  if (valid > 1u) {
    output[base + params.out_stride] = vec4<u32>(w0.y, w1.y, w2.y, w3.y);
  }
#endif
#if {{PIXELS_3}}
  if (valid > 2u) {
    output[base + 2u * params.out_stride] = vec4<u32>(w0.z, w1.z, w2.z, w3.z);
  }
#endif
#if {{PIXELS_4}}
  if (valid > 3u) {
    output[base + 3u * params.out_stride] = vec4<u32>(w0.w, w1.w, w2.w, w3.w);
  }
#endif
}
#else
@group(0) @binding(0) var<storage, read> input: array<u32>;
#if {{WEIGHT_I16}}
// [k_h][k_w][out_c / 4] 4 weights less the weight zero point as i16, two to a word.
@group(0) @binding(1) var<storage, read> weights: array<vec2<u32>>;
#elif {{WEIGHT_LANES}}
// [k_h][k_w][out_c / 4][4] f32 weights less the weight zero point, one vec4 per tap.
@group(0) @binding(1) var<storage, read> weights: array<Lane>;
#else
@group(0) @binding(1) var<storage, read> weights: array<u32>;
#endif
@group(0) @binding(2) var<storage, read> channel_params: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> output: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

// The invocation's 4 channels (one word), unpacked.
struct Lanes {
  c0: Lane,
};

fn mul_add(acc: Lanes, x: Lanes, w: Lanes) -> Lanes {
#if {{F32}}
  return Lanes(fma(x.c0, w.c0, acc.c0));
#else
  return Lanes(acc.c0 + x.c0 * w.c0);
#endif
}

fn tap_weights(tap: u32, ocw: u32) -> Lanes {
#if {{WEIGHT_I16}}
  return Lanes(unpack_i16x4(weights[tap * params.out_c4 + ocw]));
#elif {{WEIGHT_LANES}}
  return Lanes(weights[tap * params.out_c4 + ocw]);
#else
  return Lanes(unpack_i8x4(weights[tap * params.out_c4 + ocw]));
#endif
}

fn input_lane(word_base: u32, channel: u32) -> i32 {
  let w = input[word_base + channel / 4u];
  return bitcast<i32>(w << (24u - 8u * (channel % 4u))) >> 24u;
}

fn input_pixel(pixel: u32, inside: bool, ocw: u32) -> Lanes {
  let zp4 = vec4<i32>(params.input_zp);
  let in_base = pixel * params.in_c4;
#if {{MULTIPLIER_ONE}}
  return Lanes(Lane(select(zp4, unpack_i8x4(input[in_base + ocw]), inside)));
#else
  var x = zp4;
  if (inside) {
    let c0 = ocw * 4u;
    // Padded output channels past the real ones read a clamped, harmless input channel.
    let last = params.in_c4 * 4u - 1u;
    x = vec4<i32>(
      input_lane(in_base, min(c0 / params.multiplier, last)),
      input_lane(in_base, min((c0 + 1u) / params.multiplier, last)),
      input_lane(in_base, min((c0 + 2u) / params.multiplier, last)),
      input_lane(in_base, min((c0 + 3u) / params.multiplier, last)));
  }
  return Lanes(Lane(x));
#endif
}

fn store_strip(acc0: Lanes, acc1: Lanes, acc2: Lanes, acc3: Lanes, pixel: u32, valid: u32, ocw: u32) {
  let w = requantize_words(ocw, acc0.c0, acc1.c0, acc2.c0, acc3.c0);
  let base = pixel * params.out_stride + params.out_offset + ocw;
  output[base] = w.x;
#if {{PIXELS_2}}
  if (valid > 1u) {
    output[base + params.out_stride] = w.y;
  }
#endif
#if {{PIXELS_3}}
  if (valid > 2u) {
    output[base + 2u * params.out_stride] = w.z;
  }
#endif
#if {{PIXELS_4}}
  if (valid > 3u) {
    output[base + 3u * params.out_stride] = w.w;
  }
#endif
}
#endif

// One word's 4 channels at one pixel, XNNPACK's float requantization from the sums `sum` and
// the channels' folded `bias` and `scale`: with F32_EPILOGUE (f32 sums, the layer's load-time bound
// proving sum + bias an integer below 2^24) added in f32 with no conversion to i32 and back.
fn requantize_lane(sum: Lane, bias: vec4<i32>, scale: vec4<f32>) -> u32 {
#if {{F32_EPILOGUE}}
  return requantize_exact_f32x4(sum, bias, scale, params.output_zp, params.act_min, params.act_max);
#else
  return requantize_float4(lane_sums(sum) + bias, scale, params.output_zp, params.act_min, params.act_max);
#endif
}

// Word `word` of each strip pixel's output (its 4 channels requantized and packed) from the
// pixels' accumulators of that word: each channel's params are loaded once for the whole strip.
fn requantize_strip(word: u32, s0: Lane, s1: Lane, s2: Lane, s3: Lane) -> vec4<u32> {
#if {{FLOAT_REQUANT}}
  // 4 channels at once (a loop over lanes indexed the results dynamically): the word's biases and
  // scales, one load each (channel params word-major, wordMajorParams in src/kernels/conv2d.ts).
  let bias = channel_params[word * 4u];
  let scale = bitcast<vec4<f32>>(channel_params[word * 4u + 3u]);
  var packed = vec4<u32>(requantize_lane(s0, bias, scale), 0u, 0u, 0u);
#if {{PIXELS_2}}
  packed.y = requantize_lane(s1, bias, scale);
#endif
#if {{PIXELS_3}}
  packed.z = requantize_lane(s2, bias, scale);
#endif
#if {{PIXELS_4}}
  packed.w = requantize_lane(s3, bias, scale);
#endif
  return packed;
#else
  let a0 = lane_sums(s0);
  let a1 = lane_sums(s1);
  let a2 = lane_sums(s2);
  let a3 = lane_sums(s3);
  var r0 = vec4<i32>(0);
  var r1 = vec4<i32>(0);
  var r2 = vec4<i32>(0);
  var r3 = vec4<i32>(0);
  let fields = array<vec4<i32>, 4>(channel_params[word * 4u], channel_params[word * 4u + 1u], channel_params[word * 4u + 2u], channel_params[word * 4u + 3u]);
  for (var l = 0u; l < 4u; l++) {
    let cp = vec4<i32>(fields[0][l], fields[1][l], fields[2][l], fields[3][l]);
    r0[l] = requantize(a0[l] + cp.x, cp, params.output_zp, params.act_min, params.act_max);
#if {{PIXELS_2}}
    r1[l] = requantize(a1[l] + cp.x, cp, params.output_zp, params.act_min, params.act_max);
#endif
#if {{PIXELS_3}}
    r2[l] = requantize(a2[l] + cp.x, cp, params.output_zp, params.act_min, params.act_max);
#endif
#if {{PIXELS_4}}
    r3[l] = requantize(a3[l] + cp.x, cp, params.output_zp, params.act_min, params.act_max);
#endif
  }
  return vec4<u32>(pack_i8x4(r0), pack_i8x4(r1), pack_i8x4(r2), pack_i8x4(r3));
#endif
}

// The words stored for requantize_strip's: themselves, or with a fused table op (src/passes/
// fuse-table.ts) each strip pixel's word through its table (table_word, shaders/common.wgsl).
fn requantize_words(word: u32, s0: Lane, s1: Lane, s2: Lane, s3: Lane) -> vec4<u32> {
#if {{BYTE_TABLE}}
  var words = requantize_strip(word, s0, s1, s2, s3);
  words.x = table_word(words.x);
#if {{PIXELS_2}}
  words.y = table_word(words.y);
#endif
#if {{PIXELS_3}}
  words.z = table_word(words.z);
#endif
#if {{PIXELS_4}}
  words.w = table_word(words.w);
#endif
  return words;
#else
  return requantize_strip(word, s0, s1, s2, s3);
#endif
}

// Column `ix` of the row that starts at input pixel `row_base`: read clamped into the image, and
// the zero point where the tap is outside it.
fn load_column(row_base: u32, row_inside: bool, ix: i32, oc: u32) -> Lanes {
  let inside = row_inside && ix >= 0 && ix < i32(params.in_w);
  return input_pixel(row_base + u32(clamp(ix, 0, i32(params.in_w) - 1)), inside, oc);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let at = nhwc_position(index, params.out_c4, params.strips, params.out_h);
  let oc = at.x;
  let ox0 = at.y * {{PIXELS}}u;
  let oy = at.z;
  let n = at.w;

  var acc0 = Lanes();
  var acc1 = Lanes();
  var acc2 = Lanes();
  var acc3 = Lanes();
  // Column of pixel p at tap kx: x_origin + p * pixel_step + kx * dil_w.
  let x_origin = i32(ox0 * params.stride_w) - params.pad_left;
  let pixel_step = i32(params.stride_w);
  for (var ky = 0u; ky < params.k_h; ky++) {
    let iy = i32(oy * params.stride_h + ky * params.dil_h) - params.pad_top;
    let row_inside = iy >= 0 && iy < i32(params.in_h);
    let row_base = (n * params.in_h + u32(clamp(iy, 0, i32(params.in_h) - 1))) * params.in_w;
    for (var phase = 0u; phase < params.kx_step; phase++) {
      var x0 = Lanes();
      var x1 = Lanes();
      var x2 = Lanes();
      var x3 = Lanes();
#if {{SHIFT_ONE}}
      // Every pixel but the last at the phase's first tap; later taps shift them down.
      let first_ix = x_origin + i32(phase * params.dil_w);
#if {{PIXELS_2}}
      x0 = load_column(row_base, row_inside, first_ix, oc);
#endif
#if {{PIXELS_3}}
      x1 = load_column(row_base, row_inside, first_ix + pixel_step, oc);
#endif
#if {{PIXELS_4}}
      x2 = load_column(row_base, row_inside, first_ix + 2 * pixel_step, oc);
#endif
#endif
      for (var kx = phase; kx < params.k_w; kx += params.kx_step) {
        let ix = x_origin + i32(kx * params.dil_w);
#if {{SHIFT_ONE}}
#else
#if {{PIXELS_2}}
        x0 = load_column(row_base, row_inside, ix, oc);
#endif
#if {{PIXELS_3}}
        x1 = load_column(row_base, row_inside, ix + pixel_step, oc);
#endif
#if {{PIXELS_4}}
        x2 = load_column(row_base, row_inside, ix + 2 * pixel_step, oc);
#endif
#endif
        // The last pixel's column is always new.
#if {{PIXELS_4}}
        x3 = load_column(row_base, row_inside, ix + 3 * pixel_step, oc);
#elif {{PIXELS_3}}
        x2 = load_column(row_base, row_inside, ix + 2 * pixel_step, oc);
#elif {{PIXELS_2}}
        x1 = load_column(row_base, row_inside, ix + pixel_step, oc);
#else
        x0 = load_column(row_base, row_inside, ix, oc);
#endif
        let w = tap_weights(ky * params.k_w + kx, oc);
        acc0 = mul_add(acc0, x0, w);
#if {{PIXELS_2}}
        acc1 = mul_add(acc1, x1, w);
#endif
#if {{PIXELS_3}}
        acc2 = mul_add(acc2, x2, w);
#endif
#if {{PIXELS_4}}
        acc3 = mul_add(acc3, x3, w);
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
  }

  let out_row = (n * params.out_h + oy) * params.out_w;
  store_strip(acc0, acc1, acc2, acc3, out_row + ox0, params.out_w - ox0, oc);
}
