// BATCH_MATMUL, float32, row-major and unpadded: one invocation per output element,
// out[b][i][j] = Σ_k lhs[b][i][k] · rhs[b][k][j], reading each operand through its own strides
// (adj_x / adj_y swap an operand's row and column strides) and broadcast batch strides.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  total: u32,
  batch_dims: vec4<u32>,
  lhs_strides: vec4<u32>,
  rhs_strides: vec4<u32>,
  // Element strides of (row i, reduced k) in the LHS and (reduced k, column j) in the RHS.
  lhs_i: u32,
  lhs_k: u32,
  rhs_k: u32,
  rhs_j: u32,
  lhs_matrix: u32,
  rhs_matrix: u32,
};

@group(0) @binding(0) var<storage, read> lhs: array<f32>;
@group(0) @binding(1) var<storage, read> rhs: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

fn operand_matrix(b: u32, strides: vec4<u32>) -> u32 {
  let d2 = b % params.batch_dims.z;
  let r = b / params.batch_dims.z;
  let d1 = r % params.batch_dims.y;
  let d0 = r / params.batch_dims.y;
  return d0 * strides.x + d1 * strides.y + d2 * strides.z;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let j = index % params.n;
  var rest = index / params.n;
  let i = rest % params.m;
  let b = rest / params.m;
  let l0 = operand_matrix(b, params.lhs_strides) * params.lhs_matrix + i * params.lhs_i;
  let r0 = operand_matrix(b, params.rhs_strides) * params.rhs_matrix + j * params.rhs_j;
  var acc = 0.0;
  for (var k = 0u; k < params.k; k++) {
    acc += lhs[l0 + k * params.lhs_k] * rhs[r0 + k * params.rhs_k];
  }
  output[index] = acc;
}
