// Unary 8-bit ops as one table lookup (src/kernels/unary.ts): every 8-bit unary op is a function
// of 256 input values, tabulated at load by the CPU reference's per-element function, so the
// result equals the reference by construction. One invocation per packed word: 4 bytes in, 4 out.
// Table entry b (b = stored input byte, int8 domain) is the stored output byte; the 256 bytes are
// packed 4 to a u32, 4 u32 to a vec4 (a uniform array's element stride is 16 bytes).

struct Params {
  total: u32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> table: array<vec4<u32>, 16>;
@group(0) @binding(3) var<uniform> params: Params;

fn lookup(b: u32) -> u32 {
  let word = table[b >> 4u][(b >> 2u) & 3u];
  return (word >> (8u * (b & 3u))) & 0xFFu;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
  let w = input[index];
  output[index] = lookup(w & 0xFFu) | (lookup((w >> 8u) & 0xFFu) << 8u) | (lookup((w >> 16u) & 0xFFu) << 16u) | (lookup(w >> 24u) << 24u);
}
