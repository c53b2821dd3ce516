// Kernel benchmarks: tiled int8 GEMM (dot4 and fallback) against f32 GEMM, the tile tuning, and
// int8 against f32 convolutions (3×3, 1×1, depthwise 3×3) at MobileNet layer shapes through the
// real lowerings (int8: src/kernels/conv2d.ts; f32: FLOAT_LOWERINGS via the float path), plus the
// tuned GEMM as a 1×1 convolution against the current conv2d kernel on the same bytes.
import type { GpuContext } from '../src/gpu/context.ts';
import { GpuProgram } from '../src/runtime/gpu-program.ts';
import { fromGpuLayout, toGpuLayout, type TensorData } from '../src/kernels/layout.ts';
import { lowerOp } from '../src/kernels/registry.ts';
import { int8ActivationRange, int8ZeroPoint, type LoweringContext } from '../src/kernels/lowering.ts';
import { describeTile, gemmShader, tileAcceptsK, gemmUniforms, gemmWorkgroupBytes, gemmWorkgroups, packRowsInt8, type GemmKind, type GemmTile } from '../src/kernels/gemm.ts';
import type { Activation, Graph, OpIR, Padding, QuantParams } from '../src/model/graph.ts';
import { tensorElementCount } from '../src/model/graph.ts';
import {
  bindAll,
  computePipeline,
  errorMessage,
  gops,
  loadFloatPath,
  log,
  mulberry32,
  randomInt8,
  readBuffer,
  stats,
  storageBuffer,
  timeDispatch,
  uniformBuffer,
  type Stats,
  type TimingMethod,
} from './common.ts';

export interface GemmResult {
  size: number;
  kind: GemmKind;
  tile: string;
  ms: Stats;
  gops: number;
  method: TimingMethod;
  /** Mismatches against the CPU product over the checked entries (0 = correct). */
  mismatches: number;
  checked: number;
}

export interface TuneResult {
  precision: 'int8' | 'f32';
  kind: GemmKind;
  size: number;
  candidates: Array<{ tile: GemmTile; label: string; ms: number; gops: number; error?: string }>;
  chosen: GemmTile;
}

export interface ConvResult {
  name: string;
  kind: 'conv3x3' | 'conv1x1' | 'depthwise3x3';
  shape: string;
  macs: number;
  int8?: { ms: Stats; gops: number; method: TimingMethod; variant: string };
  int8Fallback?: { ms: Stats; gops: number; method: TimingMethod };
  f32?: { ms: Stats; gops: number; method: TimingMethod };
  /** f32 time / int8 time, same process. */
  ratio?: number;
  /** 1×1 only: the tuned int8 GEMM (requantized output) on the same bytes. */
  gemm?: { ms: Stats; gops: number; method: TimingMethod; tile: string; identical: boolean; speedupOverConv: number };
  error?: string;
}

export interface KernelOptions {
  quick: boolean;
  sizes: number[];
  reps: number;
}

// ---------------------------------------------------------------- GEMM

export const TILE_CANDIDATES: GemmTile[] = [
  { tileM: 64, tileN: 64, tm: 4, tn: 4, k: 16, shared: true },
  { tileM: 32, tileN: 32, tm: 4, tn: 4, k: 16, shared: true },
  { tileM: 32, tileN: 32, tm: 4, tn: 4, k: 16, shared: false },
  { tileM: 32, tileN: 32, tm: 4, tn: 4, k: 16, shared: false, vec: true },
  { tileM: 32, tileN: 32, tm: 4, tn: 4, k: 16, shared: false, vec: true, unpacked: true },
];

function tileFits(ctx: GpuContext, kind: GemmKind, t: GemmTile): boolean {
  const l = ctx.device.limits;
  const threads = (t.tileM / t.tm) * (t.tileN / t.tn);
  return threads <= l.maxComputeInvocationsPerWorkgroup && gemmWorkgroupBytes(kind, t) <= l.maxComputeWorkgroupStorageSize;
}

interface GemmSetup {
  run(reps: number): Promise<{ ms: number[]; method: TimingMethod }>;
  read(): Promise<Int32Array | Float32Array>;
  destroy(): void;
}

