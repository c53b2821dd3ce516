// SOFTMAX, int8 (legacy uint8 runs in the int8 domain: the op has fixed output params, and
// clamp(u, 0, 255) - 128 == clamp(u - 128, -128, 127), so one code path serves both). (8-bit
// LOGISTIC is a 256-entry table, src/quant/softmax.ts logisticTable, applied by shaders/unary.wgsl.)
// gemmlowp's fixed-point exp and reciprocal, ported from src/reference/gemmlowp.ts line for line:
// i32 additions wrap as the C++ int32 operators do, products go through fixed_mul.
//
// One workgroup per row (the innermost dimension). The row maximum and the sum of exponentials
// are reduced through workgroup memory; the sum wraps at 32 bits, which is associative, so the
// reduction order cannot change it.
//
// Compile time: SwiftShader (the software adapter) fully unrolls loops with constant trip counts
// and its compile time grows with the inlined code, so a shader that holds the exp/reciprocal
// chain four times (once per byte lane) took ~10 s to build. Every loop around that chain therefore
// adds params.opaque_zero (always 0) to its bound, the lane loops run to params.lanes (always 4),
// each of SOFTMAX's two phases calls exp once, and the fixed-point product is branch-free.

struct Params {
  rows: u32,
  depth: u32,
  row_words: u32,
  multiplier: i32,
  left_shift: u32,
  // SOFTMAX: the smallest x - max whose exponential is kept (-input radius).
  diff_min: i32,
  lanes: u32,
  opaque_zero: i32,
#if {{SOFTMAX_TABLE}}
  // table[k / 4][k % 4] = exp(beta * scale * (k - 255)) in float32 (PopulateSoftmaxLookupTable).
  table: array<vec4<f32>, 64>,
#endif
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

const INT32_MAX: i32 = 2147483647;
const INT32_MIN: i32 = -2147483647 - 1;

// gemmlowp SaturatingRoundingDoublingHighMul without branches: floor((a*b + 2^30) / 2^31) equals
// gemmlowp's sign-dependent nudge followed by truncation (src/quant/fixedpoint.ts shows why).
fn fixed_mul(a: i32, b: i32) -> i32 {
  var p = umul64(bitcast<u32>(a), bitcast<u32>(b));
  // Two's complement correction: the signed product's high word (mod 2^64).
  p.y = p.y - select(0u, bitcast<u32>(b), a < 0) - select(0u, bitcast<u32>(a), b < 0);
  let lo = p.x + 0x40000000u;
  let hi = p.y + select(0u, 1u, lo < p.x);
  let r = bitcast<i32>((hi << 1u) | (lo >> 31u));
  return select(r, INT32_MAX, a == INT32_MIN && b == INT32_MIN);
}

// SaturatingRoundingMultiplyByPOT: saturating left shift, or rounding right shift when negative.
fn sat_rounding_mul_by_pot(x: i32, exponent: i32) -> i32 {
  if (exponent == 0) {
    return x;
  }
  if (exponent < 0) {
    return rounding_divide_by_pot(x, u32(-exponent));
  }
  let threshold = (1 << u32(31 - exponent)) - 1;
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  return x << u32(exponent);
}

// Rescale<dst>(FixedPoint<src>).
fn rescale(x: i32, src_integer_bits: i32, dst_integer_bits: i32) -> i32 {
  return sat_rounding_mul_by_pot(x, src_integer_bits - dst_integer_bits);
}

// exp(a) for a in [-1/4, 0), Q0.31 in and out: Taylor expansion around -1/8.
fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
  let constant_term = 1895147668; // exp(-1/8)
  let constant_one_third = 715827883;
  let x = a + (1 << 28u);
  let x2 = fixed_mul(x, x);
  let x3 = fixed_mul(x2, x);
  let x4 = fixed_mul(x2, x2);
  let x4_over_4 = sat_rounding_mul_by_pot(x4, -2);
  let poly = sat_rounding_mul_by_pot(fixed_mul(x4_over_4 + x3, constant_one_third) + x2, -1);
  return constant_term + fixed_mul(constant_term, x + poly);
}

