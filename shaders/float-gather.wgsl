// TRANSPOSE and PAD, float32, as one gather: each output element decomposes its index over the
// output's dimensions (front-padded to rank 8), moves each coordinate back by that dimension's
// padding before, and reads the input at the sum of coordinate x stride; a coordinate outside
// the input's extent gives 0 (PAD's float value). TRANSPOSE has no padding and permuted strides.

struct Params {
  total: u32,
  unused0: u32,
  unused1: u32,
  unused2: u32,
  out_dims: array<vec4<u32>, 2>,
  in_strides: array<vec4<u32>, 2>,
  before: array<vec4<u32>, 2>,
  in_dims: array<vec4<u32>, 2>,
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
  var rest = index;
  var offset = 0u;
  var inside = true;
  for (var d = 7; d >= 0; d--) {
    let dim = dim_at(params.out_dims, u32(d));
    let coord = i32(rest % dim) - i32(dim_at(params.before, u32(d)));
    rest = rest / dim;
    inside = inside && coord >= 0 && coord < i32(dim_at(params.in_dims, u32(d)));
    offset += u32(max(coord, 0)) * dim_at(params.in_strides, u32(d));
  }
  var value = 0.0;
  if (inside) {
    value = input[offset];
  }
  output[index] = value;
}
