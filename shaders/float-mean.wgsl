// MEAN over any set of axes, float32, one output element per invocation. The host splits the
// input's dimensions into kept and reduced ones (each front-padded to rank 8 with size 1): an
// output index is decomposed over the kept sizes into the input offset of its first element, and
// the reduced elements are visited by decomposing a counter over the reduced sizes.

struct Params {
  total: u32,
  reduced_count: u32,
  unused0: u32,
  unused1: u32,
  kept_dims: array<vec4<u32>, 2>,
  kept_strides: array<vec4<u32>, 2>,
  reduced_dims: array<vec4<u32>, 2>,
  reduced_strides: array<vec4<u32>, 2>,
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
  var base = 0u;
  for (var d = 7; d >= 0; d--) {
    let dim = dim_at(params.kept_dims, u32(d));
    base += (rest % dim) * dim_at(params.kept_strides, u32(d));
    rest = rest / dim;
  }
  var sum = 0.0;
  for (var r = 0u; r < params.reduced_count; r++) {
    var counter = r;
    var offset = base;
    for (var d = 7; d >= 0; d--) {
      let dim = dim_at(params.reduced_dims, u32(d));
      offset += (counter % dim) * dim_at(params.reduced_strides, u32(d));
      counter = counter / dim;
    }
    sum += input[offset];
  }
  output[index] = sum / f32(params.reduced_count);
}
