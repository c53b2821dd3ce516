// General 8-bit gather: every output element takes the input element an affine index map names,
// or a fill value where the map falls outside the input. It serves TRANSPOSE, PAD, RESHAPE and
// SQUEEZE (when the innermost dimension changes) and CONCATENATION (one dispatch per input).
//
// Map: the output coordinate c[d] (d over the output's rank) reads input element
//   sum_d (c[d] - pad_before[d]) * in_stride[d]   when 0 <= c[d] - pad_before[d] < in_dim[d] for all d.
// Input elements are logical row-major indices; the packed layout (innermost dimension padded to
// a multiple of 4, 4 bytes a word) is resolved when reading.
//
// One invocation per output word. {{WORD_COPY}}: the innermost dimension maps onto itself word
// for word (stride 1, an offset of whole words, no input word cut by the output's end), so a whole
// word moves at once, its source found once rather than once a byte. {{KEEP}}: outside the input, the
// output keeps what it holds (CONCATENATION: the other inputs' dispatches fill those elements);
// otherwise it takes the fill byte (PAD: the zero point). {{RESCALE}}: each value is requantized
// in float32 as TFLite's ConcatenationWithScaling does. {{SLAB}}: one invocation per input word
// instead, copied into its place in the output (a CONCATENATION input that is a contiguous run of
// words per output chunk, src/kernels/relayout.ts concatSlab). {{FLIP}}: one side holds uint8 values as
// plain bytes (a caller's GPUBuffer), the other in the int8 domain.

struct Params {
  rank: u32,
  in_inner: u32,
  in_c4: u32,
  out_inner: u32,
  out_c4: u32,
  total: u32,
  fill_byte: u32,
  // The uint8 input's offset (128) that undoes the int8 domain before rescaling, else 0.
  in_offset: i32,
  rescale_scale: f32,
  rescale_bias: f32,
  rescale_zp: i32,
  // {{SLAB}}: input word i goes to output word (i / chunk_in) * chunk_out + slab_offset + i % chunk_in.
  chunk_in: u32,
  chunk_out: u32,
  slab_offset: u32,
  _pad: u32,
  // Per output dimension: (out_dim, in_dim, pad_before, in_stride).
  dims: array<vec4<i32>, {{MAX_RANK}}>,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;

// The input element that output element (outer row `out_outer`, innermost index `j`) reads, or
// -1 outside the input.
fn source_element(out_outer: u32, j: u32) -> i32 {
  let last = params.rank - 1u;
  let dl = params.dims[last];
  let cl = i32(j) - dl.z;
  if (cl < 0 || cl >= dl.y) {
    return -1;
  }
  var index = cl * dl.w;
  var rest = out_outer;
  for (var d = i32(last) - 1; d >= 0; d--) {
    let dim = params.dims[d];
    let c = i32(rest % u32(dim.x)) - dim.z;
    rest = rest / u32(dim.x);
    if (c < 0 || c >= dim.y) {
      return -1;
    }
    index += c * dim.w;
  }
  return index;
}

fn input_byte(element: u32) -> i32 {
  let outer = element / params.in_inner;
  let j = element % params.in_inner;
  let word = input[outer * params.in_c4 + j / 4u];
  return bitcast<i32>(word << (24u - 8u * (j % 4u))) >> 24u;
}

// round(x) half away from zero, as std::round: WGSL's round() ties to even, and floor(x + 0.5)
// rounds wrongly just below one half. x - trunc(x) is exact.
fn round_half_away(x: f32) -> f32 {
  let t = trunc(x);
  return t + select(0.0, sign(x), abs(x - t) >= 0.5);
}

fn convert(v: i32) -> i32 {
#if {{RESCALE}}
  let real = f32(v + params.in_offset) * params.rescale_scale + params.rescale_bias;
  // Clamped in float first: the range check then needs no int conversion of huge values.
  let q = i32(clamp(round_half_away(real), -1024.0, 1024.0)) + params.rescale_zp;
  return clamp(q - params.in_offset, -128, 127);
#else
#if {{FLIP}}
  // A plain uint8 byte u and its int8-domain value u - 128 differ in the top bit: one xor either way.
  return v ^ -128;
#else
  return v;
#endif
#endif
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
#if {{SLAB}}
  let at = (index / params.chunk_in) * params.chunk_out + params.slab_offset + index % params.chunk_in;
#if {{RESCALE}}
  let v = unpack_i8x4(input[index]);
  output[at] = pack_i8x4(vec4<i32>(convert(v.x), convert(v.y), convert(v.z), convert(v.w)));
#else
  output[at] = input[index];
#endif
#else
  let out_outer = index / params.out_c4;
  let jw = index % params.out_c4;
#if {{WORD_COPY}}
  let e = source_element(out_outer, jw * 4u);
  if (e < 0) {
#if {{KEEP}}
    return;
#else
    output[index] = params.fill_byte * 0x01010101u;
    return;
#endif
  }
  let in_word = (u32(e) / params.in_inner) * params.in_c4 + (u32(e) % params.in_inner) / 4u;
#if {{RESCALE}}
  let v = unpack_i8x4(input[in_word]);
  output[index] = pack_i8x4(vec4<i32>(convert(v.x), convert(v.y), convert(v.z), convert(v.w)));
#else
  output[index] = input[in_word];
#endif
#else
#if {{KEEP}}
  var word = output[index];
#else
  var word = 0u;
#endif
  for (var b = 0u; b < 4u; b++) {
    let j = jw * 4u + b;
    if (j >= params.out_inner) {
      break;
    }
    let e = source_element(out_outer, j);
    var byte = params.fill_byte;
    if (e >= 0) {
      byte = bitcast<u32>(convert(input_byte(u32(e)))) & 0xFFu;
    } else if ({{KEEP}}) {
      byte = (word >> (8u * b)) & 0xFFu;
    }
    word = (word & ~(0xFFu << (8u * b))) | (byte << (8u * b));
  }
  output[index] = word;
#endif
#endif
}
