// L2_NORMALIZATION of an 8-bit tensor over its innermost dimension, one invocation per row.
// TFLite's integer kernels (reference_integer_ops::L2Normalization for int8, optimized_ops for
// uint8), ported from src/quant/reduce.ts line for line: Σ(x − zp)² wrapping in i32,
// GetInvSqrtQuantizedMultiplierExp by five Newton–Raphson steps in gemmlowp Q3.28, then
// int8: MultiplyByQuantizedMultiplier(x − zp, m, shift + 7); uint8 ({{UINT8}}): 128 +
// RoundingDivideByPOT(SRDHM(128 (x − zp), m), −shift), clamped; written in the int8 domain.

struct Params {
  rows: u32,
  depth: u32,
  row_words: u32,
  zero_point: i32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn byte_at(byte: u32) -> i32 {
  return bitcast<i32>(input[byte / 4u] << (24u - 8u * (byte % 4u))) >> 24u;
}

// gemmlowp SaturatingRoundingMultiplyByPOT<exponent> for exponent in [1, 30]: a saturating left shift.
fn saturating_shift_left(x: i32, exponent: u32) -> i32 {
  let threshold = (1 << (31u - exponent)) - 1;
  if (x > threshold) {
    return 2147483647;
  }
  if (x < -threshold) {
    return -2147483647 - 1;
  }
  return x << exponent;
}

// (multiplier, shift) of GetInvSqrtQuantizedMultiplierExp(input, reverse_shift = -1).
fn inv_sqrt(value: i32) -> vec2<i32> {
  if (value <= 1) {
    return vec2<i32>(2147483647, 0);
  }
  var input = value;
  var shift = 11;
  while (input >= (1 << 29u)) {
    input = input / 4;
    shift += 1;
  }
  let max_left_shift_bits = i32(countLeadingZeros(u32(input))) - 1;
  let pairs = max_left_shift_bits / 2 - 1;
  shift -= pairs;
  input = input << u32(2 * pairs);
  let half_input = rounding_divide_by_pot(input >> 1u, 1u);
  let half_three = (1 << 28u) + (1 << 27u);
  var x = 1 << 28u;
  for (var i = 0; i < 5; i++) {
    let x3 = saturating_shift_left(srdhm(srdhm(x, x), x), 6u);
    x = saturating_shift_left(srdhm(half_three, x) - srdhm(half_input, x3), 3u);
  }
  var multiplier = srdhm(x, 1518500250);
  if (shift < 0) {
    multiplier = multiplier << u32(-shift);
    shift = 0;
  }
  return vec2<i32>(multiplier, -shift);
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_index(gid, nwg);
  if (row >= params.rows) {
    return;
  }
  let base = row * params.row_words * 4u;
  var acc = 0;
  for (var c = 0u; c < params.depth; c++) {
    let d = byte_at(base + c) - params.zero_point;
    acc += d * d;
  }
  let inv = inv_sqrt(acc);
  for (var w = 0u; w < params.row_words; w++) {
    var result = vec4<i32>(0);
    for (var j = 0u; j < 4u; j++) {
      let c = w * 4u + j;
      if (c < params.depth) {
        let d = byte_at(base + c) - params.zero_point;
#if {{UINT8}}
        result[j] = clamp(128 + rounding_divide_by_pot(srdhm(128 * d, inv.x), u32(-inv.y)), 0, 255) - 128;
#else
        result[j] = clamp(multiply_by_quantized_multiplier(d, inv.x, inv.y + 7), -128, 127);
#endif
      }
    }
    output[row * params.row_words + w] = pack_i8x4(result);
  }
}
