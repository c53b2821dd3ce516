// The runtime's contract, on small conv graphs: buffers reused by liveness, inputs validated with
// typed errors, overlapping runs each get the right answer, dispose frees every GPU buffer, and a
// lost device rejects runs instead of hanging.
import { describe, expect, it } from 'vitest';
import { requestNodeGpuContext } from '../../src/gpu/node-gpu.ts';
import { DeviceLostError } from '../../src/gpu/errors.ts';
import { DisposedError, GpuProgram, InputError } from '../../src/runtime/gpu-program.ts';
import { liveRanges, planBuffers } from '../../src/runtime/plan.ts';
import { readFileSync } from 'node:fs';
import { assetPath } from '../../src/assets-node.ts';
import { importTflite } from '../../src/model/import.ts';
import { gpuByteLength } from '../../src/kernels/layout.ts';
import { GPU_LOAD_PASSES, runPasses } from '../../src/passes/pipeline.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { runReference, runReferenceAll } from '../../src/reference/run.ts';
import type { Graph } from '../../src/model/graph.ts';
import { convGraph, GraphBuilder, quant, randomInput } from '../helpers/graphs.ts';
import { testContext } from '../helpers/gpu.ts';
import { flatteningFcGraph } from '../helpers/fc-flatten.ts';
import { residualAcrossConvs } from '../helpers/conv-add-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

/** A chain of `depth` 3x3 convolutions, 8 channels: each activation dies after the next layer. */
function convChain(depth: number): Graph {
  const rng = mulberry32(5);
  const b = new GraphBuilder();
  let current = b.tensor('input', [1, 8, 8, 8], 'int8', quant(0.05, 3));
  const input = current;
  for (let i = 0; i < depth; i++) {
    const w = new Int8Array(8 * 9 * 8).map(() => Math.floor(rng() * 255) - 127);
    const filter = b.tensor(`w${i}`, [8, 3, 3, 8], 'int8', quant(new Array(8).fill(0.01), new Array(8).fill(0)), w);
    const out = b.tensor(`a${i}`, [1, 8, 8, 8], 'int8', quant(0.05 + 0.01 * i, -2));
    b.op({ type: 'CONV_2D', inputs: [current, filter, -1], outputs: [out], options: { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'RELU' } });
    current = out;
  }
  return b.build([input], [current], `chain${depth}`);
}

