// Long runs keep memory flat (test/helpers/long-runs.ts): hello_world 2,000 times and MobileNet v2
// loaded twice and run 50 times. The longer soak (10,000 and 500) is long-runs.full.test.ts.
import { describe, expect, it } from 'vitest';
import { soakMobileNet, soakSmallModel } from '../helpers/long-runs.ts';

describe('memory stays flat over many runs', () => {
  it('hello_world_int8: 2000 consecutive runs', { timeout: 300_000 }, async () => {
    const grew = await soakSmallModel(2000);
    // A leaked output copy (1 KiB a run) would be 2 MiB of heap or external memory. The resident
    // set moves by −17 to +11 MiB in a steady loop (measured), so its bound of 16 MiB catches a
    // native leak of 8 KiB a run here and of 2 KiB a run over the full soak's 10,000.
    expect(grew.heapMiB).toBeLessThan(1);
    expect(grew.externalMiB).toBeLessThan(1);
    expect(grew.rssMiB).toBeLessThan(16);
  });

  it('mobilenet_v2_1.0_224_quant loaded twice: 50 runs', { timeout: 600_000 }, async () => {
    const grew = await soakMobileNet(50);
    // One leaked activation or staging buffer a run would be tens of MiB of RSS.
    expect(grew.heapMiB).toBeLessThan(1);
    expect(grew.externalMiB).toBeLessThan(1);
    expect(grew.rssMiB).toBeLessThan(16);
  });
});
