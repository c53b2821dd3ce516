// SUM ({{SUM}}), REDUCE_MAX ({{MAX}}), REDUCE_MIN ({{MIN}}) and REDUCE_PROD ({{PROD}}) of an 8-bit
// tensor (rank <= 4, padded to 4 at the front) over any set of axes; the indexing is
// shaders/mean.wgsl's: one invocation writes one output word, an output element's coordinates come
// from kept_shape and its reduced coordinates, in the input's row-major order, from reduced_shape.
// When the innermost dimension is kept ({{WORDWISE}}, not PROD) an output word reduces whole
// input words; otherwise each lane reduces its own bytes. Values are in the int8 domain (uint8
// minus 128), which keeps their order, so MAX and MIN need no conversion.
//
// SUM: the accumulator is the int8-domain sum S'. TFLite casts the sum (raw, with equal params) or its
// float32 rescaling (src/quant/reduce.ts sumRule, non-decreasing in the sum) to the element type,
// wrapping modulo 256. The rescaled value is level_offset plus the number of host-computed
// thresholds <= S' (the float math happens on the host, exactly); the raw one is S' itself plus
// level_offset; either way the output byte is that value wrapped into [-128, 127].
//
// PROD (int8 only): TFLite's reduce.h product, every step rescaled by the 64-bit
// MultiplyByQuantizedMultiplier (a 16-bit multiplier, a rounding 64-bit shift by total_shift in
// [8, 46]), built here from 32-bit words.

struct Params {
  kept_shape: vec4<u32>,
  reduced_shape: vec4<u32>,
  in_strides: vec4<u32>,
  out_inner: u32,
  out_c4: u32,
  total: u32,
  count: u32,
  level_offset: i32,
  levels: u32,
  zp_in: i32,
  zp_out: i32,
  reduced_multiplier: u32,
  total_shift: u32,
  round_lo: u32,
  round_hi: u32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;
#if {{THRESHOLDS}}
// SUM rescaled: the non-decreasing thresholds.
@group(0) @binding(3) var<storage, read> thresholds: array<i32>;
#endif

fn coordinates(flat: u32, shape: vec4<u32>) -> vec4<u32> {
  var rest = flat;
  var c: vec4<u32>;
  c.w = rest % shape.w;
  rest = rest / shape.w;
  c.z = rest % shape.z;
  rest = rest / shape.z;
  c.y = rest % shape.y;
  c.x = rest / shape.y;
  return c;
}

fn byte_at(byte: u32) -> i32 {
  return bitcast<i32>(input[byte / 4u] << (24u - 8u * (byte % 4u))) >> 24u;
}

#if {{SUM}}
fn finish(sum: i32) -> i32 {
#if {{THRESHOLDS}}
  // The number of thresholds <= sum: the first index whose threshold exceeds it.
  var lo = 0u;
  var hi = params.levels;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    if (thresholds[mid] <= sum) {
      lo = mid + 1u;
    } else {
      hi = mid;
    }
  }
  let level = i32(lo);
#else
  let level = sum;
#endif
  return ((level + params.level_offset + 128) & 255) - 128;
}
#endif

#if {{PROD}}
// The signed 64-bit product of two i32 as (lo, hi).
fn mul_i64(a: i32, b: i32) -> vec2<u32> {
  var p = umul64(bitcast<u32>(a), bitcast<u32>(b));
  p.y = p.y - select(0u, bitcast<u32>(b), a < 0) - select(0u, bitcast<u32>(a), b < 0);
  return p;
}

// reduce.h's MultiplyByQuantizedMultiplier(int64 x, ...): (x * m16 + 2^(total_shift - 1)) >> total_shift, low 32 bits.
fn rescale64(x: vec2<u32>) -> i32 {
  let m = params.reduced_multiplier;
  let low = umul64(x.x, m);
  var y = vec2<u32>(low.x, low.y + x.y * m);
  y = add64(y, vec2<u32>(params.round_lo, params.round_hi));
  let s = params.total_shift;
  if (s >= 32u) {
    return bitcast<i32>(y.y) >> (s - 32u);
  }
  return bitcast<i32>((y.x >> s) | (y.y << (32u - s)));
}

fn sign_extend(v: i32) -> vec2<u32> {
  return vec2<u32>(bitcast<u32>(v), select(0u, 0xFFFFFFFFu, v < 0));
}
#endif

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let row = index / params.out_c4;
  let c0 = (index % params.out_c4) * 4u;
#if {{WORDWISE}}
  // Lane 0's byte offset is a multiple of 4: its innermost coordinate is c0 and every outer
  // stride is a whole number of words.
  let kept = coordinates(row * params.out_inner + c0, params.kept_shape);
#if {{SUM}}
  var acc = vec4<i32>(0);
#elif {{MAX}}
  var acc = vec4<i32>(-128);
#else
  var acc = vec4<i32>(127);
#endif
  for (var r = 0u; r < params.count; r++) {
    let byte = dot(kept + coordinates(r, params.reduced_shape), params.in_strides);
    let v = unpack_i8x4(input[byte / 4u]);
#if {{SUM}}
    acc += v;
#elif {{MAX}}
    acc = max(acc, v);
#else
    acc = min(acc, v);
#endif
  }
#if {{SUM}}
  var result = vec4<i32>(0);
  // A loop, not four inlined calls: SwiftShader compiles the finish once, much faster.
  for (var j = 0u; j < 4u; j++) {
    result[j] = finish(acc[j]);
  }
#else
  let result = acc;
#endif
#else
  var result = vec4<i32>(0);
  for (var j = 0u; j < 4u; j++) {
    let c = c0 + j;
    if (c < params.out_inner) {
      let kept = coordinates(row * params.out_inner + c, params.kept_shape);
#if {{PROD}}
      var prod = 0;
      for (var r = 0u; r < params.count; r++) {
        let d = byte_at(dot(kept + coordinates(r, params.reduced_shape), params.in_strides)) - params.zp_in;
        if (r == 0u) {
          prod = d;
        } else {
          prod = rescale64(mul_i64(prod, d));
        }
      }
      result[j] = clamp(rescale64(sign_extend(prod)) + params.zp_out, -128, 127);
#else
#if {{SUM}}
      var acc = 0;
#elif {{MAX}}
      var acc = -128;
#else
      var acc = 127;
#endif
      for (var r = 0u; r < params.count; r++) {
        let v = byte_at(dot(kept + coordinates(r, params.reduced_shape), params.in_strides));
#if {{SUM}}
        acc += v;
#elif {{MAX}}
        acc = max(acc, v);
#else
        acc = min(acc, v);
#endif
      }
#if {{SUM}}
      result[j] = finish(acc);
#else
      result[j] = acc;
#endif
#endif
    }
  }
#endif
  output[index] = pack_i8x4(result);
}
