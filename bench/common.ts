// Shared pieces of the benchmark: statistics, GPU timing of raw dispatches, the optional float
// path (src/passes/dequantize-graph.ts, loaded only where it exists), a seeded RNG.
import type { GpuContext } from '../src/gpu/context.ts';
import { tensorElementCount, type Graph } from '../src/model/graph.ts';
import type { TensorData } from '../src/kernels/layout.ts';

export interface Stats {
  /** Every sample, milliseconds. */
  samples: number[];
  median: number;
  p90: number;
  min: number;
}

export function stats(samplesMs: number[]): Stats {
  const s = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { samples: samplesMs, median, p90: at(0.9), min: s[0]! };
}

/** Giga-operations per second for `ops` operations (2 per multiply-add) taking `ms`. */
export const gops = (ops: number, ms: number): number => ops / (ms * 1e6);

export type TimingMethod = 'timestamp-query' | 'wall';

/**
 * Times `reps` runs of one dispatch after one untimed warm-up. With timestamp-query each dispatch
 * is its own compute pass with begin/end timestamps (all in one submission); otherwise each run is
 * submitted alone and timed on the wall clock until the queue drains.
 */
export async function timeDispatch(
  ctx: GpuContext,
  pipeline: GPUComputePipeline,
  bindGroup: GPUBindGroup,
  workgroups: [number, number, number],
  reps: number,
): Promise<{ ms: number[]; method: TimingMethod }> {
  const device = ctx.device;
  const encodeOne = (enc: GPUCommandEncoder, timestampWrites?: GPUComputePassTimestampWrites) => {
    const pass = enc.beginComputePass(timestampWrites ? { timestampWrites } : {});
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(...workgroups);
    pass.end();
  };
  {
    const enc = device.createCommandEncoder();
    encodeOne(enc);
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
  }
  if (ctx.hasTimestamps) {
    const querySet = device.createQuerySet({ type: 'timestamp', count: reps * 2 });
    const resolve = device.createBuffer({ size: reps * 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const read = device.createBuffer({ size: reps * 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    for (let i = 0; i < reps; i++) encodeOne(enc, { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 });
    enc.resolveQuerySet(querySet, 0, reps * 2, resolve, 0);
    enc.copyBufferToBuffer(resolve, 0, read, 0, reps * 16);
    device.queue.submit([enc.finish()]);
    await read.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(read.getMappedRange().slice(0));
    read.unmap();
    querySet.destroy();
    resolve.destroy();
    read.destroy();
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) ms.push(Number(t[2 * i + 1]! - t[2 * i]!) / 1e6);
    // A zero or absurd stamp (some drivers) falls back to the wall clock.
    if (ms.every((v) => v > 0 && v < 1e6)) return { ms, method: 'timestamp-query' };
  }
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const enc = device.createCommandEncoder();
    encodeOne(enc);
    const t0 = performance.now();
    device.queue.submit([enc.finish()]);
    await device.queue.onSubmittedWorkDone();
    ms.push(performance.now() - t0);
  }
  return { ms, method: 'wall' };
}

export function storageBuffer(device: GPUDevice, data: ArrayBufferView, extraUsage = 0): GPUBuffer {
  const size = Math.max(16, Math.ceil(data.byteLength / 4) * 4);
  const b = device.createBuffer({ size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST | extraUsage, mappedAtCreation: true });
  new Uint8Array(b.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  b.unmap();
  return b;
}

export function uniformBuffer(device: GPUDevice, data: ArrayBufferView): GPUBuffer {
  const b = device.createBuffer({ size: Math.max(16, data.byteLength), usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, mappedAtCreation: true });
  new Uint8Array(b.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  b.unmap();
  return b;
}

export async function readBuffer(device: GPUDevice, src: GPUBuffer, bytes: number): Promise<Uint8Array> {
  const read = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, read, 0, bytes);
  device.queue.submit([enc.finish()]);
  await read.mapAsync(GPUMapMode.READ);
  const out = new Uint8Array(read.getMappedRange().slice(0));
  read.unmap();
  read.destroy();
  return out;
}

/** Compiles a compute pipeline inside an error scope, with the compiler's messages on failure. */
export async function computePipeline(ctx: GpuContext, label: string, code: string): Promise<GPUComputePipeline> {
  const device = ctx.device;
  const module = device.createShaderModule({ label, code });
  device.pushErrorScope('validation');
  const pipeline = device.createComputePipeline({ label, layout: 'auto', compute: { module, entryPoint: 'main' } });
  const err = await device.popErrorScope();
  if (err) {
    const info = await module.getCompilationInfo();
    const msgs = info.messages.filter((m) => m.type === 'error').map((m) => `line ${m.lineNum}: ${m.message}`);
    throw new Error(`${label}: ${msgs.join('; ') || err.message}`);
  }
  return pipeline;
}

export function bindAll(device: GPUDevice, pipeline: GPUComputePipeline, buffers: GPUBuffer[]): GPUBindGroup {
  return device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
}

// The float path lives in src/passes/dequantize-graph.ts; where that module is absent (or fails to
// load), the benchmark reports the float figures as not measured instead of failing.
type FloatModule = {
  dequantizeGraph(g: Graph): Graph;
  dequantizeInputs(g: Graph, inputs: readonly TensorData[]): Float32Array[];
  quantizeOutputs(g: Graph, outputs: readonly Float32Array[]): TensorData[];
};
const floatModules = import.meta.glob<FloatModule>('../src/passes/dequantize-graph.ts');

export async function loadFloatPath(): Promise<FloatModule | undefined> {
  const load = Object.values(floatModules)[0];
  if (!load) return undefined;
  try {
    const m = await load();
    return typeof m.dequantizeGraph === 'function' ? m : undefined;
  } catch {
    return undefined;
  }
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt8(rng: () => number, n: number): Int8Array {
  const a = new Int8Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.floor(rng() * 256) - 128;
  return a;
}

export function log(msg: string): void {
  process.stderr.write(msg + '\n');
}

export const errorMessage = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

/** Multiply-adds of one inference: CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED (the rest is small). */
export function countMacs(graph: Graph): number {
  let macs = 0;
  for (const op of graph.ops) {
    const out = graph.tensors[op.outputs[0]!]!;
    const f = graph.tensors[op.inputs[1]!];
    if (!f) continue;
    if (op.type === 'CONV_2D') macs += tensorElementCount(out.shape) * f.shape[1]! * f.shape[2]! * f.shape[3]!;
    else if (op.type === 'DEPTHWISE_CONV_2D') macs += tensorElementCount(out.shape) * f.shape[1]! * f.shape[2]!;
    else if (op.type === 'FULLY_CONNECTED') macs += tensorElementCount(out.shape) * f.shape[1]!;
  }
  return macs;
}
