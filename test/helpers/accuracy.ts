// Per-item accuracy against the TFLite runtime: every (classifier, eval set) pair of
// reference/summary.tsv, run through `octet eval`, each item's top-1 class and raw top-1 score
// compared with the runtime's per-item CSV (reference/<model>__<set>.csv).
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { expect } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { evaluate, type EvalPrediction } from '../../src/cli/commands/eval.ts';
import { listEvalSet } from '../../src/data/datasets-node.ts';
import type { Graph } from '../../src/model/graph.ts';
import { importTflite } from '../../src/model/import.ts';
import { FLOAT_RELATIVE_TOLERANCE } from './float-graphs.ts';

export interface EvalPair {
  model: string;
  /** The set's name in summary.tsv and in the CSV's file name. */
  dataset: string;
  /** The folder under eval/: person_detect's '-gray' variant reads the colour VWW set (its recipe greys it). */
  folder: string;
  n: number;
  /** TFLite's top-1 over the whole set, in percent with two decimals. */
  top1: number;
}

export function evalPairs(): EvalPair[] {
  return readFileSync(assetPath('reference', 'summary.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [model, dataset, n, top1] = line.split('\t');
      return { model: model!, dataset: dataset!, folder: dataset!.replace(/-gray$/, ''), n: Number(n), top1: Number(top1) };
    });
}

const MODEL_FOLDERS = ['coral', 'mlperf-tiny', 'tflite-micro', 'tflite-support'];

export function modelPath(name: string): string {
  const path = MODEL_FOLDERS.map((folder) => assetPath('models', folder, `${name}.tflite`)).find((p) => existsSync(p));
  if (!path) throw new Error(`no model file for ${name} under models/{${MODEL_FOLDERS.join(',')}}`);
  return path;
}

interface ReferenceRow {
  /** The item's file name without its folder (cifar10-test-jpg repeats names across class folders). */
  file: string;
  label: number;
  top1: number;
  top5: number[];
  /** The printed raw output: an integer for 8-bit outputs, six significant digits for float. */
  raw: number;
}

/** The runtime's CSV rows, in the order of the set's own listing (checked item by item by name). */
function referenceRows(pair: EvalPair): ReferenceRow[] {
  const rows = readFileSync(assetPath('reference', `${pair.model}__${pair.dataset}.csv`), 'utf8').trim().split('\n').slice(1);
  return rows.map((row) => {
    const [file, label, top1, top5, raw] = row.split(',');
    return { file: file!, label: Number(label), top1: Number(top1), top5: top5!.split(' ').map(Number), raw: Number(raw) };
  });
}

/** `count` items spread evenly over the set (every (n/count)-th), or all of them. */
export function sampleIndices(n: number, count: number | 'all'): number[] {
  if (count === 'all' || count >= n) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor((i * n) / count));
}

/**
 * Hybrid models (int8 weights, float activations): TFLite's hybrid kernels quantize each
 * activation to int8 on the fly; Octet's float path dequantizes the weights and stays in float
 * (hybrid kernels are not implemented). Their scores are not TFLite's (measured on
 * kws_ref_model_float32 over its 1,000 items: median 3.5e-4 relative, max 0.31), so only the
 * class is compared, and the items whose class differs are listed here, measured: any change,
 * better or worse, fails. The list is checked against the graph, so it cannot cover a model that
 * is not hybrid.
 */
const HYBRID_CLASS_DIFFERENCES: Readonly<Record<string, readonly string[]>> = {
  kws_ref_model_float32: ['tst_000224_On_5.bin', 'tst_000321_Down_0.bin', 'tst_000331_Go_1.bin', 'tst_000353_Down_0.bin', 'tst_000458_Go_1.bin', 'tst_000618_No_3.bin', 'tst_000754_Stop_7.bin'],
};

function isHybrid(graph: Graph): boolean {
  return graph.ops.some(
    (op) =>
      (op.type === 'CONV_2D' || op.type === 'DEPTHWISE_CONV_2D' || op.type === 'FULLY_CONNECTED') &&
      graph.tensors[op.inputs[0]!]!.dtype === 'float32' &&
      graph.tensors[op.inputs[1]!]!.dtype === 'int8',
  );
}

