// Long runs keep memory flat: live GPU buffers and bytes (counted by Octet's tracker), and what the
// process itself holds: the JS heap, external memory (ArrayBuffers, Dawn's wrappers) and the
// resident set (SwiftShader's "GPU" memory lives in the process, so a leaked GPU buffer shows
// there too). Each reading follows a full garbage collection, so growth means retained memory.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { testContext } from './gpu.ts';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

export interface ProcessMemory {
  heapMiB: number;
  externalMiB: number;
  rssMiB: number;
}

export function processMemory(): ProcessMemory {
  collectGarbage();
  collectGarbage();
  const m = process.memoryUsage();
  return { heapMiB: m.heapUsed / 2 ** 20, externalMiB: (m.external + m.arrayBuffers) / 2 ** 20, rssMiB: m.rss / 2 ** 20 };
}

export function growth(before: ProcessMemory, after: ProcessMemory): ProcessMemory {
  return { heapMiB: after.heapMiB - before.heapMiB, externalMiB: after.externalMiB - before.externalMiB, rssMiB: after.rssMiB - before.rssMiB };
}

/**
 * What flat means. A leaked output copy (1 KiB a run) would be 2 MiB of heap or external memory
 * over 2,000 runs, and a leaked GPU buffer shows in the exact buffer counts the soaks compare.
 * The resident set is the weak signal: over 2,000 steady hello_world runs on SwiftShader it moved
 * by −7 to +23 MiB across builds and repeats (2026-12-03), and over 6,000 runs by +16 to +48 MiB
 * without growing in proportion to the runs (a second 2,000 gave +18 where 6,000 gave +17), so
 * the allocator's drift, not a leak. Its bound of 64 MiB sits above that drift and still catches a
 * native leak of 32 KiB a run over 2,000 runs (a leaked activation buffer is caught exactly by the
 * buffer counts, not by this bound).
 */
function expectFlat(grew: ProcessMemory): void {
  expect(grew.heapMiB).toBeLessThan(1);
  expect(grew.externalMiB).toBeLessThan(1);
  expect(grew.rssMiB).toBeLessThan(64);
}

export const describeGrowth = (g: ProcessMemory) => `heap ${g.heapMiB.toFixed(2)}, external ${g.externalMiB.toFixed(2)}, RSS ${g.rssMiB.toFixed(2)} MiB`;

async function load(path: string): Promise<OctetModel> {
  return OctetModel.load(new Uint8Array(readFileSync(assetPath('models', path))), { context: await testContext() });
}

/**
 * Runs before the first reading, so that lazily grown pools (allocator arenas, Dawn's staging) are
 * at their steady size. Measured on SwiftShader: the resident set of a hello_world loop grows by
 * about 45 MiB over its first 2,000 runs and then moves up and down by up to 17 MiB, not upward.
 */
const WARMUP_RUNS = 2000;

/** hello_world_int8 `runs` times: every output equal to the first, memory flat (expectFlat). */
export async function soakSmallModel(runs: number): Promise<void> {
  const model = await load('tflite-micro/hello_world_int8.tflite');
  const input = new Int8Array([-30]);
  const [first] = await model.run(input);
  for (let i = 0; i < WARMUP_RUNS; i++) await model.run(input);
  const gpuBefore = model.memory();
  const before = processMemory();
  for (let i = 0; i < runs; i++) {
    const [out] = await model.run(input);
    if (out![0] !== first![0]) throw new Error(`run ${i} gave ${out![0]}, the first gave ${first![0]}`);
  }
  const grew = growth(before, processMemory());
  expect(model.memory()).toEqual(gpuBefore);
  expectFlat(grew);
  console.log(`hello_world ${runs} runs: GPU ${gpuBefore.liveBuffers} buffers / ${gpuBefore.liveBytes} B before and after; growth: ${describeGrowth(grew)}`);
  model.dispose();
  expect(model.memory()).toEqual({ liveBuffers: 0, liveBytes: 0 });
}

/** MobileNet v2 loaded twice, `runs` runs alternating between the two: equal outputs, memory flat (expectFlat). */
export async function soakMobileNet(runs: number): Promise<void> {
  const models = [await load('coral/mobilenet_v2_1.0_224_quant.tflite'), await load('coral/mobilenet_v2_1.0_224_quant.tflite')];
  const input = new Uint8Array(224 * 224 * 3).map((_, i) => (i * 37) % 256);
  const [reference] = await models[0]!.run(input);
  for (let i = 0; i < 4; i++) await models[i % 2]!.run(input);
  const gpuBefore = models.map((m) => m.memory());
  const before = processMemory();
  for (let i = 0; i < runs; i++) {
    const [out] = await models[i % 2]!.run(input);
    expect(Array.from(out!)).toEqual(Array.from(reference!));
  }
  const grew = growth(before, processMemory());
  expect(models.map((m) => m.memory())).toEqual(gpuBefore);
  expectFlat(grew);
  console.log(`mobilenet_v2 ×2, ${runs} runs: ${gpuBefore.map((m) => `${m.liveBuffers} buffers / ${(m.liveBytes / 2 ** 20).toFixed(2)} MiB`).join(', ')} before and after; growth: ${describeGrowth(grew)}`);
  for (const m of models) m.dispose();
  expect(models.map((m) => m.memory())).toEqual([{ liveBuffers: 0, liveBytes: 0 }, { liveBuffers: 0, liveBytes: 0 }]);
}
