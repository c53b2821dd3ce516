// Tiled GEMM, C[M][N] = A[M][K] · B[N][K]ᵀ (both operands K-major, as conv weights are stored:
// [out channel][K]). int8 ({{INT8}}): A and B hold 4 int8 values per u32 word along K, and the
// accumulator is i32 through dot4 (dot4I8Packed, or the unpacking fallback, from common.wgsl).
// f32: plain floats and multiply-add.
//
// A workgroup computes a {{TILE_M}}×{{TILE_N}} tile of C; each invocation a {{TM}}×{{TN}} block of
// it. With {{SHARED}}, K advances {{KS}} elements (words for int8: 4 int8 values each) at a time
// through workgroup memory; without it, every invocation reads its operands from storage. Loads outside M, N or K read zero, so any shape works; the benchmark sizes are
// multiples of the tile.
//
// {{REQUANT}} (int8 only, TN = 4): the output is requantized to int8 with per-channel parameters
// (bias with zero points folded in, multiplier, shift, f32 scale), four channels packed per u32:
// a 1×1 CONV_2D over M pixels in Octet's NHWC layout with int8 weights, bindings in conv2d.wgsl's
// order (the benchmark's GEMM-against-conv table; the model path runs 1×1 convolutions through
// shaders/conv2d.wgsl).

struct Dims {
  m: u32,
  n: u32,
  k: u32,
  output_zp: i32,
  act_min: i32,
  act_max: i32,
};

#if {{INT8}}
alias Elem = u32;
alias Acc = i32;
#else
alias Elem = f32;
alias Acc = f32;
#endif

#if {{VEC}}
// K-vectorized: 4 storage elements along K per load (dims.k counts vec4s).
@group(0) @binding(0) var<storage, read> a: array<vec4<Elem>>;
@group(0) @binding(1) var<storage, read> b: array<vec4<Elem>>;
#else
@group(0) @binding(0) var<storage, read> a: array<Elem>;
@group(0) @binding(1) var<storage, read> b: array<Elem>;
#endif
#if {{REQUANT}}
@group(0) @binding(2) var<storage, read> channel_params: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> c: array<u32>;
@group(0) @binding(4) var<uniform> dims: Dims;
#else
@group(0) @binding(2) var<storage, read_write> c: array<Acc>;
@group(0) @binding(3) var<uniform> dims: Dims;
#endif

const TILE_M = {{TILE_M}}u;
const TILE_N = {{TILE_N}}u;
const TM = {{TM}}u;
const TN = {{TN}}u;
const KS = {{KS}}u;
const THREADS = {{WG_X}}u * {{WG_Y}}u;

#if {{SHARED}}
var<workgroup> a_tile: array<array<Elem, KS>, TILE_M>;
var<workgroup> b_tile: array<array<Elem, KS>, TILE_N>;
#endif

fn mac(acc: Acc, x: Elem, y: Elem) -> Acc {
#if {{INT8}}
  return acc + dot4(x, y);
#else
  return fma(x, y, acc);
#endif
}

#if {{UNPACKED}}
// 16 int8 values of A or B along K, sign-extended once so that the 4 products each takes part in
// reuse them (an adapter that emulates dot4I8Packed unpacks both operands on every call).
struct K16 {
  a: vec4<i32>,
  b: vec4<i32>,
  c: vec4<i32>,
  d: vec4<i32>,
};

fn unpack_k16(x: vec4<u32>) -> K16 {
  return K16(unpack_i8x4(x.x), unpack_i8x4(x.y), unpack_i8x4(x.z), unpack_i8x4(x.w));
}

fn dot_k16(x: K16, y: K16) -> i32 {
  return dot(x.a, y.a) + dot(x.b, y.b) + dot(x.c, y.c) + dot(x.d, y.d);
}
#endif

// Dot product of 4 storage elements along K (16 int8 products, or 4 f32 products).
fn dot_k4(x: vec4<Elem>, y: vec4<Elem>) -> Acc {
#if {{INT8}}
  return dot4(x.x, y.x) + dot4(x.y, y.y) + dot4(x.z, y.z) + dot4(x.w, y.w);
#else
  return dot(x, y);
#endif
}

@compute @workgroup_size({{WG_X}}, {{WG_Y}})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * TILE_M;
  let col0 = wg.x * TILE_N;
  let k_len = dims.k;
