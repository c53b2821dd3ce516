// Shared by the quantizer's model tests: loading the float models, picking calibration items
// disjoint from the scoring set, and scoring a quantized graph on the CPU reference.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetPath } from '../../src/assets-node.ts';
import { listEvalSet, loadEvalInput, type EvalItem } from '../../src/data/datasets-node.ts';
import { decodeImage } from '../../src/image/decode.ts';
import { recipeForModel, resizeToPixels } from '../../src/image/preprocess.ts';
import { importTflite } from '../../src/model/import.ts';
import type { Graph } from '../../src/model/graph.ts';
import { prepareReference } from '../../src/reference/run.ts';

export function modelPath(name: string): string {
  return assetPath('models', 'mlperf-tiny', `${name}.tflite`);
}

export function loadModel(name: string): { graph: Graph; fileBytes: number } {
  const bytes = new Uint8Array(readFileSync(modelPath(name)));
  return { graph: importTflite(bytes, name), fileBytes: bytes.length };
}

export const CIFAR_JPG = () => assetPath('eval', 'cifar10-test-jpg');
export const CIFAR_IC01 = () => assetPath('eval', 'cifar10-mlperf-ic01');
export const VWW01 = () => assetPath('eval', 'vww-mlperf-vww01');

/**
 * Calibration items for the CIFAR-10 models: every 5th image of cifar10-test-jpg (about 10 per
 * class, the set is sorted by class), skipping any image that is also in the scoring set and
 * filling up from the next images (index ≡ 1 mod 5, …).
 *
 * Both sets are drawn from the CIFAR-10 test split, so they share images: a pixel comparison
 * finds 7 of ic01's 200 images among the 500 JPEGs (mean |Δ| ≈ 3.5–6 per channel, JPEG noise;
 * distinct images are far above 8). Those are dropped here, so calibration never sees a scored image.
 */
export function cifarCalibrationItems(count: number): EvalItem[] {
  const jpgDir = CIFAR_JPG();
  const icDir = CIFAR_IC01();
  const scored = listEvalSet(icDir).items.map((it) => new Uint8Array(readFileSync(join(icDir, it.file))));
  const items = listEvalSet(jpgDir).items;
  const candidates = items.map((item, i) => ({ item, i })).sort((a, b) => (a.i % 5) - (b.i % 5) || a.i - b.i).map((c) => c.item);
  const chosen: EvalItem[] = [];
  for (const item of candidates) {
    if (chosen.length === count) break;
    const pixels = resizeToPixels(decodeImage(new Uint8Array(readFileSync(join(jpgDir, item.file))), item.file), 32, 32);
    if (!scored.some((s) => meanAbsDiff(s, pixels) < 8)) chosen.push(item);
  }
  if (chosen.length < count) throw new Error(`only ${chosen.length} calibration images not in the scoring set`);
  return chosen;
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/**
 * Top-1 (percent) of `graph` on `items` with the CPU reference. Inputs follow the float model's
 * recipe; for an int8 input the 'real' recipe values are quantized with the input's own params.
 * Ties go to the lower index, as in the reference CSVs.
 */
export function top1(graph: Graph, floatModelName: string, floatGraph: Graph, dir: string, items: readonly EvalItem[]): number {
  const reference = prepareReference(graph);
  const recipe = recipeForModel(floatModelName, floatGraph.tensors[floatGraph.inputs[0]]);
  const input = graph.tensors[graph.inputs[0]];
  let correct = 0;
  for (const item of items) {
    const scores = reference.run([loadEvalInput(item, dir, input, recipe)])[0];
    let best = 0;
    for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
    if (best === item.label) correct++;
  }
  return (100 * correct) / items.length;
}

/** TFLite's own top-1 (percent) on a subset of an eval set, from the per-item reference CSV. */
export function referenceTop1(model: string, set: string, files: ReadonlySet<string>): number {
  const lines = readFileSync(assetPath('reference', `${model}__${set}.csv`), 'utf8').trim().split(/\r?\n/).slice(1);
  let n = 0;
  let correct = 0;
  for (const line of lines) {
    const [file, label, top1Prediction] = line.split(',');
    if (!files.has(file)) continue;
    n++;
    if (Number(label) === Number(top1Prediction)) correct++;
  }
  if (n !== files.size) throw new Error(`${model}__${set}.csv has ${n} of the ${files.size} files asked for`);
  return (100 * correct) / n;
}
