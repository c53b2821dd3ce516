// The demo page end to end in Debian's Chromium (SwiftShader WebGPU adapter): Vite's dev server
// serves the page and the shared assets, puppeteer clicks through it like a user would.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { launchChromium, type TestBrowser } from '../helpers/browser.ts';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const outDir = join(root, 'test-output');

let server: ViteDevServer;
let browser: Browser;
let baseUrl: string;
let chromium: TestBrowser;

beforeAll(async () => {
  mkdirSync(outDir, { recursive: true });
  server = await createServer({
    configFile: join(root, 'demo', 'vite.config.ts'),
    server: { port: 0, host: '127.0.0.1', strictPort: false, hmr: false },
    logLevel: 'error',
  });
  await server.listen();
  baseUrl = `http://127.0.0.1:${(server.httpServer!.address() as AddressInfo).port}/`;
  chromium = await launchChromium();
  browser = chromium.browser;
}, 120_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
});

/** A page that records every console error and uncaught exception. */
async function openPage(query: string, width = 1100): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width, height: 900 });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${(e as Error).message}`));
  await page.goto(baseUrl + query);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.waitForFunction(() => /ready|failed|Could not/.test(document.querySelector('[data-testid="model-status"]')!.textContent ?? ''), {
    timeout: 120_000,
  });
  return { page, problems };
}

const text = (page: Page, testId: string): Promise<string> =>
  page.$eval(`[data-testid="${testId}"]`, (e) => (e as HTMLElement).innerText.trim());

const cardState = (page: Page, id: string): Promise<string | undefined> =>
  page.$eval(`[data-testid="result-${id}"]`, (e) => (e as HTMLElement).dataset.state);

async function classifySample(page: Page, path: string): Promise<void> {
  const name = path.split('/').pop()!;
  await page.click(`[data-testid="sample"][data-path="${path}"]`);
  await page.waitForFunction(
    (n) => {
      const s = document.querySelector<HTMLElement>('[data-testid="status"]')!;
      return (s.dataset.state === 'done' && s.textContent!.startsWith(n)) || s.dataset.state === 'error';
    },
    { timeout: 120_000 },
    name,
  );
}

async function expectTop1(page: Page, id: string, label: string, index: number): Promise<void> {
  const state = await cardState(page, id);
  expect(state, `${id} card: ${await page.$eval(`[data-testid="result-${id}"] [data-role="note"]`, (e) => e.textContent)}`).toBe('done');
  expect(await text(page, `top1-${id}`)).toBe(label);
  const shownIndex = await page.$eval(`[data-testid="top1-${id}"]`, (e) => e.parentElement!.dataset.index);
  expect(Number(shownIndex)).toBe(index);
}

/** Ticks a comparison box and waits until that path has settled. */
async function tick(page: Page, id: 'float' | 'cpu'): Promise<void> {
  await page.click(`[data-testid="compare-${id}"]`);
  await page.waitForFunction(
    (i) => ['done', 'error', 'unavailable'].includes(document.querySelector<HTMLElement>(`[data-testid="result-${i}"]`)!.dataset.state ?? ''),
    { timeout: 120_000 },
    id,
  );
}

describe('demo page', () => {
  it('classifies on the int8 GPU path, then compares with float32 and the CPU reference', async () => {
    const { page, problems } = await openPage('?compare=none');
    expect(await page.$eval('[data-testid="adapter"]', (e) => (e as HTMLElement).dataset.gpu)).toBe('yes');
    expect(await page.$eval('[data-testid="model-select"]', (e) => (e as HTMLSelectElement).value)).toBe(
      'models/coral/mobilenet_v2_1.0_224_quant.tflite',
    );

    await classifySample(page, 'images/coral/cat.bmp');
    await expectTop1(page, 'int8', 'Egyptian cat', 286);
    await classifySample(page, 'images/tflite-support/burger.jpg');
    await expectTop1(page, 'int8', 'cheeseburger', 934);
    expect(await cardState(page, 'float')).toBe('off');
    expect(await cardState(page, 'cpu')).toBe('off');
    const timing = await page.$eval('[data-testid="adapter"]', (e) => e.textContent!.includes('per-layer timing yes'));
    if (timing) expect(await page.$('[data-testid="layer-chart"] rect')).not.toBeNull();
    else expect(await text(page, 'wall-times')).toMatch(/int8, GPU\s+\d/);
    expect(await text(page, 'memory-ratio')).toMatch(/smaller in 8 bits/);
    await page.screenshot({ path: join(outDir, 'demo-int8-gpu.png'), fullPage: true });

    // The CPU reference runs the same integer arithmetic: same bytes out.
    await tick(page, 'cpu');
    await expectTop1(page, 'cpu', 'cheeseburger', 934);
    expect(await page.$eval('[data-testid="agreement-cpu"]', (e) => ({ ...(e as HTMLElement).dataset }))).toMatchObject({
      sameTop1: 'true',
      overlap: '5',
      identical: 'true',
    });

    // MobileNet v2 has no float twin: its float path is the dequantized graph.
    await tick(page, 'float');
    await expectTop1(page, 'float', 'cheeseburger', 934);
    expect(await page.$eval('[data-testid="agreement-float"]', (e) => (e as HTMLElement).dataset.sameTop1)).toBe('true');

    // The MobileNet v1 0.25 pair: the float path runs the float .tflite twin.
    await page.select('[data-testid="model-select"]', 'models/tflite-support/mobilenet_v1_0.25_224_quant.tflite');
    await page.waitForFunction(
      () => {
        const s = document.querySelector<HTMLElement>('[data-testid="status"]')!;
        const cards = ['int8', 'float', 'cpu'].map((i) => document.querySelector<HTMLElement>(`[data-testid="result-${i}"]`)!.dataset.state);
        return s.dataset.state === 'done' && cards.every((c) => c === 'done' || c === 'error');
      },
      { timeout: 120_000 },
    );
    await expectTop1(page, 'int8', 'cheeseburger', 934);
    await expectTop1(page, 'float', 'cheeseburger', 934);
    await expectTop1(page, 'cpu', 'cheeseburger', 934);
    expect(await text(page, 'result-float')).toMatch(/float32 twin mobilenet_v1_0\.25_224_1_default_1\.tflite/);
    expect(await page.$eval('[data-testid="agreement-float"]', (e) => (e as HTMLElement).dataset.sameTop1)).toBe('true');
    expect(await page.$eval('[data-testid="agreement-cpu"]', (e) => (e as HTMLElement).dataset.identical)).toBe('true');
    expect(await text(page, 'memory')).toMatch(/float32 twin model/);
    await page.screenshot({ path: join(outDir, 'demo-compare.png'), fullPage: true });

    await page.setViewport({ width: 390, height: 844, isMobile: true });
    await page.screenshot({ path: join(outDir, 'demo-phone.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 240_000);

  it('falls back to the CPU reference without WebGPU, runs person detection, and explains bad images', async () => {
    const { page, problems } = await openPage('?gpu=off&task=vww');
    expect(await page.$eval('[data-testid="banner"]', (e) => (e as HTMLElement).dataset.kind)).toBe('no-webgpu');
    expect(await text(page, 'banner')).toMatch(/No WebGPU/);
    expect(await page.$eval('[data-testid="model-select"]', (e) => (e as HTMLSelectElement).value)).toBe('models/mlperf-tiny/vww_96_int8.tflite');

    // tflite-micro's no_person.bmp is the upstream "no person" golden (VWW 96 agrees, 0.72).
    await classifySample(page, 'images/tflite-micro/no_person.bmp');
    await expectTop1(page, 'int8', 'notperson', 0);
    expect(await text(page, 'result-int8')).toMatch(/CPU reference/);
    expect(await cardState(page, 'float')).toBe('done');
    expect(await cardState(page, 'cpu')).toBe('off');

    const junk = join(mkdtempSync(join(tmpdir(), 'octet-demo-upload-')), 'not-an-image.jpg');
    writeFileSync(junk, 'this is text, not pixels');
    const input = (await page.$('[data-testid="file-input"]')) as ElementHandle<HTMLInputElement> | null;
    await input!.uploadFile(junk);
    await page.waitForSelector('[data-testid="error"]:not([hidden])', { timeout: 30_000 });
    expect(await text(page, 'error')).toMatch(/not-an-image\.jpg.*could not be read as an image/);
    expect(await page.$eval('[data-testid="status"]', (e) => (e as HTMLElement).dataset.state)).toBe('error');
    await page.screenshot({ path: join(outDir, 'demo-no-webgpu.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);
});
