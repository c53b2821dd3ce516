// The demo page end to end in Debian's Chromium (SwiftShader WebGPU adapter): Vite's dev server
// serves the page and the shared assets, puppeteer clicks through it like a user would.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, ElementHandle, Page } from 'puppeteer';
import { launchChromium, type TestBrowser } from '../helpers/browser.ts';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAssetsDir } from '../../src/assets-node.ts';
import { importTflite } from '../../src/model/import.ts';
import { tinyPose, tinySegmenter, tinyYolo } from '../helpers/task-models.ts';

const root = join(import.meta.dirname, '..', '..');
const outDir = join(root, 'test-output');

let server: ViteDevServer;
let browser: Browser;
let baseUrl: string;
let chromium: TestBrowser;

// The page is served an asset folder that is the shared one (linked folder by folder) plus
// models/test/ and images/test/: the small written task models of test/helpers/task-models.ts and
// their pictures, whose boxes, classes and keypoints are known in advance.
const shared = findAssetsDir();
const assets = mkdtempSync(join(tmpdir(), 'octet-demo-assets-'));
for (const folder of ['models', 'images']) {
  mkdirSync(join(assets, folder));
  for (const name of readdirSync(join(shared, folder))) symlinkSync(join(shared, folder, name), join(assets, folder, name));
  mkdirSync(join(assets, folder, 'test'));
}
symlinkSync(join(shared, 'labels'), join(assets, 'labels'));
const made = join(assets, 'made');
mkdirSync(made);
const tiny = { detect: tinyYolo(made), segment: tinySegmenter(made), pose: tinyPose(made) };
for (const t of Object.values(tiny)) {
  writeFileSync(join(assets, 'models', 'test', t.model.split('/').pop()!), readFileSync(t.model));
  writeFileSync(join(assets, 'images', 'test', t.image.split('/').pop()!), readFileSync(t.image));
}

beforeAll(async () => {
  mkdirSync(outDir, { recursive: true });
  process.env.OCTET_ASSETS = assets;
  server = await createServer({
    configFile: join(root, 'demo', 'vite.config.ts'),
    server: { port: 0, host: '127.0.0.1', strictPort: false, hmr: false },
    logLevel: 'error',
  });
  await server.listen();
  baseUrl = `http://127.0.0.1:${(server.httpServer!.address() as AddressInfo).port}/`;
  // A fake camera (Chromium's moving test pattern), allowed without a prompt, for the live camera test.
  chromium = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);
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

/** Waits until the status is done (or an error) and every enabled card has settled. */
async function settle(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      const s = document.querySelector<HTMLElement>('[data-testid="status"]')!;
      const cards = ['int8', 'float', 'cpu'].map((i) => document.querySelector<HTMLElement>(`[data-testid="result-${i}"]`)!.dataset.state);
      return (s.dataset.state === 'done' || s.dataset.state === 'error') && cards.every((c) => ['done', 'error', 'unavailable', 'off'].includes(c ?? ''));
    },
    { timeout: 240_000 },
  );
}

const dataset = (page: Page, selector: string): Promise<Record<string, string | undefined>> =>
  page.$eval(selector, (e) => ({ ...(e as HTMLElement).dataset }));

/** RGBA of the overlay at a fraction of its size. */
const overlayPixel = (page: Page, fx: number, fy: number): Promise<number[]> =>
  page.$eval(
    '[data-testid="overlay"]',
    (c, x, y) => {
      const canvas = c as HTMLCanvasElement;
      return Array.from(canvas.getContext('2d')!.getImageData(Math.floor(x * canvas.width), Math.floor(y * canvas.height), 1, 1).data);
    },
    fx,
    fy,
  );

function imports(path: string): boolean {
  try {
    importTflite(new Uint8Array(readFileSync(join(shared, path))), path);
    return true;
  } catch {
    return false;
  }
}

