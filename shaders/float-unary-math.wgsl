// Unary activations and math, float32, one element per invocation (src/kernels/float/unary.ts);
// {{FUNCTION}} is the op's WGSL from src/ops/unary.ts, INT32 runs it on int32 tensors (ABS, NEG).
// WGSL's builtins are a few ulp from the C library's, well inside the float path's tolerance.

struct Params {
  total: u32,
  alpha: f32,
  unused0: u32,
  unused1: u32,
};

#if {{INT32}}
@group(0) @binding(0) var<storage, read> input: array<i32>;
@group(0) @binding(1) var<storage, read_write> output: array<i32>;
#else
@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
#endif
@group(0) @binding(2) var<uniform> params: Params;

// tanh through exp: exact limits for large |x| (some drivers' tanh gives NaN beyond ~±89).
fn safe_tanh(x: f32) -> f32 {
  return tanh(clamp(x, -20.0, 20.0));
}

// erfc(x) by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), for GELU's erf form.
fn erfc_approx(x: f32) -> f32 {
  let z = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let r = poly * exp(-z * z);
  return select(2.0 - r, r, x >= 0.0);
}

// sin and cos to a few ulp, where WGSL's builtins promise only 2^-11 absolute inside [−π, π]
// (SwiftShader's are 2e-4 off at |x| ≈ 6): Cephes' sinf and cosf, the argument reduced by π/4 in
// three parts (accurate for |x| below about 8192), then their minimax polynomials on [−π/4, π/4].
fn sin_poly(r: f32, z: f32) -> f32 {
  return ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
}

fn cos_poly(z: f32) -> f32 {
  return ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z - 0.5 * z + 1.0;
}

// The octant of |x| (0..3, odd ones rounded up as Cephes does), the reduced argument, and the
// sign flip of the half turn.
fn reduce_octant(ax: f32) -> vec3<f32> {
  var j = u32(ax * 1.27323954473516);
  var y = f32(j);
  if ((j & 1u) == 1u) {
    j = j + 1u;
    y = y + 1.0;
  }
  j = j & 7u;
  var flip = 1.0;
  if (j > 3u) {
    j = j - 4u;
    flip = -1.0;
  }
  let r = ((ax - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
  return vec3<f32>(f32(j), r, flip);
}

fn precise_sin(x: f32) -> f32 {
  let o = reduce_octant(abs(x));
  let j = u32(o.x);
  let z = o.y * o.y;
  let v = select(sin_poly(o.y, z), cos_poly(z), j == 1u || j == 2u);
  return select(1.0, -1.0, x < 0.0) * o.z * v;
}

fn precise_cos(x: f32) -> f32 {
  let o = reduce_octant(abs(x));
  let j = u32(o.x);
  let z = o.y * o.y;
  let v = select(cos_poly(z), sin_poly(o.y, z), j == 1u || j == 2u);
  return select(1.0, -1.0, j > 1u) * o.z * v;
}

// The op's function (src/ops/unary.ts), spliced in as an expression of x.
#if {{INT32}}
fn apply(x: i32) -> i32 {
  return {{FUNCTION}};
}
#else
fn apply(x: f32) -> f32 {
  return {{FUNCTION}};
}
#endif

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  output[index] = apply(input[index]);
}
