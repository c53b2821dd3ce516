// CONV_2D and FULLY_CONNECTED as an implicit GEMM staged in workgroup memory
// (shaders/conv2d-shared.wgsl): the int8 conv kernel for GPUs, taken where prefersWorkgroupTiles
// says so; software adapters keep shaders/conv2d.wgsl (src/kernels/conv2d.ts).
import sharedSource from '../../shaders/conv2d-shared.wgsl?raw';
import convEpilogueSource from '../../shaders/conv-epilogue.wgsl?raw';
import type { CapabilityReport } from '../gpu/capabilities.ts';
import { int8Shader } from './common.ts';
import type { ConvLayer } from './conv2d.ts';
import { LoweringError, singleDispatch, splatByte, uniformWords, type LoweredOp, type LoweringContext } from './lowering.ts';
import { adapterClass } from './tuned-tiles.ts';

/** Which int8 conv kernel CONV_2D and FULLY_CONNECTED take (GpuProgramOptions.convKernel forces one). */
export type ConvKernel = 'registers' | 'workgroup';

/**
 * The tile of shaders/conv2d-shared.wgsl: a workgroup computes `pixels` (TM) output pixels by
 * `words` (TN) output channel words of 4 channels, walking K in chunks of `k` (TK) words through
 * workgroup memory; each invocation a `microPixels` × `microWords` register micro-tile of it.
 */
export interface WorkgroupConvTile {
  pixels: number;
  words: number;
  /** A multiple of 4 (the A tile's vec4 loads), dividing the invocations (each loads fixed K words). */
  k: number;
  microPixels: number;
  microWords: number;
}

/**
 * The tiles `npm run bench -- --tune` tries on a GPU (bench/tune-kernels.ts). No GPU has measured
 * them yet; the first is the default, a common shape for int8 GEMMs on discrete GPUs (a 64 × 64
 * channel output tile, 128 invocations of 4 pixels × 8 channels each, about 4 KiB of workgroup
 * memory, so several workgroups fit an SM or CU), the others halve or double one side.
 */
export const WORKGROUP_CONV_CANDIDATES: readonly WorkgroupConvTile[] = [
  { pixels: 64, words: 16, k: 8, microPixels: 4, microWords: 2 },
  { pixels: 64, words: 8, k: 16, microPixels: 4, microWords: 2 },
  { pixels: 32, words: 16, k: 16, microPixels: 2, microWords: 2 },
  { pixels: 128, words: 16, k: 8, microPixels: 4, microWords: 4 },
  { pixels: 32, words: 8, k: 8, microPixels: 2, microWords: 2 },
];

export const DEFAULT_WORKGROUP_CONV_TILE: Readonly<WorkgroupConvTile> = WORKGROUP_CONV_CANDIDATES[0]!;

export function formatWorkgroupConvTile(t: WorkgroupConvTile): string {
  return `{ pixels: ${t.pixels}, words: ${t.words}, k: ${t.k}, microPixels: ${t.microPixels}, microWords: ${t.microWords} }`;
}

export function workgroupConvInvocations(t: WorkgroupConvTile): number {
  return (t.pixels / t.microPixels) * (t.words / t.microWords);
}

/** Pad words after each A-tile row (shaders/conv2d-shared.wgsl: the bank arithmetic). */
export function aTilePad(t: WorkgroupConvTile): number {
  return t.k < 32 && 32 % t.k === 0 ? 32 / t.k : 1;
}

/** Workgroup memory of the tile, in bytes: the A tile (rows of TM + aTilePad words), the B tile and the weight-zero-point masks. */
export function workgroupConvBytes(t: WorkgroupConvTile): number {
  return 4 * (t.k * (t.pixels + aTilePad(t)) + t.k * t.words * 4 + t.k);
}

/** Refuses tiles the kernel cannot take (whatever the adapter). */
export function checkWorkgroupConvTile(t: WorkgroupConvTile): void {
  const fail = (why: string) => {
    throw new LoweringError(`workgroup conv tile ${formatWorkgroupConvTile(t)}: ${why}`);
  };
  for (const name of ['pixels', 'words', 'k', 'microPixels', 'microWords'] as const) {
    if (!Number.isInteger(t[name]) || t[name] < 1) fail(`${name} must be a positive integer`);
  }
  if (t.pixels % t.microPixels !== 0) fail('microPixels must divide pixels');
  if (t.words % t.microWords !== 0) fail('microWords must divide words');
  if (t.k % 4 !== 0) fail('k must be a multiple of 4 (the A tile loads vec4s of K words)');
  // Each invocation loads the same K word(s) of every chunk, its window offsets computed once.
  if (workgroupConvInvocations(t) % t.k !== 0) fail(`k must divide the ${workgroupConvInvocations(t)} invocations`);
}

