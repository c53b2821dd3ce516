// The browser bench's page (bundled by vite, driven by bench/browser/run.ts in headless
// Chromium): one model at a time, Octet (int8 and float path), LiteRT.js (WebGPU, and its
// XNNPACK WASM CPU path) and TF.js WebGPU (float) in the same page on the same inputs. Each engine's outputs are checked
// against the TFLite runtime's reference vectors and its top-1 against TFLite's on an eval sample;
// then the engines are timed round by round, in a rotating order, so that the load of a shared
// machine falls on all of them alike.
import { requestGpuContext, type GpuContext } from '../../src/gpu/context.ts';
import { importTflite } from '../../src/model/import.ts';
import type { Graph } from '../../src/model/graph.ts';
import { describeContext, OctetModel } from '../../src/runtime/model.ts';
import { preferredInt8Arithmetic } from '../../src/kernels/lowering.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import { countMacs, loadFloatPath, stats, type Stats } from '../common.ts';
import { initLitert, LitertPeer } from '../peers/litert.ts';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { floatInputFor, TfjsGraph } from '../peers/tfjs-graph.ts';
import type { BrowserEngineId, BrowserEngineResult, BrowserModelResult, BrowserModelSpec, PageInfo } from './protocol.ts';

type HostTensor = Int8Array | Uint8Array | Int32Array | Float32Array;

interface Engine {
  id: BrowserEngineId;
  /** One inference on the model's native input (upload, run, readback), output 0 in the graph's dtype. */
  infer(input: HostTensor): Promise<TensorData>;
  note?: string;
  fullyAccelerated?: boolean;
  /** Octet's GPU memory for the model: weights and other constants, and activations after reuse. */
  memory?: { constantBytes: number; activationBytes: number };
  dispose(): void;
}

function octetMemory(model: OctetModel): Engine['memory'] {
  const info = model.info();
  return { constantBytes: info.gpuConstantBytes ?? 0, activationBytes: info.activationBytesAllocated ?? 0 };
}

let ctx: GpuContext | undefined;
let floatPath: Awaited<ReturnType<typeof loadFloatPath>>;
const float = () => {
  if (!floatPath) throw new Error('float path not present (src/passes/dequantize-graph.ts)');
  return floatPath;
};

