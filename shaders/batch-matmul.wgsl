// BATCH_MATMUL, int8: out[b][m][n] = requant(Σ_k (lhs[b][m][k] − zl)(rhs[b][k][n] − zr)), with the
// batch dims broadcast. Operands are Octet's packed 8-bit layout (4 values per u32 along each
// tensor's innermost dim, which is padded to a multiple of 4). One invocation computes one output
// word: 4 columns of one row. K advances 4 at a time: the 4 LHS values and, per column, the 4
// RHS values are gathered into K-packed words (a direct load where the operand is stored K
// innermost, a byte gather or a 4×4 byte transpose otherwise), so one dot4 does 4 products.
// Values past K are zeroed, so padding bytes never count. The zero points are applied after the
// loop from the sums of each operand (dot4 with 0x01010101):
//   Σ(l − zl)(r − zr) = Σ lr − zr·Σl − zl·Σr + K·zl·zr.
// {{LHS_ADJ}}: LHS stored [k][m] (adj_x). {{RHS_KMAJOR}}: RHS stored [n][k] (adj_y, or a constant
// repacked so at load). {{SINGLE_ROUNDING}}: ruy's one-rounding requantization (what the TFLite
// runtime's batch_matmul.cc computes), else TFLite's reference MultiplyByQuantizedMultiplier.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  k4: u32,
  out_words: u32,
  lhs_words: u32,
  rhs_words: u32,
  total: u32,
  batch_dims: vec4<u32>,
  lhs_strides: vec4<u32>,
  rhs_strides: vec4<u32>,
  lhs_zp: i32,
  rhs_zp: i32,
  output_zp: i32,
  multiplier: i32,
  shift: i32,
  last_k_mask: u32,
  lhs_rows: u32,
  rhs_rows: u32,
};

@group(0) @binding(0) var<storage, read> lhs: array<u32>;
@group(0) @binding(1) var<storage, read> rhs: array<u32>;
@group(0) @binding(2) var<storage, read_write> output: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

fn byte_of(word: u32, lane: u32) -> u32 {
  return (word >> (8u * lane)) & 0xFFu;
}

fn requantize_bmm(acc: i32) -> i32 {
#if {{SINGLE_ROUNDING}}
  let scaled = single_rounding_multiply(acc, params.multiplier, params.shift);
#else
  let scaled = multiply_by_quantized_multiplier(acc, params.multiplier, params.shift);
#endif
  return clamp(scaled + params.output_zp, -128, 127);
}

// Matrix index of an operand for output batch b (3 batch dims, outermost first).
fn operand_matrix(b: u32, strides: vec4<u32>) -> u32 {
  let d2 = b % params.batch_dims.z;
  let r = b / params.batch_dims.z;
  let d1 = r % params.batch_dims.y;
  let d0 = r / params.batch_dims.y;
  return d0 * strides.x + d1 * strides.y + d2 * strides.z;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let nw = index % params.out_words;
  var rest = index / params.out_words;
  let row = rest % params.m;
  let b = rest / params.m;
  let lm = operand_matrix(b, params.lhs_strides);
  let rm = operand_matrix(b, params.rhs_strides);

  var acc = vec4<i32>(0);
  var rsum = vec4<i32>(0);
  var lsum = 0;
  for (var kw = 0u; kw < params.k4; kw++) {
    let mask = select(0xFFFFFFFFu, params.last_k_mask, kw + 1u == params.k4);
#if {{LHS_ADJ}}
    // LHS [k][m]: the 4 values of K come from 4 rows, lane row % 4 of word row / 4.
    var l = 0u;
    for (var t = 0u; t < 4u; t++) {
      let kk = min(kw * 4u + t, params.k - 1u);
      l |= byte_of(lhs[(lm * params.lhs_rows + kk) * params.lhs_words + row / 4u], row % 4u) << (8u * t);
    }
    l &= mask;
#else
    let l = lhs[(lm * params.lhs_rows + row) * params.lhs_words + kw] & mask;
#endif
    var r: array<u32, 4>;
#if {{RHS_KMAJOR}}
    for (var j = 0u; j < 4u; j++) {
      let col = min(nw * 4u + j, params.n - 1u);
      r[j] = rhs[(rm * params.rhs_rows + col) * params.rhs_words + kw] & mask;
    }
#else
    // RHS [k][n]: word nw of 4 consecutive rows holds the 4 columns; transpose the 4×4 bytes.
    var rows: array<u32, 4>;
    for (var t = 0u; t < 4u; t++) {
      let kk = min(kw * 4u + t, params.k - 1u);
      rows[t] = rhs[(rm * params.rhs_rows + kk) * params.rhs_words + nw];
    }
    for (var j = 0u; j < 4u; j++) {
      r[j] = (byte_of(rows[0], j) | (byte_of(rows[1], j) << 8u) | (byte_of(rows[2], j) << 16u) | (byte_of(rows[3], j) << 24u)) & mask;
    }
#endif
    lsum += dot4(l, 0x01010101u);
    for (var j = 0u; j < 4u; j++) {
      acc[j] += dot4(l, r[j]);
      rsum[j] += dot4(r[j], 0x01010101u);
    }
  }

  let kz = i32(params.k) * params.lhs_zp * params.rhs_zp;
  var result = vec4<i32>(0);
  for (var j = 0u; j < 4u; j++) {
    result[j] = requantize_bmm(acc[j] - params.rhs_zp * lsum - params.lhs_zp * rsum[j] + kz);
  }
  output[index] = pack_i8x4(result);
}
