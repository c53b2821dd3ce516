// npm run test:full: whole-set int8-versus-float comparisons (minutes each), int8 on the GPU.
// Writes <pair>.json and <pair>.txt to OCTET_COMPARE_OUT (default /tmp/octet-compare).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { compareModels } from '../../src/compare/compare.ts';
import { evalSetDataset } from '../../src/compare/datasets-node.ts';
import { formatComparison } from '../../src/compare/format.ts';
import type { Graph } from '../../src/model/graph.ts';
import { importTflite } from '../../src/model/import.ts';
import { testContext } from '../helpers/gpu.ts';

const PAIRS = [
  { int8: 'mlperf-tiny/pretrainedResnet_quant', float: 'mlperf-tiny/pretrainedResnet', dataset: 'cifar10-mlperf-ic01' },
  { int8: 'mlperf-tiny/pretrainedResnet_large_int8', float: 'mlperf-tiny/pretrainedResnet_large_float', dataset: 'cifar10-mlperf-ic01' },
  { int8: 'mlperf-tiny/vww_96_int8', float: 'mlperf-tiny/vww_96_float', dataset: 'vww-mlperf-vww01' },
  { int8: 'tflite-support/mobilenet_v1_0.25_224_quant', float: 'tflite-support/mobilenet_v1_0.25_224_1_default_1', dataset: 'imagenet-sample-eli' },
];

function load(path: string): Graph {
  return importTflite(new Uint8Array(readFileSync(assetPath('models', `${path}.tflite`))), path.split('/').pop()!);
}

const out = process.env.OCTET_COMPARE_OUT ?? '/tmp/octet-compare';

describe('full-set comparisons', () => {
  for (const pair of PAIRS) {
    const name = pair.int8.split('/').pop()!;
    it(`${name} vs ${pair.float.split('/').pop()} on ${pair.dataset}`, async () => {
      const int8 = load(pair.int8);
      const report = await compareModels({
        int8,
        float: load(pair.float),
        context: await testContext(),
        dataset: evalSetDataset(assetPath('eval', pair.dataset)),
        int8Backend: 'gpu',
      });
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, `${name}.json`), JSON.stringify(report, null, 2));
      writeFileSync(join(out, `${name}.txt`), formatComparison(report) + '\n');
      expect(report.n).toBeGreaterThan(0);
    }, 3_600_000);
  }
});
