// 8-bit table lookups (src/kernels/unary.ts): every 8-bit unary op, and every op whose output
// byte is a function of one input byte (a binary op with a constant operand, PRELU with constant
// slopes), is tabulated at load by the CPU reference's own function, so the result equals the
// reference by construction. One invocation per packed word: 4 bytes in, 4 out, through
// table_byte (shaders/common.wgsl, which gives the table's layout).
//
// CHANNEL_TABLES: one 256-entry table per channel (the constant varies along the innermost
// dimension), table c at entry c · 256; padding lanes of the last word are written 0. Else one
// table for every byte (table_word).

struct Params {
  total: u32,
#if {{CHANNEL_TABLES}}
  inner: u32,
  c4: u32,
#endif
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<storage, read> byte_table: array<u32>;
@group(0) @binding(3) var<uniform> params: Params;

#if {{CHANNEL_TABLES}}
// Byte `lane` of input word `x` through channel c's table, in place; 0 past the channels.
fn channel_byte(x: u32, lane: u32, c: u32) -> u32 {
  let b = (x >> (8u * lane)) & 0xFFu;
  return select(0u, table_byte(min(c, params.inner - 1u) * 256u + b) << (8u * lane), c < params.inner);
}
#endif

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
#if {{CHANNEL_TABLES}}
  let c = (index % params.c4) * 4u;
  let x = input[index];
  output[index] = channel_byte(x, 0u, c) | channel_byte(x, 1u, c + 1u) | channel_byte(x, 2u, c + 2u) | channel_byte(x, 3u, c + 3u);
#else
  output[index] = table_word(input[index]);
#endif
}
