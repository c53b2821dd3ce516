// Headless Debian Chromium (SwiftShader WebGPU) for tests: launched as DEVELOPERS.md prescribes,
// with a fresh profile, and removed again afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import puppeteer, { type Browser } from 'puppeteer';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll } from 'vitest';

export interface TestBrowser {
  browser: Browser;
  close(): Promise<void>;
}

/** `extraArgs`: more Chromium switches (the demo test adds a fake camera). */
export async function launchChromium(extraArgs: readonly string[] = []): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'octet-chromium-'));
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${userDataDir}`,
      ...extraArgs,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A page of test/browser/ (`html`, relative to the repository root) served by vite and opened in
 * headless Chromium, for one test file: registers the file's beforeAll/afterAll, and `results`
 * loads the page and resolves to what it leaves in `window[key]`, with the console errors and
 * uncaught exceptions it raised on the way.
 */
export function servedTestPage(html: string): { results<T>(key: string, timeoutMs: number): Promise<{ value: T; problems: string[] }> } {
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
    url = `http://127.0.0.1:${(server.httpServer!.address() as AddressInfo).port}/${html}`;
    chromium = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await chromium?.close();
    await server?.close();
  });
  return {
    async results<T>(key: string, timeoutMs: number) {
      const page = await chromium.browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push((e as Error).message));
      await page.goto(url);
      await page.waitForFunction((k: string) => (window as unknown as Record<string, unknown>)[k] !== undefined, { timeout: timeoutMs }, key);
      const value = (await page.evaluate((k: string) => (window as unknown as Record<string, unknown>)[k], key)) as T;
      await page.close();
      return { value, problems };
    },
  };
}
