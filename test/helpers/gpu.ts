// One GPU context per test file and dot4 mode. Finding no adapter is a failure, never a skip:
// CI must prove the kernels ran on a GPU (a software one on machines without a GPU).
import { requestNodeGpuContext } from '../../src/gpu/node-gpu.ts';
import type { GpuContext } from '../../src/gpu/context.ts';

const contexts = new Map<string, Promise<GpuContext>>();

export function testContext(dot4: 'auto' | 'off' = 'auto'): Promise<GpuContext> {
  let ctx = contexts.get(dot4);
  if (!ctx) {
    ctx = requestNodeGpuContext({ dot4 });
    contexts.set(dot4, ctx);
  }
  return ctx;
}

/** Both kernel variants where the adapter has dot4; the fallback alone where it does not. */
export const DOT4_MODES = ['auto', 'off'] as const;

/** Both requantization semantics; GPU and reference must agree byte for byte in each. */
export const REQUANTIZATION_MODES = ['tflite', 'xnnpack'] as const;
