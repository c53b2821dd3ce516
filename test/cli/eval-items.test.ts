// `octet eval` on the GPU against the TFLite runtime, item by item: every (classifier, eval set)
// pair of reference/summary.tsv on 20 items spread over the set (6 for the four 224/192-pixel
// MobileNets, which take 2–5 s an item on a software adapter and would hold `npm test` past its 10
// minutes). Each item's top-1 class and raw top-1 score must equal TFLite's. The whole sets run in
// eval-items.full.test.ts (npm run test:full).
import { describe, expect, it } from 'vitest';
import { checkPairItems, evalPairs } from '../helpers/accuracy.ts';

const SAMPLE = 20;
const LARGE_MODEL_SAMPLE = 6;
const LARGE_MODELS = new Set(['mobilenet_v1_0.75_192_quant', 'mobilenet_v2_1.0_224_quant', 'mobilenet_v2_quantized_1x3x224x224', 'tf2_mobilenet_v2_1.0_224_ptq']);

describe('octet eval equals the TFLite runtime per item (20 items per set, 6 for the large MobileNets)', () => {
  const pairs = evalPairs();
  it('covers every pair of summary.tsv, and names only models it has', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(21);
    for (const model of LARGE_MODELS) expect(pairs.some((p) => p.model === model), model).toBe(true);
  });
  for (const pair of pairs) {
    const sample = LARGE_MODELS.has(pair.model) ? LARGE_MODEL_SAMPLE : SAMPLE;
    it(`${pair.model} on ${pair.dataset}`, { timeout: 600_000 }, async () => {
      const check = await checkPairItems(pair, sample);
      expect(check.items).toBe(sample);
      console.log(`${pair.model} ${pair.dataset}: ${check.items} items equal TFLite's${check.hybrid ? ' (classes only: hybrid)' : ''} (top-1 ${(100 * check.top1).toFixed(0)}% on the sample, ${check.seconds.toFixed(1)} s${check.maxRelativeScoreDiff ? `, float scores within ${check.maxRelativeScoreDiff.toExponential(1)} relative` : ''})`);
    });
  }
});
