// npm run test:full: the long soak, hello_world 10,000 times and MobileNet v2 (loaded twice) 500
// times, memory flat by the same readings and bounds as long-runs.test.ts.
import { describe, it } from 'vitest';
import { soakMobileNet, soakSmallModel } from '../helpers/long-runs.ts';

describe('memory stays flat over many runs (long soak)', () => {
  it('hello_world_int8: 10000 consecutive runs', { timeout: 900_000 }, () => soakSmallModel(10000));
  it('mobilenet_v2_1.0_224_quant loaded twice: 500 runs', { timeout: 2_400_000 }, () => soakMobileNet(500));
});
