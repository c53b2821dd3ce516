// CONV_2D and FULLY_CONNECTED lowering onto shaders/conv2d.wgsl, for one output row with a long
// enough K onto the split-K GEMV of shaders/gemv.wgsl, or onto shaders/conv2d-shared.wgsl where the
// context takes the workgroup-memory kernel (src/kernels/conv2d-shared.ts).
import convSource from '../../shaders/conv2d.wgsl?raw';
import convEpilogueSource from '../../shaders/conv-epilogue.wgsl?raw';
import gemvSource from '../../shaders/gemv.wgsl?raw';
import depthwiseSource from '../../shaders/depthwise.wgsl?raw';
import type { WindowGeometry } from '../model/conv-family.ts';
import type { FusedTable, OpOf, OutputPlacement, TensorIR } from '../model/graph.ts';
import { quantizeMultiplier } from '../quant/fixedpoint.ts';
import { constantData } from '../quant/tensor.ts';
import { roundHalfEven } from '../rounding.ts';
import { int8Shader } from './common.ts';
import {
  int8ActivationRange,
  int8ZeroPoint,
  LoweringError,
  scaleOf,
  splatByte,
  tensorOf,
  uniformWords,
  workgroupsFor,
  singleDispatch,
  spreadWorkgroups,
  type BindingRef,
  type ConstantSpec,
  type LoweredOp,
  type LoweringContext,
  builtinKernels,
  xnnpackKernels,
  windowGeometryOf,
  f32ProductsExact,
  productBounds,
  type Int8Arithmetic,
  outputPlacementOf,
} from './lowering.ts';
import { roundUp4 } from './layout.ts';
import { addQuantFields } from './pool-elementwise.ts';
import { balancedPart, DEFAULT_KERNEL_TILES, type KernelTiles } from './tuned-tiles.ts';
import { lowerWorkgroupConv } from './conv2d-shared.ts';
import { gpuByteTable } from './unary.ts';

/** XNNPACK's requantization scale, input × weight / output, each step in float32, as int bits. */
export function float32ScaleBits(inScale: number, weightScale: number, outScale: number): number {
  const f = Math.fround;
  const scratch = new Float32Array([f(f(f(inScale) * f(weightScale)) / f(outScale))]);
  return new Int32Array(scratch.buffer)[0]!;
}

/**
 * The output channels that give one output for every input, each with that output less the zero
 * point. XNNPACK's requantization of a channel, out(T) = round(clamp(f32(f32(T) · scale))) + zp
 * (the reference's), is monotone in its total T (scale > 0), and T = folded bias + Σ(w − zw)·x lies
 * within folded ± bound (`bounds`, from productBounds). Where out is equal at both ends it is that
 * value for every T between. Such channels are dead ones: in MLPerf Tiny's VWW, channels whose
 * tiny weight scale pushed their folded bias to 2^30 (one per layer in 8 of its 14 convolutions
 * and 2 of its 13 depthwise layers), each of which held its whole layer off the f32 epilogue and
 * the exact conversion (sumsExactInF32) before. `channelParams` as the kernels take them
 * (folded bias, multiplier, shift, f32 scale bits); `actMin`/`actMax`/`outputZp` in the int8 domain.
 */
export function constantChannels(bounds: ArrayLike<number>, channelParams: Int32Array, outputZp: number, actMin: number, actMax: number): Map<number, number> {
  const f = Math.fround;
  const scale = new Float32Array(channelParams.buffer, channelParams.byteOffset, channelParams.length);
  const out = (total: number, c: number) => {
    const scaled = f(f(total) * scale[c * 4 + 3]!);
    const lo = actMin - outputZp;
    const hi = actMax - outputZp;
    return roundHalfEven(scaled < lo ? lo : scaled > hi ? hi : scaled);
  };
  const constants = new Map<number, number>();
  for (let c = 0; c < bounds.length; c++) {
    const folded = channelParams[c * 4]!;
    const low = out(folded - bounds[c]!, c);
    if (low === out(folded + bounds[c]!, c)) constants.set(c, low);
  }
  return constants;
}

/**
 * Makes each constant channel (constantChannels) compute its output from no products: its
 * weights become the weight zero point (every w − zw is 0, so the sum is exactly 0 in every
 * arithmetic and kernel variant, the uint8 weight-zero-point term included), its folded bias 1 and
 * its f32 scale the output less the zero point t, an integer: (0 + 1) · t = t exactly, inside the
 * clamp, rounding to itself. Its bound becomes 0. `setWeights(c)` writes channel c's weights.
 * Only under XNNPACK's float requantization, the one these params feed.
 */
function foldConstantChannels(constants: Map<number, number>, channelParams: Int32Array, bounds: Float64Array, setWeights: (c: number) => void): void {
  const scale = new Float32Array(channelParams.buffer, channelParams.byteOffset, channelParams.length);
  for (const [c, t] of constants) {
    setWeights(c);
    channelParams[c * 4] = 1;
    scale[c * 4 + 3] = t;
    bounds[c] = 0;
  }
}

/**
 * Channel params ([channel][bias, multiplier, shift, scale bits]) as the word kernels read them
 * (word_params in shaders/conv-epilogue.wgsl, shaders/depthwise.wgsl): word-major,
 * [word][field][4 channels], so one vec4 load gives a field for a whole channel word. XNNPACK's
 * float requantization needs two of the four fields: a word's params are then 2 loads, not 4 (on
 * SwiftShader every load of an invocation's own address is a gather, one per component).
 */
export function wordMajorParams(channelParams: Int32Array): Int32Array {
  const out = new Int32Array(channelParams.length);
  for (let word = 0; word < channelParams.length / 16; word++) {
    for (let field = 0; field < 4; field++) {
      for (let lane = 0; lane < 4; lane++) out[(word * 4 + field) * 4 + lane] = channelParams[(word * 4 + lane) * 4 + field]!;
    }
  }
  return out;
}

