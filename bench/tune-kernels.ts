// `npm run bench -- --tune`: measures kernel tile candidates (src/kernels/tuned-tiles.ts) on the
// current adapter and prints the TUNED_TILES entry to check in for its class (--tune-write
// rewrites it in place). One factor at a time from the class's current entry: the conv register
// tile (int8 and float together), the depthwise strip, the workgroup size; the current entry runs
// twice, as two candidates. The noise a change must beat, per scope of dispatches, is the spread
// among the candidates whose shaders in that scope are the current entry's: on a loaded machine
// two runs of identical shaders differed by up to 10%, more than two runs of the current entry.
//
// Every candidate builds its own programs (its conv shaders compile again; the other kernels'
// pipelines come from the device's cache) and runs in one process, the candidates alternated
// round by round (each round starting at the next) so that each sees the same machine load. The figure per candidate is the sum
// over dispatches of each dispatch's fastest round (timestamp-query), robust to a loaded
// machine; without timestamps (llvmpipe), the sum over models of each model's fastest wall time.
//
// The int8 conv kernel: where the class takes the workgroup-memory kernel (prefersWorkgroupTiles,
// a GPU), its tile is one more factor (WORKGROUP_CONV_CANDIDATES); elsewhere one candidate forces
// that kernel with the current entry, measured for the record (the reason for the predicate) and
// never chosen, nor counted in the noise.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GpuContext } from '../src/gpu/context.ts';
import { importTflite } from '../src/model/import.ts';
import { tensorElementCount, type Graph } from '../src/model/graph.ts';
import type { TensorData } from '../src/kernels/layout.ts';
import { adapterClass, formatTilesEntry, TUNED_TILES, type AdapterClass, type KernelTiles } from '../src/kernels/tuned-tiles.ts';
import { GpuProgram } from '../src/runtime/gpu-program.ts';
import { formatWorkgroupConvTile, prefersWorkgroupTiles, WORKGROUP_CONV_CANDIDATES, type ConvKernel } from '../src/kernels/conv2d-shared.ts';
import { findAssetsDir } from '../src/assets-node.ts';
import { log } from './common.ts';

/** The models the tuner runs: int8 and uint8 convolutions, depthwise layers, and the float path. */
export const TUNE_MODELS = [
  { id: 'resnet8', path: 'models/mlperf-tiny/pretrainedResnet_quant.tflite' },
  { id: 'vww_96', path: 'models/mlperf-tiny/vww_96_int8.tflite' },
  { id: 'vww_96_float', path: 'models/mlperf-tiny/vww_96_float.tflite' },
  { id: 'mobilenet_v2_1.0_224', path: 'models/coral/mobilenet_v2_1.0_224_quant.tflite' },
] as const;

/** What a tile parameter's choice is measured on: the dispatches it changes. */
type Scope = 'conv' | 'floatConv' | 'depthwise' | 'floatDepthwise' | 'all';
const SCOPES: Scope[] = ['conv', 'floatConv', 'depthwise', 'floatDepthwise', 'all'];

/**
 * The least relative difference taken for a change: on the loaded 2-core machine, two runs of 8
 * rounds disagreed on differences below it (SwiftShader int8 conv 8×1 against 8×2: 4% faster,
 * then 19% slower; llvmpipe depthwise 2 against 4: 9% slower, then 4% faster, in a run whose two
 * runs of the current entry differed by 0.4%).
 */
const MIN_NOISE = 0.05;

/** The parameters that change a scope's shaders or dispatches. */
const SCOPE_PARAMETERS: Record<Scope, Array<keyof KernelTiles>> = {
  conv: ['convPixels', 'convGroups', 'workgroupConv', 'workgroupSize'],
  floatConv: ['floatConvPixels', 'floatConvGroups', 'workgroupSize'],
  depthwise: ['depthwisePixels', 'workgroupSize'],
  floatDepthwise: ['floatDepthwisePixels', 'workgroupSize'],
  all: ['convPixels', 'convGroups', 'floatConvPixels', 'floatConvGroups', 'depthwisePixels', 'floatDepthwisePixels', 'workgroupConv', 'workgroupSize'],
};

