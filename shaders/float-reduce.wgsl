// SUM, REDUCE_PROD, REDUCE_MAX and REDUCE_MIN over any set of axes, float32, one output element
// per invocation; the indexing is shaders/float-mean.wgsl's (kept and reduced dimensions, each
// front-padded to rank 8). Reduced elements are visited in the input's row-major order.

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
#if {{SUM}}
  var acc = 0.0;
#elif {{PROD}}
  var acc = 1.0;
#elif {{MAX}}
  var acc = input[base];
#else
  var acc = input[base];
#endif
  for (var r = 0u; r < params.reduced_count; r++) {
    var counter = r;
    var offset = base;
    for (var d = 7; d >= 0; d--) {
      let dim = dim_at(params.reduced_dims, u32(d));
      offset += (counter % dim) * dim_at(params.reduced_strides, u32(d));
      counter = counter / dim;
    }
#if {{SUM}}
    acc += input[offset];
#elif {{PROD}}
    acc *= input[offset];
#elif {{MAX}}
    acc = max(acc, input[offset]);
#else
    acc = min(acc, input[offset]);
#endif
  }
  output[index] = acc;
}
