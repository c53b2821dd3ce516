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
