// ADD and MUL, float32, with numpy-style broadcasting and a fused activation clamp. Shapes are
// aligned at the trailing dimension and front-padded to rank 8; a broadcast dimension has
// stride 0 in its input. Without broadcasting ({{BROADCAST}} off) both inputs are read at the
// output's index.

struct Params {
  total: u32,
  act_min: f32,
  act_max: f32,
  unused: u32,
  out_dims: array<vec4<u32>, 2>,
  a_strides: array<vec4<u32>, 2>,
  b_strides: array<vec4<u32>, 2>,
};

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

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
#if {{MUL}}
  let v = a[a_index] * b[b_index];
#else
  let v = a[a_index] + b[b_index];
#endif
  output[index] = clamp(v, params.act_min, params.act_max);
}