/**
 * dot4I8Packed and i32 additions wrap rather than saturate, so a reduction long enough to
 * overflow int32 would give silently wrong answers: refuse it at load. In the int8 domain every
 * product is at most 128·128 in magnitude, the uint8 weight-zero-point term adds |zw|·128 per tap,
 * and the bias (with folded zero-point terms, bounded the same way) comes on top.
 */
export function assertAccumulatorFits(label: string, k: number, weightZp: number, bias: Int32Array | undefined): void {
  let maxBias = 0;
  for (const b of bias ?? []) maxBias = Math.max(maxBias, Math.abs(b));
  const bound = k * (128 * 128 + Math.abs(weightZp) * 128) * 2 + maxBias;
  if (bound > 2 ** 31 - 1) {
    throw new LoweringError(
      `${label}: a reduction over ${k} terms can overflow the int32 accumulator (bound ${bound} > 2^31 - 1); the int8 path refuses it`,
    );
  }
}

/** Weights in the int8 domain as [outC][kH·kW·inC], with the weight zero point (int8 domain). */
export function int8Weights(filter: TensorIR): { values: Int8Array; zeroPoint: number } {
  const raw = constantData(filter);
  if (filter.dtype === 'int8') {
    const zps = filter.quant?.zeroPoint ?? new Int32Array(1);
    if (zps.some((z) => z !== 0)) throw new LoweringError(`int8 weights '${filter.name}' have a non-zero zero point`);
    return { values: raw as Int8Array, zeroPoint: 0 };
  }
  if (filter.dtype === 'uint8') {
    if ((filter.quant?.zeroPoint.length ?? 0) !== 1) {
      throw new LoweringError(`uint8 weights '${filter.name}' must be quantized per tensor`);
    }
    const u = raw as Uint8Array;
    const values = new Int8Array(u.length);
    for (let i = 0; i < u.length; i++) values[i] = u[i]! - 128;
    return { values, zeroPoint: int8ZeroPoint(filter) };
  }
  throw new LoweringError(`weights '${filter.name}' are ${filter.dtype}; the int8 path needs int8 or uint8 (hybrid models run on the float path)`);
}

/**
 * [outC][words] weight words → [outC / 4][words] vec4s of the 4 channels' word at each position
 * (shaders/conv2d.wgsl reads one vec4 per input word).
 */
function interleaveOutputChannels(packed: Int8Array, outCPadded: number, words: number): Uint32Array {
  const src = new Uint32Array(packed.buffer, packed.byteOffset, packed.byteLength / 4);
  const out = new Uint32Array(src.length);
  for (let oc = 0; oc < outCPadded; oc++) {
    for (let w = 0; w < words; w++) out[((oc >> 2) * words + w) * 4 + (oc & 3)] = src[oc * words + w]!;
  }
  return out;
}

/**
 * Register micro-tile of shaders/conv2d.wgsl: `pixels` consecutive output pixels along W by
 * `groups` words of 4 output channels per invocation, computed in `arithmetic` (see
 * Int8Arithmetic: one dot4 per product word, words sign-extended once as i32 vectors, or values
 * converted once to f32).
 */
