// The GPU image input from the browser's own image sources in headless Chromium (SwiftShader):
// each source kind copied into a texture and preprocessed on the GPU equals the CPU pipeline on the
// same pixels byte for byte (test/browser/image-input-page.ts).
import { describe, expect, it } from 'vitest';
import { servedTestPage } from '../helpers/browser.ts';

const page = servedTestPage('test/browser/image-input.html');

interface PageResults {
  adapter?: string;
  fatal?: string;
  results: Array<{ source: string; recipe: string; elements: number; differing: number; error?: string }>;
}

describe('image input in headless Chromium', () => {
  it('ImageBitmap, ImageData, canvases, an <img> and a VideoFrame give the CPU pipeline\'s tensor', { timeout: 240_000 }, async () => {
    const { value: r, problems } = await page.results<PageResults>('__octetImageResults', 200_000);
    console.log(`Chromium adapter: ${r.adapter}; ${r.results.length} cases`);
    expect(r.fatal).toBeUndefined();
    expect(new Set(r.results.map((c) => c.source))).toEqual(new Set(['ImageBitmap', 'ImageData', 'HTMLCanvasElement', 'OffscreenCanvas', 'HTMLImageElement', 'VideoFrame']));
    expect(r.results).toHaveLength(12);
    const failures = r.results.filter((c) => c.differing !== 0 || c.error).map((c) => `${c.source} (${c.recipe}): ${c.error ?? `${c.differing}/${c.elements} differ`}`);
    expect(failures).toEqual([]);
    expect(problems).toEqual([]);
  });
});
