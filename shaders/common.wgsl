// Shared int8 helpers, prepended to every int8 kernel.
// dot4: dot4I8Packed where the adapter has packed_4x8_integer_dot_product, else an unpacking
// polyfill with identical results (both wrap in i32, neither saturates).
// Requantization mirrors TFLite's MultiplyByQuantizedMultiplier (gemmlowp double rounding).
// WGSL has no 64-bit integers, so the 32x32 -> 64 product is built from 16-bit limbs.

fn unpack_i8x4(w: u32) -> vec4<i32> {
  return vec4<i32>(bitcast<i32>(w << 24u), bitcast<i32>(w << 16u), bitcast<i32>(w << 8u), bitcast<i32>(w)) >> vec4<u32>(24u);
}

fn pack_i8x4(v: vec4<i32>) -> u32 {
  let b = bitcast<vec4<u32>>(v) & vec4<u32>(0xFFu);
  return b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
}

fn dot4(a: u32, b: u32) -> i32 {
#if {{DOT4}}
  return dot4I8Packed(a, b);
#else
  return dot(unpack_i8x4(a), unpack_i8x4(b));
#endif
}

// gemmlowp SaturatingRoundingDoublingHighMul: (a*b + nudge) / 2^31, truncating toward zero.
fn srdhm(a: i32, b: i32) -> i32 {
  let int_min = bitcast<i32>(0x80000000u);
  if (a == int_min && b == int_min) {
    return 2147483647;
  }
  let ua = bitcast<u32>(a);
  let ub = bitcast<u32>(b);
  var p = umul64(ua, ub);
  // Two's complement correction turns the unsigned product into the signed one (mod 2^64).
  p.y = p.y - select(0u, ub, a < 0) - select(0u, ua, b < 0);
  let negative = bitcast<i32>(p.y) < 0;
  // nudge = 2^30 for a non-negative product, 1 - 2^30 (sign-extended) otherwise.
  p = add64(p, select(vec2<u32>(0x40000000u, 0u), vec2<u32>(0xC0000001u, 0xFFFFFFFFu), negative));
  // C++ int64 division truncates toward zero: add 2^31 - 1 first when negative, then shift.
  if (bitcast<i32>(p.y) < 0) {
    p = add64(p, vec2<u32>(0x7FFFFFFFu, 0u));
  }
  return bitcast<i32>((p.y << 1u) | (p.x >> 31u));
}

// gemmlowp RoundingDivideByPOT: x / 2^exponent rounded half away from zero, exponent in [0, 31].
fn rounding_divide_by_pot(x: i32, exponent: u32) -> i32 {
  let mask = bitcast<i32>((1u << exponent) - 1u);
  let remainder = x & mask;
  let threshold = (mask >> 1u) + select(0, 1, x < 0);
  return (x >> exponent) + select(0, 1, remainder > threshold);
}

// TFLite MultiplyByQuantizedMultiplier; shift > 0 is a left shift (wrapping like int32 in C++).
fn multiply_by_quantized_multiplier(x: i32, multiplier: i32, shift: i32) -> i32 {
  let left = u32(max(shift, 0));
  let right = u32(max(-shift, 0));
  return rounding_divide_by_pot(srdhm(x << left, multiplier), right);
}

// int32 -> f32 rounded to nearest, ties to even, as C's (float) cast does. WGSL leaves the
// rounding of inexact integer conversions to the implementation, so |x| >= 2^24 rounds here.
fn i32_to_f32_rne(x: i32) -> f32 {
  let magnitude = select(bitcast<u32>(x), 0u - bitcast<u32>(x), x < 0);
  if (magnitude < 0x1000000u) {
    return f32(x);
  }
  let drop = 8u - countLeadingZeros(magnitude);
  var mantissa = magnitude >> drop;
  let remainder = magnitude & ((1u << drop) - 1u);
  let half = 1u << (drop - 1u);
  if (remainder > half || (remainder == half && (mantissa & 1u) == 1u)) {
    mantissa += 1u;
  }
  let value = f32(mantissa) * bitcast<f32>((127u + drop) << 23u);
  return select(value, -value, x < 0);
}