describe('GPU program runtime', () => {
  it('reuses activation buffers by liveness: a chain of 12 layers needs 3 slots, not 13', () => {
    const plan = planBuffers(convChain(12));
    // The input lives for the whole run; the activations ping-pong between two slots (a kernel
    // never writes the buffer it reads, so one is not enough), the output taking the last free one.
    expect(plan.slots.length).toBe(3);
    expect(plan.activationBytes).toBeLessThan(plan.unsharedBytes / 3);
  });

  it('never gives one slot two tensors live at once, and is at least the peak of live bytes (random graphs with skips and mixed sizes)', () => {
    const rng = mulberry32(17);
    for (let g = 0; g < 40; g++) {
      const b = new GraphBuilder();
      const live: number[] = [b.tensor('input', [1, 1 + Math.floor(rng() * 4), 4, 8], 'int8', quant(0.1, 0))];
      const depth = 4 + Math.floor(rng() * 12);
      for (let i = 0; i < depth; i++) {
        // An ADD of the latest tensor and a random earlier one of its shape (a skip), then maybe
        // a PAD of H to another size.
        const last = live[live.length - 1]!;
        const shape = b.tensors[last]!.shape;
        const same = live.filter((id) => b.tensors[id]!.shape.join() === shape.join());
        const out = b.tensor(`t${i}`, shape, 'int8', quant(0.1, 0));
        b.op({ type: 'ADD', inputs: [last, same[Math.floor(rng() * same.length)]!], outputs: [out], options: { activation: 'NONE' } });
        live.push(out);
        if (rng() < 0.4) {
          const grow = 1 + Math.floor(rng() * 5);
          const paddings = b.tensor(`p${i}`, [4, 2], 'int32', undefined, Int32Array.from([0, 0, 0, grow, 0, 0, 0, 0]));
          const padded = b.tensor(`r${i}`, [1, shape[1]! + grow, 4, 8], 'int8', quant(0.1, 0));
          b.op({ type: 'PAD', inputs: [out, paddings], outputs: [padded], options: {} });
          live.push(padded);
        }
      }
      const graph = b.build([live[0]!], [live[live.length - 1]!], `random ${g}`);
      const plan = planBuffers(graph);
      const ranges = liveRanges(graph);
      for (const slot of plan.slots) {
        for (const x of slot.tensors) {
          for (const y of slot.tensors) {
            if (x >= y) continue;
            const [a, c] = [ranges.get(x)!, ranges.get(y)!];
            expect(a[0] <= c[1] && c[0] <= a[1], `${graph.name}: tensors ${x} [${a}] and ${y} [${c}] share slot ${slot.index}`).toBe(false);
          }
          expect(slot.bytes).toBeGreaterThanOrEqual(gpuByteLength(graph.tensors[x]!));
        }
      }
      let peak = 0;
      for (let p = -1; p <= graph.ops.length; p++) {
        let bytes = 0;
        for (const [id, [first, last]] of ranges) if (first <= p && p <= last) bytes += gpuByteLength(graph.tensors[id]!);
        peak = Math.max(peak, bytes);
      }
      expect(plan.activationBytes).toBeGreaterThanOrEqual(peak);
    }
  });

  it('keeps the smaller of two greedy orders: MobileNet v2 within 1.2× of its peak live bytes (definition order alone: 1.35×)', () => {
    const path = assetPath('models', 'coral', 'mobilenet_v2_1.0_224_quant.tflite');
    const graph = runPasses(importTflite(new Uint8Array(readFileSync(path)), 'mnv2'), GPU_LOAD_PASSES, { requantization: 'xnnpack' });
    const ranges = liveRanges(graph);
    let peak = 0;
    for (let p = -1; p <= graph.ops.length; p++) {
      let bytes = 0;
      for (const [id, [first, last]] of ranges) if (first <= p && p <= last) bytes += gpuByteLength(graph.tensors[id]!);
      peak = Math.max(peak, bytes);
    }
    expect(planBuffers(graph).activationBytes / peak).toBeLessThan(1.2);
  });

  it('a 12-layer chain equals the reference, and 16 overlapping runs each get their own answer', async () => {
    const ctx = await testContext();
    const graph = convChain(12);
    const program = await GpuProgram.build(ctx, graph);
    try {
      const rng = mulberry32(9);
      const inputs = Array.from({ length: 16 }, () => randomInput(rng, graph.tensors[0]!));
      const results = await Promise.all(inputs.map((x) => program.run([x])));
      results.forEach((r, i) => {
        expect(Array.from(r.outputs[0]!)).toEqual(Array.from(runReference(graph, [inputs[i]!], { requantization: 'xnnpack' })[0]!));
      });
      // Distinct inputs give distinct outputs, so the comparison above would catch a shared buffer.
      expect(new Set(results.map((r) => Array.from(r.outputs[0]!).join(','))).size).toBeGreaterThan(1);
    } finally {
      program.dispose();
    }
  });

  it('encodes a run as one compute pass, split only where a capture copy must come between', async () => {
    const ctx = await testContext();
    const graph = convChain(6);
    const program = await GpuProgram.build(ctx, graph);
    const device = ctx.device as GPUDevice & { createCommandEncoder: GPUDevice['createCommandEncoder'] };
    const original = device.createCommandEncoder;
    let passes = 0;
    device.createCommandEncoder = function (descriptor?: GPUCommandEncoderDescriptor) {
      const encoder = original.call(this, descriptor);
      const begin = encoder.beginComputePass.bind(encoder);
      encoder.beginComputePass = (d?: GPUComputePassDescriptor) => {
        passes++;
        return begin(d);
      };
      return encoder;
    };
    try {
      const input = randomInput(mulberry32(4), graph.tensors[0]!);
      const reference = runReferenceAll(graph, [input], { requantization: 'xnnpack' });
      const plain = await program.run([input]);
      expect(passes, 'six dispatches, one pass').toBe(1);
      expect(Array.from(plain.outputs[0]!)).toEqual(Array.from(reference.get(graph.outputs[0]!)!));
      passes = 0;
      // Tensor 4 (the second layer's activation) is copied out between layers 2 and 3.
      const captured = await program.run([input], { capture: [4] });
      expect(passes, 'the capture copy splits the pass in two').toBe(2);
      expect(Array.from(captured.captured.get(4)!)).toEqual(Array.from(reference.get(4)!));
      expect(Array.from(captured.outputs[0]!)).toEqual(Array.from(plain.outputs[0]!));
    } finally {
      device.createCommandEncoder = original;
      program.dispose();
    }
  });

  it('captures intermediate tensors and reports per-layer GPU time where timestamps exist', async () => {
    const ctx = await testContext();
    const graph = convChain(3);
    const program = await GpuProgram.build(ctx, graph);
    try {
      const input = randomInput(mulberry32(2), graph.tensors[0]!);
      // Tensor 4 is the second layer's activation (ids: input 0, w0 1, a0 2, w1 3, a1 4, ...),
      // copied out right after its producer since later layers may reuse its buffer.
      const { captured, layerTimes } = await program.run([input], { capture: [4], timing: true });
      const reference = runReferenceAll(graph, [input], { requantization: 'xnnpack' });
      expect(Array.from(captured.get(4)!)).toEqual(Array.from(reference.get(4)!));
      // Whether the adapter has timestamps is pinned for CI's adapters (CI_ADAPTER_FEATURES), so
      // neither branch can be taken by accident there.
      if (ctx.hasTimestamps) {
        expect(layerTimes).toHaveLength(3);
        for (const t of layerTimes!) expect(t.ns).toBeGreaterThanOrEqual(0);
      } else {
        expect(layerTimes).toBeUndefined();
      }
    } finally {
      program.dispose();
    }
  });

  it('runs an op a load pass inserted, its layer times naming the model operator it serves', async () => {
    const ctx = await testContext();
    const { graph, fcIndex } = flatteningFcGraph(mulberry32(4));
    const program = await GpuProgram.build(ctx, graph);
    try {
      // canonicalizeForGpu's RESHAPE (src/passes/canonicalize.ts): a fresh index, origin the FC.
      const reshape = program.graph.ops.find((op) => op.type === 'RESHAPE')!;
      expect([reshape.index, reshape.origin]).toEqual([2, fcIndex]);
      const input = randomInput(mulberry32(5), graph.tensors[0]!);
      const { outputs, layerTimes } = await program.run([input], { timing: true });
      expect(Array.from(outputs[0]!)).toEqual(Array.from(runReference(graph, [input], { requantization: 'xnnpack' })[0]!));
      if (ctx.hasTimestamps) {
        const byOp = new Set(layerTimes!.map((t) => `${t.opIndex}/${t.origin}`));
        expect(byOp).toEqual(new Set(['0/undefined', `2/${fcIndex}`, `${fcIndex}/undefined`]));
      } else {
        expect(layerTimes).toBeUndefined();
      }
    } finally {
      program.dispose();
    }
  });

  it("times each dispatch by wall clock on any adapter (timing: 'wall'): the timestamp path's layers, positive times, a normal run's outputs and captures", async () => {
    const ctx = await testContext();
    const { graph } = flatteningFcGraph(mulberry32(4));
    const chain = convChain(3);
    for (const g of [graph, chain]) {
      const program = await GpuProgram.build(ctx, g);
      try {
        const input = randomInput(mulberry32(6), g.tensors[0]!);
        const capture = g === chain ? [4] : [];
        const plain = await program.run([input], { capture });
        const wall = await program.run([input], { capture, timing: 'wall' });
        const dispatches = program.stepList().filter((s) => s.kind === 'dispatch');
        expect(wall.layerTimes!.map((t) => t.label)).toEqual(dispatches.map((s) => s.label));
        expect(wall.layerTimes!.map((t) => t.opIndex)).toEqual(dispatches.map((s) => program.gpuGraph.ops[s.opPosition]!.index));
        for (const t of wall.layerTimes!) expect(t.ns).toBeGreaterThan(0);
        expect(wall.outputs.map((o) => Array.from(o))).toEqual(plain.outputs.map((o) => Array.from(o)));
        expect([...wall.captured.keys()]).toEqual([...plain.captured.keys()]);
        for (const [id, v] of plain.captured) expect(Array.from(wall.captured.get(id)!)).toEqual(Array.from(v));
        if (ctx.hasTimestamps) {
          const stamped = await program.run([input], { timing: true });
          const layers = (r: typeof wall) => r.layerTimes!.map(({ label, opIndex, origin }) => ({ label, opIndex, origin }));
          expect(layers(wall)).toEqual(layers(stamped));
        }
      } finally {
        program.dispose();
      }
    }
  });

  it('rejects wrong inputs with typed errors and stays usable', async () => {
    const ctx = await testContext();
    const rng = mulberry32(3);
    const graph = convGraph(rng, { kind: 'conv', dtype: 'int8', batch: 1, inH: 4, inW: 4, inC: 3, outC: 4, k: 3, stride: 1, dilation: 1, padding: 'SAME', activation: 'NONE', depthMultiplier: 1, bias: true });
    const program = await GpuProgram.build(ctx, graph);
    try {
      await expect(program.run([new Int8Array(47)])).rejects.toThrow(InputError);
      await expect(program.run([new Int8Array(47)])).rejects.toThrow(/must have 48 elements \(shape \[1, 4, 4, 3\]\), got 47/);
      await expect(program.run([new Uint8Array(48)])).rejects.toThrow(/must be int8, got uint8/);
      await expect(program.run([])).rejects.toThrow(/takes 1 input\(s\), got 0/);
      const good = randomInput(rng, graph.tensors[0]!);
      const { outputs } = await program.run([good]);
      expect(Array.from(outputs[0]!)).toEqual(Array.from(runReference(graph, [good], { requantization: 'xnnpack' })[0]!));
    } finally {
      program.dispose();
    }
  });

  it('dispose frees every GPU buffer it created, and a disposed program refuses to run', async () => {
    const ctx = await testContext();
    const graph = convChain(4);
    const program = await GpuProgram.build(ctx, graph);
    const before = program.memory();
    // 4 layers × (weights, channel params, uniforms) + activation slots + the output's read buffer.
    expect(before.liveBuffers).toBe(12 + program.plan.slots.length + 1);
    await program.run([new Int8Array(512)]);
    expect(program.memory()).toEqual(before);
    program.dispose();
    expect(program.memory()).toEqual({ liveBuffers: 0, liveBytes: 0 });
    await expect(program.run([new Int8Array(512)])).rejects.toThrow(DisposedError);
  });

  it('runs in flight when the device is destroyed reject with DeviceLostError', async () => {
    const ctx = await requestNodeGpuContext();
    const graph = convChain(12);
    const program = await GpuProgram.build(ctx, graph);
    const inFlight = [0, 1, 2, 3].map(() => program.run([new Int8Array(512)]));
    ctx.device.destroy();
    const results = await Promise.allSettled(inFlight);
    // The first may have finished before the loss; every one that did not is a DeviceLostError.
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected.length).toBeGreaterThan(0);
    for (const r of rejected) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DeviceLostError);
    program.dispose();
  });

  it('a destroyed device rejects runs with DeviceLostError instead of hanging', async () => {
    const ctx = await requestNodeGpuContext();
    const graph = convChain(2);
    const program = await GpuProgram.build(ctx, graph);
    ctx.device.destroy();
    await expect(program.run([new Int8Array(512)])).rejects.toThrow(DeviceLostError);
    program.dispose();
  });
});

