// CONV_2D (any kernel size, stride, dilation, padding) and FULLY_CONNECTED (a 1 x rows image), int8,
// NHWC, as an implicit GEMM staged in workgroup memory: the kernel for GPUs
// (prefersWorkgroupTiles in src/kernels/conv2d-shared.ts); software adapters take
// shaders/conv2d.wgsl, whose operands stream from storage into registers.
//
// The GEMM: C[M][N] = A[M][K] · B[K][N] with M = batch·out_h·out_w output pixels, N = out_c4
// output channel words (4 channels each), K = k_h·k_w·in_c4 input words: A's row of a pixel is its
// im2col row (tap-major, the tap's in_c4 words in storage order; an out-of-image tap reads the
// word holding the input zero point 4 times, which contributes nothing after the host folded
// -zx·Σw into the bias, as in shaders/conv2d.wgsl).
//
// A workgroup computes {{TM}} pixels × {{TN}} channel words; K is walked outermost in chunks of
// {{TK}} words. Each chunk: the workgroup's invocations load the A tile (TM × TK im2col words) and
// the B tile (TK × TN weight vec4s) into workgroup memory, barrier, each invocation accumulates its
// register micro-tile of {{MP}} pixels × {{MG}} channel words from them, barrier. Weights are
// re-laid at load (src/kernels/conv2d-shared.ts, workgroupWeights) as [channel block][K chunk][TK]
// [TN] vec4s, so that a B tile is one contiguous run of storage: its load is a straight vec4 copy,
// consecutive invocations reading consecutive 16 bytes. Chunk words past K hold zero weights and
// channel words past out_c4 zero weights, so the tiles need no bounds tests beyond A's pixels.
//
// Bank layout (workgroup memory in 32 banks of 4 bytes, as on NVIDIA, AMD and Intel GPUs):
// invocation li owns channel column gi = li % GX and pixel row pi = li / GX (GX = TN / MG); its
// micro-tile is pixels pi + m·PX (PX = TM / MP) by words gi + g·GX, interleaved rather than
// contiguous so that at each step neighbouring invocations read neighbouring words.
// - a_tile is K-major, [kk][pixel], with a row stride of TM + A_PAD words, A_PAD = 32 / TK (TK
//   dividing 32, as every candidate's does; else 1). The micro-tile reads a_tile[kk][pi + m·PX]:
//   invocations with distinct pi read consecutive words (distinct banks), those with equal pi one
//   word (a broadcast), whatever the stride. The cooperative store has consecutive invocations
//   take consecutive K words of one pixel (consecutive words of storage: coalesced), so a
//   subgroup's 32 stores are TK words kk of 32 / TK pixels p, word (kk, p) at bank
//   (kk·(TM + A_PAD) + p) mod 32 = (kk·TM + kk·A_PAD + p) mod 32. With TM a multiple of 32 and no
//   pad that is p: all TK words of a pixel on one bank (TK-way conflicts); one pad word gives
//   kk + p, which still collides across pixels ((kk, p + 1) and (kk + 1, p)); A_PAD = 32 / TK
//   gives kk·32/TK + p, p < 32/TK: 32 distinct banks. With vec4 loads (VEC_A) an invocation
//   stores words 4q + j of one pixel, one j per store: bank 4q·32/TK + j·32/TK + p over 128/TK
//   pixels p and TK/4 quads q, again 32 distinct banks.
// - b_tile is [kk][channel word], one vec4 per word: the weight words of its 4 output channels
//   for input word kk. The micro-tile reads b_tile[kk][gi + g·GX]: invocations with distinct gi
//   read consecutive vec4s (4 consecutive banks each; a 16-byte access is served 8 invocations
//   at a time, 8 × 4 = 32 distinct banks), those with equal gi one vec4 (a broadcast). The
//   store writes vec4 i of the tile from invocation i mod THREADS: consecutive, conflict-free.
//   B needs no transposition in workgroup memory because the host laid it out K-major already.
//
// Legacy uint8 models with a weight zero point (WEIGHT_ZP) also need -zw·Σx per pixel: ones_tile
// holds each chunk word's mask (0x01010101, the last channel word's real bytes, 0 past K) and
// the micro-tile adds dot4(x, mask) per pixel, as convTileCode's row sums do.

struct Params {
  in_h: u32,
  in_w: u32,
  in_c4: u32,
  out_h: u32,
  out_w: u32,
  out_c4: u32,
  k_w: u32,
  stride_h: u32,
  stride_w: u32,
  dil_h: u32,
  dil_w: u32,
  pad_top: i32,
  pad_left: i32,
  input_zp_word: u32,
  last_word_mask: u32,
  output_zp: i32,
  act_min: i32,
  act_max: i32,
  weight_zp: i32,
  // M, K, ceil(K / TK), ceil(out_c4 / TN), and the workgroup tiles ceil(M / TM) · channel_blocks.
  pixels: u32,
  k_words: u32,
  k_chunks: u32,
  channel_blocks: u32,
  tiles: u32,
};

