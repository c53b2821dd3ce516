// Long runs keep memory flat: live GPU buffers and bytes (counted by the runtime) are the same
// after the last run as after the first, and disposal returns them to zero: hello_world 10,000
// times, MobileNet v2 loaded twice and run 500 times. OCTET_QUICK=1 shortens both for local work.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { testContext } from '../helpers/gpu.ts';

const FULL = process.env.OCTET_QUICK !== '1';

async function load(path: string): Promise<OctetModel> {
  return OctetModel.load(new Uint8Array(readFileSync(assetPath('models', path))), { context: await testContext() });
}

// A real collection before each heap reading, so growth means retained objects, not garbage.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function heapMiB(): number {
  collectGarbage();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

describe('memory stays flat over many runs', () => {
  it(`hello_world_int8: ${FULL ? 10000 : 2000} consecutive runs`, { timeout: 600_000 }, async () => {
    const model = await load('tflite-micro/hello_world_int8.tflite');
    const runs = FULL ? 10000 : 2000;
    const input = new Int8Array([-30]);
    const [first] = await model.run(input);
    const gpuAfterFirst = model.memory();
    const heapBefore = heapMiB();
    for (let i = 1; i < runs; i++) {
      const [out] = await model.run(input);
      if (out![0] !== first![0]) throw new Error(`run ${i} gave ${out![0]}, the first gave ${first![0]}`);
    }
    const heapAfter = heapMiB();
    expect(model.memory()).toEqual(gpuAfterFirst);
    console.log(`hello_world ${runs} runs: GPU ${gpuAfterFirst.liveBuffers} buffers / ${gpuAfterFirst.liveBytes} B before and after; JS heap ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MiB`);
    // A leak of even 1 KiB per run would show as 2+ MiB after a full collection.
    expect(heapAfter - heapBefore).toBeLessThan(2);
    model.dispose();
    expect(model.memory()).toEqual({ liveBuffers: 0, liveBytes: 0 });
  });

  it(`mobilenet_v2_1.0_224_quant loaded twice: ${FULL ? 500 : 8} runs`, { timeout: 2_400_000 }, async () => {
    const models = [await load('coral/mobilenet_v2_1.0_224_quant.tflite'), await load('coral/mobilenet_v2_1.0_224_quant.tflite')];
    const input = new Uint8Array(224 * 224 * 3).map((_, i) => (i * 37) % 256);
    const [reference] = await models[0]!.run(input);
    await models[1]!.run(input);
    const after = models.map((m) => m.memory());
    const runs = FULL ? 500 : 8;
    for (let i = 2; i < runs; i++) {
      const [out] = await models[i % 2]!.run(input);
      expect(Array.from(out!)).toEqual(Array.from(reference!));
    }
    expect(models.map((m) => m.memory())).toEqual(after);
    console.log(`mobilenet_v2 ×2, ${runs} runs: ${after.map((m) => `${m.liveBuffers} buffers / ${(m.liveBytes / 2 ** 20).toFixed(2)} MiB`).join(', ')} before and after`);
    for (const m of models) m.dispose();
    expect(models.map((m) => m.memory())).toEqual([{ liveBuffers: 0, liveBytes: 0 }, { liveBuffers: 0, liveBytes: 0 }]);
  });
});
