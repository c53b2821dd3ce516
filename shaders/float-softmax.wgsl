// SOFTMAX over the last dimension, float32: exp(beta (x - max)) / sum, one row per invocation.
// Subtracting the row maximum keeps exp from overflowing. Rows are few in the models Octet runs
// (one per classification); a workgroup-wide reduction per row is a later optimization.

struct Params {
  rows: u32,
  depth: u32,
  beta: f32,
  unused: u32,
};

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = linear_index(gid, nwg);
  if (row >= params.rows) {
    return;
  }
  let base = row * params.depth;
  var max_value = input[base];
  for (var c = 1u; c < params.depth; c++) {
    max_value = max(max_value, input[base + c]);
  }
  var sum = 0.0;
  for (var c = 0u; c < params.depth; c++) {
    let e = exp((input[base + c] - max_value) * params.beta);
    output[base + c] = e;
    sum += e;
  }
  let inverse = 1.0 / sum;
  for (var c = 0u; c < params.depth; c++) {
    output[base + c] = output[base + c] * inverse;
  }
}
