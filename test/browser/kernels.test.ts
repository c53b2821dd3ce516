// The kernels in Chromium's own WebGPU (SwiftShader here), not only in Dawn for Node: a smoke
// subset of every int8 op family (test/browser/kernels-page.ts) must equal the CPU reference byte
// for byte with dot4I8Packed and with the fallback, in both requantization modes.
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
  url = `http://127.0.0.1:${(server.httpServer!.address() as AddressInfo).port}/test/browser/kernels.html`;
  chromium = await launchChromium();
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

interface PageResults {
  adapter: string;
  fatal?: string;
  results: Array<{ name: string; dot4: string; requantization: string; elements: number; differing: number; error?: string }>;
}

describe('kernels in headless Chromium', () => {
  it('every op family equals the CPU reference, dot4 and fallback, both requantization modes', { timeout: 300_000 }, async () => {
    const page = await chromium.browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push((e as Error).message));
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { __octetKernelResults?: unknown }).__octetKernelResults !== undefined, { timeout: 240_000 });
    const r = (await page.evaluate(() => (window as unknown as { __octetKernelResults: unknown }).__octetKernelResults)) as PageResults;
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