async function setupGemm(ctx: GpuContext, kind: GemmKind, tile: GemmTile, m: number, n: number, k: number, a8: Int8Array, b8: Int8Array): Promise<GemmSetup> {
  const device = ctx.device;
  const shader = gemmShader(kind, tile);
  const pipeline = await computePipeline(ctx, `gemm ${kind} ${describeTile(tile)}`, shader.code);
  const int8 = kind !== 'f32';
  const a = int8 ? storageBuffer(device, packRowsInt8(a8, m, k)) : storageBuffer(device, Float32Array.from(a8));
  const b = int8 ? storageBuffer(device, packRowsInt8(b8, n, k)) : storageBuffer(device, Float32Array.from(b8));
  const c = device.createBuffer({ size: m * n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const u = uniformBuffer(device, gemmUniforms(m, n, Math.ceil(k / shader.kPack)));
  const bindGroup = bindAll(device, pipeline, [a, b, c, u]);
  const workgroups = gemmWorkgroups(m, n, tile);
  return {
    run: (reps) => timeDispatch(ctx, pipeline, bindGroup, workgroups, reps),
    read: async () => {
      const bytes = await readBuffer(device, c, m * n * 4);
      return int8 ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
    },
    destroy: () => [a, b, c, u].forEach((x) => x.destroy()),
  };
}

/** Checks the product against the CPU: every entry up to 256², else 4096 sampled entries. */
function checkGemm(out: Int32Array | Float32Array, a: Int8Array, b: Int8Array, m: number, n: number, k: number, rng: () => number): { mismatches: number; checked: number } {
  const all = m * n <= 65536;
  const count = all ? m * n : 4096;
  let mismatches = 0;
  for (let s = 0; s < count; s++) {
    const idx = all ? s : Math.floor(rng() * m * n);
    const i = Math.floor(idx / n);
    const j = idx % n;
    let ref = 0;
    for (let t = 0; t < k; t++) ref += a[i * k + t]! * b[j * k + t]!;
    // Small integers are exact in f32 as well (|sum| < 2^24 for these sizes).
    if (out[idx] !== ref) mismatches++;
  }
  return { mismatches, checked: count };
}

export function gemmKinds(ctx: GpuContext): GemmKind[] {
  return ctx.caps.paths.dot4I8Packed ? ['int8-dot4', 'int8-fallback', 'f32'] : ['int8-fallback', 'f32'];
}

export async function tuneGemm(ctx: GpuContext, size: number, reps: number): Promise<TuneResult[]> {
  const rng = mulberry32(7);
  const a = randomInt8(rng, size * size);
  const b = randomInt8(rng, size * size);
  const out: TuneResult[] = [];
  for (const kind of [gemmKinds(ctx)[0]!, 'f32'] as GemmKind[]) {
    const candidates: TuneResult['candidates'] = [];
    for (const tile of TILE_CANDIDATES) {
      const label = describeTile(tile);
      if (!tileFits(ctx, kind, tile)) {
        candidates.push({ tile, label, ms: Infinity, gops: 0, error: 'exceeds adapter limits' });
        continue;
      }
      try {
        const g = await setupGemm(ctx, kind, tile, size, size, size, a, b);
        const r = await g.run(reps);
        const { mismatches } = checkGemm(await g.read(), a, b, size, size, size, rng);
        if (mismatches) throw new Error(`${mismatches} wrong entries`);
        g.destroy();
        const ms = stats(r.ms).median;
        candidates.push({ tile, label, ms, gops: gops(2 * size ** 3, ms) });
        log(`  tune ${kind} ${size}: ${label}: ${ms.toFixed(2)} ms`);
      } catch (e) {
        candidates.push({ tile, label, ms: Infinity, gops: 0, error: errorMessage(e) });
      }
    }
    const best = candidates.reduce((x, y) => (y.ms < x.ms ? y : x));
    out.push({ precision: kind === 'f32' ? 'f32' : 'int8', kind, size, candidates, chosen: best.tile });
  }
  return out;
}

export async function benchGemm(ctx: GpuContext, opts: KernelOptions, tiles: { int8: GemmTile; f32: GemmTile }): Promise<GemmResult[]> {
  const results: GemmResult[] = [];
  for (const size of opts.sizes) {
    const rng = mulberry32(size);
    const a = randomInt8(rng, size * size);
    const b = randomInt8(rng, size * size);
    const reps = size >= 1024 ? Math.max(2, Math.min(opts.reps, 3)) : opts.reps;
    for (const kind of gemmKinds(ctx)) {
      const tile = kind === 'f32' ? tiles.f32 : tiles.int8;
      const g = await setupGemm(ctx, kind, tile, size, size, size, a, b);
      const r = await g.run(reps);
      const check = checkGemm(await g.read(), a, b, size, size, size, rng);
      g.destroy();
      const s = stats(r.ms);
      results.push({ size, kind, tile: describeTile(tile), ms: s, gops: gops(2 * size ** 3, s.median), method: r.method, ...check });
      log(`  gemm ${size}³ ${kind}: ${s.median.toFixed(2)} ms (${gops(2 * size ** 3, s.median).toFixed(2)} GOPS) ${check.mismatches ? `WRONG ${check.mismatches}/${check.checked}` : 'ok'}`);
    }
  }
  return results;
}

// ---------------------------------------------------------------- convolutions

interface ConvShape {
  name: string;
  kind: ConvResult['kind'];
  h: number;
  w: number;
  inC: number;
  outC: number;
  k: number;
  stride: number;
  quick: boolean;
}

/** MobileNet v1 (1.0, 224) layers, and a ResNet-8 3×3 layer. */
export const CONV_SHAPES: ConvShape[] = [
  { name: 'MobileNet v1 conv0', kind: 'conv3x3', h: 224, w: 224, inC: 3, outC: 32, k: 3, stride: 2, quick: true },
  { name: 'ResNet-8 stage 2', kind: 'conv3x3', h: 16, w: 16, inC: 32, outC: 32, k: 3, stride: 1, quick: false },
  { name: 'MobileNet v1 pw 56²×128', kind: 'conv1x1', h: 56, w: 56, inC: 128, outC: 128, k: 1, stride: 1, quick: true },
  { name: 'MobileNet v1 pw 14²×512', kind: 'conv1x1', h: 14, w: 14, inC: 512, outC: 512, k: 1, stride: 1, quick: true },
  { name: 'MobileNet v1 pw 7²×1024', kind: 'conv1x1', h: 7, w: 7, inC: 1024, outC: 1024, k: 1, stride: 1, quick: false },
  { name: 'MobileNet v1 dw 112²×64 s2', kind: 'depthwise3x3', h: 112, w: 112, inC: 64, outC: 64, k: 3, stride: 2, quick: false },
  { name: 'MobileNet v1 dw 56²×128', kind: 'depthwise3x3', h: 56, w: 56, inC: 128, outC: 128, k: 3, stride: 1, quick: true },
  { name: 'MobileNet v1 dw 14²×512', kind: 'depthwise3x3', h: 14, w: 14, inC: 512, outC: 512, k: 3, stride: 1, quick: false },
];

function quant(scale: number | number[], zeroPoint: number | number[], axis = 0): QuantParams {
  const s = Array.isArray(scale) ? scale : [scale];
  const z = Array.isArray(zeroPoint) ? zeroPoint : [zeroPoint];
  return { scale: Float64Array.from(s.map(Math.fround)), zeroPoint: Int32Array.from(z), axis };
}

/** A single-op int8 graph (per-channel weights, realistic scales), as test/helpers/graphs.ts builds them. */
export function convGraph(shape: ConvShape, seed = 1): Graph {
  const rng = mulberry32(seed);
  const depthwise = shape.kind === 'depthwise3x3';
  const outC = depthwise ? shape.inC : shape.outC;
  const inScale = 0.03;
  const inZp = -5;
  const padding: Padding = 'SAME';
  const outH = Math.ceil(shape.h / shape.stride);
  const outW = Math.ceil(shape.w / shape.stride);
  const filterShape = depthwise ? [1, shape.k, shape.k, outC] : [outC, shape.k, shape.k, shape.inC];
  const wScales = Array.from({ length: outC }, () => 0.002 + rng() * 0.02);
  const taps = shape.k * shape.k * (depthwise ? 1 : shape.inC);
  const filter = new Int8Array(tensorElementCount(filterShape));
  for (let i = 0; i < filter.length; i++) filter[i] = Math.floor(rng() * 255) - 127;
  const bias = Int32Array.from({ length: outC }, () => Math.floor(rng() * 6000) - 3000);
  const outScale = inScale * wScales[0]! * Math.sqrt(taps) * 60;
  const bytes = (v: ArrayBufferView) => new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer);
  const activation: Activation = 'RELU6';
  const tensors: Graph['tensors'] = [
    { id: 0, name: 'input', shape: [1, shape.h, shape.w, shape.inC], dtype: 'int8', quant: quant(inScale, inZp) },
    { id: 1, name: 'filter', shape: filterShape, dtype: 'int8', quant: quant(wScales, new Array(outC).fill(0), depthwise ? 3 : 0), data: bytes(filter) },
    { id: 2, name: 'bias', shape: [outC], dtype: 'int32', quant: quant(wScales.map((s) => s * inScale), new Array(outC).fill(0)), data: bytes(bias) },
    { id: 3, name: 'output', shape: [1, outH, outW, outC], dtype: 'int8', quant: quant(outScale, 3) },
  ];
  const common = { padding, strideH: shape.stride, strideW: shape.stride, dilationH: 1, dilationW: 1, activation };
  const op: OpIR = depthwise
    ? { index: 0, version: 1, type: 'DEPTHWISE_CONV_2D', inputs: [0, 1, 2], outputs: [3], options: { ...common, depthMultiplier: 1 } }
    : { index: 0, version: 1, type: 'CONV_2D', inputs: [0, 1, 2], outputs: [3], options: common };
  return { name: shape.name, description: '', tensors, ops: [op], inputs: [0], outputs: [3] };
}

function convMacs(s: ConvShape): number {
  const outPixels = Math.ceil(s.h / s.stride) * Math.ceil(s.w / s.stride);
  return s.kind === 'depthwise3x3' ? outPixels * s.inC * s.k * s.k : outPixels * s.outC * s.k * s.k * s.inC;
}

/** Times a whole single-op program: GPU time of its dispatches, or the wall time of run(). */
async function timeProgram(program: GpuProgram, input: TensorData, reps: number): Promise<{ ms: number[]; method: TimingMethod; output: TensorData }> {
  const first = await program.run([input], { timing: true });
  const ms: number[] = [];
  let method: TimingMethod = first.layerTimes ? 'timestamp-query' : 'wall';
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    const r = await program.run([input], { timing: method === 'timestamp-query' });
    const wall = performance.now() - t0;
    if (r.layerTimes && r.layerTimes.every((l) => l.ns > 0)) ms.push(r.layerTimes.reduce((a, l) => a + l.ns, 0) / 1e6);
    else {
      method = 'wall';
      ms.push(wall);
    }
  }
  return { ms, method, output: first.outputs[0]! };
}