describe('demo tasks on written models (known boxes, classes, keypoints)', () => {
  it('detect: both box sets drawn, int8 and float32 agree at IoU ≥ 0.5, the CPU reference byte for byte', async () => {
    const { page, problems } = await openPage('?task=detect&model=models/test/tiny_yolov8.tflite');
    await classifySample(page, 'images/test/tiny_yolov8.png');
    await settle(page);
    expect(await text(page, 'status')).toBe('tiny_yolov8.png: 2 objects: class 1 90 %, class 0 60 %');
    expect(await dataset(page, '[data-testid="overlay"]')).toMatchObject({ path: 'int8', boxes: '2', floatBoxes: '2' });
    expect(await dataset(page, '[data-testid="agreement-float"]')).toMatchObject({ matched: '2', of: '2', here: '2' });
    expect(await dataset(page, '[data-testid="agreement-cpu"]')).toMatchObject({ matched: '2', identical: 'true' });
    expect(await dataset(page, '[data-testid="result-float"] [data-role="view"]')).toMatchObject({ boxes: '2' });
    expect(await text(page, 'top1-int8')).toBe('class 1');
    expect(problems).toEqual([]);
    await page.close();
  }, 240_000);

  it('segment: a translucent mask in the class colours, background left clear', async () => {
    const { page, problems } = await openPage('?task=segment&model=models/test/tiny_seg.tflite');
    await classifySample(page, 'images/test/tiny_seg.png');
    await settle(page);
    const overlay = await dataset(page, '[data-testid="overlay"]');
    // Classes 1 and 2 cover 10 of the 16 map pixels.
    expect(overlay).toMatchObject({ path: 'int8', maskPixels: '10' });
    const { classAt } = tiny.segment;
    for (const [x, y] of [[1, 1], [4, 1], [7, 1], [4, 3]] as const) {
      const [r, g, b, a] = await overlayPixel(page, (x + 0.5) / 12, (y + 0.5) / 8);
      const c = classAt(x, y);
      if (c === 0) expect(a, `pixel ${x},${y}`).toBe(0);
      else {
        expect(a, `pixel ${x},${y}`).toBe(140);
        // PASCAL colours: class 1 (128, 0, 0), class 2 (0, 128, 0); translucent, so compared by channel.
        expect(c === 1 ? r! > 100 && g! < 10 && b! < 10 : g! > 100 && r! < 10 && b! < 10, `pixel ${x},${y}: ${[r, g, b]}`).toBe(true);
      }
    }
    expect(Number((await dataset(page, '[data-testid="agreement-cpu"]')).pixelAgreement)).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  }, 240_000);

  it('pose: the keypoints above the score threshold drawn, float32 within a hair', async () => {
    const { page, problems } = await openPage('?task=pose&model=models/test/tiny_pose.tflite');
    await classifySample(page, 'images/test/tiny_pose.png');
    await settle(page);
    const { rgb } = tiny.pose;
    const shown = Array.from({ length: 17 }, (_, k) => rgb[3 * k + 2]! / 255 >= 0.2).filter(Boolean).length;
    expect(await dataset(page, '[data-testid="overlay"]')).toMatchObject({ path: 'int8', keypoints: String(shown) });
    expect(await text(page, 'status')).toBe(`tiny_pose.png: ${shown} of 17 keypoints found`);
    expect(Number((await dataset(page, '[data-testid="agreement-cpu"]')).maxDistance)).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  }, 240_000);

  it("a classifier under the detection task: the card says its outputs are not a detection head", async () => {
    const { page, problems } = await openPage('?task=detect&model=models/coral/mobilenet_v1_0.25_128_quant.tflite');
    expect(await cardState(page, 'int8')).toBe('error');
    expect(await text(page, 'result-int8')).toMatch(/does not fit the object detection task: .*outputs \[1,1001\] are not a detection head/);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('the live camera keeps running for every task, frame rate shown, results drawn', async () => {
    const pages = [
      ['detect', 'models/test/tiny_yolov8.tflite'],
      ['segment', 'models/test/tiny_seg.tflite'],
      ['pose', 'models/test/tiny_pose.tflite'],
      ['imagenet', 'models/coral/mobilenet_v1_0.25_128_quant.tflite'],
    ] as const;
    for (const [task, model] of pages) {
      // Frames through the GPU image input (?frames=gpu), except the classifier's page, which
      // takes this software adapter's own route: pixels preprocessed on the CPU (frameRouteFor).
      const route = task === 'imagenet' ? 'cpu' : 'gpu';
      const { page, problems } = await openPage(`?task=${task}&model=${model}${route === 'gpu' ? '&frames=gpu' : ''}`);
      await page.click('[data-testid="webcam"]');
      // Three frames through the int8 path: the frame rate shows, the status is the camera's.
      await page.waitForFunction(() => Number(document.querySelector<HTMLElement>('[data-testid="fps"]')!.dataset.frames ?? 0) >= 3, { timeout: 120_000 });
      expect(Number(await page.$eval('[data-testid="fps"]', (e) => (e as HTMLElement).dataset.fps)), task).toBeGreaterThan(0);
      expect(await text(page, 'fps')).toMatch(/^Live camera: [\d.]+ frames\/s \(int8 GPU\)$/);
      expect((await dataset(page, '[data-testid="fps"]')).input, task).toBe(route);
      expect(await text(page, 'status')).toMatch(/^camera: /);
      expect(await cardState(page, 'int8'), task).toBe('done');
      if (task !== 'imagenet') expect((await dataset(page, '[data-testid="overlay"]')).path, task).toBe('int8');
      if (task === 'detect') {
        await page.screenshot({ path: join(outDir, 'demo-camera.png'), fullPage: true });
        // Taking the picture stops the camera and runs every path on that frame.
        await page.click('[data-testid="capture"]');
        await settle(page);
        expect(await page.$eval('[data-testid="fps"]', (e) => (e as HTMLElement).hidden)).toBe(true);
        expect(await text(page, 'status')).toMatch(/^camera picture: /);
        expect(await cardState(page, 'cpu')).toBe('done');
      }
      expect(problems, task).toEqual([]);
      await page.close();
    }
  }, 300_000);

  it('the page answers input within 200 ms while the CPU reference runs (it runs in a worker)', async () => {
    const { page, problems } = await openPage('?compare=none');
    await page.click('[data-testid="compare-cpu"]');
    await classifySample(page, 'images/coral/cat.bmp');
    // Start the CPU path again on another image and, while it runs, press keys.
    await page.evaluate(() => {
      (window as unknown as { lags: number[] }).lags = [];
      document.addEventListener('keydown', (e) => (window as unknown as { lags: number[] }).lags.push(performance.now() - e.timeStamp));
    });
    await page.click('[data-testid="sample"][data-path="images/tflite-support/burger.jpg"]');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid="result-cpu"]')!.dataset.state === 'running', { timeout: 120_000 });
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Shift');
      await new Promise((r) => setTimeout(r, 50));
    }
    const during = await page.$eval('[data-testid="result-cpu"]', (e) => (e as HTMLElement).dataset.state);
    const lags = await page.evaluate(() => (window as unknown as { lags: number[] }).lags);
    await settle(page);
    await expectTop1(page, 'cpu', 'cheeseburger', 934);
    expect(during, 'the CPU run was still going when the keys were pressed').toBe('running');
    expect(lags).toHaveLength(5);
    expect(Math.max(...lags)).toBeLessThan(200);
    expect(problems).toEqual([]);
    await page.close();
  }, 240_000);
});