#if {{VEC_A}}
// in_c4 a multiple of 4: a vec4 of K words never crosses a tap (chunks start at multiples of TK).
@group(0) @binding(0) var<storage, read> input: array<vec4<u32>>;
#else
@group(0) @binding(0) var<storage, read> input: array<u32>;
#endif
@group(0) @binding(1) var<storage, read> weights: array<vec4<u32>>;
// Per output channel: (bias with zero-point terms folded in, multiplier, shift, f32 scale bits).
@group(0) @binding(2) var<storage, read> channel_params: array<vec4<i32>>;
@group(0) @binding(3) var<storage, read_write> output: array<u32>;
@group(0) @binding(4) var<uniform> params: Params;

const TM = {{TM}}u;
const TN = {{TN}}u;
const TK = {{TK}}u;
const THREADS = {{THREADS}}u;
const GX = {{GX}}u;
const PX = {{PX}}u;
// K words per A load (4 with VEC_A), A loads per pixel per chunk, pixels loaded per pass of the
// workgroup's invocations, and the passes that cover TM (the last one's rows past TM load nothing).
const VA = {{VA}}u;
const TKV = TK / VA;
const A_ROWS = THREADS / TKV;
const A_PASSES = (TM + A_ROWS - 1u) / A_ROWS;
const A_STRIDE = TM + {{A_PAD}}u;

var<workgroup> a_tile: array<u32, TK * A_STRIDE>;
var<workgroup> b_tile: array<vec4<u32>, TK * TN>;
#if {{WEIGHT_ZP}}
var<workgroup> ones_tile: array<u32, TK>;
#endif

// word_params and requantize_word, the requantization epilogue: shaders/conv-epilogue.wgsl (shared
// with shaders/conv2d.wgsl).

@compute @workgroup_size({{THREADS}})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  // Uniform across the workgroup (from workgroup_id only), so returning before the barriers is allowed.
  let tile = wg.y * nwg.x + wg.x;
  if (tile >= params.tiles) {
    return;
  }
  // Neighbouring workgroups share a pixel block (its input rows stay in cache) across channel blocks.
  let nb = tile % params.channel_blocks;
  let m0 = (tile / params.channel_blocks) * TM;
  let n0 = nb * TN;
  let gi = li % GX;
  let pi = li / GX;

  // The pixels this invocation loads into a_tile, the same every chunk: their window origins once.
  // (A loop over private arrays, not one named value a pass written out: SwiftShader did not finish
  // compiling the written-out form past 4 passes.)
  let a_kq = li % TKV;
  let a_p = li / TKV;
  var a_row: array<u32, A_PASSES>;
  var a_y: array<i32, A_PASSES>;
  var a_x: array<i32, A_PASSES>;
  for (var j = 0u; j < A_PASSES; j++) {
    let m = min(m0 + a_p + j * A_ROWS, params.pixels - 1u);
    a_row[j] = m / (params.out_w * params.out_h) * params.in_h;
    a_y[j] = i32(((m / params.out_w) % params.out_h) * params.stride_h) - params.pad_top;
    a_x[j] = i32((m % params.out_w) * params.stride_w) - params.pad_left;
  }
{{DECLARE}}
  for (var c = 0u; c < params.k_chunks; c++) {
    // This invocation's K word(s) of the chunk: tap (ky, kx) and input channel word icw.
    let k = c * TK + a_kq * VA;
    let k_inside = k < params.k_words;
    let tap = k / params.in_c4;
    let icw = k - tap * params.in_c4;
    let dy = i32((tap / params.k_w) * params.dil_h);
    let dx = i32((tap % params.k_w) * params.dil_w);
    for (var j = 0u; j < A_PASSES; j++) {
      let a_pixel = a_p + j * A_ROWS;
      let iy = a_y[j] + dy;
      let ix = a_x[j] + dx;
      let inside = k_inside && iy >= 0 && iy < i32(params.in_h) && ix >= 0 && ix < i32(params.in_w);
      let at = ((a_row[j] + u32(clamp(iy, 0, i32(params.in_h) - 1))) * params.in_w + u32(clamp(ix, 0, i32(params.in_w) - 1))) * params.in_c4 + icw;
      if (a_pixel < TM) {
#if {{VEC_A}}
        let v = select(vec4<u32>(params.input_zp_word), input[at / 4u], inside);
        a_tile[(a_kq * 4u) * A_STRIDE + a_pixel] = v.x;
        a_tile[(a_kq * 4u + 1u) * A_STRIDE + a_pixel] = v.y;
        a_tile[(a_kq * 4u + 2u) * A_STRIDE + a_pixel] = v.z;
        a_tile[(a_kq * 4u + 3u) * A_STRIDE + a_pixel] = v.w;
#else
        a_tile[a_kq * A_STRIDE + a_pixel] = select(params.input_zp_word, input[at], inside);
#endif
      }
    }
    let b_base = (nb * params.k_chunks + c) * (TK * TN);
    for (var i = li; i < TK * TN; i += THREADS) {
      b_tile[i] = weights[b_base + i];
    }
#if {{WEIGHT_ZP}}
    if (li < TK) {
      let kw = c * TK + li;
      let mask = select(0x01010101u, params.last_word_mask, kw % params.in_c4 == params.in_c4 - 1u);
      ones_tile[li] = select(0u, mask, kw < params.k_words);
    }
#endif
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
{{COMPUTE}}
    }
    workgroupBarrier();
  }

  // Pixels past M and channel words past out_c4 are computed (on clamped, real reads) and not written.
{{STORE}}
}
