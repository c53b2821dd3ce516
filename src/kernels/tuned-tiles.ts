// The tile parameters of the convolution kernels and the 1-D dispatch size, per adapter class,
// as `npm run bench -- --tune` measured them (bench/tune-kernels.ts prints, and with
// --tune-write rewrites, the entries of TUNED_TILES below). Every kernel is correct for any
// values in range (checkKernelTiles); the table only decides speed.
import { isSwiftShader, type CapabilityReport } from '../gpu/capabilities.ts';
import { LoweringError } from './lowering.ts';
import { checkWorkgroupConvTile, formatWorkgroupConvTile, type WorkgroupConvTile } from './conv2d-shared.ts';

export interface KernelTiles {
  /**
   * Most output pixels along W and most 4-channel words per invocation of the int8 conv kernel
   * (CONV_2D, FULLY_CONNECTED; shaders/conv2d.wgsl): each layer takes balanced parts of at most
   * these (convTile in src/kernels/conv2d.ts).
   */
  convPixels: number;
  convGroups: number;
  /** The same for the float conv kernel (shaders/float-conv.wgsl, floatConvTile). */
  floatConvPixels: number;
  floatConvGroups: number;
  /** Output pixels along W per depthwise invocation, 1-4 (shaders/depthwise.wgsl, shaders/float-depthwise.wgsl). */
  depthwisePixels: number;
  floatDepthwisePixels: number;
  /**
   * The tile of the workgroup-memory int8 conv kernel (shaders/conv2d-shared.wgsl), where the
   * adapter takes it (prefersWorkgroupTiles in src/kernels/conv2d-shared.ts) or
   * GpuProgramOptions.convKernel forces it.
   */
  workgroupConv: WorkgroupConvTile;
  /** Invocations per workgroup of every 1-D dispatch (LoweringContext.workgroupSize). */
  workgroupSize: number;
  /**
   * The fewest workgroups a convolution's dispatch is spread over: its workgroup size is halved
   * (down to 8) until it has this many (spreadWorkgroups in src/kernels/lowering.ts). 1: never.
   */
  minWorkgroups?: number;
  /**
   * Fewest input words (K / 4) for which an int8 layer with one output row takes the split-K GEMV
   * (shaders/gemv.wgsl) instead of the conv micro-tile: gemvApplies in src/kernels/conv2d.ts, with
   * the measurements behind each class's value. 2147483647, above any K the int8 path accepts
   * (assertAccumulatorFits), means never.
   */
  gemvMinWords: number;
  /**
   * Most invocations splitting one channel word's K in the GEMV, a power of two (its tree
   * reduction halves it); a workgroup holds workgroupSize / split channel words (gemvShape).
   */
  gemvSplit: number;
}

/**
 * The adapter classes tiles are measured for:
 * - 'swiftshader': SwiftShader (by Dawn route or by name), shaders on the CPU's SIMD lanes.
 * - 'llvmpipe': any other software adapter (llvmpipe, lavapipe, a browser's fallback adapter).
 * - 'gpu': everything else.
 */
export type AdapterClass = 'swiftshader' | 'llvmpipe' | 'gpu';

export const ADAPTER_CLASSES: readonly AdapterClass[] = ['swiftshader', 'llvmpipe', 'gpu'];

/**
 * The adapter's class, one predicate per class:
 * - SwiftShader is 'swiftshader' (isSwiftShader: Dawn's route, or the name Chromium reports).
 * - Any other adapter that runs shaders on the CPU is 'llvmpipe' (CapabilityReport.paths.softwareAdapter).
 * - Anything else is 'gpu'.
 */
export function adapterClass(caps: Pick<CapabilityReport, 'adapter' | 'paths'>): AdapterClass {
  if (isSwiftShader(caps.adapter)) return 'swiftshader';
  if (caps.paths.softwareAdapter) return 'llvmpipe';
  return 'gpu';
}

/**
 * The tiles of each adapter class. Before this table (SwiftShader, candidates alternated in one
 * process, P = 1, 2, 4, 8, 16 by 1, 2, 4 words; ResNet-8, VWW, MobileNet v2), conv 8 × 2 was the
 * fastest for int8 (ResNet-8 conv GPU median 74-98 ms against 78-126 for 4 × 2 and 108-141 for
 * 1 × 1, at about 0.4 s more pipeline compile time a model than 4 × 2; P = 16 did not finish
 * compiling in minutes) and for float (ResNet-8 36.8-76.0 ms against 46.7-79.0 for 4 × 2 and
 * 89.5-168.6 for 1 × 1; VWW 44.9 against 51.0 and 82.6); depthwise 4 the fastest of 1-4 (MobileNet
 * v2 3×3 layers 0.3-0.6× the time of 1, 2 in between, 3 no better than 4 on narrow outputs; float
 * VWW 0.4×); workgroup size 64 was not measured against others before. Each class's block (its
 * `// <class>` line, the comment lines after it and its entry) is what
 * `npm run bench -- --tune-write` rewrites, with that run's figures, on an adapter of that class.
 */
