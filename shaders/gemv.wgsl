// FULLY_CONNECTED with one row, and CONV_2D with one output pixel whose window is the whole input
// (the same product: the input's words, in the weights' [k_h][k_w][in_c / 4] order), int8: a
// split-K GEMV. The micro-tile kernel (shaders/conv2d.wgsl) gives one row a handful of
// invocations that each walk all of K; here each workgroup owns {{WORDS}} output channel words and
// {{SPLIT}} invocations split each word's K (invocation s takes words s, s + {{SPLIT}}, ..., so
// neighbours read neighbouring weight vec4s), then add their partial sums in a workgroup-memory
// tree and one invocation a word requantizes it (shaders/conv-epilogue.wgsl, as the micro-tile
// does).
//
// Exactness: the partial sums are integers, and integer addition in any order gives the same
// total. In i32 (dot4, i32 arithmetic) that is wrapping addition mod 2^32, associative, and the
// load-time bound (assertAccumulatorFits) keeps the total itself in range. In f32 arithmetic every
// partial sum, and every sum of partial sums the tree forms, is a sum over a subset of the
// channel's products, so its magnitude is at most 128 · Σ|w − zw| (productBounds), the same bound
// f32ProductsExact requires below 2^24 for the serial sum: every intermediate is an integer f32
// holds exactly, and adding the bias in f32 (F32_EPILOGUE) holds under the same bound with it.
//
// Weights are the micro-tile's: [out_c / 4][k_words] vec4s (or f32 4×4 matrices of w − zw), and
// so is the legacy uint8 weight-zero-point term: −zw · Σx from dot4(x, 0x01010101) over the real
// channels of each pixel's last word (ROW_SUMS), reduced beside the sums.

struct Params {
  // Input words of the row: k_h · k_w · in_c4.
  k_words: u32,
  in_c4: u32,
  out_c4: u32,
  last_word_mask: u32,
  output_zp: i32,
  act_min: i32,
  act_max: i32,
  weight_zp: i32,
  // The output's one pixel starts at word out_offset: 0, or its channel offset in the
  // concatenation it is written into (src/passes/place-concat.ts).
  out_offset: u32,
};

@group(0) @binding(0) var<storage, read> input: array<u32>;
#if {{F32}}
@group(0) @binding(1) var<storage, read> weights: array<mat4x4<f32>>;
alias Acc = vec4<f32>;
#else
@group(0) @binding(1) var<storage, read> weights: array<vec4<u32>>;
alias Acc = vec4<i32>;
#endif
@group(0) @binding(2) var<storage, read> channel_params: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> output: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

// [word of the workgroup][split]: the invocation's own slot is lid.
var<workgroup> partial: array<Acc, {{WORKGROUP}}>;
#if {{ROW_SUMS}}
var<workgroup> partial_sum: array<i32, {{WORKGROUP}}>;
#endif

@compute @workgroup_size({{WORKGROUP}})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let s = lid % {{SPLIT}}u;
  let ocw = (wid.y * nwg.x + wid.x) * {{WORDS}}u + lid / {{SPLIT}}u;
  // Words past out_c4 (the last workgroup's, the 2-D grid's extra workgroups) sum the last real
  // word's weights and are not written: every invocation reaches every barrier.
  let base = min(ocw, params.out_c4 - 1u) * params.k_words;
  var acc = Acc(0);
#if {{ROW_SUMS}}
  var sum = 0;
#endif
  for (var j = s; j < params.k_words; j += {{SPLIT}}u) {
#if {{F32}}
    acc += weights[base + j] * vec4<f32>(unpack_i8x4(input[j]));
#elif {{I32}}
    let x = unpack_i8x4(input[j]);
    let w = weights[base + j];
    acc += vec4<i32>(dot(x, unpack_i8x4(w.x)), dot(x, unpack_i8x4(w.y)), dot(x, unpack_i8x4(w.z)), dot(x, unpack_i8x4(w.w)));
#else
    let x = input[j];
    let w = weights[base + j];
    acc += vec4<i32>(dot4(x, w.x), dot4(x, w.y), dot4(x, w.z), dot4(x, w.w));
#endif
#if {{ROW_SUMS}}
    // A pixel's last word holds padding channels (an activation's carry the zero point): masked.
    sum += dot4(input[j], select(0x01010101u, params.last_word_mask, j % params.in_c4 == params.in_c4 - 1u));
#endif
  }

  partial[lid] = acc;
#if {{ROW_SUMS}}
  partial_sum[lid] = sum;
#endif
  workgroupBarrier();
  for (var stride = {{SPLIT}}u / 2u; stride > 0u; stride >>= 1u) {
    if (s < stride) {
      partial[lid] += partial[lid + stride];
#if {{ROW_SUMS}}
      partial_sum[lid] += partial_sum[lid + stride];
#endif
    }
    workgroupBarrier();
  }

  if (s == 0u && ocw < params.out_c4) {
#if {{ROW_SUMS}}
    let input_sum = partial_sum[lid];
#else
    let input_sum = 0;
#endif
#if {{CONVERT_SUMS}}
    // f32 sums without the f32 epilogue: integers below 2^24, so converted exactly.
    let total = vec4<i32>(partial[lid]);
#else
    let total = partial[lid];
#endif
    output[params.out_offset + ocw] = requantize_word(total, word_params(ocw), input_sum);
  }
}
