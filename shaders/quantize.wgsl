// QUANTIZE, DEQUANTIZE, RELU and RELU6 on the int8 path: one value in, one value out.
//  {{FROM_FLOAT}}: QUANTIZE float32 -> int8/uint8, one invocation per packed output word; with
//                  {{XNN_ROUND}} XNNPACK's rule (x * float32(1/scale), clamped, rounded half to
//                  even), otherwise AffineQuantize's (round(x / scale) half away from zero; with
//                  {{EXACT_QUOTIENT}} the exact quotient's, as TFLite's builtin kernel in double).
//  {{TO_FLOAT}}:   DEQUANTIZE int8/uint8 -> float32, one invocation per output element.
//  otherwise:      8 bits -> 8 bits, one invocation per packed word: MultiplyByQuantizedMultiplier of
//                  x - zp_in, + zp_out, clamped to [act_min, act_max] (QUANTIZE's requantization,
//                  and RELU/RELU6, whose clamp is the activation range); with {{XNN_CONVERT}}
//                  XNNPACK's 8-bit convert ((x - zp_in) * M + 128) >> 8 instead.
// Zero points and clamp bounds are in the int8 domain (uint8 tensors are stored as u - 128).

struct Params {
  total: u32,
  inner: u32,
  c4: u32,
  input_zp: i32,
  output_zp: i32,
  act_min: i32,
  act_max: i32,
  multiplier: i32,
  shift: i32,
  // FROM_FLOAT: the float32 scale as significand in [2^23, 2^24) times 2^scale_exponent.
  scale_significand: u32,
  scale_exponent: i32,
  // TO_FLOAT: the float32 scale. FROM_FLOAT with XNN_ROUND: the float32 reciprocal of the scale,
  // and act_min/act_max are the clamp bounds relative to the zero point.
  scale: f32,
};

#if {{FROM_FLOAT}}
@group(0) @binding(0) var<storage, read> input: array<f32>;
#else
@group(0) @binding(0) var<storage, read> input: array<u32>;
#endif
#if {{TO_FLOAT}}
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
#else
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
#endif
@group(0) @binding(2) var<uniform> params: Params;

#if {{FROM_FLOAT}}

// round(x / scale) half away from zero, where x / scale is the correctly rounded float32 quotient
// that TFLite's AffineQuantize rounds (std::round(x / scale)). WGSL allows float32 division 2.5 ULP
// of error, which moves ties, so the quotient of the two significands is formed by long division
// and rounded to nearest even by hand. Magnitudes from 2^23 up saturate at 2^24: they clamp anyway.
fn round_quotient(x: f32) -> i32 {
  let bits = bitcast<u32>(x);
  let biased = (bits >> 23u) & 0xFFu;
  var significand = bits & 0x7FFFFFu;
  var magnitude = 0x1000000u;
  if (biased == 0u && significand == 0u) {
    magnitude = 0u;
  } else if (biased != 255u) {
    // x = significand * 2^exponent, normalised so that significand is in [2^23, 2^24).
    var exponent = -149;
    if (biased != 0u) {
      significand |= 0x800000u;
      exponent = i32(biased) - 150;
    }
    let normalise = countLeadingZeros(significand) - 8u;
    significand <<= normalise;
    exponent -= i32(normalise) + params.scale_exponent;
    // Quotient of the significands, brought into [1, 2): 1 integer bit, 23 fraction bits and a
    // guard bit; what remains of the dividend is the sticky bit.
    var remainder = significand;
    if (remainder < params.scale_significand) {
      remainder <<= 1u;
      exponent -= 1;
    }
    var q = 0u;
    for (var i = 0; i < 25; i++) {
      q <<= 1u;
      if (remainder >= params.scale_significand) {
        remainder -= params.scale_significand;
        q |= 1u;
      }
      remainder <<= 1u;
    }
#if {{EXACT_QUOTIENT}}
    // The exact quotient rounded half away from zero (TFLite's builtin kernel divides in double,
    // which never moves a quotient of two float32 values across a half): it is (q + d) * 2^e with
    // d in [0, 1) the remainder's share, and d cannot carry (q + 2^(s-1)) past a multiple of 2^s.
    let e = exponent - 24;
    if (e < -25) {
      magnitude = 0u;
    } else if (e < 0) {
      let s = u32(-e);
      magnitude = (q + (1u << (s - 1u))) >> s;
    }
#else
    var rounded = q >> 1u;
    if ((q & 1u) != 0u && (remainder != 0u || (rounded & 1u) != 0u)) {
      rounded += 1u;
    }
    // quotient = rounded * 2^e, then rounded half away from zero to an integer.
    let e = exponent - 23;
    if (e < -25) {
      magnitude = 0u;
    } else if (e < 0) {
      let s = u32(-e);
      magnitude = (rounded + (1u << (s - 1u))) >> s;
    }
#endif
  }
  return select(i32(magnitude), -i32(magnitude), (bits >> 31u) != 0u);
}

// XNNPACK's f32 -> qs8/qu8 convert: the product with the float32 reciprocal is correctly rounded
// in WGSL, clamped in float to [qmin - zp, qmax - zp], and round() rounds half to even, as lrintf
// and the magic-bias add do. NaN gives the zero point, as on the CPU reference.
fn xnn_quantize(x: f32) -> i32 {
  let scaled = x * params.scale;
  if (scaled != scaled) {
    return params.output_zp;
  }
  return i32(round(clamp(scaled, f32(params.act_min), f32(params.act_max)))) + params.output_zp;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let outer = index / params.c4;
  let jw = index % params.c4;
  var result = vec4<i32>(0);
  for (var b = 0u; b < 4u; b++) {
    let j = jw * 4u + b;
    if (j < params.inner) {
#if {{XNN_ROUND}}
      result[b] = xnn_quantize(input[outer * params.inner + j]);
#else
      result[b] = clamp(round_quotient(input[outer * params.inner + j]) + params.output_zp, -128, 127);
#endif
    }
  }
  output[index] = pack_i8x4(result);
}

#elif {{TO_FLOAT}}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let outer = index / params.inner;
  let j = index % params.inner;
  let word = input[outer * params.c4 + j / 4u];
  let v = bitcast<i32>(word << (24u - 8u * (j % 4u))) >> 24u;
  // The exact integer times the float32 scale, rounded once: TFLite's double product cast to
  // float gives the same for 8-bit values.
  output[index] = f32(v - params.input_zp) * params.scale;
}

#else

fn requantize_lane(v: i32) -> i32 {
#if {{XNN_CONVERT}}
  // XNNPACK's 8-bit convert: an 8-fraction-bit multiplier, + 1/2, a flooring (arithmetic) shift.
  let scaled = ((v - params.input_zp) * params.multiplier + 128) >> 8u;
#else
  let scaled = multiply_by_quantized_multiplier(v - params.input_zp, params.multiplier, params.shift);
#endif
  return clamp(scaled + params.output_zp, params.act_min, params.act_max);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let v = unpack_i8x4(input[index]);
  output[index] = pack_i8x4(vec4<i32>(requantize_lane(v.x), requantize_lane(v.y), requantize_lane(v.z), requantize_lane(v.w)));
}

#endif
