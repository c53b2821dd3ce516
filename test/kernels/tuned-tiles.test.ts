// The kernel tiles (src/kernels/tuned-tiles.ts): the adapter class each adapter gets, one case per
// predicate; what --tune-write rewrites of the table; the tiles a program refuses; the tiles
// reaching the shaders; and conv, FC and depthwise layers with W and channel remainders equal to
// the CPU reference under forced tile candidates other than the adapter's (byte for byte in int8,
// in each int8 arithmetic; within the float tolerance in float32), since `npm run bench -- --tune`
// may check any candidate in.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeTilesEntry } from '../../bench/tune-kernels.ts';
import type { CapabilityReport } from '../../src/gpu/capabilities.ts';
import type { Graph } from '../../src/model/graph.ts';
import { convTile } from '../../src/kernels/conv2d.ts';
import { floatConvTile } from '../../src/kernels/float/conv.ts';
import { LoweringError, spreadWorkgroups } from '../../src/kernels/lowering.ts';
import { lowerOp } from '../../src/kernels/registry.ts';
import { adapterClass, checkKernelTiles, DEFAULT_KERNEL_TILES, formatTilesEntry, TUNED_TILES, type KernelTiles } from '../../src/kernels/tuned-tiles.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { gpuVersusReference } from '../helpers/compare.ts';
import { describeFailures, floatConvGraph, floatFullyConnectedGraph, floatGpuVersusReference, randomFloatInput } from '../helpers/float-graphs.ts';
import { CONV_TILE_SHAPES, convGraph, describeCase, fullyConnectedGraph, randomInput, type ConvCase } from '../helpers/graphs.ts';
import { INT8_ARITHMETICS, testContext } from '../helpers/gpu.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { WORKGROUP_CONV_CANDIDATES } from '../../src/kernels/conv2d-shared.ts';

function caps(adapter: Partial<CapabilityReport['adapter']>, softwareAdapter: boolean): Pick<CapabilityReport, 'adapter' | 'paths'> {
  return {
    adapter: { vendor: '', architecture: '', device: '', description: '', isFallbackAdapter: false, backend: 'browser', ...adapter },
    paths: { dot4I8Packed: true, timestampQuery: false, subgroups: false, shaderF16: false, softwareAdapter },
  };
}

/** Candidates unlike the table's 8 × 2 / 4 / 64: each conv shape, strip and workgroup size the tuner may pick, and a depthwise strip of 3. */
const CANDIDATES: KernelTiles[] = [
  { convPixels: 4, convGroups: 1, floatConvPixels: 2, floatConvGroups: 4, depthwisePixels: 1, floatDepthwisePixels: 3, workgroupConv: WORKGROUP_CONV_CANDIDATES[1]!, workgroupSize: 32, gemvMinWords: 1, gemvSplit: 16 },
  { convPixels: 2, convGroups: 4, floatConvPixels: 8, floatConvGroups: 2, depthwisePixels: 2, floatDepthwisePixels: 1, workgroupConv: WORKGROUP_CONV_CANDIDATES[2]!, workgroupSize: 128, gemvMinWords: 1, gemvSplit: 16 },
  { convPixels: 8, convGroups: 2, floatConvPixels: 4, floatConvGroups: 1, depthwisePixels: 3, floatDepthwisePixels: 2, workgroupConv: WORKGROUP_CONV_CANDIDATES[0]!, workgroupSize: 64, gemvMinWords: 1, gemvSplit: 16 },
];

const describeTiles = (t: KernelTiles) => `conv ${t.convPixels}×${t.convGroups}, float conv ${t.floatConvPixels}×${t.floatConvGroups}, depthwise ${t.depthwisePixels}/${t.floatDepthwisePixels}, workgroup ${t.workgroupSize}`;

// CONV_TILE_SHAPES rows with W remainders under every candidate and channel-word remainders
// (13 → 21, 4 → 13, 16 → 17, 5 → 12 output channels; 7, 9, 13 and 9 output columns).
const CONV_SHAPES = [3, 4, 6, 7].map((i) => CONV_TILE_SHAPES[i]!);
// [inH, inW, inC, k, stride, dilation, depth multiplier]: strips with remainders, column reuse
// (stride 1 and stride 2 with dilation 1), none (dilation 2), a multiplier, 16-channel words.
const DEPTHWISE_SHAPES: Array<[number, number, number, number, number, number, number]> = [
  [5, 9, 8, 3, 1, 1, 1],
  [6, 11, 5, 3, 2, 1, 1],
  [7, 10, 16, 3, 1, 2, 1],
  [5, 7, 3, 3, 1, 1, 2],
];

