// Data movement (src/kernels/move.ts): every output element takes the input element an index map
// names, or a fill value where the map leaves the input. It generalizes relayout.wgsl's gather
// with signed steps and offsets (slices, reverses), modulo dimensions (TILE), split coordinates
// (BATCH_TO_SPACE_ND) and coordinates looked up in an index tensor (GATHER, GATHER_ND).
//
// Map. The output's logical row-major index is decomposed over a view of `out_rank` dims (any
// factorization of the output's element order). Output coordinate c of view dim d, moved by
// `offset`, adds to input coordinates:
//   divisor == 0:  coord[target_a] += (c + offset) * coef_a
//   divisor  > 0:  coord[target_a] += ((c + offset) / divisor) * coef_a,
//                  coord[target_b] += ((c + offset) % divisor) * coef_b
// and c * index_stride to the position in the index tensor. Input view dim k starts at its
// offset; then, if indexed, adds indices[position + index_offset] (an index outside the dim
// gives the fill: TFLite returns an error there, and nothing is read out of bounds); if modulo,
// wraps into [0, size). A coordinate outside [0, size) gives the fill ({{KEEP}}: the output keeps
// its value, so several dispatches can each write their part, as PACK does). The input element
// is sum_k coord[k] * stride[k], a logical row-major index.
//
// {{ELEM32}}: 32-bit elements (float32, int32), one invocation per element. Otherwise 8-bit
// packed 4 to a word along the innermost dimension (padded to a multiple of 4), one invocation
// per output word; the fill is a byte.

// {{SLAB}}: an 8-bit slice that is one contiguous run of input words per chunk of the output
// (src/kernels/move.ts sliceSlab: a channel slice at a word offset, or a slice of an outer axis):
// output word w is input word (w / chunk_out) · chunk_in + offset + w % chunk_out, one load and
// one store, no index map.
#if {{SLAB}}

struct Params {
  total: u32,
  chunk_in: u32,
  chunk_out: u32,
  offset: u32,
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
  output[index] = input[(index / params.chunk_out) * params.chunk_in + params.offset + index % params.chunk_out];
}

#else

struct Params {
  total: u32,
  out_rank: u32,
  in_rank: u32,
  fill: u32,
  out_inner: u32,
  out_c4: u32,
  in_inner: u32,
  in_c4: u32,
  index_count: u32,
  _pad0: u32,
  _pad1: u32,
  _pad2: u32,
  // Per output view dim: (size, target_a, coef_a, index_stride), then (offset, divisor, target_b, coef_b).
  out_a: array<vec4<i32>, {{MAX_RANK}}>,
  out_b: array<vec4<i32>, {{MAX_RANK}}>,
  // Per input view dim: (size, offset, stride, flags): flags bit 0 modulo, bit 1 indexed, bits 2.. index offset.
  in_dims: array<vec4<i32>, {{MAX_RANK}}>,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
@group(0) @binding(1) var<storage, read_write> output: array<u32>;
@group(0) @binding(2) var<uniform> params: Params;
#if {{INDEXED}}
@group(0) @binding(3) var<storage, read> indices: array<i32>;
#endif

// The input element that output element `e` reads, or -1 for the fill.
fn source_element(e: u32) -> i32 {
  var coord: array<i32, {{MAX_RANK}}>;
  for (var k = 0u; k < params.in_rank; k++) {
    coord[k] = params.in_dims[k].y;
  }
  var position = 0;
  var rest = e;
  for (var d = i32(params.out_rank) - 1; d >= 0; d--) {
    let a = params.out_a[d];
    let b = params.out_b[d];
    let c = i32(rest % u32(a.x));
    rest = rest / u32(a.x);
    position += c * a.w;
    let v = c + b.x;
    if (b.y > 0) {
      coord[a.y] += (v / b.y) * a.z;
      coord[b.z] += (v % b.y) * b.w;
    } else {
      coord[a.y] += v * a.z;
    }
  }
  var element = 0;
  for (var k = 0u; k < params.in_rank; k++) {
    let dim = params.in_dims[k];
    var x = coord[k];
#if {{INDEXED}}
    if ((dim.w & 2) != 0) {
      let p = position + (dim.w >> 2u);
      if (p < 0 || u32(p) >= params.index_count) {
        return -1;
      }
      x += indices[p];
    }
#endif
    if ((dim.w & 1) != 0) {
      x = x % dim.x;
      if (x < 0) {
        x += dim.x;
      }
    }
    if (x < 0 || x >= dim.x) {
      return -1;
    }
    element += x * dim.z;
  }
  return element;
}

@compute @workgroup_size({{WORKGROUP_SIZE}})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let index = linear_index(gid, nwg);
  if (index >= params.total) {
    return;
  }
#if {{ELEM32}}
  let e = source_element(index);
  if (e < 0) {
#if {{KEEP}}
    return;
#else
    output[index] = params.fill;
    return;
#endif
  }
  output[index] = input[e];
#else
  let out_outer = index / params.out_c4;
  let jw = index % params.out_c4;
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
    let e = source_element(out_outer * params.out_inner + j);
    var byte = params.fill;
    if (e >= 0) {
      let ue = u32(e);
      let in_word = input[(ue / params.in_inner) * params.in_c4 + (ue % params.in_inner) / 4u];
      byte = (in_word >> (8u * ((ue % params.in_inner) % 4u))) & 0xFFu;
    } else if ({{KEEP}}) {
      byte = (word >> (8u * b)) & 0xFFu;
    }
    word = (word & ~(0xFFu << (8u * b))) | (byte << (8u * b));
  }
  output[index] = word;
#endif
}

#endif
