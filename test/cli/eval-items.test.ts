// `octet eval` on the GPU against the TFLite runtime, item by item: every (classifier, eval set)
// pair of reference/summary.tsv on 20 items spread over the set. Each item's top-1 class and raw
// top-1 score must equal TFLite's. The whole sets run in eval-items.full.test.ts (npm run test:full).
import { describe, expect, it } from 'vitest';
import { checkPairItems, evalPairs } from '../helpers/accuracy.ts';

const SAMPLE = 20;

describe('octet eval equals the TFLite runtime per item (20 items per set)', () => {
  const pairs = evalPairs();
  it('covers every pair of summary.tsv', () => expect(pairs.length).toBeGreaterThanOrEqual(21));
  for (const pair of pairs) {
    it(`${pair.model} on ${pair.dataset}`, { timeout: 600_000 }, async () => {
      const check = await checkPairItems(pair, SAMPLE);
      expect(check.items).toBe(SAMPLE);
      console.log(`${pair.model} ${pair.dataset}: ${check.items} items equal TFLite's${check.hybrid ? ' (classes only: hybrid)' : ''} (top-1 ${(100 * check.top1).toFixed(0)}% on the sample, ${check.seconds.toFixed(1)} s${check.maxRelativeScoreDiff ? `, float scores within ${check.maxRelativeScoreDiff.toExponential(1)} relative` : ''})`);
    });
  }
});