async function fetchBytes(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

function typed(bytes: Uint8Array, dtype: string): HostTensor {
  const buf = bytes.slice().buffer;
  if (dtype === 'int8') return new Int8Array(buf);
  if (dtype === 'uint8') return new Uint8Array(buf);
  if (dtype === 'float32') return new Float32Array(buf);
  if (dtype === 'int32') return new Int32Array(buf);
  throw new Error(`dtype ${dtype}`);
}

const errorMessage = (e: unknown): string => (e instanceof Error ? `${e.name}: ${e.message}` : String(e));

async function init(wasmDir: string): Promise<PageInfo> {
  ctx = await requestGpuContext();
  floatPath = await loadFloatPath();
  const t0 = performance.now();
  await initLitert(wasmDir);
  return {
    adapter: describeContext(ctx),
    userAgent: navigator.userAgent,
    timestamps: ctx.hasTimestamps,
    dot4: ctx.useDot4,
    litertLoadMs: performance.now() - t0,
    tfjs: await initTfjs(),
  };
}

/** TF.js on its WebGPU backend (its own device from navigator.gpu); a description, or why not. */
async function initTfjs(): Promise<string> {
  try {
    if (!(await tf.setBackend('webgpu'))) return 'tf.js refused the webgpu backend';
    await tf.ready();
    return `tfjs-core ${tf.version_core}, backend webgpu`;
  } catch (e) {
    return `tf.js webgpu backend failed: ${errorMessage(e)}`;
  }
}

async function createEngine(id: BrowserEngineId, bytes: Uint8Array, graph: Graph): Promise<Engine> {
  const quantized = graph.tensors[graph.inputs[0]!]!.dtype !== 'float32';
  switch (id) {
    case 'octet-int8': {
      const model = await OctetModel.load(graph, { context: ctx! });
      // The arithmetic its convolutions take here (preferredInt8Arithmetic), and whether the adapter has dot4I8Packed.
      const note = `${preferredInt8Arithmetic(ctx!.caps, ctx!.useDot4)} arithmetic, ${ctx!.useDot4 ? 'dot4I8Packed' : 'no dot4I8Packed'}`;
      return { id, infer: async (x) => (await model.run([x]))[0]!, note, memory: octetMemory(model), dispose: () => model.dispose() };
    }
    case 'octet-f32': {
      // A quantized model runs as its dequantized float twin (inputs dequantized outside the
      // timing, outputs compared after quantizing back); a float model runs as it is.
      const fg = quantized ? float().dequantizeGraph(graph) : graph;
      const model = await OctetModel.load(fg, { context: ctx! });
      return {
        id,
        infer: async (x) => {
          const outs = await model.run([x]);
          return outs[0]!;
        },
        note: quantized ? 'dequantized twin' : undefined,
        memory: octetMemory(model),
        dispose: () => model.dispose(),
      };
    }
    case 'litert-webgpu':
    case 'litert-webgpu-fp32':
    case 'litert-wasm': {
      const peer = await LitertPeer.create(bytes, graph, id === 'litert-wasm' ? 'wasm' : 'webgpu', id === 'litert-webgpu-fp32' ? 'fp32' : undefined);
      return {
        id,
        infer: async (x) => (await peer.run([x]))[0]! as TensorData,
        note: [peer.uint8Boundary ? 'int8 I/O as uint8 + 128' : '', id === 'litert-wasm' ? 'XNNPACK, 1 thread' : ''].filter(Boolean).join('; ') || undefined,
        fullyAccelerated: peer.fullyAccelerated,
        dispose: () => peer.delete(),
      };
    }
    case 'tfjs-webgpu': {
      if (tf.getBackend() !== 'webgpu') throw new Error('tf.js has no webgpu backend here');
      const tg = new TfjsGraph(graph);
      return { id, infer: async (x) => (await tg.run([x as Float32Array]))[0]!, note: quantized ? 'graph of dequantized weights' : undefined, dispose: () => tg.dispose() };
    }
  }
}

/** The input an engine takes for a model input in the graph's dtype (the float twin takes floats). */
function engineInput(id: BrowserEngineId, graph: Graph, x: HostTensor): HostTensor {
  if (id === 'octet-f32' && !(x instanceof Float32Array)) return float().dequantizeInputs(graph, [x])[0]!;
  if (id === 'tfjs-webgpu') return floatInputFor(graph.tensors[graph.inputs[0]!]!, x as Int8Array | Uint8Array | Float32Array);
  return x;
}

/** Output 0 in the graph's own dtype (the float twin's quantized back). */
function graphOutput(id: BrowserEngineId, graph: Graph, y: TensorData): TensorData {
  const t = graph.tensors[graph.outputs[0]!]!;
  if ((id === 'octet-f32' || id === 'tfjs-webgpu') && t.dtype !== 'float32') return float().quantizeOutputs(graph, [y as Float32Array])[0]!;
  return y;
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i]! > a[best]!) best = i;
  return best;
}

