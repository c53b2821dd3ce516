// Model benchmarks, batch 1: Octet int8 on the GPU, Octet float (the dequantized twin, when
// src/passes/dequantize-graph.ts exists), the TFLite WASM runtime on the CPU (the int8 .tflite
// itself) and TF.js on WebGPU (the same network in float32) on the same adapter route.
// Latency is wall time of one inference including input upload and output readback (what a user
// waits for): median and p90 over N runs after warm-up; "first" is the first inference including
// pipeline/shader compilation (Octet: load + build + first run; peers: model creation + first run).
// "Octet int8, GPUBuffer in/out" is the same model fed GPUBuffers with its outputs left on the GPU
// (until the queue has finished them), its runs alternated with the TypedArray ones so that both
// see the same machine load.
import { preferredInt8Arithmetic } from '../src/kernels/lowering.ts';
import { readFileSync, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { GpuContext } from '../src/gpu/context.ts';
import type { NodeBackend } from '../src/gpu/node-gpu.ts';
import { OctetModel } from '../src/runtime/model.ts';
import { importTflite } from '../src/model/import.ts';
import { tensorElementCount, type Graph } from '../src/model/graph.ts';
import type { TensorData } from '../src/kernels/layout.ts';
import { findAssetsDir } from '../src/assets-node.ts';
import { countMacs, errorMessage, loadFloatPath, log, mulberry32, stats, type Stats } from './common.ts';
import { createTflitePeer } from './peers/tflite-wasm.ts';
import { floatInputFor, initTfjsWebGpu, TfjsGraph } from './peers/tfjs-webgpu.ts';

export interface ModelSpec {
  id: string;
  label: string;
  /** Path relative to the assets folder, or absolute. */
  path: string;
  quick: boolean;
}

export const MODELS: ModelSpec[] = [
  { id: 'mobilenet_v1_0.25_128', label: 'MobileNet v1 0.25 128 (coral, uint8)', path: 'models/coral/mobilenet_v1_0.25_128_quant.tflite', quick: true },
  { id: 'resnet8', label: 'ResNet-8 (MLPerf Tiny, int8)', path: 'models/mlperf-tiny/pretrainedResnet_quant.tflite', quick: true },
  { id: 'vww_96', label: 'VWW 96 (MLPerf Tiny, int8)', path: 'models/mlperf-tiny/vww_96_int8.tflite', quick: true },
  { id: 'mobilenet_v2_1.0_224', label: 'MobileNet v2 1.0 224 (coral, uint8)', path: 'models/coral/mobilenet_v2_1.0_224_quant.tflite', quick: false },
];

export type EngineId = 'octet-int8' | 'octet-int8-gpu-io' | 'octet-f32' | 'tflite-wasm' | 'tfjs-webgpu';

export const ENGINES: Array<{ id: EngineId; label: string; device: string }> = [
  { id: 'octet-int8', label: 'Octet int8 (WebGPU)', device: 'gpu' },
  { id: 'octet-int8-gpu-io', label: 'Octet int8, GPUBuffer in/out (WebGPU)', device: 'gpu' },
  { id: 'octet-f32', label: 'Octet f32 (WebGPU)', device: 'gpu' },
  { id: 'tflite-wasm', label: 'TFLite WASM int8 (CPU, 1 thread)', device: 'cpu' },
  { id: 'tfjs-webgpu', label: 'TF.js WebGPU f32', device: 'gpu' },
];

export interface EngineResult {
  engine: EngineId;
  /** First inference including compilation, ms. */
  firstMs?: number;
  latency?: Stats;
  /**
   * Octet only: sum of per-dispatch time for one run, ms: GPU time from timestamp-query, or
   * where the adapter has none each dispatch's fastest wall time over WALL_TIMED_RUNS runs
   * (dispatchTimes).
   */
  gpuMs?: number;
  runs?: number;
  note?: string;
  error?: string;
}

export interface ModelResult {
  id: string;
  label: string;
  file: string;
  macs?: number;
  inputShape: number[];
  engines: EngineResult[];
}

export interface ModelOptions {
  quick: boolean;
  /** Explicit model files (else the built-in list under the assets folder). */
  files: string[];
  only?: string[];
  warmup: number;
  maxRuns: number;
  /** Wall-clock budget for the timed runs of one engine on one model, ms. */
  budgetMs: number;
  route: NodeBackend;
  peers: { tflite: boolean; tfjs: boolean; float: boolean };
}

function resolveSpecs(opts: ModelOptions): Array<ModelSpec & { file: string }> {
  if (opts.files.length) {
    return opts.files.map((f) => ({ id: basename(f).replace(/\.tflite$/, ''), label: basename(f), path: f, quick: true, file: f }));
  }
  let assets: string | undefined;
  try {
    assets = findAssetsDir();
  } catch {
    assets = undefined;
  }
  return MODELS.filter((m) => (opts.only?.length ? opts.only.includes(m.id) : !opts.quick || m.quick))
    .map((m) => ({ ...m, file: m.path.startsWith('/') ? m.path : join(assets ?? '.', m.path) }))
    .filter((m) => {
      if (existsSync(m.file)) return true;
      log(`  skipping ${m.id}: ${m.file} not found`);
      return false;
    });
}

function randomInputs(graph: Graph, seed: number): TensorData[] {
  const rng = mulberry32(seed);
  return graph.inputs.map((id) => {
    const t = graph.tensors[id]!;
    const n = tensorElementCount(t.shape);
    if (t.dtype === 'uint8') return Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
    if (t.dtype === 'int8') return Int8Array.from({ length: n }, () => Math.floor(rng() * 256) - 128);
    if (t.dtype === 'float32') return Float32Array.from({ length: n }, () => rng() * 2 - 1);
    throw new Error(`input '${t.name}' has dtype ${t.dtype}`);
  });
}

/** Runs whose per-dispatch wall times give each dispatch's fastest, on adapters without timestamp-query. */
const WALL_TIMED_RUNS = 3;

/**
 * One run's per-dispatch time, ms, in total and by kind (the label before '#'): timestamp-query
 * where the adapter has it, else timing: 'wall' (each dispatch submitted alone and timed to
 * onSubmittedWorkDone, so with its submit latency), each dispatch's fastest of WALL_TIMED_RUNS.
 */
async function dispatchTimes(ctx: GpuContext, model: OctetModel, inputs: TensorData[]): Promise<{ ms: number; byKind: string } | undefined> {
  const fastest = new Map<string, number>();
  for (let r = 0; r < (ctx.hasTimestamps ? 1 : WALL_TIMED_RUNS); r++) {
    const { layerTimes } = await model.runDetailed(inputs, { timing: ctx.hasTimestamps ? true : 'wall' });
    if (!layerTimes) return undefined;
    for (const t of layerTimes) fastest.set(t.label, Math.min(fastest.get(t.label) ?? Infinity, t.ns / 1e6));
  }
  const kinds = new Map<string, number>();
  for (const [label, ms] of fastest) kinds.set(label.replace(/#.*$/, ''), (kinds.get(label.replace(/#.*$/, '')) ?? 0) + ms);
  const ms = [...fastest.values()].reduce((a, b) => a + b, 0);
  const byKind = [...kinds].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
  return { ms, byKind: `${ctx.hasTimestamps ? 'GPU' : 'wall per dispatch'} ms by kind: ${byKind}` };
}

/** Warm-up, then timed runs until maxRuns or the budget is spent (at least 3). */
async function measure(run: () => Promise<unknown> | unknown, opts: ModelOptions): Promise<{ latency: Stats; runs: number }> {
  for (let i = 0; i < opts.warmup; i++) await run();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < opts.maxRuns && (samples.length < 3 || performance.now() - start < opts.budgetMs)) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  return { latency: stats(samples), runs: samples.length };
}

/** measure() for two runs at once, alternated sample by sample. */
async function measureAlternated(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  opts: ModelOptions,
): Promise<[{ latency: Stats; runs: number }, { latency: Stats; runs: number }]> {
  for (let i = 0; i < opts.warmup; i++) {
    await a();
    await b();
  }
  const samples: [number[], number[]] = [[], []];
  const start = performance.now();
  while (samples[0].length < opts.maxRuns && (samples[0].length < 3 || performance.now() - start < 2 * opts.budgetMs)) {
    for (const [k, run] of [a, b].entries()) {
      const t0 = performance.now();
      await run();
      samples[k]!.push(performance.now() - t0);
    }
  }
  return [
    { latency: stats(samples[0]), runs: samples[0].length },
    { latency: stats(samples[1]), runs: samples[1].length },
  ];
}

/** A GPUBuffer holding `data`'s bytes (the plain layout a GPUBuffer input takes). */
function uploadPlain(device: GPUDevice, data: TensorData): GPUBuffer {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const buffer = device.createBuffer({ size: Math.ceil(bytes.length / 4) * 4, usage: 0x80 | 0x04 | 0x08, mappedAtCreation: true });
  new Uint8Array(buffer.getMappedRange()).set(bytes);
  buffer.unmap();
  return buffer;
}

async function readPlain(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<Uint8Array> {
  const staging = device.createBuffer({ size: buffer.size, usage: 0x01 | 0x08 });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, buffer.size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(0x01);
  const out = new Uint8Array(staging.getMappedRange().slice(0, bytes));
  staging.destroy();
  return out;
}

async function engine(id: EngineId, body: () => Promise<Omit<EngineResult, 'engine'>>): Promise<EngineResult> {
  try {
    const r = { engine: id, ...(await body()) };
    log(`    ${id}: first ${r.firstMs?.toFixed(1) ?? '-'} ms, median ${r.latency?.median.toFixed(2) ?? '-'} ms, p90 ${r.latency?.p90.toFixed(2) ?? '-'} ms (${r.runs ?? 0} runs)${r.note ? ` [${r.note}]` : ''}`);
    return r;
  } catch (e) {
    log(`    ${id}: ${errorMessage(e)}`);
    if (process.env.OCTET_BENCH_DEBUG) log(String((e as Error).stack));
    return { engine: id, error: errorMessage(e) };
  }
}

export async function benchModels(ctx: GpuContext, opts: ModelOptions): Promise<ModelResult[]> {
  const floatPath = opts.peers.float ? await loadFloatPath() : undefined;
  const results: ModelResult[] = [];
  for (const spec of resolveSpecs(opts)) {
    const bytes = new Uint8Array(readFileSync(spec.file));
    const graph = importTflite(bytes, spec.id);
    const inputs = randomInputs(graph, 11);
    log(`  model ${spec.label}`);
    const result: ModelResult = { id: spec.id, label: spec.label, file: spec.file, macs: countMacs(graph), inputShape: graph.tensors[graph.inputs[0]!]!.shape, engines: [] };

    let gpuIo: Omit<EngineResult, 'engine'> | undefined;
    result.engines.push(
      await engine('octet-int8', async () => {
        const t0 = performance.now();
        const model = await OctetModel.load(graph, { context: ctx });
        const expected = await model.run(inputs);
        const firstMs = performance.now() - t0;
        const gpuInputs = inputs.map((x) => uploadPlain(ctx.device, x));
        try {
          const gpuRun = async () => {
            const outs = await model.run(gpuInputs, { outputs: 'gpu' });
            await ctx.device.queue.onSubmittedWorkDone();
            return outs;
          };
          const first = await gpuRun();
          const same = await Promise.all(
            first.map(async (b, i) => {
              const want = new Uint8Array(expected[i]!.buffer, expected[i]!.byteOffset, expected[i]!.byteLength);
              const got = await readPlain(ctx.device, b, want.length);
              b.destroy();
              return got.every((v, j) => v === want[j]);
            }),
          );
          const [m, mGpu] = await measureAlternated(
            () => model.run(inputs),
            async () => {
              for (const b of await gpuRun()) b.destroy();
            },
            opts,
          );
          gpuIo = { ...mGpu, note: `no upload or readback, timed until the queue is done; alternated with the TypedArray runs; outputs ${same.every(Boolean) ? 'identical' : 'DIFFERENT'}` };
          const times = await dispatchTimes(ctx, model, inputs);
          const arithmetic = `${preferredInt8Arithmetic(ctx.caps, ctx.useDot4)} arithmetic, ${ctx.useDot4 ? 'dot4I8Packed' : 'no dot4I8Packed'}`;
          return { firstMs, ...m, gpuMs: times?.ms, note: [arithmetic, times?.byKind].filter(Boolean).join('; ') };
        } finally {
          model.dispose();
          for (const b of gpuInputs) b.destroy();
        }
      }),
    );
    if (gpuIo) {
      const r = gpuIo;
      result.engines.push(await engine('octet-int8-gpu-io', async () => r));
    }

    let floatOutputs: Float32Array[] | undefined;
    if (opts.peers.float) {
      result.engines.push(
        await engine('octet-f32', async () => {
          if (!floatPath) throw new Error('float path not present (src/passes/dequantize-graph.ts)');
          const fg = floatPath.dequantizeGraph(graph);
          const fin = floatPath.dequantizeInputs(graph, inputs);
          const t0 = performance.now();
          const model = await OctetModel.load(fg, { context: ctx });
          floatOutputs = (await model.run(fin)) as Float32Array[];
          const firstMs = performance.now() - t0;
          try {
            const m = await measure(() => model.run(fin), opts);
            const times = await dispatchTimes(ctx, model, fin);
            return { firstMs, ...m, gpuMs: times?.ms, ...(times ? { note: times.byKind } : {}) };
          } finally {
            model.dispose();
          }
        }),
      );
    }

    if (opts.peers.tflite) {
      result.engines.push(
        await engine('tflite-wasm', async () => {
          const t0 = performance.now();
          const peer = await createTflitePeer(bytes, 1);
          peer.run(inputs);
          const firstMs = performance.now() - t0;
          try {
            const m = await measure(() => peer.run(inputs), opts);
            return { firstMs, ...m, note: peer.features };
          } finally {
            peer.runner.cleanUp?.();
          }
        }),
      );
    }

    if (opts.peers.tfjs) {
      result.engines.push(
        await engine('tfjs-webgpu', async () => {
          const desc = await initTfjsWebGpu(opts.route);
          const fin = graph.inputs.map((id, i) => floatInputFor(graph.tensors[id]!, inputs[i] as Int8Array | Uint8Array | Float32Array));
          const t0 = performance.now();
          const tg = new TfjsGraph(graph);
          const outs = await tg.run(fin);
          const firstMs = performance.now() - t0;
          // Sanity check of the peer: its float outputs against Octet's float path on the same input.
          let agreement = '';
          if (floatOutputs) {
            let d = 0;
            outs.forEach((o, i) => o.forEach((v, j) => (d = Math.max(d, Math.abs(v - floatOutputs![i]![j]!)))));
            agreement = `; max abs difference from Octet f32 output ${d.toExponential(1)}`;
          }
          try {
            const m = await measure(() => tg.run(fin), opts);
            return { firstMs, ...m, note: desc + agreement };
          } finally {
            tg.dispose();
          }
        }),
      );
    }
    results.push(result);
  }
  return results;
}
