// L2_NORMALIZATION ({{L2}}) and LOG_SOFTMAX over the last dimension, float32, one row per
// invocation. L2: x / max(sqrt(Σx²), 1e-6) (TFLite's fixed epsilon). LOG_SOFTMAX:
// x − max − log Σ exp(x − max), the maximum keeping exp from overflowing.

struct Params {
  rows: u32,
  depth: u32,
  unused0: u32,
  unused1: u32,
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
#if {{L2}}
  var squares = 0.0;
  for (var c = 0u; c < params.depth; c++) {
    let v = input[base + c];
    squares += v * v;
  }
  let norm = max(sqrt(squares), 1e-6);
  for (var c = 0u; c < params.depth; c++) {
    output[base + c] = input[base + c] / norm;
  }
#else
  var max_value = input[base];
  for (var c = 1u; c < params.depth; c++) {
    max_value = max(max_value, input[base + c]);
  }
  var sum = 0.0;
  for (var c = 0u; c < params.depth; c++) {
    sum += exp(input[base + c] - max_value);
  }
  let log_sum = log(sum);
  for (var c = 0u; c < params.depth; c++) {
    output[base + c] = input[base + c] - max_value - log_sum;
  }
#endif
}