/** The tuned int8 GEMM as a 1×1 convolution on the lowering's own packed weights and parameters. */
async function gemmAsPointwise(ctx: GpuContext, graph: Graph, input: Int8Array, expected: TensorData, tile: GemmTile, reps: number): Promise<NonNullable<ConvResult['gemm']>> {
  const device = ctx.device;
  const lctx: LoweringContext = {
    graph,
    useDot4: ctx.useDot4,
    requantization: 'xnnpack',
    workgroupSize: 64,
    maxWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
  };
  const lowered = lowerOp(lctx, graph.ops[0]!);
  // Weights and per-channel parameters are the lowering's own; the output parameters come from the
  // tensors (the lowering may itself have chosen the GEMM, whose uniform layout differs).
  const [weights, channelParams] = lowered.constants.map((c) => c.data);
  const inT = graph.tensors[0]!;
  const outT = graph.tensors[3]!;
  const op = graph.ops[0]!;
  const [actMin, actMax] = int8ActivationRange(op.type === 'CONV_2D' ? op.options.activation : 'NONE', outT);
  const outputZp = int8ZeroPoint(outT);
  const [, h, w, inC] = inT.shape as [number, number, number, number];
  const outC = outT.shape[3]!;
  const m = h * w;
  const n = Math.ceil(outC / 4) * 4;
  const k4 = Math.ceil(inC / 4);
  const kind: GemmKind = ctx.useDot4 ? 'int8-dot4' : 'int8-fallback';
  // The vec4 variant needs whole vec4s of K; fall back to the scalar registers-only tile.
  if (!tileAcceptsK(kind, tile, k4 * 4)) tile = { ...tile, vec: false };
  const shader = gemmShader(kind, tile, { requant: true, floatRequant: true });
  const uniforms = gemmUniforms(m, n, (k4 * 4) / shader.kPack, outputZp, actMin, actMax);
  const pipeline = await computePipeline(ctx, `gemm pointwise ${describeTile(tile)}`, shader.code);
  const aBuf = storageBuffer(device, toGpuLayout(inT, input));
  const bBuf = storageBuffer(device, weights!);
  const cpBuf = storageBuffer(device, channelParams!);
  const outBytes = m * n;
  const cBuf = device.createBuffer({ size: outBytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const uBuf = uniformBuffer(device, uniforms);
  const bind = bindAll(device, pipeline, [aBuf, bBuf, cpBuf, cBuf, uBuf]);
  const workgroups = gemmWorkgroups(m, n, tile);
  const r = await timeDispatch(ctx, pipeline, bind, workgroups, reps);
  const got = fromGpuLayout(outT, await readBuffer(device, cBuf, outBytes));
  [aBuf, bBuf, cpBuf, cBuf, uBuf].forEach((b) => b.destroy());
  let identical = got.length === expected.length;
  for (let i = 0; identical && i < got.length; i++) if (got[i] !== expected[i]) identical = false;
  const s = stats(r.ms);
  return { ms: s, gops: gops(2 * m * outC * inC, s.median), method: r.method, tile: describeTile(tile), identical, speedupOverConv: 0 };
}

export async function benchConvs(ctx: GpuContext, fallbackCtx: GpuContext | undefined, opts: KernelOptions, int8Tile: GemmTile): Promise<ConvResult[]> {
  const floatPath = await loadFloatPath();
  const results: ConvResult[] = [];
  for (const shape of CONV_SHAPES.filter((s) => !opts.quick || s.quick)) {
    const graph = convGraph(shape);
    const macs = convMacs(shape);
    const outH = Math.ceil(shape.h / shape.stride);
    const res: ConvResult = {
      name: shape.name,
      kind: shape.kind,
      shape: `${shape.h}x${shape.w}x${shape.inC} -> ${outH}x${Math.ceil(shape.w / shape.stride)}x${shape.kind === 'depthwise3x3' ? shape.inC : shape.outC}, k${shape.k} s${shape.stride}`,
      macs,
    };
    try {
      const input = randomInt8(mulberry32(3), shape.h * shape.w * shape.inC);
      const p8 = await GpuProgram.build(ctx, graph);
      const r8 = await timeProgram(p8, input, opts.reps);
      p8.dispose();
      const s8 = stats(r8.ms);
      res.int8 = { ms: s8, gops: gops(2 * macs, s8.median), method: r8.method, variant: ctx.useDot4 ? 'dot4I8Packed' : 'fallback' };
      if (fallbackCtx) {
        const pf = await GpuProgram.build(fallbackCtx, graph);
        const rf = await timeProgram(pf, input, opts.reps);
        pf.dispose();
        const sf = stats(rf.ms);
        res.int8Fallback = { ms: sf, gops: gops(2 * macs, sf.median), method: rf.method };
      }
      const errors: string[] = [];
      if (floatPath) {
        try {
          const fg = floatPath.dequantizeGraph(graph);
          const [fin] = floatPath.dequantizeInputs(graph, [input]);
          const p32 = await GpuProgram.build(ctx, fg);
          const r32 = await timeProgram(p32, fin!, opts.reps);
          p32.dispose();
          const s32 = stats(r32.ms);
          res.f32 = { ms: s32, gops: gops(2 * macs, s32.median), method: r32.method };
          res.ratio = s32.median / s8.median;
        } catch (e) {
          errors.push(`f32: ${errorMessage(e)}`);
        }
      } else errors.push('f32: float path not present');
      if (shape.kind === 'conv1x1') {
        try {
          const g = await gemmAsPointwise(ctx, graph, input, r8.output, int8Tile, opts.reps);
          g.speedupOverConv = s8.median / g.ms.median;
          res.gemm = g;
        } catch (e) {
          errors.push(`gemm: ${errorMessage(e)}`);
        }
      }
      if (errors.length) res.error = errors.join('; ');
      log(
        `  ${shape.name}: int8 ${s8.median.toFixed(2)} ms` +
          (res.f32 ? `, f32 ${res.f32.ms.median.toFixed(2)} ms (f32/int8 ${res.ratio!.toFixed(2)})` : ', f32 n/a') +
          (res.gemm ? `, gemm ${res.gemm.ms.median.toFixed(2)} ms ${res.gemm.identical ? 'identical' : 'MISMATCH'}` : '') +
          (res.error ? ` [${res.error}]` : ''),
      );
    } catch (e) {
      res.error = errorMessage(e);
      log(`  ${shape.name}: ${res.error}`);
    }
    results.push(res);
  }
  return results;
}