// i32_to_f32_rne lane-wise, with one test for the common case of 4 lanes below 2^24 (exact).
fn i32x4_to_f32_rne(x: vec4<i32>) -> vec4<f32> {
  let magnitude = select(bitcast<vec4<u32>>(x), vec4<u32>(0u) - bitcast<vec4<u32>>(x), x < vec4<i32>(0));
  if (all(magnitude < vec4<u32>(0x1000000u))) {
    return vec4<f32>(x);
  }
  return vec4<f32>(i32_to_f32_rne(x.x), i32_to_f32_rne(x.y), i32_to_f32_rne(x.z), i32_to_f32_rne(x.w));
}

// XNNPACK's fp32 requantization (requantize below, FLOAT_REQUANT) of 4 channels at once, packed:
// `folded` the accumulators with their bias, `scale` the channels' f32 scales. With EXACT_SUMS a
// load-time bound proved every folded value below 2^24 (sumsExactInF32 in src/kernels/conv2d.ts),
// so the plain conversion is exact and the rounding by hand past 2^24 goes.
fn requantize_float4(folded: vec4<i32>, scale: vec4<f32>, output_zp: i32, act_min: i32, act_max: i32) -> u32 {
#if {{EXACT_SUMS}}
  return requantize_scaled4(vec4<f32>(folded) * scale, output_zp, act_min, act_max);
#else
  return requantize_scaled4(i32x4_to_f32_rne(folded) * scale, output_zp, act_min, act_max);
#endif
}

// The same from f32 accumulators and their bias, where a load-time bound proves acc + bias an
// integer below 2^24 (f32 arithmetic, F32_EPILOGUE): then (float)(acc + bias) is acc + bias added
// in f32, with no conversion to i32 and back.
fn requantize_exact_f32x4(acc: vec4<f32>, bias: vec4<i32>, scale: vec4<f32>, output_zp: i32, act_min: i32, act_max: i32) -> u32 {
  return requantize_scaled4((acc + vec4<f32>(bias)) * scale, output_zp, act_min, act_max);
}

fn requantize_scaled4(scaled: vec4<f32>, output_zp: i32, act_min: i32, act_max: i32) -> u32 {
  let clamped = clamp(scaled, vec4<f32>(f32(act_min - output_zp)), vec4<f32>(f32(act_max - output_zp)));
  return pack_i8x4(vec4<i32>(round(clamped)) + vec4<i32>(output_zp));
}

// ruy MultiplyByQuantizedMultiplier (TFLite's builtin GEMM-based kernels): (x·M + 2^(total − 1)) >> total, total = 31 − shift, in 64 bits.
fn single_rounding_multiply(x: i32, multiplier: i32, shift: i32) -> i32 {
  let ux = bitcast<u32>(x);
  let um = bitcast<u32>(multiplier);
  var p = umul64(ux, um);
  p.y = p.y - select(0u, um, x < 0) - select(0u, ux, multiplier < 0);
  let total = u32(31 - shift);
  let round = select(vec2<u32>(0u, 1u << (total - 33u)), vec2<u32>(1u << (total - 1u), 0u), total <= 32u);
  p = add64(p, round);
  if (total < 32u) {
    return bitcast<i32>((p.x >> total) | (p.y << (32u - total)));
  }
  return bitcast<i32>(p.y) >> (total - 32u);
}

