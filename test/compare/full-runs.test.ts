// Full-set int8-versus-float runs for the report, not part of the suite: they take minutes.
//   OCTET_COMPARE_FULL=1 npx vitest run test/compare/full-runs
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
import { OctetModel, type Backend } from '../../src/runtime/model.ts';
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

async function int8Backend(graph: Graph): Promise<Backend> {
  try {
    (await OctetModel.load(graph, { context: await testContext() })).dispose();
    return 'gpu';
  } catch (e) {
    if (e instanceof Error && /unsupported op .* on the int8 GPU path/.test(e.message)) return 'cpu';
    throw e;
  }
}

const only = process.env.OCTET_COMPARE_ONLY;
const limit = process.env.OCTET_COMPARE_LIMIT ? Number(process.env.OCTET_COMPARE_LIMIT) : undefined;
const out = process.env.OCTET_COMPARE_OUT ?? '/tmp/octet-compare';

describe.skipIf(!process.env.OCTET_COMPARE_FULL)('full-set comparisons', () => {
  for (const pair of PAIRS) {
    const name = pair.int8.split('/').pop()!;
    it.skipIf(!!only && !name.includes(only))(`${name} vs ${pair.float.split('/').pop()} on ${pair.dataset}`, async () => {
      const int8 = load(pair.int8);
      const report = await compareModels({
        int8,
        float: load(pair.float),
        context: await testContext(),
        dataset: evalSetDataset(assetPath('eval', pair.dataset)),
        limit,
        int8Backend: await int8Backend(int8),
      });
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, `${name}.json`), JSON.stringify(report, null, 2));
      writeFileSync(join(out, `${name}.txt`), formatComparison(report) + '\n');
      expect(report.n).toBeGreaterThan(0);
    }, 3_600_000);
  }
});
