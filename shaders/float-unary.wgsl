// RELU, RELU6 (a clamp to [act_min, act_max]) and LOGISTIC, float32, one element per invocation.

struct Params {
  total: u32,
  act_min: f32,
  act_max: f32,
  unused: u32,
};

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let x = input[index];
#if {{LOGISTIC}}
  // exp(-x) overflows to +inf for x below about -88, and 1 / (1 + inf) is the correct limit 0.
  output[index] = 1.0 / (1.0 + exp(-x));
#else
  output[index] = clamp(x, params.act_min, params.act_max);
#endif
}
