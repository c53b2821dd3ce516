// `octet eval` on the GPU reproduces what the TFLite runtime scored on the shared eval sets
// (reference/summary.tsv), within 0.5 points, over every whole set. OCTET_QUICK=1 keeps three
// short ones for local work.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { evaluate } from '../../src/cli/commands/eval.ts';

interface SummaryRow {
  model: string;
  dataset: string;
  n: number;
  top1: number;
}

const summary: SummaryRow[] = readFileSync(assetPath('reference', 'summary.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [model, dataset, n, top1] = line.split('\t');
    return { model: model!, dataset: dataset!, n: Number(n), top1: Number(top1) };
  });

const MODEL_FOLDERS = ['coral', 'mlperf-tiny', 'tflite-micro', 'tflite-support'];
function modelPath(name: string): string | undefined {
  return MODEL_FOLDERS.map((folder) => assetPath('models', folder, `${name}.tflite`)).find((path) => existsSync(path));
}

const QUICK_SET = new Set(['pretrainedResnet_quant cifar10-mlperf-ic01', 'kws_ref_model kws-mlperf-kws01', 'mobilenet_v1_0.25_128_quant imagenet-sample-eli']);
const FULL = process.env.OCTET_QUICK !== '1';
// Pairs the eval command does not cover: float models (the float path is measured by `octet
// compare`) and person_detect's grayscale variant of the VWW set, which has no folder of its own.
const int8Rows = summary.filter((r) => !r.model.includes('float') && r.model !== 'mobilenet_v1_0.25_224_1_default_1' && !r.dataset.endsWith('-gray') && r.model !== 'pretrainedResnet');

describe('octet eval reproduces the TFLite runtime top-1', () => {
  for (const row of int8Rows) {
    const key = `${row.model} ${row.dataset}`;
    it.runIf(FULL || QUICK_SET.has(key))(`${key}: ${row.top1}% over ${row.n}`, { timeout: 1_800_000 }, async () => {
      const path = modelPath(row.model);
      expect(path, `model file for ${row.model}`).toBeDefined();
      const result = await evaluate(path!, { dataset: assetPath('eval', row.dataset), backend: 'gpu', requantization: 'xnnpack', progress: null });
      console.log(`${key}: Octet ${(100 * result.top1).toFixed(2)}% vs TFLite ${row.top1}% (n=${result.n}, ${result.seconds.toFixed(0)} s)`);
      expect(result.n).toBe(row.n);
      expect(Math.abs(100 * result.top1 - row.top1)).toBeLessThanOrEqual(0.5);
    });
  }
});