function scopeOf(label: string): Scope | undefined {
  if (/^(conv2d|fc)#/.test(label)) return 'conv';
  if (/^float (conv2d|fc)#/.test(label)) return 'floatConv';
  if (/^depthwise#/.test(label)) return 'depthwise';
  if (/^float depthwise#/.test(label)) return 'floatDepthwise';
  return undefined;
}

interface Candidate {
  name: string;
  tiles: KernelTiles;
  /** A kernel forced against the adapter's choice: measured, never chosen. */
  convKernel?: ConvKernel;
}

/** The current entry (twice), then one factor changed at a time; `workgroupConv`: whether the class takes the workgroup-memory conv kernel. */
function candidatesFrom(base: KernelTiles, workgroupConv: boolean): Candidate[] {
  const out: Candidate[] = [{ name: 'current', tiles: base }, { name: 'current again', tiles: base }];
  const seen = new Set([JSON.stringify(base)]);
  const add = (name: string, tiles: KernelTiles) => {
    const key = JSON.stringify(tiles);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({ name, tiles });
  };
  for (const pixels of [4, 8]) {
    for (const groups of [1, 2]) add(`conv ${pixels}×${groups}`, { ...base, convPixels: pixels, convGroups: groups, floatConvPixels: pixels, floatConvGroups: groups });
  }
  for (const pixels of [2, 4]) add(`depthwise ${pixels}`, { ...base, depthwisePixels: pixels, floatDepthwisePixels: pixels });
  for (const size of [32, 64, 128]) add(`workgroup ${size}`, { ...base, workgroupSize: size });
  if (workgroupConv) {
    for (const t of WORKGROUP_CONV_CANDIDATES) add(`workgroup conv ${formatWorkgroupConvTile(t)}`, { ...base, workgroupConv: t });
  } else {
    out.push({ name: 'workgroup conv kernel (forced)', tiles: base, convKernel: 'workgroup' });
  }
  return out;
}

/** A deterministic input: a sine for float tensors, a spread of byte values for 8-bit ones. */
function inputFor(graph: Graph): TensorData[] {
  return graph.inputs.map((id) => {
    const t = graph.tensors[id]!;
    const n = tensorElementCount(t.shape);
    if (t.dtype === 'float32') return Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    if (t.dtype === 'uint8') return Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256);
    return Int8Array.from({ length: n }, (_, i) => ((i * 37) % 256) - 128);
  });
}

interface Measured {
  /** Per model: each dispatch's fastest time in ms, by label. */
  dispatchMin: Map<string, Map<string, number>>;
  /** Per model: the fastest wall time of one run in ms. */
  wallMin: Map<string, number>;
  loadMs: number;
}

export interface TuneKernelsResult {
  adapterClass: AdapterClass;
  timing: 'timestamp-query' | 'wall';
  rounds: number;
  candidates: Array<{ name: string; tiles: KernelTiles; ms: Record<Scope, number>; loadMs: number }>;
  noise: Record<Scope, number>;
  chosen: KernelTiles;
  entry: string;
  comment: string[];
}

/** The figure of a candidate in one scope (see the header). */
function figure(m: Measured, scope: Scope, timestamps: boolean, models: ReadonlyMap<string, Set<Scope>>): number {
  if (!timestamps) {
    let sum = 0;
    for (const [model, ms] of m.wallMin) if (scope === 'all' || models.get(model)!.has(scope)) sum += ms;
    return sum;
  }
  let sum = 0;
  for (const perLabel of m.dispatchMin.values()) {
    for (const [label, ms] of perLabel) if (scope === 'all' || scopeOf(label) === scope) sum += ms;
  }
  return sum;
}

export async function tuneKernels(ctx: GpuContext, options: { rounds: number; write?: string }): Promise<TuneKernelsResult> {
  const cls = adapterClass(ctx.caps);
  const base = TUNED_TILES[cls];
  const candidates = candidatesFrom(base, prefersWorkgroupTiles(ctx.caps, base.workgroupConv, ctx.device.limits));
  const timestamps = ctx.hasTimestamps;
  const assets = findAssetsDir();
  const graphs = TUNE_MODELS.map((m) => ({ id: m.id, graph: importTflite(new Uint8Array(readFileSync(join(assets, m.path))), m.id) }));
  log(`tuning kernel tiles for class '${cls}': ${candidates.length} candidates × ${graphs.length} models, ${options.rounds} rounds, ${timestamps ? 'per-dispatch GPU time' : 'wall time (no timestamp-query)'}`);

  const programs: Array<Array<{ id: string; program: GpuProgram; inputs: TensorData[] }>> = [];
  const measured: Measured[] = [];
  for (const c of candidates) {
    const t0 = performance.now();
    const built = [];
    for (const { id, graph } of graphs) built.push({ id, program: await GpuProgram.build(ctx, graph, { tiles: c.tiles, ...(c.convKernel ? { convKernel: c.convKernel } : {}) }), inputs: inputFor(graph) });
    const loadMs = performance.now() - t0;
    programs.push(built);
    measured.push({ dispatchMin: new Map(), wallMin: new Map(), loadMs });
    log(`  built ${c.name} in ${(loadMs / 1000).toFixed(1)} s`);
  }
  // Which scopes each model has dispatches in, for the wall-time figure.
  const modelScopes = new Map<string, Set<Scope>>();
  const reference = new Map<string, TensorData[]>();
  for (const { id, program, inputs } of programs[0]!) {
    const { outputs } = await program.run(inputs);
    reference.set(id, outputs);
    const scopes = new Set<Scope>();
    for (const op of program.gpuGraph.ops) {
      const float = program.gpuGraph.tensors[op.outputs[0]!]?.dtype === 'float32';
      if (op.type === 'CONV_2D' || op.type === 'FULLY_CONNECTED') scopes.add(float ? 'floatConv' : 'conv');
      if (op.type === 'DEPTHWISE_CONV_2D') scopes.add(float ? 'floatDepthwise' : 'depthwise');
    }
    modelScopes.set(id, scopes);
  }

  for (let round = 0; round < options.rounds; round++) {
    // Each round starts at the next candidate: none always runs first (after the previous round's last).
    for (let k = 0; k < programs.length; k++) {
      const ci = (round + k) % programs.length;
      const built = programs[ci]!;
      const m = measured[ci]!;
      for (const { id, program, inputs } of built) {
        const t0 = performance.now();
        const { outputs, layerTimes } = await program.run(inputs, { timing: timestamps });
        const wall = performance.now() - t0;
        m.wallMin.set(id, Math.min(m.wallMin.get(id) ?? Infinity, wall));
        const perLabel = m.dispatchMin.get(id) ?? new Map<string, number>();
        for (const t of layerTimes ?? []) perLabel.set(t.label, Math.min(perLabel.get(t.label) ?? Infinity, t.ns / 1e6));
        m.dispatchMin.set(id, perLabel);
        if (round === 0) {
          // A candidate that computed something else is a bug, not a speed-up.
          const expected = reference.get(id)!;
          outputs.forEach((o, i) => {
            const e = expected[i]!;
            for (let j = 0; j < o.length; j++) {
              if (o[j] !== e[j] && !(Number.isNaN(o[j]) && Number.isNaN(e[j]))) throw new Error(`${candidates[ci]!.name} on ${id}: output ${i} element ${j} is ${o[j]}, the current tiles give ${e[j]}`);
            }
          });
        }
      }
    }
    log(`  round ${round + 1}/${options.rounds}`);
  }
  for (const built of programs) for (const { program } of built) program.dispose();

  const rows = candidates.map((c, i) => ({
    name: c.name,
    tiles: c.tiles,
    forced: c.convKernel !== undefined,
    loadMs: measured[i]!.loadMs,
    ms: Object.fromEntries(SCOPES.map((s) => [s, figure(measured[i]!, s, timestamps, modelScopes)])) as Record<Scope, number>,
  }));
  const [current, again] = rows;
  // Relative noise per scope: the spread of the candidates whose dispatches in that scope are the
  // current entry's (the current entry twice, and every candidate changing only other parameters:
  // their shaders there are identical), at least MIN_NOISE.
  const noise = Object.fromEntries(SCOPES.map((s) => {
    // Wall times are whole runs: there every parameter changes every scope's figure.
    const parameters = timestamps ? SCOPE_PARAMETERS[s] : SCOPE_PARAMETERS.all;
    const same = rows.filter((r) => !r.forced && parameters.every((k) => r.tiles[k] === base[k])).map((r) => r.ms[s]);
    const spread = (Math.max(...same) - Math.min(...same)) / Math.min(...same);
    return [s, Number.isFinite(spread) ? Math.max(MIN_NOISE, spread) : MIN_NOISE];
  })) as Record<Scope, number>;
  const currentMs = (s: Scope) => Math.min(current!.ms[s], again!.ms[s]);

  /** The fastest of the candidates varying `keys`, if it beats the current entry by more than the noise in `scope`; else the current value. */
  const choose = <K extends keyof KernelTiles>(keys: K[], scope: Scope, varying: (r: (typeof rows)[number]) => boolean): Pick<KernelTiles, K> => {
    const pool = rows.filter((r) => !r.forced && varying(r));
    const best = pool.reduce((a, b) => (b.ms[scope] < a.ms[scope] ? b : a), current!);
    const pick = best.ms[scope] < currentMs(scope) * (1 - noise[scope]) ? best.tiles : base;
    return Object.fromEntries(keys.map((k) => [k, pick[k]])) as Pick<KernelTiles, K>;
  };
  const differs = (r: (typeof rows)[number], keys: Array<keyof KernelTiles>) => keys.some((k) => r.tiles[k] !== base[k]);
  const chosen: KernelTiles = {
    ...base,
    ...choose(['convPixels', 'convGroups'], 'conv', (r) => differs(r, ['convPixels', 'convGroups'])),
    ...choose(['floatConvPixels', 'floatConvGroups'], 'floatConv', (r) => differs(r, ['floatConvPixels', 'floatConvGroups'])),
    ...choose(['depthwisePixels'], 'depthwise', (r) => differs(r, ['depthwisePixels'])),
    ...choose(['floatDepthwisePixels'], 'floatDepthwise', (r) => differs(r, ['floatDepthwisePixels'])),
    ...choose(['workgroupConv'], 'conv', (r) => differs(r, ['workgroupConv'])),
    ...choose(['workgroupSize'], 'all', (r) => differs(r, ['workgroupSize'])),
  };
  const entry = formatTilesEntry(cls, chosen);
  const unchanged = JSON.stringify(chosen) === JSON.stringify(base);
  const how = timestamps
    ? `sums of each dispatch's fastest of ${options.rounds} alternated rounds (timestamp-query)`
    : `sums of each model's fastest wall time of ${options.rounds} alternated rounds (no timestamp-query)`;
  const fmt = (r: (typeof rows)[number]) =>
    `${r.name}: conv ${r.ms.conv.toFixed(1)}, float conv ${r.ms.floatConv.toFixed(1)}, depthwise ${r.ms.depthwise.toFixed(1)}, float depthwise ${r.ms.floatDepthwise.toFixed(1)}, all ${r.ms.all.toFixed(1)}`;
  const comment = [
    `--tune on ${ctx.caps.adapter.backend} (${new Date().toISOString().slice(0, 10)}), ${TUNE_MODELS.map((m) => m.id).join(', ')}: ${how}, ms;`,
    `a choice must beat the current value by the noise (the spread of the candidates identical in that scope, at least ${MIN_NOISE * 100}%: ${SCOPES.map((s) => `${s} ${(noise[s] * 100).toFixed(1)}%`).join(', ')}).`,
    ...rows.map(fmt),
    unchanged ? 'No candidate beat the current values by more than the noise: kept.' : 'Chosen: the fastest beyond the noise per parameter.',
  ];
  if (options.write) writeTilesEntry(options.write, cls, entry, comment);
  return { adapterClass: cls, timing: timestamps ? 'timestamp-query' : 'wall', rounds: options.rounds, candidates: rows, noise, chosen, entry, comment };
}

/** Rewrites one class's block of TUNED_TILES: its marker line, the comment lines after it, and its entry line. */
export function writeTilesEntry(file: string, cls: AdapterClass, entry: string, comment: string[]): void {
  const text = readFileSync(file, 'utf8');
  const block = new RegExp(`(  // ${cls}\\n)(?:  //.*\\n)*  ${cls}: \\{.*\\},\\n`);
  if (!block.test(text)) throw new Error(`${file}: no '  // ${cls}' block followed by its '${cls}: { ... },' entry`);
  const wrapped = comment.flatMap((line) => wrap(line, 96)).map((l) => `  // ${l}\n`).join('');
  writeFileSync(file, text.replace(block, (_m, marker: string) => `${marker}${wrapped}  ${entry}\n`));
  log(`wrote the '${cls}' entry of ${file}`);
}

function wrap(line: string, width: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && current.length + 1 + word.length > width) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) out.push(current);
  return out;
}

/** The candidates as a markdown table, then the chosen entry. */
export function formatTuneKernels(r: TuneKernelsResult): string {
  const ms = (v: number) => (v > 0 ? v.toFixed(1) : '-');
  const head = r.timing === 'timestamp-query'
    ? '| candidate | tiles | int8 conv ms | float conv ms | int8 depthwise ms | float depthwise ms | all ms | build s |'
    : '| candidate | tiles | int8 conv models ms | float conv models ms | int8 depthwise models ms | float depthwise models ms | all models ms | build s |';
  const t = (k: KernelTiles) => `conv ${k.convPixels}×${k.convGroups} / ${k.floatConvPixels}×${k.floatConvGroups}, dw ${k.depthwisePixels} / ${k.floatDepthwisePixels}, wg ${k.workgroupSize}, workgroup conv ${formatWorkgroupConvTile(k.workgroupConv)}`;
  return [
    `Kernel tiles, class '${r.adapterClass}' (${r.timing === 'timestamp-query' ? "sum of each dispatch's fastest round" : "sum of each model's fastest wall time"}, ${r.rounds} rounds):`,
    '',
    head,
    '|---|---|---|---|---|---|---|---|',
    ...r.candidates.map((c) => `| ${c.name} | ${t(c.tiles)} | ${ms(c.ms.conv)} | ${ms(c.ms.floatConv)} | ${ms(c.ms.depthwise)} | ${ms(c.ms.floatDepthwise)} | ${ms(c.ms.all)} | ${(c.loadMs / 1000).toFixed(1)} |`),
    '',
    `noise (spread of the candidates identical in each scope): ${Object.entries(r.noise).map(([s, v]) => `${s} ${(v * 100).toFixed(1)}%`).join(', ')}`,
    `chosen: ${t(r.chosen)}`,
    '',
    'TUNED_TILES entry (src/kernels/tuned-tiles.ts):',
    ...r.comment.map((l) => `  // ${l}`),
    `  ${r.entry}`,
  ].join('\n');
}