// Accumulator -> output, with per-channel params (bias, multiplier, shift, float32 scale bits).
// Fixed point: TFLite's reference kernels. Float: XNNPACK's fp32 requantization (TFLite's default
// delegate): acc x scale in f32, clamped relative to the zero point, rounded half to even.
// {{RUY_REQUANT}}: ruy's single rounding, what TFLite's builtin CONV_2D / FULLY_CONNECTED compute
// (int8) in a graph the delegate refuses.
fn requantize(acc: i32, cp: vec4<i32>, output_zp: i32, act_min: i32, act_max: i32) -> i32 {
#if {{FLOAT_REQUANT}}
  let scaled = i32_to_f32_rne(acc) * bitcast<f32>(cp.w);
  let clamped = clamp(scaled, f32(act_min - output_zp), f32(act_max - output_zp));
  return i32(round(clamped)) + output_zp;
#elif {{RUY_REQUANT}}
  return clamp(single_rounding_multiply(acc, cp.y, cp.z) + output_zp, act_min, act_max);
#else
  return clamp(multiply_by_quantized_multiplier(acc, cp.y, cp.z) + output_zp, act_min, act_max);
#endif
}

// The quantization of an 8-bit ADD or MUL (binaryQuantFields in src/kernels/pool-elementwise.ts): the
// operands' and output's zero points in the int8 domain, the output's clamp, and the
// multipliers and shifts of the requantization mode.
struct BinaryQuant {
  a_zp: i32,
  b_zp: i32,
  out_zp: i32,
  act_min: i32,
  act_max: i32,
  a_multiplier: i32,
  a_shift: i32,
  b_multiplier: i32,
  b_shift: i32,
  out_multiplier: i32,
  out_shift: i32,
};

// ADD(x, y) of 4 elements (a word's lanes), the one copy the ADD kernel (shaders/elementwise.wgsl)
// and a convolution's fused ADD (shaders/conv2d.wgsl) both compute. 'tflite': TFLite's reference
// Add with left_shift 20, three MultiplyByQuantizedMultiplier calls per element (in a loop:
// SwiftShader then compiles them once, much faster). 'xnnpack' ({{FLOAT_REQUANT}}): XNNPACK's
// 20-bit multipliers, (2^(shift−1) + (x − zp_a)·m_a + (y − zp_b)·m_b) >> shift, 4 lanes at once,
// which stays inside int32 because both multipliers are below 2^21 and |x − zp| ≤ 255.
// Differences x − zp are the same in the int8 and the uint8 domain.
fn add4(x: vec4<i32>, y: vec4<i32>, q: BinaryQuant) -> vec4<i32> {
  let dx = x - vec4<i32>(q.a_zp);
  let dy = y - vec4<i32>(q.b_zp);
#if {{FLOAT_REQUANT}}
  let rounding = vec4<i32>(1 << u32(q.out_shift - 1));
  let v = (rounding + dx * q.a_multiplier + dy * q.b_multiplier) >> vec4<u32>(u32(q.out_shift));
#else
  var v = vec4<i32>(0);
  for (var j = 0u; j < 4u; j++) {
    let scaled_a = multiply_by_quantized_multiplier(dx[j] * 1048576, q.a_multiplier, q.a_shift);
    let scaled_b = multiply_by_quantized_multiplier(dy[j] * 1048576, q.b_multiplier, q.b_shift);
    v[j] = multiply_by_quantized_multiplier(scaled_a + scaled_b, q.out_multiplier, q.out_shift);
  }
#endif
  return clamp(v + vec4<i32>(q.out_zp), vec4<i32>(q.act_min), vec4<i32>(q.act_max));
}

#if {{BYTE_TABLE}}
// A byte table (src/kernels/unary.ts byteTable, moved to the int8 domain by gpuTable): entry b
// (b = stored byte, int8 domain) is the stored output byte, one u32 each. One load a byte: packed 4
// to a u32, the byte's word and shift cost more than the load on SwiftShader. The kernel that sets
// BYTE_TABLE declares `byte_table` (array<u32, 256>, or consecutive tables of 256): the table
// kernel, or a convolution whose epilogue applies a fused table op (src/passes/fuse-table.ts).
fn table_byte(b: u32) -> u32 {
  return byte_table[b];
}

// Each of the 4 bytes of `w` through the table.
fn table_word(w: u32) -> u32 {
  return table_byte(w & 0xFFu) | (table_byte((w >> 8u) & 0xFFu) << 8u) | (table_byte((w >> 16u) & 0xFFu) << 16u) | (table_byte(w >> 24u) << 24u);
}
#endif