// The corpus task models on grace_hopper, once their ops load (DETECTION_POSTPROCESS,
// RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR / ARG_MAX / CAST are being added; test/model/import.test.ts
// says which do). Screenshots go to test-output/ (gitignored).
describe('demo tasks on the corpus models, grace_hopper', () => {
  const GRACE = 'images/coral/grace_hopper.bmp';
  it.runIf(imports('models/corpus/tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite'))('detect (SSD MobileNet v1): the person, boxed', async () => {
    const { page, problems } = await openPage('?task=detect');
    await classifySample(page, GRACE);
    await settle(page);
    expect(await text(page, 'top1-int8')).toBe('person');
    expect(Number((await dataset(page, '[data-testid="overlay"]')).boxes)).toBeGreaterThanOrEqual(1);
    // The float32 twin finds her too: its ReLU6s live only in the uint8 output ranges, and
    // without them made explicit every float score was 1.000 (src/passes/dequantize-graph.ts).
    expect(await text(page, 'top1-float')).toBe('person');
    expect(Number((await dataset(page, '[data-testid="agreement-float"]')).matched)).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: join(outDir, 'demo-detect.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);

  it.runIf(imports('models/corpus/coral_deeplabv3_mnv2_pascal_quant.tflite'))('segment (DeepLab v3): a person-coloured mask over her', async () => {
    const { page, problems } = await openPage('?task=segment');
    await classifySample(page, GRACE);
    await settle(page);
    expect(await text(page, 'top1-int8')).toMatch(/person|background/);
    // The centre of the picture is her: PASCAL's person colour (192, 128, 128), translucent.
    const [r, g, b, a] = await overlayPixel(page, 0.5, 0.6);
    expect(a).toBe(140);
    expect(r! > g! && g! > 90 && Math.abs(g! - b!) < 10).toBe(true);
    await page.screenshot({ path: join(outDir, 'demo-segment.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);

  it.runIf(imports('models/corpus/coral_movenet_single_pose_lightning_ptq.tflite'))('pose (MoveNet): keypoints drawn', async () => {
    const { page, problems } = await openPage('?task=pose');
    await classifySample(page, GRACE);
    await settle(page);
    expect(Number((await dataset(page, '[data-testid="overlay"]')).keypoints)).toBeGreaterThanOrEqual(5);
    await page.screenshot({ path: join(outDir, 'demo-pose.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);
});