describe('adapterClass', () => {
  it('SwiftShader by Dawn route or by the name a browser reports; another software adapter is llvmpipe; anything else a GPU', () => {
    expect(adapterClass(caps({ backend: 'dawn-swiftshader' }, true))).toBe('swiftshader');
    expect(adapterClass(caps({ vendor: 'google', architecture: 'swiftshader' }, true))).toBe('swiftshader');
    expect(adapterClass(caps({ backend: 'dawn-llvmpipe-gles', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }, true))).toBe('llvmpipe');
    expect(adapterClass(caps({ isFallbackAdapter: true }, true))).toBe('llvmpipe');
    expect(adapterClass(caps({ vendor: 'nvidia', architecture: 'ada' }, false))).toBe('gpu');
  });

  it('every class has an entry the kernels take, printed as it is checked in', () => {
    for (const [cls, tiles] of Object.entries(TUNED_TILES)) {
      expect(() => checkKernelTiles(tiles, { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256 })).not.toThrow();
      expect(formatTilesEntry(cls as keyof typeof TUNED_TILES, tiles)).toMatch(new RegExp(`^${cls}: \\{ convPixels: ${tiles.convPixels}, .* workgroupSize: ${tiles.workgroupSize}, ${tiles.minWorkgroups === undefined ? '' : `minWorkgroups: ${tiles.minWorkgroups}, `}gemvMinWords: ${tiles.gemvMinWords}, gemvSplit: ${tiles.gemvSplit} \\},$`));
    }
  });
});

