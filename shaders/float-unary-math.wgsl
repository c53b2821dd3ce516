// Unary activations and math, float32, one element per invocation (src/kernels/float/unary.ts);
// one switch per op name selects the function, INT32 runs ABS/NEG on int32 tensors (two's complement wraps, as C++).
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

#if {{INT32}}
fn apply(x: i32) -> i32 {
#if {{NEG}}
  return -x;
#else
  return select(x, -x, x < 0);
#endif
}
#else
fn apply(x: f32) -> f32 {
#if {{HARD_SWISH}}
  return x * min(6.0, max(0.0, x + 3.0)) / 6.0;
#elif {{LEAKY_RELU}}
  return select(x * params.alpha, x, x > 0.0);
#elif {{TANH}}
  return safe_tanh(x);
#elif {{ELU}}
  return select(x, exp(x) - 1.0, x < 0.0);
#elif {{GELU_APPROX}}
  return 0.5 * x * (1.0 + safe_tanh(0.7978845608 * (x + 0.044715 * x * x * x)));
#elif {{GELU}}
  return 0.5 * x * erfc_approx(x * -0.70710678);
#elif {{RELU_N1_TO_1}}
  return clamp(x, -1.0, 1.0);
#elif {{RELU_0_TO_1}}
  return clamp(x, 0.0, 1.0);
#elif {{EXP}}
  return exp(x);
#elif {{LOG}}
  return log(x);
#elif {{SQRT}}
  return sqrt(x);
#elif {{RSQRT}}
  return inverseSqrt(x);
#elif {{ABS}}
  return abs(x);
#elif {{NEG}}
  return -x;
#else
  return x * x;
#endif
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
