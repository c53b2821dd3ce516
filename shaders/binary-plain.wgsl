// Binary arithmetic of two 32-bit tensors stored plainly (row-major, 4 bytes each): int32
// ({{FLOAT}} off; shape arithmetic, keypoint decoding) or float32 ({{FLOAT}} on, the float path),
// with numpy-style broadcasting up to rank 8 (TFLite stops at 6; a broadcast dimension has stride
// 0) and the fused activation as a clamp.
// int32 wraps like C++ int32 arithmetic. Division by zero, which TFLite refuses (a constant zero
// divisor is refused at load), writes 0 here rather than whatever the backend's i32 division
// gives; INT32_MIN / −1 wraps to INT32_MIN (as WGSL defines it) and INT32_MIN mod −1 is 0.
// Negative int32 exponents (also refused by TFLite) give 0.

#if {{FLOAT}}
alias T = f32;
#else
alias T = i32;
#endif

struct Params {
  total: u32,
  act_min: T,
  act_max: T,
  unused: u32,
  out_dims: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
};

@group(0) @binding(0) var<storage, read> a: array<T>;
@group(0) @binding(1) var<storage, read> b: array<T>;
@group(0) @binding(2) var<storage, read_write> output: array<T>;
@group(0) @binding(3) var<uniform> params: Params;

#if {{POW}}
#if {{FLOAT}}
// std::pow for the cases WGSL's pow (exp2(y·log2(x))) leaves undefined: x ≤ 0. Infinity and
// NaN come from a uniform (always 0) so that no constant expression has to hold them.
fn power(x: f32, y: f32) -> f32 {
  let infinity = bitcast<f32>(params.unused | 0x7f800000u);
  let nan = bitcast<f32>(params.unused | 0x7fc00000u);
  if (y == 0.0) {
    return 1.0;
  }
  let magnitude = pow(abs(x), y);
  if (x > 0.0) {
    return magnitude;
  }
  if (x == 0.0) {
    return select(infinity, 0.0, y > 0.0);
  }
  // Negative base: defined for integral exponents only, with the sign of an odd one.
  if (floor(y) != y) {
    return nan;
  }
  let odd = abs(y) < 16777216.0 && (i32(abs(y)) & 1) == 1;
  return select(magnitude, -magnitude, odd);
}
#else
// pow.cc IntegerPow: square and multiply, wrapping.
fn power(x: i32, y: i32) -> i32 {
  if (y < 0) {
    return 0;
  }
  var result = 1;
  var base = x;
  var e = u32(y);
  while (e != 0u) {
    if ((e & 1u) != 0u) {
      result = result * base;
    }
    base = base * base;
    e = e >> 1u;
  }
  return result;
}
#endif
#endif

fn combine(x: T, y: T) -> T {
#if {{ADD}}
  return clamp(x + y, params.act_min, params.act_max);
#elif {{SUB}}
  return clamp(x - y, params.act_min, params.act_max);
#elif {{MUL}}
  return clamp(x * y, params.act_min, params.act_max);
#elif {{MAXIMUM}}
  return select(y, x, x > y);
#elif {{MINIMUM}}
  return select(y, x, x < y);
#elif {{SQUARED_DIFFERENCE}}
  let d = x - y;
  return d * d;
#elif {{POW}}
  return power(x, y);
#elif {{FLOAT}}
#if {{DIV}}
  return clamp(x / y, params.act_min, params.act_max);
#elif {{FLOOR_DIV}}
  return floor(x / y);
#else
  // floor_mod.cc: fmod, then the sign fix-up. fmod's remainder x − q·y is representable; fma
  // forms it with one rounding where the backend fuses (else within an ulp of x), and a quotient
  // that rounded up onto the next integer leaves it out of range by one y, corrected here.
  var m = fma(-trunc(x / y), y, x);
  if (abs(m) >= abs(y)) {
    m = m - sign(m) * abs(y);
  }
  if (m != 0.0 && ((y < 0.0) != (m < 0.0))) {
    m = m + y;
  }
  return m;
#endif
#else
  if (y == 0) {
    return 0;
  }
#if {{DIV}}
  return clamp(x / y, params.act_min, params.act_max);
#elif {{FLOOR_DIV}}
  let q = x / y;
  let r = x - q * y;
  return select(q, q - 1, r != 0 && ((r < 0) != (y < 0)));
#else
  let r = x % y;
  return select(r, r + y, r != 0 && ((r < 0) != (y < 0)));
#endif
#endif
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
#if {{BROADCAST}}
  var rest = index;
  var a_index = 0u;
  var b_index = 0u;
  for (var d = 7; d >= 0; d--) {
    let dim = dim_at(params.out_dims, u32(d));
    let coord = rest % dim;
    rest = rest / dim;
    a_index += coord * dim_at(params.a_strides, u32(d));
    b_index += coord * dim_at(params.b_strides, u32(d));
  }
#else
  let a_index = index;
  let b_index = index;
#endif
  output[index] = combine(a[a_index], b[b_index]);
}
