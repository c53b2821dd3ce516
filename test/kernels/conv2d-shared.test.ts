// The workgroup-memory int8 conv kernel (shaders/conv2d-shared.wgsl), forced on the software
// adapters (GpuProgramOptions.convKernel), equals the CPU reference byte for byte: random
// convolutions (1×1, 3×3, 5×5, stride 2, dilation 2, SAME and VALID, channels not multiples of 4,
// per-channel int8 and legacy uint8 with a weight zero point, batches), explicit padding from a
// folded PAD, FULLY_CONNECTED over several rows, sizes off every tile (several tiles, one whose
// A-tile pass has rows past TM), in dot4 and i32 arithmetic, with dot4I8Packed and its fallback,
// both requantizations; then whole asset models. Also its selection: the GPU class only, and only
// where the adapter holds the tile.
import { describe, expect, it } from 'vitest';
import type { Activation, Padding } from '../../src/model/graph.ts';
import { importTflite } from '../../src/model/import.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { prepareReference, runReferenceAll } from '../../src/reference/run.ts';
import { describeAdapter, formatCapabilityReport, type CapabilityReport } from '../../src/gpu/capabilities.ts';
import { lowerOp } from '../../src/kernels/registry.ts';
import {
  checkWorkgroupConvTile,
  DEFAULT_WORKGROUP_CONV_TILE,
  layerWorkgroupConvTile,
  prefersWorkgroupTiles,
  workgroupConvBytes,
  workgroupConvCode,
  workgroupConvInvocations,
  WORKGROUP_CONV_CANDIDATES,
  type WorkgroupConvTile,
} from '../../src/kernels/conv2d-shared.ts';
import { DEFAULT_KERNEL_TILES } from '../../src/kernels/tuned-tiles.ts';
import { LoweringError } from '../../src/kernels/lowering.ts';
import { convGraph, describeCase, fullyConnectedGraph, randomInput, type ConvCase } from '../helpers/graphs.ts';
import { compareTensors, gpuVersusReference } from '../helpers/compare.ts';
import { DOT4_MODES, REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { withPadBefore } from '../helpers/pad-conv-graphs.ts';
import { modelBytes, readTyped, vectorEntries } from '../helpers/vectors.ts';
import { mulberry32, pick, randInt } from '../helpers/rng.ts';

const ACTIVATIONS: Activation[] = ['NONE', 'RELU', 'RELU6'];
const PADDINGS: Padding[] = ['SAME', 'VALID'];
/** The kernel's two arithmetics ('f32' takes 'i32': the kernel has no f32 form). */
const ARITHMETICS = ['dot4', 'i32'] as const;

/**
 * The default tile, a small one (so that small layers span several workgroups in both
 * directions), and an odd one: 6 pixels (not a power of 2) whose A-tile loads run one pass with
 * rows past TM (48 invocations for 6 × 4 or 6 × 1 loads).
 */
const ODD_TILE: WorkgroupConvTile = { pixels: 6, words: 8, k: 4, microPixels: 1, microWords: 1 };
const TEST_TILES: WorkgroupConvTile[] = [DEFAULT_WORKGROUP_CONV_TILE, { pixels: 32, words: 8, k: 8, microPixels: 2, microWords: 2 }, ODD_TILE];

const tilesOf = (workgroupConv: WorkgroupConvTile) => ({ workgroupConv });
const describeTile = (t: WorkgroupConvTile) => `${t.pixels}×${t.words}×${t.k} (${t.microPixels}×${t.microWords})`;

function randomCases(seed: number, count: number): ConvCase[] {
  const rng = mulberry32(seed);
  return Array.from({ length: count }, (_, i) => {
    const k = [1, 3, 5][i % 3]!;
    const dilation = i % 4 === 3 ? 2 : 1;
    const effective = (k - 1) * dilation + 1;
    return {
      kind: 'conv',
      dtype: i % 3 === 1 ? 'uint8' : 'int8',
      batch: i % 5 === 2 ? 2 : 1,
      inH: randInt(rng, effective, effective + 9),
      inW: randInt(rng, effective, effective + 9),
      // Channel words whole (vec4 A loads) and with remainders (word loads, masked row sums).
      inC: pick(rng, [1, 3, 5, 7, 13, 16, 32, 36]),
      outC: pick(rng, [1, 5, 8, 11, 16, 37, 70]),
      k,
      stride: i % 2 === 1 ? 2 : 1,
      dilation,
      padding: PADDINGS[Math.floor(i / 2) % 2]!,
      activation: ACTIVATIONS[i % 3]!,
      depthMultiplier: 1,
      bias: i % 6 !== 5,
    } satisfies ConvCase;
  });
}

for (const [dot4, requantization] of DOT4_MODES.flatMap((d) => REQUANTIZATION_MODES.map((r) => [d, r] as const))) {
  describe(`workgroup conv kernel equals the reference (dot4 ${dot4}, ${requantization} requantization)`, () => {
    it('random convolutions: 1×1, 3×3, 5×5, strides, dilation, SAME/VALID, odd channels, uint8, over three tiles', async () => {
      const ctx = await testContext(dot4);
      const failures: string[] = [];
      const cases = randomCases(31, 15);
      const uint8 = cases.filter((c) => c.dtype === 'uint8').length;
      expect(uint8).toBeGreaterThan(3);
      for (const [i, c] of cases.entries()) {
        const rng = mulberry32(3100 + i);
        const graph = convGraph(rng, c);
        const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
        const tile = TEST_TILES[i % TEST_TILES.length]!;
        for (const int8Arithmetic of ARITHMETICS) {
          const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic, convKernel: 'workgroup', tiles: tilesOf(tile) });
          if (cmp!.differing > 0) failures.push(`${describeCase(c)} tile ${describeTile(tile)} (${int8Arithmetic}): ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
        }
      }
      expect(failures).toEqual([]);
    });

    it('fully connected: several rows, per-channel, uint8 with a weight zero point, rows and units off the tile', async () => {
      const ctx = await testContext(dot4);
      const rng = mulberry32(97);
      const failures: string[] = [];
      const specs = [
        { dtype: 'int8', batch: 1, depth: 10, units: 7, perChannel: false, activation: 'NONE' },
        { dtype: 'int8', batch: 3, depth: 33, units: 12, perChannel: true, activation: 'RELU' },
        { dtype: 'uint8', batch: 5, depth: 64, units: 10, perChannel: false, activation: 'RELU6' },
        { dtype: 'int8', batch: 70, depth: 48, units: 90, perChannel: true, activation: 'NONE' },
        { dtype: 'uint8', batch: 20, depth: 13, units: 16, perChannel: false, activation: 'RELU' },
        // One row, many units: the default tile narrows to 16 pixels × 64 words (layerWorkgroupConvTile).
        { dtype: 'int8', batch: 1, depth: 40, units: 300, perChannel: true, activation: 'RELU6' },
        { dtype: 'uint8', batch: 2, depth: 24, units: 130, perChannel: false, activation: 'NONE' },
      ] as const;
      for (const [i, spec] of specs.entries()) {
        const graph = fullyConnectedGraph(rng, spec);
        const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
        const tile = spec.batch <= 2 && spec.units > 100 ? DEFAULT_WORKGROUP_CONV_TILE : TEST_TILES[i % TEST_TILES.length]!;
        for (const int8Arithmetic of ARITHMETICS) {
          const [cmp] = await gpuVersusReference(ctx, graph, [input], requantization, { int8Arithmetic, convKernel: 'workgroup', tiles: tilesOf(tile) });
          if (cmp!.differing > 0) failures.push(`${graph.name} tile ${describeTile(tile)} (${int8Arithmetic}): ${cmp!.differing} differ, ${cmp!.firstDiff}`);
        }
      }
      expect(failures).toEqual([]);
    });
  });
}

describe('workgroup conv kernel: every tuner candidate', () => {
  // The tuner may pick any candidate (bench/tune-kernels.ts): each on word loads (3 input
  // channels) and vec4 loads (32), with a weight zero point, where its A tile takes 1-16 passes.
  it('each WORKGROUP_CONV_CANDIDATES tile equals the reference', async () => {
    const ctx = await testContext();
    const rng = mulberry32(41);
    const failures: string[] = [];
    for (const tile of WORKGROUP_CONV_CANDIDATES) {
      for (const [inC, dtype] of [[3, 'uint8'], [32, 'int8']] as const) {
        const c: ConvCase = { kind: 'conv', dtype, batch: 1, inH: 13, inW: 11, inC, outC: 70, k: 3, stride: 1, dilation: 1, padding: 'SAME', activation: 'RELU', depthMultiplier: 1, bias: true };
        const graph = convGraph(rng, c);
        const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
        const [cmp] = await gpuVersusReference(ctx, graph, [input], 'xnnpack', { convKernel: 'workgroup', tiles: tilesOf(tile) });
        if (cmp!.differing > 0) failures.push(`${describeCase(c)} tile ${describeTile(tile)}: ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('workgroup conv kernel: explicit padding (a PAD folded into the convolution)', () => {
  it('asymmetric and wide pads, stride 2, dilation 2, int8 and uint8, one dispatch equal to the unfused reference', async () => {
    const ctx = await testContext();
    const rng = mulberry32(73);
    const failures: string[] = [];
    const shapes = [
      { h: 8, w: 8, inC: 3, outC: 8, k: 3, stride: 2, dilation: 1, pads: { top: 0, bottom: 1, left: 0, right: 1 } },
      { h: 7, w: 9, inC: 5, outC: 6, k: 3, stride: 1, dilation: 2, pads: { top: 2, bottom: 0, left: 3, right: 1 } },
      { h: 6, w: 6, inC: 8, outC: 4, k: 5, stride: 2, dilation: 1, pads: { top: 1, bottom: 2, left: 2, right: 1 } },
      { h: 5, w: 4, inC: 16, outC: 5, k: 3, stride: 1, dilation: 1, pads: { top: 4, bottom: 3, left: 3, right: 4 } },
    ];
    for (const [i, s] of shapes.entries()) {
      const dtype = i % 2 ? 'uint8' : 'int8';
      const c: ConvCase = { kind: 'conv', dtype, batch: 1, inH: s.h + s.pads.top + s.pads.bottom, inW: s.w + s.pads.left + s.pads.right, inC: s.inC, outC: s.outC, k: s.k, stride: s.stride, dilation: s.dilation, padding: 'VALID', activation: 'RELU6', depthMultiplier: 1, bias: true };
      const graph = withPadBefore(convGraph(rng, c), s.pads);
      const input = randomInput(rng, graph.tensors[graph.inputs[0]!]!);
      for (const requantization of REQUANTIZATION_MODES) {
        const expected = runReferenceAll(graph, [input], { requantization }).get(graph.outputs[0]!)!;
        const program = await GpuProgram.build(ctx, graph, { requantization, convKernel: 'workgroup', tiles: tilesOf(TEST_TILES[i % TEST_TILES.length]!) });
        try {
          const steps = program.stepList();
          if (steps.length !== 1) failures.push(`${describeCase(c)}: steps ${steps.map((x) => x.label).join(', ')}`);
          const { outputs } = await program.run([input]);
          const cmp = compareTensors(outputs[0]!, expected);
          if (cmp.differing > 0) failures.push(`${describeCase(c)} pads ${JSON.stringify(s.pads)} (${requantization}): ${cmp.differing}/${cmp.elements} differ, ${cmp.firstDiff}`);
        } finally {
          program.dispose();
        }
      }
    }
    expect(failures).toEqual([]);
  });
});

describe('workgroup conv kernel: asset models equal the reference', () => {
  const entries = vectorEntries();
  for (const path of ['models/coral/mobilenet_v2_1.0_224_quant.tflite', 'models/mlperf-tiny/pretrainedResnet_quant.tflite']) {
    it(`${path.split('/').pop()}`, async () => {
      const ctx = await testContext();
      const graph = importTflite(modelBytes(path), path);
      const vectors = entries.filter((e) => e.model === path).slice(0, 2);
      expect(vectors.length).toBeGreaterThan(0);
      const reference = prepareReference(graph, { requantization: 'xnnpack' });
      const program = await GpuProgram.build(ctx, graph, { requantization: 'xnnpack', convKernel: 'workgroup' });
      try {
        for (const e of vectors) {
          const input = readTyped(e.input_file, e.input_dtype);
          const { outputs } = await program.run([input]);
          const [expected] = reference.run([input]);
          expect(compareTensors(outputs[0]!, expected!), `${e.input_file}`).toMatchObject({ differing: 0 });
        }
      } finally {
        program.dispose();
      }
    }, 300_000);
  }
});

function caps(backend: string, softwareAdapter: boolean, vendor = ''): Pick<CapabilityReport, 'adapter' | 'paths'> {
  return {
    adapter: { vendor, architecture: '', device: '', description: '', isFallbackAdapter: false, backend },
    paths: { dot4I8Packed: true, timestampQuery: false, subgroups: false, shaderF16: false, softwareAdapter },
  };
}

describe('workgroup conv kernel: selection and tiles', () => {
  const limits = { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256, maxComputeWorkgroupStorageSize: 16384 };

  it('prefersWorkgroupTiles: a GPU that holds the tile; never a software adapter', () => {
    expect(prefersWorkgroupTiles(caps('dawn-default', false, 'nvidia'), DEFAULT_WORKGROUP_CONV_TILE, limits)).toBe(true);
    expect(prefersWorkgroupTiles(caps('dawn-swiftshader', true), DEFAULT_WORKGROUP_CONV_TILE, limits)).toBe(false);
    expect(prefersWorkgroupTiles(caps('dawn-llvmpipe-gles', true), DEFAULT_WORKGROUP_CONV_TILE, limits)).toBe(false);
    const bytes = workgroupConvBytes(DEFAULT_WORKGROUP_CONV_TILE);
    expect(prefersWorkgroupTiles(caps('browser', false, 'amd'), DEFAULT_WORKGROUP_CONV_TILE, { ...limits, maxComputeWorkgroupStorageSize: bytes - 4 })).toBe(false);
    expect(prefersWorkgroupTiles(caps('browser', false, 'amd'), DEFAULT_WORKGROUP_CONV_TILE, { ...limits, maxComputeWorkgroupStorageSize: bytes })).toBe(true);
    const invocations = workgroupConvInvocations(DEFAULT_WORKGROUP_CONV_TILE);
    expect(prefersWorkgroupTiles(caps('browser', false, 'amd'), DEFAULT_WORKGROUP_CONV_TILE, { ...limits, maxComputeInvocationsPerWorkgroup: invocations - 1 })).toBe(false);
  });

  it('every candidate is a valid tile within WebGPU\'s default limits; bad tiles are refused', () => {
    for (const t of WORKGROUP_CONV_CANDIDATES) {
      expect(() => checkWorkgroupConvTile(t)).not.toThrow();
      expect(workgroupConvInvocations(t)).toBeLessThanOrEqual(256);
      expect(workgroupConvBytes(t)).toBeLessThanOrEqual(16384);
    }
    expect(() => checkWorkgroupConvTile({ ...ODD_TILE, k: 6 })).toThrow(/multiple of 4/);
    expect(() => checkWorkgroupConvTile({ ...ODD_TILE, microPixels: 4 })).toThrow(/microPixels must divide/);
    expect(() => checkWorkgroupConvTile({ pixels: 4, words: 3, k: 8, microPixels: 1, microWords: 1 })).toThrow(/k must divide/);
  });

  it('the option reaches the lowering: the forced kernel stages tiles in workgroup memory, the default kernel does not', async () => {
    const rng = mulberry32(5);
    const graph = convGraph(rng, { kind: 'conv', dtype: 'int8', batch: 1, inH: 6, inW: 6, inC: 8, outC: 8, k: 3, stride: 1, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true });
    const code = (workgroupConv: boolean) => {
      const lowered = lowerOp({ graph, useDot4: true, requantization: 'tflite', workgroupSize: 64, maxWorkgroupsPerDimension: 65535, tiles: DEFAULT_KERNEL_TILES, workgroupConv }, graph.ops[0]!);
      const step = lowered.steps[0]!;
      return 'dispatch' in step ? step.dispatch.code : '';
    };
    expect(code(true)).toContain('var<workgroup> a_tile');
    expect(code(false)).not.toContain('var<workgroup>');
    // A tile the adapter cannot hold is refused at build, not left to pipeline creation.
    const ctx = await testContext();
    const huge: WorkgroupConvTile = { pixels: 1024, words: 64, k: 64, microPixels: 4, microWords: 4 };
    await expect(GpuProgram.build(ctx, graph, { convKernel: 'workgroup', tiles: tilesOf(huge) })).rejects.toThrow(LoweringError);
  });

  it('a layer filling half the tile or less takes it reshaped: as many invocations, within 16 KiB and the layer\'s sides', () => {
    const t = DEFAULT_WORKGROUP_CONV_TILE;
    // Few pixels: half the pixels by twice the words, while the words stay below the layer's.
    expect(layerWorkgroupConvTile(t, 1, 251)).toEqual({ ...t, pixels: 16, words: 64 });
    expect(layerWorkgroupConvTile(t, 2, 40)).toEqual({ ...t, pixels: 16, words: 64 });
    expect(layerWorkgroupConvTile(t, 20, 251)).toEqual({ ...t, pixels: 32, words: 32 });
    expect(layerWorkgroupConvTile(t, 1, 10)).toEqual(t);
    // Few channel words: twice the pixels by half the words, while the pixels stay below the layer's.
    expect(layerWorkgroupConvTile(t, 12544, 4)).toEqual({ ...t, pixels: 256, words: 4 });
    expect(layerWorkgroupConvTile(t, 12544, 8)).toEqual({ ...t, pixels: 128, words: 8 });
    expect(layerWorkgroupConvTile(t, 100, 2)).toEqual({ ...t, pixels: 128, words: 8 });
    // A layer that fills the tile keeps it.
    expect(layerWorkgroupConvTile(t, 64, 16)).toEqual(t);
    expect(layerWorkgroupConvTile(t, 40, 12)).toEqual(t);
    for (const c of WORKGROUP_CONV_CANDIDATES) {
      for (const [pixels, words] of [[1, 1000], [100000, 1], [3, 5]] as const) {
        const reshaped = layerWorkgroupConvTile(c, pixels, words);
        expect(workgroupConvInvocations(reshaped)).toBe(workgroupConvInvocations(c));
        expect(workgroupConvBytes(reshaped)).toBeLessThanOrEqual(16384);
        expect(() => checkWorkgroupConvTile(reshaped)).not.toThrow();
      }
    }
  });

  it('the capability report records the subgroup sizes an adapter reports, and none where it reports none', () => {
    const adapter = (info: Record<string, unknown>) => ({ info: { vendor: 'nvidia', architecture: '', device: '', description: '', ...info }, features: new Set(['subgroups']), limits: { maxComputeWorkgroupStorageSize: 49152 } }) as unknown as GPUAdapter;
    const report = describeAdapter(adapter({ subgroupMinSize: 32, subgroupMaxSize: 32 }), [], 'browser');
    expect(report.adapter.subgroupSizes).toEqual({ min: 32, max: 32 });
    expect(formatCapabilityReport(report)).toContain('(sizes 32-32)');
    expect(describeAdapter(adapter({}), [], 'browser').adapter.subgroupSizes).toBeUndefined();
  });

  it('the micro-tile code: one accumulator per pixel and word, row sums only with a weight zero point', () => {
    const t = DEFAULT_WORKGROUP_CONV_TILE;
    const code = workgroupConvCode(t, 'dot4', false);
    expect(code.DECLARE.match(/var acc_/g)).toHaveLength(t.microPixels * t.microWords);
    expect(code.COMPUTE).not.toContain('ones');
    expect(workgroupConvCode(t, 'i32', true).COMPUTE.match(/sum_\d \+= dot\(/g)).toHaveLength(t.microPixels);
  });
});