export interface WorkgroupLimits {
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupStorageSize: number;
}

/** Why the adapter cannot run the tile, or undefined where it can. */
export function workgroupConvMisfit(t: WorkgroupConvTile, limits: WorkgroupLimits): string | undefined {
  const invocations = workgroupConvInvocations(t);
  const maxInvocations = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  if (invocations > maxInvocations) return `${invocations} invocations per workgroup, above this adapter's ${maxInvocations}`;
  if (workgroupConvBytes(t) > limits.maxComputeWorkgroupStorageSize) return `${workgroupConvBytes(t)} bytes of workgroup memory, above this adapter's ${limits.maxComputeWorkgroupStorageSize}`;
  return undefined;
}

/**
 * Whether CONV_2D and FULLY_CONNECTED take the workgroup-memory kernel: on a GPU (adapter class
 * 'gpu') whose workgroups hold the tile (invocations, workgroup storage). A GPU's storage reads go
 * through caches far slower than its workgroup memory, and the register kernel reads every input
 * word once per channel block and every weight once per pixel strip from storage; the tile loads
 * each once per workgroup and serves the rest from workgroup memory. Software adapters keep the
 * register kernel: there workgroup memory is ordinary memory behind the same CPU caches, and each
 * barrier synchronises the threads emulating a workgroup, so staging only adds copies and waits
 * (measured slower on SwiftShader and llvmpipe: bench/README.md). Subgroup sizes, where the
 * adapter reports them (CapabilityReport.adapter.subgroupSizes), change nothing here: the bank
 * layout (shaders/conv2d-shared.wgsl) holds for any subgroup of up to 32 lanes per bank pass,
 * which is how GPUs of 32- and 64-wide subgroups serve workgroup memory.
 */
export function prefersWorkgroupTiles(caps: Pick<CapabilityReport, 'adapter' | 'paths'>, tile: WorkgroupConvTile, limits: WorkgroupLimits): boolean {
  return adapterClass(caps) === 'gpu' && workgroupConvMisfit(tile, limits) === undefined;
}

