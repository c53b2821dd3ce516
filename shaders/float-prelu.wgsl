// PRELU, float32: x >= 0 ? x : x * alpha, alpha broadcast to the input's shape. Shapes are
// front-padded to rank 8; a broadcast dimension of alpha has stride 0 (src/kernels/float/unary.ts).

struct Params {
  total: u32,
  unused0: u32,
  unused1: u32,
  unused2: u32,
  out_dims: array<vec4<u32>, 2>,
  alpha_strides: array<vec4<u32>, 2>,
};

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read> alpha: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  var rest = index;
  var alpha_index = 0u;
  for (var d = 7; d >= 0; d--) {
    let dim = dim_at(params.out_dims, u32(d));
    alpha_index += (rest % dim) * dim_at(params.alpha_strides, u32(d));
    rest = rest / dim;
  }
  let x = input[index];
  output[index] = select(x * alpha[alpha_index], x, x >= 0.0);
}