describe('OctetModel after device loss', () => {
  it('the next run re-acquires a device, rebuilds, and returns the right answer', async () => {
    const graph = convChain(3);
    const first = await requestNodeGpuContext();
    const model = await OctetModel.load(graph, { context: first, reacquire: () => requestNodeGpuContext() });
    const input = randomInput(mulberry32(4), graph.tensors[0]!);
    const expected = Array.from(runReference(graph, [input], { requantization: 'xnnpack' })[0]!);
    expect(Array.from((await model.run(input))[0]!)).toEqual(expected);
    first.device.destroy();
    await first.device.lost;
    expect(Array.from((await model.run(input))[0]!)).toEqual(expected);
    expect(model.recoveries).toBe(1);
    model.dispose();
    await expect(model.run(input)).rejects.toThrow(DisposedError);
  });
});

describe('adapter limits', () => {
  it("refuses an activation above maxStorageBufferBindingSize, naming the tensor and the limit, before allocating", async () => {
    const ctx = await testContext();
    const limit = ctx.device.limits.maxStorageBufferBindingSize;
    // An 8-channel int8 image with more bytes than the binding limit allows.
    const side = Math.ceil(Math.sqrt(limit / 8 + 1)) + 1;
    const b = new GraphBuilder();
    const input = b.tensor('huge_input', [1, side, side, 8], 'int8', quant(0.05, 0));
    const output = b.tensor('out', [1, side, side, 8], 'int8', quant(0.05, 0));
    b.op({ type: 'RELU', inputs: [input], outputs: [output], options: {} });
    const graph = b.build([input], [output], 'huge');
    await expect(GpuProgram.build(ctx, graph)).rejects.toThrow(new RegExp(`tensor 'huge_input'.*above this adapter's maxStorageBufferBindingSize of ${limit}; nothing was allocated`));
  });
});

