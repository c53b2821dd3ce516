// The kernels in Chromium's own WebGPU (SwiftShader here), not only in Dawn for Node: a smoke
// subset of every int8 op family (test/browser/kernels-page.ts) must equal the CPU reference byte
// for byte with dot4I8Packed and with the fallback, in both requantization modes.
import { describe, expect, it } from 'vitest';
import { servedTestPage } from '../helpers/browser.ts';

const page = servedTestPage('test/browser/kernels.html');

interface PageResults {
  adapter: string;
  fatal?: string;
  results: Array<{ name: string; dot4: string; requantization: string; elements: number; differing: number; error?: string }>;
}

describe('kernels in headless Chromium', () => {
  it('every op family equals the CPU reference, dot4 and fallback, both requantization modes', { timeout: 300_000 }, async () => {
    const { value: r, problems } = await page.results<PageResults>('__octetKernelResults', 240_000);
    console.log(`Chromium adapter: ${r.adapter}; ${r.results.length} cases`);
    expect(r.fatal).toBeUndefined();
    expect(r.results).toHaveLength(20);
    expect(new Set(r.results.map((c) => c.dot4))).toEqual(new Set(['dot4I8Packed', 'fallback']));
    const failures = r.results.filter((c) => c.differing !== 0 || c.error).map((c) => `${c.name} [${c.dot4}, ${c.requantization}]: ${c.error ?? `${c.differing}/${c.elements} differ`}`);
    expect(failures).toEqual([]);
    for (const c of r.results) expect(c.elements).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });
});