// exp(a) for a <= 0 in Q(integer_bits), result Q0.31. integer_bits is 4 or 5 here, so gemmlowp's
// extra clamp for integer_bits > 5 never applies and is left out.
fn exp_on_negative_values(a: i32, integer_bits: i32) -> i32 {
  let fractional_bits = 31 - integer_bits;
  let one_quarter = 1 << u32(fractional_bits - 2);
  let mask = one_quarter - 1;
  let a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
  var result = exp_on_interval_between_negative_one_quarter_and_0_excl(rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
  let remainder = a_mod_quarter_minus_one_quarter - a;
  // exp(-2^k) in Q0.31 for k = -2 .. 4.
  var barrel = array<i32, 7>(1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242);
  // gemmlowp applies exp(-2^k) for every k < integer_bits.
  let steps = min(7, integer_bits + 2) + params.opaque_zero;
  for (var i = 0; i < steps; i++) {
    let bit = u32(fractional_bits - 2 + i);
    result = select(result, fixed_mul(result, barrel[i]), (remainder & (1 << bit)) != 0);
  }
  return select(result, INT32_MAX, a == 0);
}

// 1 / (1 + a) for a in [0, 1), Q0.31: Newton-Raphson in Q2.29, three iterations.
fn one_over_one_plus_x_for_x_in_01(a: i32) -> i32 {
  // RoundingHalfSum(a, INT32_MAX) = (a + 2^31) / 2 for a >= 0, which every caller guarantees;
  // the u32 sum cannot overflow there.
  let half_denominator = bitcast<i32>((bitcast<u32>(a) + 0x80000000u) >> 1u);
  let constant_48_over_17 = 1515870810;
  let constant_neg_32_over_17 = -1010580540;
  let one_q2 = 1 << 29u;
  var x = constant_48_over_17 + fixed_mul(half_denominator, constant_neg_32_over_17);
  for (var i = 0; i < 3 + params.opaque_zero; i++) {
    let half_denominator_times_x = fixed_mul(half_denominator, x);
    let one_minus_half_denominator_times_x = one_q2 - half_denominator_times_x;
    x = x + rescale(fixed_mul(x, one_minus_half_denominator_times_x), 4, 2);
  }
  return rescale(x, 1, 0);
}

// MultiplyByQuantizedMultiplierGreaterThanOne: the left shift wraps like int32 in C++.
fn multiply_greater_than_one(x: i32) -> i32 {
  return fixed_mul(x << params.left_shift, params.multiplier);
}

#if {{SOFTMAX_TABLE}}

// SOFTMAX as the TFLite runtime's optimized 8-bit kernel computes it (optimized_ops::Softmax with
// the float lookup table; src/reference/ops/softmax.ts softmaxLookupTable): float32 throughout, so
// the order of the sum matters. One invocation per row sums in index order, as the C++ loop does;
// the reciprocal is divided out by hand because WGSL's division may be off by 2.5 ULP.

fn table_at(k: i32) -> f32 {
  return params.table[u32(k) / 4u][u32(k) % 4u];
}

fn byte_at(base: u32, j: u32) -> i32 {
  return bitcast<i32>(input[base + j / 4u] << (24u - 8u * (j % 4u))) >> 24u;
}

// 1 / y rounded to nearest even, for y a positive normal float32 whose reciprocal is normal too:
// the quotient of the significands by long division, 24 bits plus a guard bit, the rest sticky.
fn reciprocal_rn(y: f32) -> f32 {
  let bits = bitcast<u32>(y);
  let divisor = (bits & 0x7FFFFFu) | 0x800000u;
  // 1 = 2^23 * 2^-23 and y = divisor * 2^(biased - 150): the quotient is 2^23 / divisor * 2^e.
  var e = 127 - i32((bits >> 23u) & 0xFFu);
  var remainder = 0x800000u;
  if (remainder < divisor) {
    remainder <<= 1u;
    e -= 1;
  }
  var q = 0u;
  for (var i = 0; i < 25 + params.opaque_zero; i++) {
    q <<= 1u;
    if (remainder >= divisor) {
      remainder -= divisor;
      q |= 1u;
    }
    remainder <<= 1u;
  }
  var rounded = q >> 1u;
  if ((q & 1u) != 0u && (remainder != 0u || (rounded & 1u) != 0u)) {
    rounded += 1u;
  }
  if (rounded == 0x1000000u) {
    rounded >>= 1u;
    e += 1;
  }
  // rounded in [2^23, 2^24) is the significand of 2^e times [1, 2).
  return bitcast<f32>((u32(e + 127) << 23u) | (rounded & 0x7FFFFFu));
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_index(gid, nwg);
  if (row >= params.rows) {
    return;
  }
  let base = row * params.row_words;
  var row_max = -128;
  for (var j = 0u; j < params.depth; j++) {
    row_max = max(row_max, byte_at(base, j));
  }
  var sum = 0.0;
  for (var j = 0u; j < params.depth; j++) {
    sum += table_at(255 - row_max + byte_at(base, j));
  }
  // sum >= 1 (the maximum contributes exp(0)), so sum / 256 is exact.
  let inv = reciprocal_rn(sum * 0.00390625);
  for (var w = 0u; w < params.row_words; w++) {
    var result = vec4<i32>(0);
    for (var b = 0u; b < params.lanes; b++) {
      let j = w * 4u + b;
      if (j < params.depth) {
        // round() rounds half to even, as RoundToNearest; the output zero point is -128 in the
        // int8 domain for both dtypes.
        let p = table_at(255 - row_max + byte_at(base, j)) * inv;
        result[b] = clamp(i32(min(round(p), 1024.0)) - 128, -128, 127);
      }
    }
    output[base + w] = pack_i8x4(result);
  }
}

#else

var<workgroup> scratch: array<i32, {{WORKGROUP_SIZE}}>;

// exp(beta * scale * diff) in Q0.31 for diff = x - max in [diff_min, 0].
fn exp_of_diff(diff: i32) -> i32 {
  return exp_on_negative_values(multiply_greater_than_one(diff), 5);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= params.rows) {
    return;
  }
  let base = row * params.row_words;

  var local_max = -128;
  for (var w = lid; w < params.row_words; w += {{WORKGROUP_SIZE}}u) {
    let v = unpack_i8x4(input[base + w]);
    for (var b = 0u; b < 4u; b++) {
      if (w * 4u + b < params.depth) {
        local_max = max(local_max, v[b]);
      }
    }
  }
  scratch[lid] = local_max;
  workgroupBarrier();
  var row_max = -128;
  for (var i = 0u; i < {{WORKGROUP_SIZE}}u; i++) {
    row_max = max(row_max, scratch[i]);
  }
  workgroupBarrier();

  // Phase 0 sums the exponentials (Q12.19) and forms the reciprocal; phase 1 writes the outputs.
  var shifted_scale = 0;
  var exponent = 0u;
  for (var phase = 0u; phase < 2u; phase++) {
    var local_sum = 0;
    for (var w = lid; w < params.row_words; w += {{WORKGROUP_SIZE}}u) {
      let v = unpack_i8x4(input[base + w]);
      var result = vec4<i32>(0);
      for (var b = 0u; b < params.lanes; b++) {
        let inside = w * 4u + b < params.depth;
        let diff = v[b] - row_max;
        let kept = inside && diff >= params.diff_min;
        let e = exp_of_diff(diff);
        local_sum += select(0, rescale(e, 0, 12), kept);
        let unsaturated = rounding_divide_by_pot(fixed_mul(shifted_scale, e), exponent);
        // Dropped inputs (diff < diff_min) give the lowest output; padding lanes get 0.
        result[b] = select(select(0, -128, inside), clamp(unsaturated - 128, -128, 127), kept);
      }
      if (phase == 1u) {
        output[base + w] = pack_i8x4(result);
      }
    }
    if (phase == 0u) {
      scratch[lid] = local_sum;
      workgroupBarrier();
      var sum = 0;
      for (var i = 0u; i < {{WORKGROUP_SIZE}}u; i++) {
        sum += scratch[i];
      }
      // GetReciprocal: normalise the sum into [1, 2), take 1 / (1 + fraction), keep the exponent.
      let headroom_plus_one = countLeadingZeros(bitcast<u32>(sum));
      let shifted_sum_minus_one = bitcast<i32>((bitcast<u32>(sum) << (headroom_plus_one & 31u)) - 0x80000000u);
      shifted_scale = one_over_one_plus_x_for_x_in_01(shifted_sum_minus_one);
      // num_bits_over_unit + 31 - 8 = 35 - headroom. It exceeds 31 once the sum reaches 512, beyond
      // gemmlowp's asserted range (TFLite's C++ would shift by the count modulo 32 and output the
      // maximum). The exact quotient is then below one half, so it rounds to 0: a zero scale.
      let full_exponent = 35u - headroom_plus_one;
      exponent = min(full_exponent, 31u);
      if (full_exponent > 31u) {
        shifted_scale = 0;
      }
    }
  }
}

#endif