// keepActivations: the passes that leave a tensor uncomputed (here fuse-add's) are off, so the
// convolution output a fused ADD would swallow is computed and captured like every other.
describe('GpuProgram keepActivations', () => {
  it('computes and captures the activation a fused ADD drops, with the same outputs', async () => {
    const ctx = await testContext();
    const graph = residualAcrossConvs(mulberry32(9), 8);
    const add = graph.ops.find((op) => op.type === 'ADD')!;
    const swallowed = add.inputs.find((id) => graph.ops.some((op) => op.type === 'CONV_2D' && op.outputs[0] === id && id !== graph.inputs[0] && graph.ops.filter((o) => o.inputs.includes(id)).length === 1))!;
    const x = randomInput(mulberry32(10), graph.tensors[graph.inputs[0]!]!);
    const expected = runReferenceAll(graph, [x]);
    const fused = await GpuProgram.build(ctx, graph);
    const kept = await GpuProgram.build(ctx, graph, { keepActivations: true });
    try {
      expect(fused.stepList().length).toBe(graph.ops.length - 1);
      expect(kept.stepList().length).toBe(graph.ops.length);
      const a = await fused.run([x], { capture: [swallowed] });
      const b = await kept.run([x], { capture: [swallowed] });
      expect(a.captured.has(swallowed)).toBe(false);
      expect(Array.from(b.captured.get(swallowed)!)).toEqual(Array.from(expected.get(swallowed)!));
      expect(Array.from(b.outputs[0]!)).toEqual(Array.from(a.outputs[0]!));
    } finally {
      fused.dispose();
      kept.dispose();
    }
  });
});
