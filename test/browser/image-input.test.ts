// The GPU image input from the browser's own image sources in headless Chromium (SwiftShader):
// each source kind copied into a texture and preprocessed on the GPU equals the CPU pipeline on the
// same pixels byte for byte (test/browser/image-input-page.ts).
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type TestBrowser } from '../helpers/browser.ts';

const root = join(import.meta.dirname, '..', '..');
let server: ViteDevServer;
let chromium: TestBrowser;
let url: string;

beforeAll(async () => {
  server = await createServer({
    configFile: false,
    root,
    cacheDir: join(root, 'node_modules', '.vite-browser-tests'),
    server: { port: 0, host: '127.0.0.1', hmr: false },
    logLevel: 'error',
  });
  await server.listen();
  url = `http://127.0.0.1:${(server.httpServer!.address() as AddressInfo).port}/test/browser/image-input.html`;
  chromium = await launchChromium();
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

interface PageResults {
  adapter?: string;
  fatal?: string;
  results: Array<{ source: string; recipe: string; elements: number; differing: number; error?: string }>;
}

describe('image input in headless Chromium', () => {
  it('ImageBitmap, ImageData, canvases, an <img> and a VideoFrame give the CPU pipeline\'s tensor', { timeout: 240_000 }, async () => {
    const page = await chromium.browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push((e as Error).message));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __octetImageResults?: unknown }).__octetImageResults !== undefined, { timeout: 200_000 });
    const r = (await page.evaluate(() => (window as unknown as { __octetImageResults: unknown }).__octetImageResults)) as PageResults;
    console.log(`Chromium adapter: ${r.adapter}; ${r.results.length} cases`);
    expect(r.fatal).toBeUndefined();
    expect(new Set(r.results.map((c) => c.source))).toEqual(new Set(['ImageBitmap', 'ImageData', 'HTMLCanvasElement', 'OffscreenCanvas', 'HTMLImageElement', 'VideoFrame']));
    expect(r.results).toHaveLength(12);
    const failures = r.results.filter((c) => c.differing !== 0 || c.error).map((c) => `${c.source} (${c.recipe}): ${c.error ?? `${c.differing}/${c.elements} differ`}`);
    expect(failures).toEqual([]);
    expect(problems).toEqual([]);
  });
});
