// npm run test:full: `octet eval` on the GPU over every whole eval set (8,600 items in 21 pairs), item by
// item against the TFLite runtime's CSVs, and the set's top-1 equal to summary.tsv's to the digit.
import { describe, expect, it } from 'vitest';
import { checkPairItems, evalPairs } from '../helpers/accuracy.ts';

describe('octet eval equals the TFLite runtime per item (whole sets)', () => {
  for (const pair of evalPairs()) {
    it(`${pair.model} on ${pair.dataset}: ${pair.top1}% over ${pair.n}`, { timeout: 3_600_000 }, async () => {
      const check = await checkPairItems(pair, 'all');
      expect(check.items).toBe(pair.n);
      // A hybrid model's listed class differences move its top-1 (see HYBRID_CLASS_DIFFERENCES).
      if (!check.hybrid) expect((100 * check.top1).toFixed(2)).toBe(pair.top1.toFixed(2));
      console.log(`${pair.model} ${pair.dataset}: all ${check.items} items equal TFLite's${check.hybrid ? ' (classes only, but the listed ones: hybrid)' : ''}, top-1 ${(100 * check.top1).toFixed(2)}% (${check.seconds.toFixed(0)} s${check.maxRelativeScoreDiff ? `, float scores within ${check.maxRelativeScoreDiff.toExponential(1)} relative` : ''})`);
    });
  }
});
