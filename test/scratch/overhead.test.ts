import { test } from 'vitest';
import { testContext } from '../helpers/gpu.ts';

test('per-dispatch overhead', async () => {
  const ctx = await testContext();
  const d = ctx.device;
  const code = `@group(0) @binding(0) var<storage, read_write> b: array<u32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3<u32>) { if (g.x < arrayLength(&b)) { b[g.x] = b[g.x] + 1u; } }`;
  const p = d.createComputePipeline({ layout: 'auto', compute: { module: d.createShaderModule({ code }), entryPoint: 'main' } });
  const bufs = [0, 1].map(() => d.createBuffer({ size: 4096, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC }));
  const bgs = bufs.map((b) => d.createBindGroup({ layout: p.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: b } }] }));
  const read = d.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  for (const wg of [1, 4]) for (const n of [1, 8, 32, 64]) {
    const times: number[] = [];
    for (let r = 0; r < 30; r++) {
      const t0 = performance.now();
      const e = d.createCommandEncoder();
      const pass = e.beginComputePass();
      pass.setPipeline(p);
      for (let i = 0; i < n; i++) { pass.setBindGroup(0, bgs[i % 2]!); pass.dispatchWorkgroups(wg); }
      pass.end();
      e.copyBufferToBuffer(bufs[0]!, 0, read, 0, 16);
      d.queue.submit([e.finish()]);
      await read.mapAsync(GPUMapMode.READ);
      read.unmap();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    console.log(`wg ${wg} dispatches ${n}: median ${times[15]!.toFixed(3)} ms, min ${times[0]!.toFixed(3)}`);
  }
}, 120000);