async function runModel(spec: BrowserModelSpec): Promise<BrowserModelResult> {
  const bytes = await fetchBytes(spec.modelUrl);
  const graph = importTflite(bytes, spec.id);
  const inT = graph.tensors[graph.inputs[0]!]!;
  const outT = graph.tensors[graph.outputs[0]!]!;
  const result: BrowserModelResult = {
    id: spec.id,
    label: spec.label,
    macs: countMacs(graph),
    inputShape: inT.shape,
    inputDtype: inT.dtype,
    outputDtype: outT.dtype,
    engines: [],
  };
  const vectors = await Promise.all(
    spec.vectors.map(async (v) => ({ name: v.name, input: typed(await fetchBytes(v.inputUrl), inT.dtype), output: typed(await fetchBytes(v.outputUrl), outT.dtype) })),
  );
  const evalItems = await Promise.all(spec.eval.map(async (e) => ({ file: e.file, tflTop1: e.tflTop1, input: typed(await fetchBytes(e.inputUrl), inT.dtype) })));

  const engines: Engine[] = [];
  for (const id of spec.engines) {
    const r: BrowserEngineResult = { engine: id };
    result.engines.push(r);
    try {
      const t0 = performance.now();
      const engine = await createEngine(id, bytes, graph);
      await engine.infer(engineInput(id, graph, vectors[0]?.input ?? evalItems[0]!.input));
      r.firstMs = performance.now() - t0;
      r.note = engine.note;
      r.fullyAccelerated = engine.fullyAccelerated;
      r.memory = engine.memory;
      // Outputs against TFLite's reference vectors: differing elements (any difference) and the
      // largest difference, in the output's own units (quantized steps for 8-bit outputs).
      r.vectors = [];
      for (const v of vectors) {
        const y = graphOutput(id, graph, await engine.infer(engineInput(id, graph, v.input)));
        let differing = 0;
        let maxAbs = 0;
        for (let i = 0; i < v.output.length; i++) {
          const d = Math.abs(Number(y[i]) - Number(v.output[i]));
          if (d !== 0) differing++;
          if (d > maxAbs) maxAbs = d;
        }
        r.vectors.push({ name: v.name, elements: v.output.length, differing, maxAbs, lengthOk: y.length === v.output.length });
      }
      let agree = 0;
      for (const e of evalItems) {
        const y = await engine.infer(engineInput(id, graph, e.input));
        if (argmax(y) === e.tflTop1) agree++;
      }
      r.evalAgree = { n: evalItems.length, agree };
      engines.push(engine);
    } catch (e) {
      r.error = errorMessage(e);
      console.error(`${spec.id} ${id}: ${r.error}`);
    }
  }

  // Latency: warm-up, then rounds; each round runs every engine once, in an order rotated per round.
  const input = vectors[0]?.input ?? evalItems[0]!.input;
  const inputs = new Map(engines.map((e) => [e.id, engineInput(e.id, graph, input)]));
  for (let w = 0; w < spec.warmup; w++) for (const e of engines) await e.infer(inputs.get(e.id)!);
  const samples = new Map<BrowserEngineId, number[]>(engines.map((e) => [e.id, []]));
  const started = performance.now();
  for (let round = 0; round < spec.rounds; round++) {
    for (let k = 0; k < engines.length; k++) {
      const e = engines[(round + k) % engines.length]!;
      const t0 = performance.now();
      await e.infer(inputs.get(e.id)!);
      samples.get(e.id)!.push(performance.now() - t0);
    }
    if (round >= 2 && performance.now() - started > spec.budgetMs) break;
  }
  for (const e of engines) {
    const r = result.engines.find((x) => x.engine === e.id)!;
    const s: Stats = stats(samples.get(e.id)!);
    r.latency = s;
  }

  // Where Octet's time goes: per-dispatch GPU time from timestamp-query (one run), top 10.
  const octet = engines.find((e) => e.id === 'octet-int8') ?? engines.find((e) => e.id === 'octet-f32');
  if (octet && ctx!.hasTimestamps) {
    try {
      const fg = octet.id === 'octet-f32' && inT.dtype !== 'float32' ? float().dequantizeGraph(graph) : graph;
      const model = await OctetModel.load(fg, { context: ctx! });
      try {
        const x = inputs.get(octet.id)!;
        await model.run([x]);
        const timed = await model.runDetailed([x], { timing: true });
        if (timed.layerTimes?.length) {
          const total = timed.layerTimes.reduce((a, l) => a + l.ns, 0);
          result.dispatch = {
            engine: octet.id,
            totalMs: total / 1e6,
            count: timed.layerTimes.length,
            top: [...timed.layerTimes].sort((a, b) => b.ns - a.ns).slice(0, 10).map((l) => ({ label: l.label, opIndex: l.opIndex, ms: l.ns / 1e6 })),
          };
        }
      } finally {
        model.dispose();
      }
    } catch (e) {
      console.error(`${spec.id} dispatch timing: ${errorMessage(e)}`);
    }
  }
  for (const e of engines) e.dispose();
  return result;
}

// runModel can outlast one DevTools call (puppeteer's protocol timeout, 180 s): start() returns at
// once and leaves the outcome in window.__benchOutcome, which the driver polls.
type Outcome = { result: BrowserModelResult } | { error: string };
const w = window as unknown as { octetBench: unknown; __benchOutcome?: Outcome };
function start(spec: BrowserModelSpec): void {
  w.__benchOutcome = undefined;
  runModel(spec).then(
    (result) => (w.__benchOutcome = { result }),
    (e) => (w.__benchOutcome = { error: errorMessage(e) }),
  );
}
w.octetBench = { init, start };
document.title = 'octet bench ready';
