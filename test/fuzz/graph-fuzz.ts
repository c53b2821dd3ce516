// Differential fuzzer for the whole int8 GPU pipeline: random small graphs (test/fuzz/graph-gen.ts)
// run on the GPU and on the CPU reference, compared byte for byte under each mode. A graph the GPU
// refuses with a LoweringError counts as refused; anything else that is not an exact match (a
// differing element, a GPU error of another kind, a reference that refuses a generated graph) is
// a failure and is written to test/fuzz/graph-regressions/<seed>-<index>.json for replay.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GpuContext } from '../../src/gpu/context.ts';
import type { Graph } from '../../src/model/graph.ts';
import type { TensorData } from '../../src/kernels/layout.ts';
import type { Int8Arithmetic } from '../../src/kernels/lowering.ts';
import type { RequantizationMode } from '../../src/reference/run.ts';
import { gpuVersusReference, type Comparison } from '../helpers/compare.ts';
import { mulberry32 } from '../helpers/rng.ts';
import { buildGraph, describeGraph, generateGraphDesc, graphInputs, type GraphDesc } from './graph-gen.ts';

export const GRAPH_REGRESSIONS_DIR = join(import.meta.dirname, 'graph-regressions');

export interface FuzzMode {
  requantization: RequantizationMode;
  int8Arithmetic: Int8Arithmetic;
}

/**
 * Both requantization semantics, each with f32 accumulation (the software adapters' choice) and
 * one integer arithmetic of the convolution kernels, so that every Int8Arithmetic is compared:
 * dot4 per product, and words unpacked once as i32.
 */
export const ALL_MODES: readonly FuzzMode[] = [
  { requantization: 'tflite', int8Arithmetic: 'f32' },
  { requantization: 'tflite', int8Arithmetic: 'dot4' },
  { requantization: 'xnnpack', int8Arithmetic: 'f32' },
  { requantization: 'xnnpack', int8Arithmetic: 'i32' },
];

export const modeName = (m: FuzzMode) => `${m.requantization}+${m.int8Arithmetic}`;

/** The comparison step, replaceable so that a test can plant a difference. */
export type CompareFn = (ctx: GpuContext, graph: Graph, inputs: TensorData[], mode: FuzzMode) => Promise<Comparison[]>;

export const defaultCompare: CompareFn = (ctx, graph, inputs, mode) =>
  gpuVersusReference(ctx, graph, inputs, mode.requantization, { int8Arithmetic: mode.int8Arithmetic });

/** A saved failing case: everything needed to rebuild the graph and its inputs. */
export interface GraphRegression {
  seed: number;
  index: number;
  graph: string;
  desc: GraphDesc;
  inputSeed: number;
  failures: Array<{ mode: string; kind: 'mismatch' | 'error'; detail: string }>;
}

export interface FuzzCounts {
  graphs: number;
  comparisons: number;
  refused: number;
  failures: number;
}

export interface FuzzReport extends FuzzCounts {
  /** Refusals by message (op and reason), for reading what the GPU side declines. */
  refusals: Record<string, number>;
  /** Ops in the generated graphs, counted once per occurrence. */
  ops: Record<string, number>;
  found: GraphRegression[];
  saved: string[];
  ms: number;
}

export interface FuzzOptions {
  ctx: GpuContext;
  count: number;
  seed: number;
  modes?: readonly FuzzMode[];
  /** Where failing cases go; GRAPH_REGRESSIONS_DIR by default. */
  regressionsDir?: string;
  /** Write failing cases (default true). */
  save?: boolean;
  compare?: CompareFn;
  /** Called after each graph. */
  onGraph?: (index: number, report: FuzzReport) => void;
}

/** The description and input seed of graph `index` of the run `seed` (independent of the others). */
export function fuzzCase(seed: number, index: number): { desc: GraphDesc; inputSeed: number } {
  const rng = mulberry32((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const desc = generateGraphDesc(rng);
  const inputSeed = Math.floor(rng() * 0x7fffffff) + 1;
  return { desc, inputSeed };
}

function isLoweringError(e: unknown): e is Error {
  return e instanceof Error && e.name === 'LoweringError';
}

/** One graph under each mode: null where it matched, else what went wrong; 'refused' on a LoweringError. */
export async function checkGraph(
  ctx: GpuContext,
  desc: GraphDesc,
  inputSeed: number,
  modes: readonly FuzzMode[],
  compare: CompareFn = defaultCompare,
): Promise<{ comparisons: number; refused?: string; failures: GraphRegression['failures'] }> {
  const graph = buildGraph(desc);
  const inputs = graphInputs(graph, inputSeed);
  const failures: GraphRegression['failures'] = [];
  let comparisons = 0;
  for (const mode of modes) {
    let cmp: Comparison[];
    try {
      cmp = await compare(ctx, graph, inputs, mode);
    } catch (e) {
      if (isLoweringError(e)) return { comparisons, refused: e.message, failures };
      failures.push({ mode: modeName(mode), kind: 'error', detail: `${(e as Error)?.name}: ${(e as Error)?.message ?? String(e)}` });
      continue;
    }
    comparisons++;
    for (const [k, c] of cmp.entries()) {
      if (c.differing > 0) failures.push({ mode: modeName(mode), kind: 'mismatch', detail: `output ${k}: ${c.differing}/${c.elements} differ (max ${c.maxAbsDiff}), ${c.firstDiff}` });
    }
  }
  return { comparisons, failures };
}

export function saveGraphRegression(r: GraphRegression, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${r.seed}-${r.index}.json`);
  writeFileSync(path, JSON.stringify(r, null, 1) + '\n');
  return path;
}

export async function fuzzGraphs(options: FuzzOptions): Promise<FuzzReport> {
  const { ctx, count, seed } = options;
  const modes = options.modes ?? ALL_MODES;
  const dir = options.regressionsDir ?? GRAPH_REGRESSIONS_DIR;
  const report: FuzzReport = { graphs: 0, comparisons: 0, refused: 0, failures: 0, refusals: {}, ops: {}, found: [], saved: [], ms: 0 };
  const start = performance.now();
  for (let index = 0; index < count; index++) {
    const { desc, inputSeed } = fuzzCase(seed, index);
    for (const o of desc.ops) report.ops[o.type] = (report.ops[o.type] ?? 0) + 1;
    const r = await checkGraph(ctx, desc, inputSeed, modes, options.compare);
    report.graphs++;
    report.comparisons += r.comparisons;
    if (r.refused !== undefined) {
      report.refused++;
      report.refusals[r.refused] = (report.refusals[r.refused] ?? 0) + 1;
    }
    if (r.failures.length > 0) {
      report.failures++;
      const found: GraphRegression = { seed, index, graph: describeGraph(desc), desc, inputSeed, failures: r.failures };
      report.found.push(found);
      if (options.save ?? true) report.saved.push(saveGraphRegression(found, dir));
    }
    report.ms = performance.now() - start;
    options.onGraph?.(index, report);
  }
  return report;
}

export function formatGraphReport(r: FuzzReport): string {
  const lines = [
    `graphs ${r.graphs}, comparisons ${r.comparisons}, refused ${r.refused}, failures ${r.failures} (${(r.ms / 1000).toFixed(1)} s)`,
    `ops: ${Object.entries(r.ops).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  for (const [msg, n] of Object.entries(r.refusals)) lines.push(`  refused ×${n}: ${msg}`);
  for (const f of r.found) lines.push(`  FAIL ${f.seed}-${f.index}: ${f.graph}\n    ${f.failures.map((x) => `${x.mode} ${x.kind}: ${x.detail}`).join('\n    ')}`);
  return lines.join('\n');
}