export interface PairCheck {
  items: number;
  top1: number;
  seconds: number;
  /** Float outputs: the largest relative difference of a top-1 score from TFLite's; 0 for 8-bit and hybrid. */
  maxRelativeScoreDiff: number;
  /** A hybrid model: classes compared, scores not (HYBRID_CLASS_DIFFERENCES). */
  hybrid: boolean;
}

/**
 * Runs the pair's sample on the GPU and asserts, item by item: the top-1 class equals TFLite's,
 * and so does the raw top-1 score: exactly for 8-bit outputs; for float32 outputs within the float
 * path's bound (FLOAT_RELATIVE_TOLERANCE, 1e-4 relative: XNNPACK sums in another order), which
 * also covers the CSV's six printed digits. Hybrid models: see HYBRID_CLASS_DIFFERENCES.
 */
export async function checkPairItems(pair: EvalPair, count: number | 'all'): Promise<PairCheck> {
  const dir = assetPath('eval', pair.folder);
  const set = listEvalSet(dir);
  expect(set.items.length, `${pair.folder} items`).toBe(pair.n);
  const picked = sampleIndices(set.items.length, count);
  const reference = referenceRows(pair);
  const predictions: EvalPrediction[] = [];
  const path = modelPath(pair.model);
  const graph = importTflite(new Uint8Array(readFileSync(path)), pair.model);
  const float = graph.tensors[graph.outputs[0]!]!.dtype === 'float32';
  const hybrid = float && isHybrid(graph);
  expect(hybrid, `${pair.model}: hybrid (int8 weights, float activations)`).toBe(Object.hasOwn(HYBRID_CLASS_DIFFERENCES, pair.model));
  const result = await evaluate(path, {
    dataset: dir,
    items: picked.map((i) => set.items[i]!),
    backend: 'gpu',
    progress: null,
    onPrediction: (p) => predictions.push(p),
  });
  expect(predictions).toHaveLength(picked.length);
  // The CSV's labels and indices may be shifted from the model's outputs (ImageNet: background-first
  // 1001 classes throughout); the shift is the same for every row, so one row fixes it.
  expect(reference, `${pair.model} ${pair.dataset}: CSV rows`).toHaveLength(set.items.length);
  let shift: number | undefined;
  let maxRelative = 0;
  const classDifferences: string[] = [];
  predictions.forEach((p, k) => {
    const row = reference[picked[k]!]!;
    expect(basename(p.file), `${pair.model}: item ${picked[k]} of the set and of the CSV`).toBe(row.file);
    shift ??= row.label - p.target;
    expect(row.label - p.target, `${p.file}: label convention`).toBe(shift);
    if (hybrid) {
      if (p.top5[0]! + shift !== row.top1) classDifferences.push(row.file);
      return;
    }
    expect(p.top5[0]! + shift, `${pair.model} ${p.file}: top-1 class`).toBe(row.top1);
    if (float) {
      const relative = Math.abs(p.score - row.raw) / Math.abs(row.raw);
      maxRelative = Math.max(maxRelative, relative);
      expect(relative, `${pair.model} ${p.file}: top-1 score ${p.score} vs TFLite ${row.raw}`).toBeLessThanOrEqual(FLOAT_RELATIVE_TOLERANCE);
    } else {
      expect(p.score, `${pair.model} ${p.file}: raw top-1 score`).toBe(row.raw);
    }
  });
  if (hybrid) {
    const sampled = new Set(picked.map((i) => reference[i]!.file));
    expect(classDifferences, `${pair.model}: items whose top-1 class differs from TFLite's`).toEqual(HYBRID_CLASS_DIFFERENCES[pair.model]!.filter((f) => sampled.has(f)));
  }
  return { items: picked.length, top1: result.top1, seconds: result.seconds, maxRelativeScoreDiff: float ? maxRelative : 0, hybrid };
}