#if {{VEC}}
  // Registers only, a 4×4 block per invocation with K in vec4 steps: 8 vector loads feed 16
  // dot_k4 (64 dot4 for int8), with no workgroup memory and no barriers.
  var acc: array<vec4<Acc>, 4>;
  let r = row0 + lid.y * 4u;
  let q = col0 + lid.x * 4u;
  let a0 = min(r, dims.m - 1u) * k_len;
  let a1 = min(r + 1u, dims.m - 1u) * k_len;
  let a2 = min(r + 2u, dims.m - 1u) * k_len;
  let a3 = min(r + 3u, dims.m - 1u) * k_len;
  let b0 = min(q, dims.n - 1u) * k_len;
  let b1 = min(q + 1u, dims.n - 1u) * k_len;
  let b2 = min(q + 2u, dims.n - 1u) * k_len;
  let b3 = min(q + 3u, dims.n - 1u) * k_len;
  for (var k = 0u; k < k_len; k++) {
#if {{UNPACKED}}
    let x0 = a[a0 + k];
    let x1 = a[a1 + k];
    let x2 = a[a2 + k];
    let x3 = a[a3 + k];
    let u0 = unpack_k16(x0);
    let u1 = unpack_k16(x1);
    let u2 = unpack_k16(x2);
    let u3 = unpack_k16(x3);
    let v0 = unpack_k16(b[b0 + k]);
    let v1 = unpack_k16(b[b1 + k]);
    let v2 = unpack_k16(b[b2 + k]);
    let v3 = unpack_k16(b[b3 + k]);
    acc[0] += vec4<Acc>(dot_k16(u0, v0), dot_k16(u0, v1), dot_k16(u0, v2), dot_k16(u0, v3));
    acc[1] += vec4<Acc>(dot_k16(u1, v0), dot_k16(u1, v1), dot_k16(u1, v2), dot_k16(u1, v3));
    acc[2] += vec4<Acc>(dot_k16(u2, v0), dot_k16(u2, v1), dot_k16(u2, v2), dot_k16(u2, v3));
    acc[3] += vec4<Acc>(dot_k16(u3, v0), dot_k16(u3, v1), dot_k16(u3, v2), dot_k16(u3, v3));
#else
    let x0 = a[a0 + k];
    let x1 = a[a1 + k];
    let x2 = a[a2 + k];
    let x3 = a[a3 + k];
    let y0 = b[b0 + k];
    let y1 = b[b1 + k];
    let y2 = b[b2 + k];
    let y3 = b[b3 + k];
    acc[0] += vec4<Acc>(dot_k4(x0, y0), dot_k4(x0, y1), dot_k4(x0, y2), dot_k4(x0, y3));
    acc[1] += vec4<Acc>(dot_k4(x1, y0), dot_k4(x1, y1), dot_k4(x1, y2), dot_k4(x1, y3));
    acc[2] += vec4<Acc>(dot_k4(x2, y0), dot_k4(x2, y1), dot_k4(x2, y2), dot_k4(x2, y3));
    acc[3] += vec4<Acc>(dot_k4(x3, y0), dot_k4(x3, y1), dot_k4(x3, y2), dot_k4(x3, y3));
#endif
  }
#else
  var acc: array<array<Acc, TN>, TM>;
#if {{SHARED}}
  for (var k0 = 0u; k0 < k_len; k0 += KS) {
    for (var i = li; i < TILE_M * KS; i += THREADS) {
      let r = i / KS;
      let kk = i % KS;
      let row = row0 + r;
      let k = k0 + kk;
      let v = a[min(row, dims.m - 1u) * k_len + min(k, k_len - 1u)];
      a_tile[r][kk] = select(Elem(0), v, row < dims.m && k < k_len);
    }
    for (var i = li; i < TILE_N * KS; i += THREADS) {
      let r = i / KS;
      let kk = i % KS;
      let col = col0 + r;
      let k = k0 + kk;
      let v = b[min(col, dims.n - 1u) * k_len + min(k, k_len - 1u)];
      b_tile[r][kk] = select(Elem(0), v, col < dims.n && k < k_len);
    }
    workgroupBarrier();
    for (var kk = 0u; kk < KS; kk++) {
      var av: array<Elem, TM>;
      var bv: array<Elem, TN>;
      for (var i = 0u; i < TM; i++) {
        av[i] = a_tile[lid.y * TM + i][kk];
      }
      for (var j = 0u; j < TN; j++) {
        bv[j] = b_tile[lid.x * TN + j][kk];
      }
      for (var i = 0u; i < TM; i++) {
        for (var j = 0u; j < TN; j++) {
          acc[i][j] = mac(acc[i][j], av[i], bv[j]);
        }
      }
    }
    workgroupBarrier();
  }

#else
  // Registers only: each invocation streams its TM rows of A and TN rows of B straight from
  // storage (CPU adapters serve these from cache; barriers cost more than they save there).
  // Rows past M or N are clamped on load and never stored.
  let r_base = row0 + lid.y * TM;
  let c_base = col0 + lid.x * TN;
  var a_row: array<u32, TM>;
  var b_row: array<u32, TN>;
  for (var i = 0u; i < TM; i++) {
    a_row[i] = min(r_base + i, dims.m - 1u) * k_len;
  }
  for (var j = 0u; j < TN; j++) {
    b_row[j] = min(c_base + j, dims.n - 1u) * k_len;
  }
  for (var k = 0u; k < k_len; k++) {
    var av: array<Elem, TM>;
    var bv: array<Elem, TN>;
    for (var i = 0u; i < TM; i++) {
      av[i] = a[a_row[i] + k];
    }
    for (var j = 0u; j < TN; j++) {
      bv[j] = b[b_row[j] + k];
    }
    for (var i = 0u; i < TM; i++) {
      for (var j = 0u; j < TN; j++) {
        acc[i][j] = mac(acc[i][j], av[i], bv[j]);
      }
    }
  }
#endif

#endif

  let col = col0 + lid.x * TN;
  for (var i = 0u; i < TM; i++) {
    let row = row0 + lid.y * TM + i;
    if (row >= dims.m) {
      break;
    }
#if {{REQUANT}}
    if (col < dims.n) {
      var result = vec4<i32>(0);
      for (var j = 0u; j < 4u; j++) {
        let cp = channel_params[col + j];
        let folded = acc[i][j] + cp.x;
        result[j] = requantize(folded, cp, dims.output_zp, dims.act_min, dims.act_max);
      }
      c[row * (dims.n / 4u) + col / 4u] = pack_i8x4(result);
    }
#else
    for (var j = 0u; j < TN; j++) {
      if (col + j < dims.n) {
        c[row * dims.n + col + j] = acc[i][j];
      }
    }
#endif
  }
}