export const TUNED_TILES: Readonly<Record<AdapterClass, Readonly<KernelTiles>>> = {
  // swiftshader
  // The measurements above; `npm run bench -- --tune` (3 runs of 5, 8, 8 rounds on the loaded
  // 2-core machine, load average 3-6; sums of each dispatch's fastest round, timestamp-query, ms;
  // ResNet-8, VWW int8 and float, MobileNet v2) kept every value. Int8 conv 8 × 2 against 4 × 1,
  // 4 × 2, 8 × 1: 316.8 / 448.5, 390.6, 382.9; 517.0 / 695.4, 646.2, 497.7 (−4%, within the
  // noise); 513.3 / 722.7, 586.2, 610.3. Float conv: 9.0 / 13.0, 11.3, 10.0; 10.4 / 13.4, 11.1,
  // 12.2; 7.9 / 13.7, 10.9, 12.4. Int8 depthwise 4 against 2: 147.4 / 151.7; 229.6 / 245.8;
  // 196.0 / 221.7. Workgroup 64 against 32 and 128, all dispatches: 481.3 / 480.6, 476.8;
  // 770.5 / 767.6, 785.5; 725.4 / 790.4, 727.2 (within the noise: kept). Float depthwise (4 ms
  // a run) within the noise.
  // minWorkgroups 4 (SwiftShader runs a workgroup on one thread; this machine has 2 cores).
  // ResNet-8's 8×8×64 convolutions, 64 invocations, were one workgroup: with 2, in headless
  // Chromium (timestamp-query, one run each) conv2d#9 1.62 → 1.26 ms, conv2d#8 0.93 → 0.68; alone
  // in Node, 30 alternated runs, the fastest 1.51 → 0.79 ms but the median unchanged (1.57), Node's
  // main thread polling the device on the other core. Whole-model wall medians in the page (10
  // rounds, quiet machine), 1 / 2 / 4 / 8: ResNet-8 9.45, 9.90 / 8.35, 8.10 / 8.25, 8.35, 9.15 /
  // 8.30, 8.25 ms; VWW 12.0, 11.8 / 11.4, 11.3 / 10.5, 10.5, 10.8 / 10.9, 9.50. 4 over 8 for load
  // time: each workgroup size is another pipeline to compile (VWW's first run 1.2 s at 2, 1.6-1.7 at
  // 4, 1.9-2.3 at 8).
  swiftshader: { convPixels: 8, convGroups: 2, floatConvPixels: 8, floatConvGroups: 2, depthwisePixels: 4, floatDepthwisePixels: 4, workgroupConv: { pixels: 64, words: 16, k: 8, microPixels: 4, microWords: 2 }, workgroupSize: 64, minWorkgroups: 4, gemvMinWords: 2147483647, gemvSplit: 16 },
  // llvmpipe
  // `npm run bench -- --tune --backend llvmpipe` (2 runs of 8 rounds; no timestamp-query: sums of
  // each model's fastest wall time, ms, the int8 models for int8 kernels, float VWW for float
  // ones) kept SwiftShader's values. Int8 conv 8 × 2 against 4 × 1, 4 × 2, 8 × 1: 30.1 / 39.9,
  // 33.7, 36.2; 51.6 / 71.5, 58.7, 63.2. Depthwise 4 against 2: 28.7 / 31.3; 49.9 / 48.1 (−4%,
  // the other run +9%: within the noise). Workgroup 64 against 32 and 128, all models: 33.0 /
  // 33.3, 34.4; 55.2 / 55.2, 56.1. Float VWW (3-4 ms a run) within the noise.
  // Then int8 conv 8 × 4 replaced 8 × 2, measured per dispatch with timing: 'wall' (MobileNet v2
  // conv, sums of each dispatch's fastest of 6-10 alternated rounds, ms, 2 loaded cores, four
  // runs): 19.8 → 16.9, 24.4 → 20.3, 31.9 → 26.4, 20.9 → 17.5 (−15% to −17%), against 4 × 4
  // 21.4, 4 × 8 20.3 and 31.9, 6 × 4 23.3, 8 × 3 23.7, 8 × 8 23.0, 16 × 2 18.4, 16 × 4 25.1; in
  // the A/B harness 38.9 → 27.6, run median 120 → 92, VWW and ResNet-8 unchanged (2.1, 1.7 → 1.5).
  // Its cost is compile time: MobileNet v2's conv pipelines 2.1 → 4.0 s on a first load without
  // Mesa's shader cache (8 × 8 took 47 s, 16 × 4 17 s).
  llvmpipe: { convPixels: 8, convGroups: 4, floatConvPixels: 8, floatConvGroups: 2, depthwisePixels: 4, floatDepthwisePixels: 4, workgroupConv: { pixels: 64, words: 16, k: 8, microPixels: 4, microWords: 2 }, workgroupSize: 64, gemvMinWords: 2147483647, gemvSplit: 16 },
  // gpu
  // No real GPU has measured these: SwiftShader's values, which a GPU run of --tune should replace;
  // workgroupConv is WORKGROUP_CONV_CANDIDATES' first (src/kernels/conv2d-shared.ts), the kernel this
  // class takes for CONV_2D and FULLY_CONNECTED, unmeasured too. The software classes never take it
  // unless forced (prefersWorkgroupTiles): their entry only serves the forced runs.
  gpu: { convPixels: 8, convGroups: 2, floatConvPixels: 8, floatConvGroups: 2, depthwisePixels: 4, floatDepthwisePixels: 4, workgroupConv: { pixels: 64, words: 16, k: 8, microPixels: 4, microWords: 2 }, workgroupSize: 64, gemvMinWords: 16, gemvSplit: 64 },
};