describe('npm run bench -- --tune-write', () => {
  it("rewrites one class's block of the checked-in table, its comments and entry, and nothing else", () => {
    const source = readFileSync('src/kernels/tuned-tiles.ts', 'utf8');
    const dir = mkdtempSync(join(tmpdir(), 'octet-tiles-'));
    try {
      const file = join(dir, 'tuned-tiles.ts');
      writeFileSync(file, source);
      const tiles: KernelTiles = { ...TUNED_TILES.llvmpipe, depthwisePixels: 2, workgroupSize: 128 };
      writeTilesEntry(file, 'llvmpipe', formatTilesEntry('llvmpipe', tiles), ['measured on a test, ms: 1.0 against 2.0']);
      const written = readFileSync(file, 'utf8');
      expect(written).toContain(`  // llvmpipe\n  // measured on a test, ms: 1.0 against 2.0\n  ${formatTilesEntry('llvmpipe', tiles)}\n  // gpu\n`);
      const others = (text: string) => text.replace(/ {2}\/\/ llvmpipe\n[\s\S]*?\n(?= {2}\/\/ gpu\n)/, '');
      expect(others(written)).toBe(others(source));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('kernel tiles', () => {
  it('refuses depthwise strips past 4, empty tiles, GEMV splits not a power of two and workgroups past the adapter limit', async () => {
    const limits = { maxComputeInvocationsPerWorkgroup: 256, maxComputeWorkgroupSizeX: 256 };
    expect(() => checkKernelTiles({ ...DEFAULT_KERNEL_TILES, depthwisePixels: 5 }, limits)).toThrow(/depthwisePixels must be 1-4/);
    expect(() => checkKernelTiles({ ...DEFAULT_KERNEL_TILES, floatConvGroups: 0 }, limits)).toThrow(LoweringError);
    expect(() => checkKernelTiles({ ...DEFAULT_KERNEL_TILES, workgroupSize: 512 }, limits)).toThrow(/above this adapter's limit of 256/);
    expect(() => checkKernelTiles({ ...DEFAULT_KERNEL_TILES, gemvSplit: 24 }, limits)).toThrow(/gemvSplit must be a power of two/);
    expect(() => checkKernelTiles({ ...DEFAULT_KERNEL_TILES, gemvMinWords: 0 }, limits)).toThrow(LoweringError);
    expect(() => checkKernelTiles({ ...DEFAULT_KERNEL_TILES, minWorkgroups: 0 }, limits)).toThrow(/minWorkgroups must be a positive integer/);
    const ctx = await testContext();
    const graph = convGraph(mulberry32(1), { kind: 'depthwise', dtype: 'int8', batch: 1, inH: 5, inW: 5, inC: 4, outC: 4, k: 3, stride: 1, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true });
    await expect(GpuProgram.build(ctx, graph, { tiles: { floatDepthwisePixels: 8 } })).rejects.toThrow(/floatDepthwisePixels must be 1-4/);
  });

  it('minWorkgroups spreads a small dispatch over smaller workgroups, down to 8 invocations, and reaches the shader', () => {
    // An 8×8 output of 4 channel words at 8 × 2: 8 rows × 1 strip × 2 blocks = 16 invocations.
    const graph = convGraph(mulberry32(4), { kind: 'conv', dtype: 'int8', batch: 1, inH: 8, inW: 8, inC: 8, outC: 16, k: 3, stride: 1, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true });
    const base = { graph, useDot4: false, requantization: 'xnnpack', workgroupSize: 64, maxWorkgroupsPerDimension: 65535 } as const;
    const spread = (invocations: number, minWorkgroups?: number) => spreadWorkgroups({ ...base, tiles: { ...DEFAULT_KERNEL_TILES, ...(minWorkgroups === undefined ? {} : { minWorkgroups }) } }, invocations).workgroupSize;
    expect(spread(64)).toBe(64);
    expect(spread(64, 1)).toBe(64);
    expect(spread(64, 2)).toBe(32);
    expect(spread(65, 2)).toBe(64);
    expect(spread(200, 4)).toBe(64);
    expect(spread(10, 4)).toBe(8);
    const tiles = { ...DEFAULT_KERNEL_TILES, convPixels: 8, convGroups: 2, minWorkgroups: 2 };
    const step = lowerOp({ ...base, graph, int8Arithmetic: 'f32', tiles }, graph.ops[0]!).steps[0]!;
    expect('dispatch' in step && step.dispatch.code).toContain('@workgroup_size(8)');
    expect('dispatch' in step && step.dispatch.workgroups).toEqual([2, 1, 1]);
  });

  it('the forced tiles reach the shaders: register tile, depthwise strip, workgroup size', () => {
    const graph = convGraph(mulberry32(2), { kind: 'conv', dtype: 'int8', batch: 1, inH: 4, inW: 16, inC: 8, outC: 32, k: 3, stride: 1, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true });
    const codeOf = (g: Graph, tiles: KernelTiles) => {
      const step = lowerOp({ graph: g, useDot4: false, requantization: 'xnnpack', workgroupSize: tiles.workgroupSize, maxWorkgroupsPerDimension: 65535, int8Arithmetic: 'i32', tiles }, g.ops[0]!).steps[0]!;
      return 'dispatch' in step ? step.dispatch.code : '';
    };
    for (const tiles of CANDIDATES) {
      const code = codeOf(graph, tiles);
      expect(code).toContain(`array<vec4<i32>, ${tiles.convPixels * tiles.convGroups}>`);
      expect(code).toContain(`@workgroup_size(${tiles.workgroupSize})`);
      expect(convTile({ int8Arithmetic: 'i32', tiles }, 16, 8, true)).toMatchObject({ pixels: tiles.convPixels, groups: tiles.convGroups });
      expect(floatConvTile({ tiles }, 16, 8)).toEqual({ pixels: tiles.floatConvPixels, groups: tiles.floatConvGroups });
    }
    const depthwise = convGraph(mulberry32(3), { kind: 'depthwise', dtype: 'int8', batch: 1, inH: 5, inW: 12, inC: 4, outC: 4, k: 3, stride: 1, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true });
    // Invocations: 5 rows × ceil(12 / P) strips × 1 word, one workgroup each at workgroup size 1.
    for (const p of [1, 2, 3, 4]) {
      const step = lowerOp({ graph: depthwise, useDot4: false, requantization: 'xnnpack', workgroupSize: 1, maxWorkgroupsPerDimension: 65535, tiles: { ...DEFAULT_KERNEL_TILES, depthwisePixels: p } }, depthwise.ops[0]!).steps[0]!;
      expect('dispatch' in step && step.dispatch.workgroups[0]).toBe(5 * Math.ceil(12 / p));
    }
  });

  it('int8 CONV_2D, FULLY_CONNECTED and DEPTHWISE_CONV_2D under forced candidates equal the reference in each int8 arithmetic', async () => {
    const ctx = await testContext();
    const graphs: Array<{ name: string; graph: Graph }> = [];
    for (const [i, [inW, k, stride, dilation, padding, inC, outC]] of CONV_SHAPES.entries()) {
      const c: ConvCase = { kind: 'conv', dtype: i % 2 === 1 ? 'uint8' : 'int8', batch: 1, inH: (k - 1) * dilation + 2, inW, inC, outC, k, stride, dilation, padding, activation: i % 2 ? 'RELU' : 'NONE', depthMultiplier: 1, bias: true };
      graphs.push({ name: describeCase(c), graph: convGraph(mulberry32(900 + i), c) });
    }
    for (const [i, [inH, inW, inC, k, stride, dilation, depthMultiplier]] of DEPTHWISE_SHAPES.entries()) {
      const c: ConvCase = { kind: 'depthwise', dtype: i % 2 === 1 ? 'uint8' : 'int8', batch: 1, inH, inW, inC, outC: inC * depthMultiplier, k, stride, dilation, padding: 'SAME', activation: 'RELU6', depthMultiplier, bias: true };
      graphs.push({ name: describeCase(c), graph: convGraph(mulberry32(950 + i), c) });
    }
    graphs.push({ name: 'fc 11 rows 24 → 13', graph: fullyConnectedGraph(mulberry32(990), { dtype: 'int8', batch: 11, depth: 24, units: 13, perChannel: true, activation: 'NONE' }) });
    const failures: string[] = [];
    let compared = 0;
    for (const { name, graph } of graphs) {
      const input = randomInput(mulberry32(compared + 17), graph.tensors[graph.inputs[0]!]!);
      for (const tiles of CANDIDATES) {
        for (const int8Arithmetic of INT8_ARITHMETICS) {
          const [cmp] = await gpuVersusReference(ctx, graph, [input], 'xnnpack', { int8Arithmetic, tiles });
          if (cmp!.differing > 0) failures.push(`${name} (${describeTiles(tiles)}, ${int8Arithmetic}): ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
          compared++;
        }
      }
    }
    expect(failures).toEqual([]);
    expect(compared).toBe(graphs.length * CANDIDATES.length * INT8_ARITHMETICS.length);
  });

  it('float CONV_2D, FULLY_CONNECTED and DEPTHWISE_CONV_2D under forced candidates equal the reference', async () => {
    const ctx = await testContext();
    const graphs: Graph[] = [];
    for (const [i, [inW, k, stride, dilation, padding, inC, outC]] of CONV_SHAPES.entries()) {
      graphs.push(floatConvGraph(mulberry32(800 + i), { kind: 'conv', batch: 1, inH: (k - 1) * dilation + 2, inW, inC, outC, k, stride, dilation, padding, activation: 'RELU', depthMultiplier: 1, bias: true, hybrid: i === 2 }));
    }
    for (const [i, [inH, inW, inC, k, stride, dilation, depthMultiplier]] of DEPTHWISE_SHAPES.entries()) {
      graphs.push(floatConvGraph(mulberry32(850 + i), { kind: 'depthwise', batch: 1, inH, inW, inC, outC: inC * depthMultiplier, k, stride, dilation, padding: 'SAME', activation: 'NONE', depthMultiplier, bias: true, hybrid: false }));
    }
    graphs.push(floatFullyConnectedGraph(mulberry32(890), { inputShape: [11, 24], depth: 24, units: 13, activation: 'NONE', hybrid: false, bias: true }));
    const failures: string[] = [];
    for (const [i, graph] of graphs.entries()) {
      const inputs = graph.inputs.map((id) => randomFloatInput(mulberry32(i + 31), graph.tensors[id]!));
      for (const tiles of CANDIDATES) {
        failures.push(...describeFailures(`${graph.name} (${describeTiles(tiles)})`, await floatGpuVersusReference(ctx, graph, inputs, undefined, { tiles })));
      }
    }
    expect(failures).toEqual([]);
  });
});
