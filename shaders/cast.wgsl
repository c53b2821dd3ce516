// CAST (src/kernels/resize.ts): static_cast between int8, uint8, int32, int64, float32 and bool,
// quantization ignored, with the CPU reference's rules (src/reference/ops/resize.ts castValue):
// integers wrap to the target's width, float → integer truncates toward 0, NaN → 0, saturates to
// int32 ([0, 2^32 − 1] for uint8) before wrapping (int64: to int64), x ≠ 0 → bool.
// Integer sources are read as a 64-bit pair (lo, hi) so every integer target is a word choice.
// Storage: 8-bit packed (uint8 as u − 128), int64 two words, bool and 32-bit one word. One
// invocation per output word: 4 lanes of a packed 8-bit output, else one element.

struct Params {
  total: u32,
  in_depth: u32,
  in_depth4: u32,
  out_depth: u32,
  out_depth4: u32,
  pad0: u32,
  pad1: u32,
  pad2: u32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

fn sign_extend(v: i32) -> vec2<u32> {
  return vec2<u32>(bitcast<u32>(v), select(0u, 0xFFFFFFFFu, v < 0));
}

#if {{IN_F32}}
fn load_f32(flat: u32) -> f32 {
  return bitcast<f32>(input[flat]);
}

fn to_i32(x: f32) -> i32 {
  if (x != x) {
    return 0;
  }
  if (x >= 2147483648.0) {
    return 2147483647;
  }
  if (x <= -2147483648.0) {
    return i32(-2147483647) - 1;
  }
  return i32(trunc(x));
}

fn to_u32(x: f32) -> u32 {
  if (x != x || x <= 0.0) {
    return 0u;
  }
  if (x >= 4294967296.0) {
    return 0xFFFFFFFFu;
  }
  return u32(trunc(x));
}

fn to_i64(x: f32) -> vec2<u32> {
  if (x != x) {
    return vec2<u32>(0u, 0u);
  }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) {
    return sign_extend(i32(t));
  }
  if (t >= 9223372036854775808.0) {
    return vec2<u32>(0xFFFFFFFFu, 0x7FFFFFFFu);
  }
  if (t <= -9223372036854775808.0) {
    return vec2<u32>(0u, 0x80000000u);
  }
  // |t| ≥ 2^31 holds at most 24 significant bits: the split is exact in f32.
  let hi = floor(t / 4294967296.0);
  let lo = t - hi * 4294967296.0;
  return vec2<u32>(u32(lo), bitcast<u32>(i32(hi)));
}
#else
fn load_int(flat: u32) -> vec2<u32> {
#if {{IN_8}}
  let row = flat / params.in_depth;
  let col = flat % params.in_depth;
  let w = input[row * params.in_depth4 + col / 4u];
  var v = bitcast<i32>(w << (24u - 8u * (col % 4u))) >> 24u;
#if {{IN_U8}}
  v = v + 128;
#endif
  return sign_extend(v);
#elif {{IN_I64}}
  return vec2<u32>(input[2u * flat], input[2u * flat + 1u]);
#else
  return sign_extend(bitcast<i32>(input[flat]));
#endif
}
#endif

// The converted element as the low word (8-bit targets: their raw byte; uint8 not yet flipped),
// and the high word for int64 targets.
fn convert(flat: u32) -> vec2<u32> {
#if {{IN_F32}}
  let x = load_f32(flat);
#if {{OUT_BOOL}}
  return vec2<u32>(select(0u, 1u, x != 0.0), 0u);
#elif {{OUT_U8}}
  return vec2<u32>(to_u32(x) & 0xFFu, 0u);
#elif {{OUT_I64}}
  return to_i64(x);
#else
  return vec2<u32>(bitcast<u32>(to_i32(x)), 0u);
#endif
#else
  let v = load_int(flat);
#if {{OUT_BOOL}}
  return vec2<u32>(select(0u, 1u, (v.x | v.y) != 0u), 0u);
#elif {{OUT_F32}}
  let lo = bitcast<i32>(v.x);
  if (v.y == select(0u, 0xFFFFFFFFu, lo < 0)) {
    return vec2<u32>(bitcast<u32>(i32_to_f32_rne(lo)), 0u);
  }
  // Beyond int32 (int64 values only the GPU holds): nearest-ish, not correctly rounded.
  return vec2<u32>(bitcast<u32>(f32(bitcast<i32>(v.y)) * 4294967296.0 + f32(v.x)), 0u);
#else
  return v;
#endif
#endif
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
#if {{OUT_8}}
  let row = index / params.out_depth4;
  let c4 = index % params.out_depth4;
  var word = 0u;
  for (var lane = 0u; lane < 4u; lane++) {
    let col = c4 * 4u + lane;
    if (col < params.out_depth) {
      var byte = convert(row * params.out_depth + col).x & 0xFFu;
#if {{OUT_U8}}
      byte = byte ^ 0x80u;
#endif
      word = word | (byte << (8u * lane));
    }
  }
  output[index] = word;
#elif {{OUT_I64}}
  let v = convert(index);
  output[2u * index] = v.x;
  output[2u * index + 1u] = v.y;
#else
  output[index] = convert(index).x;
#endif
}