/** Near-equal parts of at most `max` each covering `n`: fewer wasted lanes than max-wide parts plus a remainder. */
export function balancedPart(n: number, max: number): number {
  return Math.ceil(n / Math.ceil(n / max));
}

/** Tiles where a LoweringContext carries none (tests lowering ops by hand): the 'gpu' entry. */
export const DEFAULT_KERNEL_TILES: Readonly<KernelTiles> = TUNED_TILES.gpu;

/** The tiles for this adapter: its class's entry of TUNED_TILES. */
export function tunedTiles(caps: Pick<CapabilityReport, 'adapter' | 'paths'>): KernelTiles {
  const entry = TUNED_TILES[adapterClass(caps)];
  return { ...entry, workgroupConv: { ...entry.workgroupConv } };
}

/**
 * Refuses tiles the kernels cannot take: the depthwise strips are written out for 1-4 pixels, the
 * conv tiles need at least one pixel and one word, the workgroup conv tile must divide evenly
 * (checkWorkgroupConvTile; whether the adapter holds it is decided where it is taken), and a
 * workgroup must fit the adapter's limits.
 */
export function checkKernelTiles(tiles: KernelTiles, limits: { maxComputeInvocationsPerWorkgroup: number; maxComputeWorkgroupSizeX: number }): void {
  const positive = (name: Exclude<keyof KernelTiles, 'workgroupConv' | 'minWorkgroups'>) => {
    if (!Number.isInteger(tiles[name]) || tiles[name] < 1) throw new LoweringError(`kernel tiles: ${name} must be a positive integer, got ${tiles[name]}`);
  };
  for (const name of ['convPixels', 'convGroups', 'floatConvPixels', 'floatConvGroups', 'depthwisePixels', 'floatDepthwisePixels', 'workgroupSize', 'gemvMinWords', 'gemvSplit'] as const) positive(name);
  if (tiles.minWorkgroups !== undefined && (!Number.isInteger(tiles.minWorkgroups) || tiles.minWorkgroups < 1)) {
    throw new LoweringError(`kernel tiles: minWorkgroups must be a positive integer, got ${tiles.minWorkgroups}`);
  }
  if ((tiles.gemvSplit & (tiles.gemvSplit - 1)) !== 0) throw new LoweringError(`kernel tiles: gemvSplit must be a power of two (the GEMV's tree reduction), got ${tiles.gemvSplit}`);
  for (const name of ['depthwisePixels', 'floatDepthwisePixels'] as const) {
    if (tiles[name] > 4) throw new LoweringError(`kernel tiles: ${name} must be 1-4 (the depthwise strip), got ${tiles[name]}`);
  }
  checkWorkgroupConvTile(tiles.workgroupConv);
  const maxWorkgroup = Math.min(limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX);
  if (tiles.workgroupSize > maxWorkgroup) throw new LoweringError(`kernel tiles: workgroupSize ${tiles.workgroupSize} is above this adapter's limit of ${maxWorkgroup}`);
}

/** One TUNED_TILES entry as TypeScript, as it is checked in. */
export function formatTilesEntry(cls: AdapterClass, t: KernelTiles): string {
  return `${cls}: { convPixels: ${t.convPixels}, convGroups: ${t.convGroups}, floatConvPixels: ${t.floatConvPixels}, floatConvGroups: ${t.floatConvGroups}, depthwisePixels: ${t.depthwisePixels}, floatDepthwisePixels: ${t.floatDepthwisePixels}, workgroupConv: ${formatWorkgroupConvTile(t.workgroupConv)}, workgroupSize: ${t.workgroupSize}, ${t.minWorkgroups === undefined ? '' : `minWorkgroups: ${t.minWorkgroups}, `}gemvMinWords: ${t.gemvMinWords}, gemvSplit: ${t.gemvSplit} },`;
}