/** An int8 conv kernel's WGSL: its source with the requantization epilogue (shaders/conv-epilogue.wgsl) appended. */
export function convShaderSource(kernelSource: string): string {
  return `${kernelSource}\n${convEpilogueSource}`;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * The generated statements of shaders/conv2d-shared.wgsl: the micro-tile's accumulators, its step
 * over one K word, and its stores. One named variable per accumulator and per operand, as in
 * convTileCode, so that every one stays a register.
 */
export function workgroupConvCode(t: WorkgroupConvTile, arithmetic: 'dot4' | 'i32', weightZp: boolean): Record<'DECLARE' | 'COMPUTE' | 'STORE', string> {
  const lines = (indent: string, xs: string[]) => xs.map((x) => indent + x).join('\n');
  const px = t.pixels / t.microPixels;
  const gx = t.words / t.microWords;
  const ms = range(t.microPixels);
  const gs = range(t.microWords);
  const lanes = ['x', 'y', 'z', 'w'];
  const declare = [
    ...ms.flatMap((m) => gs.map((g) => `var acc_${m}_${g} = vec4<i32>(0);`)),
    ...(weightZp ? ms.map((m) => `var sum_${m} = 0;`) : []),
  ];
  const compute: string[] = [];
  const aRead = (m: number) => `a_tile[kk * A_STRIDE + pi + ${m * px}u]`;
  for (const g of gs) compute.push(`let w_${g} = b_tile[kk * TN + gi + ${g * gx}u];`);
  if (arithmetic === 'dot4') {
    for (const m of ms) compute.push(`let x_${m} = ${aRead(m)};`);
    for (const m of ms) for (const g of gs) compute.push(`acc_${m}_${g} += vec4<i32>(${lanes.map((l) => `dot4(x_${m}, w_${g}.${l})`).join(', ')});`);
    if (weightZp) {
      compute.push('let ones = ones_tile[kk];');
      for (const m of ms) compute.push(`sum_${m} += dot4(x_${m}, ones);`);
    }
  } else {
    // Each word sign-extended once, then i32 dot products (dot4 would unpack both operands per call).
    for (const m of ms) compute.push(`let x_${m} = unpack_i8x4(${aRead(m)});`);
    for (const g of gs) for (const l of lanes) compute.push(`let w_${g}${l} = unpack_i8x4(w_${g}.${l});`);
    for (const m of ms) for (const g of gs) compute.push(`acc_${m}_${g} += vec4<i32>(${lanes.map((l) => `dot(x_${m}, w_${g}${l})`).join(', ')});`);
    if (weightZp) {
      compute.push('let ones = unpack_i8x4(ones_tile[kk]);');
      for (const m of ms) compute.push(`sum_${m} += dot(x_${m}, ones);`);
    }
  }
  const tileSize = t.microPixels * t.microWords;
  // One requantization in the code, in a loop over the micro-tile (as convTileCode, for compile time).
  const store = [
    `var accs = array<vec4<i32>, ${tileSize}>(${ms.flatMap((m) => gs.map((g) => `acc_${m}_${g}`)).join(', ')});`,
    `var sums = array<i32, ${t.microPixels}>(${ms.map((m) => (weightZp ? `sum_${m}` : '0')).join(', ')});`,
    `var cps = array<array<vec4<i32>, 4>, ${t.microWords}>(${gs.map((g) => `word_params(n0 + gi + ${g * gx}u)`).join(', ')});`,
    `for (var i = 0u; i < ${tileSize}u; i++) {`,
    `  let m = m0 + pi + (i / ${t.microWords}u) * PX;`,
    `  let ocw = n0 + gi + (i % ${t.microWords}u) * GX;`,
    `  if (m < params.pixels && ocw < params.out_c4) {`,
    `    output[m * params.out_c4 + ocw] = requantize_word(accs[i], cps[i % ${t.microWords}u], sums[i / ${t.microWords}u]);`,
    `  }`,
    `}`,
  ];
  return { DECLARE: lines('  ', declare), COMPUTE: lines('      ', compute), STORE: lines('  ', store) };
}

/**
 * Weight words [outC padded][K] → [channel block][K chunk][TK][TN] vec4s (a vec4: one word of
 * each of 4 output channels), so that each workgroup's B tile is one contiguous run of storage
 * (coalesced vec4 loads); K past the last word and channels past the last block hold 0.
 */
export function workgroupWeights(packed: Int8Array, outC4: number, kWords: number, t: WorkgroupConvTile): Uint32Array {
  const src = new Uint32Array(packed.buffer, packed.byteOffset, packed.byteLength / 4);
  const chunks = Math.ceil(kWords / t.k);
  const blocks = Math.ceil(outC4 / t.words);
  const out = new Uint32Array(blocks * chunks * t.k * t.words * 4);
  const blockChannels = t.words * 4;
  for (let oc = 0; oc < outC4 * 4; oc++) {
    const block = Math.floor(oc / blockChannels);
    const local = oc % blockChannels;
    for (let k = 0; k < kWords; k++) {
      const chunk = Math.floor(k / t.k);
      out[(((block * chunks + chunk) * t.k + (k % t.k)) * t.words + (local >> 2)) * 4 + (local & 3)] = src[oc * kWords + k]!;
    }
  }
  return out;
}

/** WebGPU's guaranteed maxComputeWorkgroupStorageSize: a tile within it runs on every adapter. */
const GUARANTEED_WORKGROUP_STORAGE = 16384;

/**
 * The tile of one layer of `pixels` output pixels and `outC4` channel words: the program's,
 * reshaped at the same invocations where the layer fills only part of it. A layer with at most
 * half the tile's channel words takes twice the pixels by half the words (MobileNet v2's first
 * layers, 16-32 channels: a 64 × 16 tile would compute 8-12 of its 16 words for nothing), and one
 * with at most half its pixels half the pixels by twice the words (a FULLY_CONNECTED of one row,
 * MobileNet v2's 1×1 classifier over 1 pixel: 64 × 16 → 16 × 64, a quarter of the work), as often
 * as that holds, neither side passing the layer's, with the workgroup memory within WebGPU's
 * guaranteed 16 KiB (or the program tile's, which the adapter was checked to hold).
 */
export function layerWorkgroupConvTile(t: WorkgroupConvTile, pixels: number, outC4: number): WorkgroupConvTile {
  const maxBytes = Math.max(GUARANTEED_WORKGROUP_STORAGE, workgroupConvBytes(t));
  let tile = t;
  const fits = (next: WorkgroupConvTile) => workgroupConvBytes(next) <= maxBytes;
  while (tile.words / 2 >= outC4 && (tile.words / 2) % tile.microWords === 0 && tile.pixels < pixels) {
    const taller = { ...tile, pixels: tile.pixels * 2, words: tile.words / 2 };
    if (!fits(taller)) break;
    tile = taller;
  }
  while (tile.pixels / 2 >= pixels && (tile.pixels / 2) % tile.microPixels === 0 && tile.words < outC4) {
    const wider = { ...tile, pixels: tile.pixels / 2, words: tile.words * 2 };
    if (!fits(wider)) break;
    tile = wider;
  }
  return tile;
}

/** One layer on shaders/conv2d-shared.wgsl (the register kernel's preparation, src/kernels/conv2d.ts, shared). */
export function lowerWorkgroupConv(ctx: LoweringContext, layer: ConvLayer): LoweredOp {
  const programTile = ctx.tiles?.workgroupConv ?? DEFAULT_WORKGROUP_CONV_TILE;
  checkWorkgroupConvTile(programTile);
  const { g, inC4, outC4, label } = layer;
  const kWords = g.kH * g.kW * inC4;
  const pixels = g.batch * g.outH * g.outW;
  const t = layerWorkgroupConvTile(programTile, pixels, outC4);
  const kChunks = Math.ceil(kWords / t.k);
  const blocks = Math.ceil(outC4 / t.words);
  const tiles = Math.ceil(pixels / t.pixels) * blocks;
  // No f32 form: the kernel is for GPUs, where i32 (or dot4) is the fast int8 arithmetic.
  const arithmetic = (ctx.int8Arithmetic ?? 'dot4') === 'dot4' ? 'dot4' : 'i32';
  const vecA = inC4 % 4 === 0;
  const weightZp = layer.weightZp !== 0;
  const uniforms = uniformWords([
    ['u32', g.inH],
    ['u32', g.inW],
    ['u32', inC4],
    ['u32', g.outH],
    ['u32', g.outW],
    ['u32', outC4],
    ['u32', g.kW],
    ['u32', g.strideH],
    ['u32', g.strideW],
    ['u32', g.dilH],
    ['u32', g.dilW],
    ['i32', g.padTop],
    ['i32', g.padLeft],
    ['u32', splatByte(layer.inputZp)],
    ['u32', layer.lastWordMask],
    ['i32', layer.outputZp],
    ['i32', layer.actMin],
    ['i32', layer.actMax],
    ['i32', layer.weightZp],
    ['u32', pixels],
    ['u32', kWords],
    ['u32', kChunks],
    ['u32', blocks],
    ['u32', tiles],
  ]);
  const shader = int8Shader(ctx, convShaderSource(sharedSource), {
    TM: t.pixels,
    TN: t.words,
    TK: t.k,
    A_PAD: aTilePad(t),
    MP: t.microPixels,
    MG: t.microWords,
    THREADS: workgroupConvInvocations(t),
    GX: t.words / t.microWords,
    PX: t.pixels / t.microPixels,
    VA: vecA ? 4 : 1,
    VEC_A: vecA,
    WEIGHT_ZP: weightZp,
    RUY_REQUANT: layer.ruyRequant,
    F32_EPILOGUE: false,
    EXACT_SUMS: layer.exactSums,
    ...workgroupConvCode(t, arithmetic, weightZp),
  });
  const x = Math.min(tiles, ctx.maxWorkgroupsPerDimension);
  const y = Math.ceil(tiles / x);
  if (y > ctx.maxWorkgroupsPerDimension) throw new LoweringError(`${label}: ${tiles} workgroups are too many to dispatch`);
  return singleDispatch(label, shader, [
      { label: `${label} weights`, data: workgroupWeights(layer.packed, outC4, kWords, t), usage: 'storage' },
      { label: `${label} channel params`, data: layer.channelParams, usage: 'storage' },
      { label: `${label} params`, data: uniforms, usage: 'uniform' },
    ], [{ tensor: layer.input }, { constant: 0 }, { constant: 1 }, { tensor: layer.output }, { constant: 2 }], [x, y, 1]);
}
