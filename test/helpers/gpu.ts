// One GPU context per test file and dot4 mode. Finding no adapter is a failure, never a skip:
// CI must prove the kernels ran on a GPU (a software one on machines without a GPU).
import { requestNodeGpuContext } from '../../src/gpu/node-gpu.ts';
import type { GpuContext } from '../../src/gpu/context.ts';

/**
 * What the adapters CI runs on offer (measured with `octet doctor`). A test whose assertions
 * depend on a feature (the dot4 kernels, per-layer GPU time) must not pass by quietly taking the
 * other branch there, so a context on one of these routes that lacks an expected feature is an
 * error. Other adapters (a real GPU) are taken as they are.
 */
export const CI_ADAPTER_FEATURES: Readonly<Record<string, { dot4I8Packed: boolean; timestamps: boolean; software: boolean }>> = {
  'dawn-swiftshader': { dot4I8Packed: true, timestamps: true, software: true },
  'dawn-llvmpipe-gles': { dot4I8Packed: true, timestamps: false, software: true },
};

const contexts = new Map<string, Promise<GpuContext>>();

async function createTestContext(dot4: 'auto' | 'off'): Promise<GpuContext> {
  const ctx = await requestNodeGpuContext({ dot4 });
  const route = ctx.caps.adapter.backend;
  const expected = CI_ADAPTER_FEATURES[route];
  if (expected) {
    const has = { dot4I8Packed: ctx.caps.paths.dot4I8Packed, timestamps: ctx.hasTimestamps, software: ctx.caps.paths.softwareAdapter };
    for (const feature of ['dot4I8Packed', 'timestamps', 'software'] as const) {
      if (has[feature] !== expected[feature]) {
        throw new Error(`${route}: ${feature} is ${has[feature] ? 'present' : 'missing'}, but CI's tests expect it ${expected[feature] ? 'present' : 'absent'} (CI_ADAPTER_FEATURES)`);
      }
    }
  }
  if (dot4 === 'auto' && ctx.caps.paths.dot4I8Packed !== ctx.useDot4) throw new Error(`${route}: dot4 'auto' did not select dot4I8Packed`);
  return ctx;
}

export function testContext(dot4: 'auto' | 'off' = 'auto'): Promise<GpuContext> {
  let ctx = contexts.get(dot4);
  if (!ctx) {
    ctx = createTestContext(dot4);
    contexts.set(dot4, ctx);
  }
  return ctx;
}

/** Both kernel variants where the adapter has dot4; the fallback alone where it does not. */
export const DOT4_MODES = ['auto', 'off'] as const;

/**
 * Every int8 arithmetic of the convolution kernels (src/kernels/lowering.ts, Int8Arithmetic),
 * forced on one adapter: the adapter's own choice alone would leave the others untested.
 */
export const INT8_ARITHMETICS = ['dot4', 'i32', 'f32'] as const;

/** Both requantization semantics; GPU and reference must agree byte for byte in each. */
export const REQUANTIZATION_MODES = ['tflite', 'xnnpack'] as const;