export interface ConvTile {
  pixels: number;
  groups: number;
  arithmetic: Int8Arithmetic;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** The per-pixel and per-group statements of shaders/conv2d.wgsl, one named variable each. */
export function convTileCode(tile: ConvTile, weightZp: boolean, f32Epilogue = false): Record<'DECLARE' | 'TAP' | 'WORD' | 'STORE', string> {
  const ps = range(tile.pixels);
  const gs = range(tile.groups);
  const lanes = ['x', 'y', 'z', 'w'];
  const lines = (indent: string, xs: string[]) => xs.map((x) => indent + x).join('\n');
  const f32 = tile.arithmetic === 'f32';
  // f32 weights hold w − zw, so the −zw·Σx term needs no input sums.
  const rowSums = weightZp && !f32;
  const declare = [
    ...ps.flatMap((p) => gs.map((g) => `var acc_${p}_${g} = vec4<${f32 ? 'f32' : 'i32'}>(0);`)),
    ...(rowSums ? ps.map((p) => `var sum_${p} = 0;`) : []),
    // A last block's channel words past out_c4 read the last real one (computed, not written).
    ...gs.map((g) => `let w_base_${g} = ${g === 0 ? 'ocw' : `min(ocw + ${g}u, params.out_c4 - 1u)`} * taps_per_channel;`),
  ];
  const tap = ps.flatMap((p) => [
    `let ix_${p} = i32((ox + ${p}u) * params.stride_w + kx * params.dil_w) - params.pad_left;`,
    `let inside_${p} = row_inside && ix_${p} >= 0 && ix_${p} < i32(params.in_w);`,
    `let in_base_${p} = (row_base + u32(clamp(ix_${p}, 0, i32(params.in_w) - 1))) * params.in_c4;`,
  ]);
  const word: string[] = [];
  const ones = 'select(0x01010101u, params.last_word_mask, icw + 1u == params.in_c4)';
  const inputWord = (p: number) => `select(params.input_zp_word, input[in_base_${p} + icw], inside_${p})`;
  if (f32) {
    // One 4×4 matrix per input word and channel word: column i holds input channel i's weights
    // for the 4 output channels, so the word's 16 products are 4 vector multiply-adds.
    for (const p of ps) word.push(`let x_${p} = vec4<f32>(unpack_i8x4(${inputWord(p)}));`);
    for (const g of gs) word.push(`let w_${g} = weights[w_base_${g} + tap + icw];`);
    for (const p of ps) for (const g of gs) word.push(`acc_${p}_${g} += w_${g} * x_${p};`);
  } else if (tile.arithmetic === 'i32') {
    for (const p of ps) word.push(`let x_${p} = unpack_i8x4(${inputWord(p)});`);
    for (const g of gs) {
      word.push(`let w_${g} = weights[w_base_${g} + tap + icw];`);
      for (const l of lanes) word.push(`let w_${g}${l} = unpack_i8x4(w_${g}.${l});`);
    }
    for (const p of ps) for (const g of gs) word.push(`acc_${p}_${g} += vec4<i32>(${lanes.map((l) => `dot(x_${p}, w_${g}${l})`).join(', ')});`);
    if (rowSums) {
      word.push(`let ones = unpack_i8x4(${ones});`);
      for (const p of ps) word.push(`sum_${p} += dot(x_${p}, ones);`);
    }
  } else {
    for (const p of ps) word.push(`let x_${p} = ${inputWord(p)};`);
    for (const g of gs) word.push(`let w_${g} = weights[w_base_${g} + tap + icw];`);
    for (const p of ps) for (const g of gs) word.push(`acc_${p}_${g} += vec4<i32>(${lanes.map((l) => `dot4(x_${p}, w_${g}.${l})`).join(', ')});`);
    if (rowSums) {
      word.push(`let ones = ${ones};`);
      for (const p of ps) word.push(`sum_${p} += dot4(x_${p}, ones);`);
    }
  }
  // f32 sums are exact integers below 2^24 (f32ProductsExact), so their conversion is too.
  // With the f32 epilogue they stay f32 to the requantization (F32_EPILOGUE in shaders/conv2d.wgsl).
  const accumulator = (p: number, g: number) => (f32 && !f32Epilogue ? `vec4<i32>(acc_${p}_${g})` : `acc_${p}_${g}`);
  const sum = (p: number) => (rowSums ? `sum_${p}` : '0');
  // One requantization in the code, in a loop over the tile, not one per accumulator: written out
  // per accumulator it measured no faster (MobileNet v2 convolutions within noise) and doubled
  // SwiftShader's compile time, that is load time. The requantization was about a third of
  // MobileNet v2's convolution time on SwiftShader (measured by leaving it out); loading each
  // channel word's params once rather than once per pixel, with XNNPACK's float requantization 4
  // lanes at once, took 12-20% off the convolution time (sums of each layer's fastest of 6 rounds).
  const store = [
    `var accs = array<vec4<${f32Epilogue ? 'f32' : 'i32'}>, ${tile.pixels * tile.groups}>(${ps.flatMap((p) => gs.map((g) => accumulator(p, g))).join(', ')});`,
    `var sums = array<i32, ${tile.pixels}>(${ps.map(sum).join(', ')});`,
    `var cps = array<array<vec4<i32>, 4>, ${tile.groups}>(${gs.map((g) => `word_params(ocw + ${g}u)`).join(', ')});`,
    `for (var i = 0u; i < ${tile.pixels * tile.groups}u; i++) {`,
    `  let p = i / ${tile.groups}u;`,
    `  let g = i % ${tile.groups}u;`,
    `  if (ox + p < params.out_w && ocw + g < params.out_c4) {`,
    `    let at = (row_out + ox + p) * params.out_stride + params.out_offset + ocw + g;`,
    `    output[at] = output_word(requantize_word(accs[i], cps[g], sums[p]), (row_out + ox + p) * params.out_c4 + ocw + g);`,
    `  }`,
    `}`,
  ];
  return { DECLARE: lines('  ', declare), TAP: lines('      ', tap), WORD: lines('        ', word), STORE: lines('  ', store) };
}

/**
 * The tile of one layer. `f32Exact`: whether f32 accumulation is exact for its weights
 * (f32ProductsExact); where it is not, the 'f32' choice falls back to 'i32' for this layer.
 */
export function convTile(ctx: Pick<LoweringContext, 'int8Arithmetic' | 'tiles'>, outW: number, outC4: number, f32Exact: boolean): ConvTile {
  const preferred = ctx.int8Arithmetic ?? 'dot4';
  // The most pixels and words per invocation: the adapter's (src/kernels/tuned-tiles.ts).
  const tiles = ctx.tiles ?? DEFAULT_KERNEL_TILES;
  return {
    // Balanced strips: a row of 9 is 2 strips of 5 (1 pixel computed for nothing), not 8 + 1 (7);
    // a 1-wide output (FULLY_CONNECTED with one row) gets 1 pixel, no wasted work.
    pixels: balancedPart(outW, tiles.convPixels),
    // The same for channel words: 3 words are 2 + 1 (a computed, unwritten word), 1 word is 1.
    groups: balancedPart(outC4, tiles.convGroups),
    arithmetic: preferred === 'f32' && !f32Exact ? 'i32' : preferred,
  };
}

/**
 * f32 weights of shaders/conv2d.wgsl: [outC / 4][taps][inC / 4] 4×4 matrices, column i the 4
 * output channels' weights (w − zw) for input channel i of the word; padded channels hold 0.
 */
function f32WeightMatrices(w: Int8Array, weightZp: number, g: WindowGeometry, inC4: number, outCPadded: number): Float32Array {
  const taps = g.kH * g.kW;
  const out = new Float32Array(outCPadded * taps * inC4 * 4);
  for (let oc = 0; oc < g.outC; oc++) {
    for (let t = 0; t < taps; t++) {
      for (let ic = 0; ic < g.inC; ic++) {
        const matrix = ((oc >> 2) * taps + t) * inC4 + (ic >> 2);
        out[matrix * 16 + (ic & 3) * 4 + (oc & 3)] = w[(oc * taps + t) * g.inC + ic]! - weightZp;
      }
    }
  }
  return out;
}

/**
 * Whether a layer takes the split-K GEMV (shaders/gemv.wgsl) instead of the micro-tile: its output
 * is one pixel whose window is the whole input, read in the weights' order (FULLY_CONNECTED with
 * one row, a 1×1 convolution of a 1×1 image, a convolution whose kernel covers its unpadded
 * input), so the micro-tile would run only ceil(out_c / 4 / groups) invocations, each walking all
 * of K; and K has at least the adapter class's `gemvMinWords` input words (KernelTiles), below
 * which the serial walk is short enough that the reduction's barriers do not pay.
 *
 * Measured on the 2-core machine (one-row FCs alone, per-channel int8 and uint8 with a weight zero
 * point, K = 64-2048 by out_c = 10 and 1001; fastest of 15 runs, micro-tile against GEMV with
 * gemvSplit 2-64), the GEMV pays on neither software adapter, so their classes never take it:
 * - SwiftShader (timestamp-query, ms a dispatch): 1280 → 1001 (MobileNet v2's classifier) 1.25
 *   against 2.1-13.2 (split 2-64), 2048 → 1001 4.39 against 5.5-35.2; out_c 10 ties at best
 *   (1280 → 10 0.066 against 0.066 at split 16, 0.197 at 64). It runs a workgroup's invocations
 *   on SIMD lanes of one CPU thread, where each barrier costs and a serial K walk costs nothing.
 * - llvmpipe (wall ms of the one-op run): 1280 → 1001 0.331 against 0.433-1.135, 64 → 1001 0.103
 *   against 0.122-0.223; out_c 10 within the noise (64 → 10, ResNet-8's, 0.124 against 0.123 at
 *   split 16). It runs one workgroup a thread: the micro-tile's 2 workgroups for 1001 outputs
 *   already fill the 2 cores, and ResNet-8's 3 channel words are one workgroup either way.
 * The 'gpu' class takes it from 16 words (K ≥ 64: ResNet-8's 64 → 10 on) with a split of up to
 * 64: unmeasured, no GPU has run it; a GPU leaves most of its cores idle with a handful of
 * invocations, which splitting K fills. `npm run bench -- --tune` does not vary these yet.
 */
export function gemvApplies(g: WindowGeometry, tiles: Pick<KernelTiles, 'gemvMinWords'>): boolean {
  const onePixel = g.batch === 1 && g.outH === 1 && g.outW === 1;
  // Dilation 1 too: a dilated 2×2 SAME window of stride 2 over a 2×2 image has no padding before
  // it, but its taps fall on every other pixel.
  const wholeInput = g.kH === g.inH && g.kW === g.inW && g.dilH === 1 && g.dilW === 1 && g.padTop === 0 && g.padLeft === 0;
  return onePixel && wholeInput && g.kH * g.kW * (roundUp4(g.inC) / 4) >= tiles.gemvMinWords;
}

/**
 * The GEMV's workgroup: `split` invocations, a power of two (the tree reduction halves it), split
 * each channel word's K, at most the adapter's gemvSplit and no more than the K words (an
 * invocation with no word would only add zeros); `words` channel words fill the rest of the
 * adapter's workgroup size.
 */
export function gemvShape(kWords: number, tiles: Pick<KernelTiles, 'gemvSplit' | 'workgroupSize'>): { split: number; words: number } {
  let split = 1;
  while (split * 2 <= Math.min(kWords, tiles.gemvSplit, tiles.workgroupSize)) split *= 2;
  return { split, words: Math.floor(tiles.workgroupSize / split) };
}

/**
 * An ADD computed in the convolution's epilogue (Conv2DOptions.fusedAdd): the convolution
 * requantizes to its own output's quantization as before, then the words go through the ADD.
 */
interface EpilogueAdd {
  residual: TensorIR;
  /** The ADD's output, which the dispatch writes instead of the convolution's. */
  sum: TensorIR;
  /** shaders/common.wgsl BinaryQuant of the ADD, operands in its order (addQuantFields). */
  quant: Array<['i32', number]>;
  residualFirst: boolean;
}

/**
 * Byte-function ops computed in the producer's epilogue (ConvolutionOptions.fusedTable): the
 * producer requantizes to its own output's quantization as before, then maps each byte through
 * the ops' table (in the GPU's int8 domain) and writes the last op's output.
 */
interface EpilogueTable {
  /** The last fused op's output, which the dispatch writes instead of the producer's. */
  written: TensorIR;
  /** gpuByteTable of the ops' table: 256 entries, one u32 each. */
  words: Uint32Array;
}

/** The label of a producer `kind` (conv2d, depthwise, fc) with `fused` ops: conv2d+logistic+mul#3. */
function fusedLabel(kind: string, index: number, fused: FusedTable | undefined): string {
  return `${kind}${fused ? fused.ops.map((op) => `+${op.type.toLowerCase()}`).join('') : ''}#${index}`;
}

/** The fused table of `fused` (from the producer's `intermediate` to the last op's `written`, computed by the load pass), or undefined. */
function epilogueTable(label: string, fused: FusedTable | undefined, intermediate: TensorIR, written: TensorIR): EpilogueTable | undefined {
  if (!fused) return undefined;
  if (written.dtype !== intermediate.dtype) throw new LoweringError(`${label}: ${intermediate.dtype} in and ${written.dtype} out of the fused ops`);
  return { written, words: gpuByteTable(fused.table, intermediate.dtype as 'int8' | 'uint8') };
}

/**
 * One CONV_2D or FULLY_CONNECTED layer as both int8 conv kernels take it: geometry, weight words
 * [outC padded][taps][inC / 4] (int8 domain), channel params and the epilogue's constants.
 */
export interface ConvLayer {
  label: string;
  input: number;
  output: number;
  g: WindowGeometry;
  inC4: number;
  outC4: number;
  /** Weight words, [outC padded][taps · inC4], 4 int8 values each. */
  packed: Int8Array;
  channelParams: Int32Array;
  inputZp: number;
  outputZp: number;
  weightZp: number;
  actMin: number;
  actMax: number;
  lastWordMask: number;
  ruyRequant: boolean;
  exactSums: boolean;
}

function lowerConvLike(
  ctx: LoweringContext,
  label: string,
  input: TensorIR,
  filter: TensorIR,
  biasId: number,
  output: TensorIR,
  g: WindowGeometry,
  activation: Parameters<typeof int8ActivationRange>[0],
  placement: OutputPlacement | undefined,
  add?: EpilogueAdd,
  table?: EpilogueTable,
): LoweredOp {
  if (add && table) throw new LoweringError(`${label}: a fused ADD and a fused table op together (one epilogue at a time)`);
  const { values: modelWeights, zeroPoint: weightZp } = int8Weights(filter);
  // Its own rows, or the concatenation's it is placed in (src/passes/place-concat.ts).
  const at = outputPlacementOf(ctx, label, output, g.outC, placement);
  const inputZp = int8ZeroPoint(input);
  const outputZp = int8ZeroPoint(output);
  const inC4 = roundUp4(g.inC) / 4;
  const outCPadded = roundUp4(g.outC);
  const taps = g.kH * g.kW;
  const k = taps * g.inC;

  const bias = biasId >= 0 ? (constantData(tensorOf(ctx, biasId)) as Int32Array) : undefined;
  if (bias && tensorOf(ctx, biasId).dtype !== 'int32') throw new LoweringError(`bias of ${label} must be int32`);
  assertAccumulatorFits(label, k, weightZp, bias);
  const channelParams = new Int32Array(outCPadded * 4);
  const inScale = scaleOf(input);
  const outScale = scaleOf(output);
  for (let oc = 0; oc < g.outC; oc++) {
    let weightSum = 0;
    for (let i = oc * k; i < (oc + 1) * k; i++) weightSum += modelWeights[i]!;
    // Σ(w−zw)(x−zx) = Σwx − zw·Σx − zx·Σw + k·zx·zw: all but Σwx and zw·Σx are constants.
    const folded = (bias ? bias[oc]! : 0) - inputZp * weightSum + k * inputZp * weightZp;
    // TFLite computes the effective scale in double from the float32 scales, in this order.
    const { multiplier, shift } = quantizeMultiplier((inScale * scaleOf(filter, oc)) / outScale);
    channelParams.set([folded | 0, multiplier, shift, float32ScaleBits(inScale, scaleOf(filter, oc), outScale)], oc * 4);
  }

  const [actMin, actMax] = int8ActivationRange(activation, output);
  // TFLite's builtin int8 CONV_2D and FULLY_CONNECTED requantize in cpu_backend_gemm (ruy, one
  // rounding); uint8 ones (gemmlowp) keep the double rounding.
  const ruyRequant = builtinKernels(ctx) && input.dtype === 'int8';
  const lastRealChannels = g.inC - (inC4 - 1) * 4;
  const lastWordMask = splatByte(1) >>> (8 * (4 - lastRealChannels));
  const bounds = productBounds(modelWeights, weightZp, g.outC, k);
  // Constant channels are found from the model's weights and folded biases, then computed from neither.
  const constantOutputs = xnnpackKernels(ctx) ? constantChannels(bounds, channelParams, outputZp, actMin, actMax) : new Map<number, number>();
  const w = constantOutputs.size > 0 ? modelWeights.slice() : modelWeights;
  foldConstantChannels(constantOutputs, channelParams, bounds, (c) => w.fill(weightZp, c * k, (c + 1) * k));
  // Weights: [outC padded][kH][kW][inC padded] bytes, i.e. [..][inC/4] words.
  const packed = new Int8Array(outCPadded * taps * inC4 * 4);
  for (let oc = 0; oc < g.outC; oc++) {
    for (let t = 0; t < taps; t++) {
      const src = (oc * taps + t) * g.inC;
      packed.set(w.subarray(src, src + g.inC), (oc * taps + t) * inC4 * 4);
    }
  }
  const tile = convTile(ctx, g.outW, outCPadded / 4, f32ProductsExact(bounds));
  const f32 = tile.arithmetic === 'f32';
  const exactSums = sumsExactInF32(ctx, bounds, channelParams);
  const f32Epilogue = f32 && exactSums;
  // The register kernels' weights, built only on their paths (the workgroup kernel re-lays `packed` its own way).
  const constants = (params: Uint32Array): ConstantSpec[] => [
    { label: `${label} weights`, data: f32 ? f32WeightMatrices(w, weightZp, g, inC4, outCPadded) : interleaveOutputChannels(packed, outCPadded, taps * inC4), usage: 'storage' },
    { label: `${label} channel params`, data: wordMajorParams(channelParams), usage: 'storage' },
    { label: `${label} params`, data: params, usage: 'uniform' },
  ];
  // With a fused ADD the dispatch writes the ADD's output.
  const bindings: BindingRef[] = [{ tensor: input.id }, { constant: 0 }, { constant: 1 }, { tensor: (add?.sum ?? table?.written ?? output).id }, { constant: 2 }];
  const common = { RUY_REQUANT: ruyRequant, F32: f32, F32_EPILOGUE: f32Epilogue, EXACT_SUMS: exactSums };

  const tiles = ctx.tiles ?? DEFAULT_KERNEL_TILES;
  // The GEMV has no fused-ADD or table epilogue: a layer with either keeps the micro-tile.
  if (!add && !table && gemvApplies(g, tiles)) {
    const kWords = taps * inC4;
    const { split, words } = gemvShape(kWords, { gemvSplit: tiles.gemvSplit, workgroupSize: ctx.workgroupSize });
    const uniforms = uniformWords([
      ['u32', kWords],
      ['u32', inC4],
      ['u32', outCPadded / 4],
      ['u32', lastWordMask],
      ['i32', outputZp],
      ['i32', actMin],
      ['i32', actMax],
      ['i32', weightZp],
      ['u32', at.offset],
    ]);
    const shader = int8Shader(ctx, `${gemvSource}\n${convEpilogueSource}`, {
      ...common, SPLIT: split, WORDS: words, WORKGROUP: split * words, I32: tile.arithmetic === 'i32', ROW_SUMS: weightZp !== 0 && !f32, CONVERT_SUMS: f32 && !f32Epilogue,
    });
    return singleDispatch(label, shader, constants(uniforms), bindings, workgroupsFor({ ...ctx, workgroupSize: words }, outCPadded / 4));
  }

  // The workgroup-memory kernel where the context takes it (GPUs: prefersWorkgroupTiles in
  // src/kernels/conv2d-shared.ts), for a plain convolution: it has no fused-ADD epilogue and writes
  // its own rows only, so a fused or placed one keeps the micro-tile.
  if (ctx.workgroupConv && !add && !table && placement === undefined) {
    return lowerWorkgroupConv(ctx, {
      label, input: input.id, output: output.id, g, inC4, outC4: outCPadded / 4, packed, channelParams: wordMajorParams(channelParams), inputZp, outputZp, weightZp, actMin, actMax, lastWordMask, ruyRequant, exactSums,
    });
  }
  const strips = Math.ceil(g.outW / tile.pixels);
  const blocks = Math.ceil(outCPadded / 4 / tile.groups);
  const total = g.batch * g.outH * strips * blocks;
  const uniforms = uniformWords([
    ['u32', g.batch],
    ['u32', g.inH],
    ['u32', g.inW],
    ['u32', inC4],
    ['u32', g.outH],
    ['u32', g.outW],
    ['u32', outCPadded / 4],
    ['u32', g.kH],
    ['u32', g.kW],
    ['u32', g.strideH],
    ['u32', g.strideW],
    ['u32', g.dilH],
    ['u32', g.dilW],
    ['i32', g.padTop],
    ['i32', g.padLeft],
    ['u32', splatByte(inputZp)],
    ['u32', lastWordMask],
    ['i32', outputZp],
    ['i32', actMin],
    ['i32', actMax],
    ['i32', weightZp],
    ['u32', total],
    ['u32', strips],
    ['u32', blocks],
    ['u32', at.rowStride],
    ['u32', at.offset],
  ]);
  // Small layers spread over more, smaller workgroups where the adapter's table says so.
  const dispatch = spreadWorkgroups(ctx, total);
  const shader = int8Shader(dispatch, `${convSource}\n${convEpilogueSource}`, {
    ...common, PIXELS: tile.pixels, GROUPS: tile.groups, FUSED_ADD: add !== undefined, RESIDUAL_FIRST: add?.residualFirst ?? false, BYTE_TABLE: table !== undefined,
    ...convTileCode(tile, weightZp !== 0, f32Epilogue),
  });
  const allConstants = constants(uniforms);
  if (add) {
    allConstants.push({ label: `${label} add quantization`, data: uniformWords(add.quant), usage: 'uniform' });
    bindings.push({ tensor: add.residual.id }, { constant: 3 });
  }
  if (table) {
    allConstants.push({ label: `${label} table`, data: table.words, usage: 'storage' });
    bindings.push({ constant: allConstants.length - 1 });
  }
  return singleDispatch(label, shader, allConstants, bindings, workgroupsFor(dispatch, total));
}

export function lowerConv2D(ctx: LoweringContext, op: OpOf<'CONV_2D'>): LoweredOp {
  const input = tensorOf(ctx, op.inputs[0]!);
  const filter = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (input.shape.length !== 4 || filter.shape.length !== 4 || output.shape.length !== 4) {
    throw new LoweringError(`CONV_2D at operator ${op.index} needs 4-D input, filter and output`);
  }
  const inC = input.shape[3]!;
  const [, kH, kW, filterC] = filter.shape as [number, number, number, number];
  if (filterC !== inC) throw new LoweringError(`CONV_2D at operator ${op.index}: filter has ${filterC} input channels, input has ${inC} (grouped convolution is not supported)`);
  const o = op.options;
  const fused = o.fusedAdd;
  if (o.fusedTable) {
    // The convolution computes its own output (the table op's input) as before; the dispatch writes the op's.
    const label = fusedLabel('conv2d', op.index, o.fusedTable);
    const intermediate = tensorOf(ctx, o.fusedTable.intermediate);
    if (fused) throw new LoweringError(`${label}: a fused ADD and a fused table op together (one epilogue at a time)`);
    const table = epilogueTable(label, o.fusedTable, intermediate, output);
    return lowerConvLike(ctx, label, input, filter, op.inputs[2] ?? -1, intermediate, windowGeometryOf(label, input, intermediate, o, kH, kW), o.activation, o.placement, undefined, table);
  }
  if (!fused) {
    const label = `conv2d#${op.index}`;
    return lowerConvLike(ctx, label, input, filter, op.inputs[2] ?? -1, output, windowGeometryOf(label, input, output, o, kH, kW), o.activation, o.placement);
  }
  // The convolution computes its own output (the ADD's operand) as before; the dispatch writes the ADD's.
  const label = `conv2d+add#${op.index}`;
  const intermediate = tensorOf(ctx, fused.intermediate);
  const residual = tensorOf(ctx, op.inputs[3]!);
  const [first, second] = fused.residualFirst ? [residual, intermediate] : [intermediate, residual];
  const add: EpilogueAdd = { residual, sum: output, quant: addQuantFields(ctx, { index: fused.index, type: 'ADD' }, first, second, output, fused.activation), residualFirst: fused.residualFirst };
  return lowerConvLike(ctx, label, input, filter, op.inputs[2] ?? -1, intermediate, windowGeometryOf(label, input, intermediate, o, kH, kW), o.activation, o.placement, add);
}

export function lowerFullyConnected(ctx: LoweringContext, op: OpOf<'FULLY_CONNECTED'>): LoweredOp {
  const input = tensorOf(ctx, op.inputs[0]!);
  const filter = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (filter.shape.length !== 2) throw new LoweringError(`FULLY_CONNECTED at operator ${op.index} needs 2-D weights`);
  const [outC, depth] = filter.shape as [number, number];
  const inputCount = input.shape.reduce((a, b) => a * b, 1);
  if (inputCount % depth !== 0) throw new LoweringError(`FULLY_CONNECTED at operator ${op.index}: input of ${inputCount} elements is not a multiple of depth ${depth}`);
  const batch = inputCount / depth;
  if (input.shape[input.shape.length - 1] !== depth) {
    // The packed layout pads the innermost dimension; a flattening FC needs a relayout first.
    throw new LoweringError(`FULLY_CONNECTED at operator ${op.index}: input innermost dimension ${input.shape[input.shape.length - 1]} differs from depth ${depth}`);
  }
  // With a fused table op the FC computes its own output (the op's input) as before and the
  // dispatch writes the op's.
  const fused = op.options.fusedTable;
  const label = fusedLabel('fc', op.index, fused);
  const computed = fused ? tensorOf(ctx, fused.intermediate) : output;
  // The rows as one 1×rows image (the same packed layout as rows 1×1 images): the conv kernel's
  // strips then share each weight load across rows.
  return lowerConvLike(ctx, label, input, filter, op.inputs[2] ?? -1, computed, {
    batch: 1, inH: 1, inW: batch, inC: depth, outH: 1, outW: batch, outC, kH: 1, kW: 1,
    strideH: 1, strideW: 1, dilH: 1, dilW: 1, padTop: 0, padLeft: 0,
  }, op.options.activation, op.options.placement, undefined, epilogueTable(label, fused, computed, output));
}

/**
 * Channel words per depthwise invocation, read as one vec4 per tap: 4 where the channel words
 * divide by 4 and the depth multiplier is 1 (input and output channels line up word for word),
 * and the output rows are whole vec4s apart from a vec4 on (`at`: a placement's stride and word
 * offset, src/passes/place-concat.ts), else 1 (the word kernel).
 */
function depthwiseWords(multiplier: number, channelWords: number, at: { rowStride: number; offset: number }): number {
  return multiplier === 1 && channelWords % 4 === 0 && at.rowStride % 4 === 0 && at.offset % 4 === 0 ? 4 : 1;
}

/**
 * The strip's tap order along W: where the dilation divides the stride, pixel p at tap
 * kx + stride / dilation reads the column pixel p + 1 read at tap kx, so the taps run in
 * stride / dilation phases that reuse columns; otherwise one phase without reuse.
 */
function depthwiseTapOrder(strideW: number, dilW: number): { shiftOne: boolean; kxStep: number } {
  return strideW % dilW === 0 ? { shiftOne: true, kxStep: strideW / dilW } : { shiftOne: false, kxStep: 1 };
}

/**
 * Whether XNNPACK's float requantization can take its float as it is: where the products and each
 * channel's folded bias (channelParams' first word) stay below 2^24 together, every accumulator
 * plus bias is an integer f32 holds exactly. Then in f32 arithmetic acc + bias added in f32 is
 * that integer (F32_EPILOGUE in shaders/conv2d.wgsl and shaders/depthwise.wgsl: no conversion to
 * i32 and back), and in i32 arithmetic the plain conversion is exact (EXACT_SUMS in
 * shaders/common.wgsl: no rounding by hand). `bounds` per channel, from productBounds.
 */
function sumsExactInF32(ctx: LoweringContext, bounds: Float64Array, channelParams: Int32Array): boolean {
  if (!xnnpackKernels(ctx)) return false;
  return f32ProductsExact(bounds, Array.from(bounds, (_, c) => channelParams[c * 4]!));
}

/**
 * Whether a depthwise layer accumulates in f32 (shaders/depthwise.wgsl, F32): where the context
 * chose 'f32' and the layer's weights keep it exact (f32ProductsExact over each output channel's
 * taps), in every kernel variant (16-channel, word, depth multiplier, weight
 * zero point), since the conversion sits in the loads and the weight upload they all share, and
 * one arithmetic per layer keeps one set of tests for all of them. The kernel has no dot4 form
 * (a depthwise sum runs over taps, not the 4 channels of a word), so 'dot4' and 'i32' both take
 * its i32 lanes, as does a layer past the bound.
 * SwiftShader, depthwise GPU ms a run, i32 → f32 (A/B harness, medians of 3, loaded 2-core machine): MobileNet v2 296 → 274, TF2 MobileNet v2 449 → 426, VWW 12.1 → 8.0, person detection 24.4 → 20.1; median f32/i32 ratio of 30 alternated runs in one build 0.89, 0.95, 0.95, 0.97.
 */
function depthwiseF32(ctx: LoweringContext, bounds: Float64Array): boolean {
  return (ctx.int8Arithmetic ?? 'dot4') === 'f32' && f32ProductsExact(bounds);
}

/**
 * Whether a depthwise layer's weights are w − zw as i16, two to a word (shaders/depthwise.wgsl,
 * WEIGHT_I16): i32 lanes with a weight zero point, where w − zw (up to 255 in magnitude) no
 * longer fits a byte. They were one i32 per channel, twice the loads; the kernel's loads are
 * per-lane gathers on llvmpipe. llvmpipe, MobileNet v2 depthwise wall time per dispatch (sums
 * of each dispatch's fastest of 14 alternated rounds, ms, conv unchanged at 25.0 beside it):
 * i32 → i16 11.5 → 10.5, 11.5 → 10.6, 12.1 → 10.4, 12.1 → 10.4. SwiftShader in forced 'i32'
 * within the noise (186 → 206, 186 → 182); its own choice, f32 lanes, is unchanged.
 */
function depthwiseWeightsI16(f32: boolean, weightZp: number): boolean {
  return !f32 && weightZp !== 0;
}

/** Depthwise weights [taps][outC] as one row of taps per channel. */
function channelRows(w: Int8Array, taps: number, outC: number): Int8Array {
  const rows = new Int8Array(outC * taps);
  for (let t = 0; t < taps; t++) for (let oc = 0; oc < outC; oc++) rows[oc * taps + t] = w[t * outC + oc]!;
  return rows;
}

export function lowerDepthwiseConv2D(ctx: LoweringContext, op: OpOf<'DEPTHWISE_CONV_2D'>): LoweredOp {
  const input = tensorOf(ctx, op.inputs[0]!);
  const filter = tensorOf(ctx, op.inputs[1]!);
  // With a fused table op (src/passes/fuse-table.ts) the layer computes its own output (the op's
  // input: its quantization) as before, and the dispatch writes the op's output.
  const fusedTable = op.options.fusedTable;
  const written = tensorOf(ctx, op.outputs[0]!);
  const output = fusedTable ? tensorOf(ctx, fusedTable.intermediate) : written;
  if (input.shape.length !== 4 || filter.shape.length !== 4 || output.shape.length !== 4) {
    throw new LoweringError(`DEPTHWISE_CONV_2D at operator ${op.index} needs 4-D input, filter and output`);
  }
  const [batch, inH, inW, inC] = input.shape as [number, number, number, number];
  const [, kH, kW, outC] = filter.shape as [number, number, number, number];
  const [, outH, outW] = output.shape as [number, number, number, number];
  const o = op.options;
  const g = windowGeometryOf(`depthwise#${op.index}`, input, output, o, kH, kW);
  // Its own rows, or the concatenation's it is placed in (src/passes/place-concat.ts), in words.
  const at = outputPlacementOf(ctx, `depthwise#${op.index}`, output, outC, o.placement);
  const multiplier = outC / inC;
  if (!Number.isInteger(multiplier) || multiplier < 1) {
    throw new LoweringError(`DEPTHWISE_CONV_2D at operator ${op.index}: ${outC} output channels is not a multiple of ${inC} input channels`);
  }
  const { values: modelWeights, zeroPoint: weightZp } = int8Weights(filter);
  const inputZp = int8ZeroPoint(input);
  const outputZp = int8ZeroPoint(output);
  const taps = kH * kW;
  const outCPadded = roundUp4(outC);
  assertAccumulatorFits(`depthwise#${op.index}`, taps, weightZp, op.inputs[2] !== undefined && op.inputs[2] >= 0 ? (constantData(tensorOf(ctx, op.inputs[2])) as Int32Array) : undefined);
  const biasId = op.inputs[2] ?? -1;
  const bias = biasId >= 0 ? (constantData(tensorOf(ctx, biasId)) as Int32Array) : undefined;
  const channelParams = new Int32Array(outCPadded * 4);
  const inScale = scaleOf(input);
  const outScale = scaleOf(output);
  for (let oc = 0; oc < outC; oc++) {
    let weightSum = 0;
    for (let t = 0; t < taps; t++) weightSum += modelWeights[t * outC + oc]!;
    const folded = (bias ? bias[oc]! : 0) - inputZp * weightSum + taps * inputZp * weightZp;
    const { multiplier: m, shift } = quantizeMultiplier((inScale * scaleOf(filter, oc)) / outScale);
    channelParams.set([folded | 0, m, shift, float32ScaleBits(inScale, scaleOf(filter, oc), outScale)], oc * 4);
  }
  const [actMin, actMax] = int8ActivationRange(o.activation, output);
  const bounds = productBounds(channelRows(modelWeights, taps, outC), weightZp, outC, taps);
  const constantOutputs = xnnpackKernels(ctx) ? constantChannels(bounds, channelParams, outputZp, actMin, actMax) : new Map<number, number>();
  const w = constantOutputs.size > 0 ? modelWeights.slice() : modelWeights;
  foldConstantChannels(constantOutputs, channelParams, bounds, (c) => {
    for (let t = 0; t < taps; t++) w[t * outC + c] = weightZp;
  });
  const f32 = depthwiseF32(ctx, bounds);
  // [taps][outC padded]: bytes, or with a weight zero point w − zw as i16, or w − zw as f32 in f32
  // arithmetic (shaders/depthwise.wgsl then needs no input sums: Σ(w − zw)·x is Σw·x − zw·Σx, the
  // bias folding unchanged).
  const i16 = depthwiseWeightsI16(f32, weightZp);
  const packed = f32 ? new Float32Array(taps * outCPadded) : i16 ? new Int16Array(taps * outCPadded) : new Int8Array(taps * outCPadded);
  for (let t = 0; t < taps; t++) {
    for (let oc = 0; oc < outC; oc++) packed[t * outCPadded + oc] = w[t * outC + oc]! - weightZp;
  }
  const words = depthwiseWords(multiplier, outCPadded / 4, at);
  // Output pixels along W per invocation, 1-4: the adapter's (src/kernels/tuned-tiles.ts).
  const pixels = (ctx.tiles ?? DEFAULT_KERNEL_TILES).depthwisePixels;
  const strips = Math.ceil(outW / pixels);
  const order = depthwiseTapOrder(o.strideW, o.dilationW);
  const total = batch * outH * strips * (outCPadded / 4 / words);
  const uniforms = uniformWords([
    ['u32', batch],
    ['u32', inH],
    ['u32', inW],
    ['u32', roundUp4(inC) / 4 / words],
    ['u32', outH],
    ['u32', outW],
    ['u32', outCPadded / 4 / words],
    ['u32', kH],
    ['u32', kW],
    ['u32', o.strideH],
    ['u32', o.strideW],
    ['u32', o.dilationH],
    ['u32', o.dilationW],
    ['i32', g.padTop],
    ['i32', g.padLeft],
    ['i32', inputZp],
    ['u32', multiplier],
    ['i32', outputZp],
    ['i32', actMin],
    ['i32', actMax],
    ['i32', weightZp],
    ['u32', total],
    ['u32', strips],
    ['u32', order.kxStep],
    ['u32', at.rowStride / words],
    ['u32', at.offset / words],
  ]);
  const label = fusedLabel('depthwise', op.index, fusedTable);
  const table = epilogueTable(label, fusedTable, output, written);
  const exactSums = sumsExactInF32(ctx, bounds, channelParams);
  const dispatch = spreadWorkgroups(ctx, total);
  const shader = int8Shader(dispatch, depthwiseSource, {
    F32: f32,
    F32_EPILOGUE: f32 && exactSums,
    EXACT_SUMS: exactSums,
    WEIGHT_I16: i16,
    WEIGHT_LANES: f32,
    MULTIPLIER_ONE: multiplier === 1,
    VEC: words === 4,
    PIXELS: pixels,
    PIXELS_2: pixels >= 2,
    PIXELS_3: pixels >= 3,
    PIXELS_4: pixels >= 4,
    SHIFT_ONE: order.shiftOne,
    BYTE_TABLE: table !== undefined,
  });
  const constants: ConstantSpec[] = [
    { label: `${label} weights`, data: packed, usage: 'storage' },
    { label: `${label} channel params`, data: wordMajorParams(channelParams), usage: 'storage' },
    { label: `${label} params`, data: uniforms, usage: 'uniform' },
  ];
  const bindings: BindingRef[] = [{ tensor: input.id }, { constant: 0 }, { constant: 1 }, { tensor: written.id }, { constant: 2 }];
  if (table) {
    constants.push({ label: `${label} table`, data: table.words, usage: 'storage' });
    bindings.push({ constant: 3 });
  }
  return singleDispatch(label, shader, constants, bindings, workgroupsFor(dispatch, total));
}
