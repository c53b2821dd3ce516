// `octet eval`: top-1 / top-5 accuracy of a classifier over one of the labelled eval sets.
import { basename, resolve } from 'node:path';
import { labelOffsetForModel, listEvalSet, loadEvalInput, type EvalItem } from '../../data/datasets-node.ts';
import { chooseInputRecipe } from '../../image/preprocess.ts';
import { tensorElementCount } from '../../model/graph.ts';
import { CliError } from '../errors.ts';
import { requireDirectory } from '../files.ts';
import { modelMetadataOfFile, openModel, type ModelOptions } from '../load-model.ts';
import { createProgress, type ProgressStream } from '../progress.ts';
import { rankIndices } from '../scores.ts';

export interface EvalOptions extends ModelOptions {
  dataset: string;
  limit?: number;
  /** Run these items of the set (a sample) instead of its first `limit`. */
  items?: readonly EvalItem[];
  /** Where progress goes; default stderr. `null` silences it. */
  progress?: ProgressStream | null;
  /** Called with each item's prediction, in set order: what a per-item comparison needs. */
  onPrediction?: (prediction: EvalPrediction) => void;
}

/** One item's outcome, in the model's own output indices. */
export interface EvalPrediction {
  file: string;
  /** The model's output index of the item's label (the set's label plus the background offset). */
  target: number;
  /** Output indices best first (5 at most); ties go to the lower index. */
  top5: number[];
  /** The raw output value at top5[0]: the quantized integer for 8-bit outputs. */
  score: number;
}

export interface EvalResult {
  model: string;
  dataset: string;
  n: number;
  /** Fractions in [0, 1]. */
  top1: number;
  top5: number;
  backend: string;
  seconds: number;
}

export async function evaluate(modelPath: string, options: EvalOptions): Promise<EvalResult> {
  const limit = options.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new CliError(`--limit must be a positive integer, got ${limit}`);
  requireDirectory(options.dataset, 'dataset folder');
  const dir = resolve(options.dataset);
  const set = listEvalSet(dir);
  const items = options.items ?? set.items.slice(0, limit ?? set.items.length);
  if (items.length === 0) throw new CliError(`${options.dataset}: the eval set lists no items`);

  const start = performance.now();
  const metadata = modelMetadataOfFile(modelPath);
  const model = await openModel(modelPath, options);
  try {
    const name = model.graph.name;
    if (model.inputs.length !== 1) throw new CliError(`${name} has ${model.inputs.length} inputs; eval needs a single-input classifier`);
    const input = model.inputs[0];
    // Undefined for non-image inputs: their items are raw tensors.
    const recipe = chooseInputRecipe(name, input, metadata)?.recipe;
    const classes = tensorElementCount(model.outputs[0].shape);
    const offset = labelOffsetForModel(classes);
    if (set.classes !== undefined && set.classes + offset !== classes) {
      throw new CliError(`${name} outputs ${classes} classes; ${basename(dir)} has ${set.classes}`);
    }
    const progress = options.progress === null ? undefined : createProgress(`eval ${name}`, items.length, options.progress ?? process.stderr);
    let correct1 = 0;
    let correct5 = 0;
    try {
      for (let i = 0; i < items.length; i++) {
        const item = items[i];
        const [scores] = await model.run(loadEvalInput(item, dir, input, recipe));
        const target = item.label + offset;
        if (target >= classes) throw new CliError(`${item.file}: label ${item.label} outside the model's ${classes} classes`);
        const best = rankIndices(scores, 5);
        options.onPrediction?.({ file: item.file, target, top5: best, score: scores[best[0]!]! });
        if (best[0] === target) correct1++;
        if (best.includes(target)) correct5++;
        progress?.update(i + 1, `top-1 ${((100 * correct1) / (i + 1)).toFixed(1)}%`);
      }
    } finally {
      progress?.finish();
    }
    return {
      model: name,
      dataset: basename(dir),
      n: items.length,
      top1: correct1 / items.length,
      top5: correct5 / items.length,
      backend: model.backend,
      seconds: Number(((performance.now() - start) / 1000).toFixed(3)),
    };
  } finally {
    model.dispose();
  }
}

/**
 * Per-item predictions as CSV, in the columns of the TFLite reference CSVs (file, label, top1,
 * top5, top1_raw_output), so two runs, or a run and a reference, can be diffed item by item.
 * Indices are the model's outputs (1001-class ImageNet models: background first); file is the
 * item's path inside the set.
 */
export function predictionsCsv(predictions: readonly EvalPrediction[]): string {
  const rows = predictions.map((p) => [p.file, p.target, p.top5[0], p.top5.join(' '), p.score].join(','));
  return ['file,label,top1,top5,top1_raw_output', ...rows].join('\n') + '\n';
}

export function formatEval(r: EvalResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  return `${r.model} on ${r.dataset}: top-1 ${pct(r.top1)}  top-5 ${pct(r.top5)}  (n=${r.n}, ${r.backend}, ${r.seconds.toFixed(1)} s)`;
}
