// Long runs keep memory flat (test/helpers/long-runs.ts, expectFlat): hello_world 2,000 times and
// MobileNet v2 loaded twice and run 30 times (50, at about 4 s a run on SwiftShader, held npm test
// past 10 minutes). The longer soak (10,000 and 500) is long-runs.full.test.ts.
import { describe, it } from 'vitest';
import { soakMobileNet, soakSmallModel } from '../helpers/long-runs.ts';

describe('memory stays flat over many runs', () => {
  it('hello_world_int8: 2000 consecutive runs', { timeout: 300_000 }, () => soakSmallModel(2000));
  it('mobilenet_v2_1.0_224_quant loaded twice: 30 runs', { timeout: 600_000 }, () => soakMobileNet(30));
});
