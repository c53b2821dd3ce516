// One input of CONCATENATION, float32 or int32 (words copied as bits): the input is [outer][inner] around the axis, and row o
// lands at output offset o * out_inner + axis_offset. One dispatch per input.

struct Params {
  total: u32,
  inner: u32,
  out_inner: u32,
  axis_offset: u32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let o = index / params.inner;
  let j = index % params.inner;
  output[o * params.out_inner + params.axis_offset + j] = input[index];
}
