// `npm run bench:browser -- [--quick] [--models a,b] [--rounds N] [--eval N] [--json F] [--md F]`:
// Octet against LiteRT.js in headless Chromium. LiteRT.js's WebGPU accelerator needs its JSPI
// WASM build, which Node 20 cannot run, hence a page: bench/browser/page.ts, bundled here with
// vite and served from 127.0.0.1 with the models, the reference vectors, the eval sample and
// LiteRT.js's WASM files. See bench/README.md ("In the browser").
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { findAssetsDir } from '../../src/assets-node.ts';
import { labelOffsetForModel, listEvalSet, loadEvalInput } from '../../src/data/datasets-node.ts';
import { chooseInputRecipe } from '../../src/image/preprocess.ts';
import { importTflite } from '../../src/model/import.ts';
import { tensorElementCount } from '../../src/model/graph.ts';
import { readTfliteMetadata } from '../../src/model/metadata.ts';
import { launchChromium } from '../../test/helpers/browser.ts';
import { errorMessage, log } from '../common.ts';
import { BROWSER_ENGINES, type BrowserEngineId, type BrowserModelResult, type BrowserModelSpec, type PageInfo } from './protocol.ts';

interface BrowserModel {
  id: string;
  label: string;
  /** Under the assets folder; the reference files are named after its base name. */
  path: string;
  evalSet: string;
  quick: boolean;
}

const MODELS: BrowserModel[] = [
  { id: 'mobilenet_v2_uint8', label: 'MobileNet v2 1.0 224 (coral, uint8)', path: 'models/coral/mobilenet_v2_1.0_224_quant.tflite', evalSet: 'imagenet-sample-eli', quick: false },
  { id: 'mobilenet_v2_int8', label: 'MobileNet v2 1.0 224 (TF2 PTQ, int8 per-channel, uint8 I/O)', path: 'models/coral/tf2_mobilenet_v2_1.0_224_ptq.tflite', evalSet: 'imagenet-sample-eli', quick: false },
  { id: 'resnet8_int8', label: 'ResNet-8 (MLPerf Tiny, int8)', path: 'models/mlperf-tiny/pretrainedResnet_quant.tflite', evalSet: 'cifar10-mlperf-ic01', quick: true },
  { id: 'resnet8_f32', label: 'ResNet-8 (MLPerf Tiny, float)', path: 'models/mlperf-tiny/pretrainedResnet.tflite', evalSet: 'cifar10-mlperf-ic01', quick: true },
  { id: 'vww_int8', label: 'VWW 96 (MLPerf Tiny, int8)', path: 'models/mlperf-tiny/vww_96_int8.tflite', evalSet: 'vww-mlperf-vww01', quick: true },
  { id: 'vww_f32', label: 'VWW 96 (MLPerf Tiny, float)', path: 'models/mlperf-tiny/vww_96_float.tflite', evalSet: 'vww-mlperf-vww01', quick: true },
];

const HELP = `usage: npm run bench:browser -- [options]
  --quick            ResNet-8 and VWW (int8, float) only, 5 eval items, 6 rounds (about 2 minutes on SwiftShader)
  --models a,b       ${MODELS.map((m) => m.id).join(', ')}
  --engines a,b      ${BROWSER_ENGINES.map((e) => e.id).join(', ')}
                     (default: all but litert-webgpu-fp32)
  --rounds N         timed rounds (default quick 6, full 10; capped by a time budget per model)
  --eval N           eval items per model for top-1 agreement (default quick 5, full 10)
  --json FILE        JSON report (default bench/results/browser.json)
  --md FILE          markdown report (default bench/results/browser.md)`;

interface Args {
  quick: boolean;
  models?: string[];
  engines: BrowserEngineId[];
  rounds?: number;
  eval?: number;
  json: string;
  md: string;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, engines: BROWSER_ENGINES.map((e) => e.id).filter((e) => e !== 'litert-webgpu-fp32'), json: 'bench/results/browser.json', md: 'bench/results/browser.md' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--quick': a.quick = true; break;
      case '--models': a.models = value().split(','); break;
      case '--engines': a.engines = value().split(',') as BrowserEngineId[]; break;
      case '--rounds': a.rounds = Number(value()); break;
      case '--eval': a.eval = Number(value()); break;
      case '--json': a.json = value(); break;
      case '--md': a.md = value(); break;
      case '-h':
      case '--help':
        console.log(HELP);
        process.exit(0);
      default:
        throw new Error(`unknown option ${arg}\n${HELP}`);
    }
  }
  for (const e of a.engines) if (!BROWSER_ENGINES.some((x) => x.id === e)) throw new Error(`--engines: unknown engine ${e}`);
  for (const m of a.models ?? []) if (!MODELS.some((x) => x.id === m)) throw new Error(`--models: unknown model ${m}`);
  return a;
}

/** Files the page fetches from /data/…, kept in memory. */
const data = new Map<string, Uint8Array>();
let dataCounter = 0;
function serveData(bytes: Uint8Array, ext: string): string {
  const key = `${dataCounter++}${ext}`;
  data.set(key, bytes);
  return `/data/${key}`;
}

interface VectorEntry {
  model: string;
  input_file: string;
  output_file: string;
}

function specFor(m: BrowserModel, assets: string, args: Args): BrowserModelSpec {
  const file = join(assets, m.path);
  const bytes = new Uint8Array(readFileSync(file));
  const graph = importTflite(bytes, m.id);
  const base = m.path.replace(/^.*\//, '').replace(/\.tflite$/, '');
  const quantized = graph.tensors[graph.inputs[0]!]!.dtype !== 'float32';
  const engines = args.engines.filter((e) => quantized || e !== 'octet-int8');

  const entries = (JSON.parse(readFileSync(join(assets, 'reference', 'vectors', 'vectors.json'), 'utf8')) as VectorEntry[]).filter((v) => v.model === m.path);
  const vectors = entries.map((v) => ({
    name: v.input_file.replace(/^.*__/, '').replace(/\.input\.bin$/, ''),
    inputUrl: serveData(new Uint8Array(readFileSync(join(assets, v.input_file))), '.bin'),
    outputUrl: serveData(new Uint8Array(readFileSync(join(assets, v.output_file))), '.bin'),
  }));

  // Eval sample: inputs made the way the TFLite reference CSVs' were (Octet's eval preprocessing,
  // which test/runtime/accuracy tests check item by item against those CSVs), every (n/count)-th item.
  const dir = join(assets, 'eval', m.evalSet);
  const set = listEvalSet(dir);
  const input = graph.tensors[graph.inputs[0]!]!;
  const recipe = chooseInputRecipe(base, input, readTfliteMetadata(bytes))?.recipe;
  const rows = readFileSync(join(assets, 'reference', `${base}__${m.evalSet}.csv`), 'utf8').trim().split('\n').slice(1).map((r) => r.split(','));
  if (rows.length !== set.items.length) throw new Error(`${base}: ${rows.length} CSV rows for ${set.items.length} items`);
  const offset = labelOffsetForModel(tensorElementCount(graph.tensors[graph.outputs[0]!]!.shape));
  const count = args.eval ?? (args.quick ? 5 : 10);
  const evalItems = Array.from({ length: Math.min(count, set.items.length) }, (_, i) => Math.floor((i * set.items.length) / Math.min(count, set.items.length))).map((i) => {
    const item = set.items[i]!;
    const row = rows[i]!;
    if (!item.file.endsWith(row[0]!)) throw new Error(`${base}: item ${i} is ${item.file}, CSV row ${row[0]}`);
    // The CSV's labels may be shifted from the model's outputs by a constant (background class).
    const shift = Number(row[1]) - (item.label + offset);
    const x = loadEvalInput(item, dir, input, recipe);
    return { file: item.file, inputUrl: serveData(new Uint8Array(x.buffer, x.byteOffset, x.byteLength), '.bin'), tflTop1: Number(row[2]) - shift };
  });

  return {
    id: m.id,
    label: m.label,
    modelUrl: serveData(bytes, '.tflite'),
    engines,
    vectors,
    eval: evalItems,
    warmup: 2,
    rounds: args.rounds ?? (args.quick ? 6 : 10),
    budgetMs: args.quick ? 60_000 : 240_000,
  };
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.css': 'text/css',
};

/** Static files: the built page at /, LiteRT.js's WASM folder at /litert-wasm/, data at /data/. */
function serve(pageDir: string, wasmDir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    let body: Uint8Array | undefined;
    let type = 'application/octet-stream';
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (path.startsWith('/data/')) body = data.get(path.slice(6));
    else {
      const [root, rel] = path.startsWith('/litert-wasm/') ? [wasmDir, path.slice(13)] : [pageDir, path === '/' ? 'index.html' : path.slice(1)];
      const file = normalize(join(root, rel));
      if (file.startsWith(root) && existsSync(file)) {
        body = readFileSync(file);
        type = CONTENT_TYPES[extname(file)] ?? type;
      }
    }
    if (!body) {
      res.writeHead(404).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': type, 'content-length': body.byteLength }).end(body);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

const f = (v: number | undefined, digits = 2) => (v === undefined || !Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(digits));

function markdown(info: PageInfo, chromium: string, results: BrowserModelResult[], args: Args, seconds: number): string {
  const out: string[] = [];
  out.push(`# Octet vs LiteRT.js in the browser (${args.quick ? 'quick' : 'full'})`, '');
  out.push(`- Adapter (Chromium WebGPU): **${info.adapter}**; dot4I8Packed ${info.dot4 ? 'yes' : 'no'}, timestamp-query ${info.timestamps ? 'yes' : 'no'}`);
  out.push(`- ${chromium}; LiteRT.js @litertjs/core (JSPI build) loaded in ${f(info.litertLoadMs, 0)} ms; TF.js: ${info.tfjs}; total ${seconds.toFixed(0)} s`);
  out.push('- Latency: one inference including input upload and output readback, median and p90 over rounds that alternate the engines (rotating order); "×" = engine median / Octet int8 median (float models: / Octet f32); GOPS = 2 × MACs / median.');
  out.push('- Reference: TFLite runtime vectors (reference/vectors/): differing output elements / elements (largest difference in output units); top-1: same class as TFLite on the eval sample.');
  out.push('');
  for (const r of results) {
    const base = r.engines.find((e) => e.engine === 'octet-int8' && e.latency) ?? r.engines.find((e) => e.engine === 'octet-f32' && e.latency);
    out.push(`## ${r.label}`, '', `${(r.macs / 1e6).toFixed(1)} MMAC; input ${r.inputShape.join('×')} ${r.inputDtype}, output ${r.outputDtype}`, '');
    out.push('| engine | first ms | median ms | p90 ms | × | GOPS | vs TFLite vectors | top-1 = TFLite | runs | note |', '|---|---|---|---|---|---|---|---|---|---|');
    for (const e of r.engines) {
      const label = BROWSER_ENGINES.find((x) => x.id === e.engine)!.label;
      if (e.error) {
        out.push(`| ${label} | – | – | – | – | – | – | – | – | **${e.error}** |`);
        continue;
      }
      // 8-bit outputs: the largest difference in quantized steps; float outputs: in output units.
      const diff = (d: number) => (r.outputDtype === 'float32' ? d.toExponential(1) : String(d));
      const vec = e.vectors?.length ? e.vectors.map((v) => `${v.differing}/${v.elements}${v.differing ? ` (${diff(v.maxAbs)})` : ''}`).join(', ') : 'no vectors';
      const ev = e.evalAgree ? `${e.evalAgree.agree}/${e.evalAgree.n}` : '–';
      // isFullyAccelerated only means something for the WebGPU accelerator (no per-op CPU fallback).
      const accel = !e.engine.startsWith('litert-webgpu') ? '' : e.fullyAccelerated ? 'fully on WebGPU' : '**not fully on WebGPU** (ops fall back to its CPU kernels)';
      const note = [e.note, accel].filter(Boolean).join('; ');
      const ratio = base?.latency && e.latency ? e.latency.median / base.latency.median : undefined;
      const gops = e.latency ? (2 * r.macs) / (e.latency.median * 1e6) : undefined;
      out.push(`| ${label} | ${f(e.firstMs, 0)} | ${f(e.latency?.median)} | ${f(e.latency?.p90)} | ${f(ratio)} | ${f(gops, 3)} | ${vec} | ${ev} | ${e.latency?.samples.length ?? 0} | ${note} |`);
    }
    const mb = (b: number) => (b / 2 ** 20).toFixed(2);
    const memory = r.engines.filter((e) => e.memory).map((e) => `${BROWSER_ENGINES.find((x) => x.id === e.engine)!.label}: ${mb(e.memory!.constantBytes)} MiB of weights and constants, ${mb(e.memory!.activationBytes)} MiB of activations`);
    if (memory.length) out.push('', `GPU memory: ${memory.join('; ')}.`);
    if (r.dispatch) {
      out.push('', `Octet (${r.dispatch.engine}): ${r.dispatch.count} dispatches, ${f(r.dispatch.totalMs)} ms GPU time (timestamp-query) in one run; top 10:`, '');
      out.push('| op | dispatch | ms | share |', '|---|---|---|---|');
      for (const d of r.dispatch.top) out.push(`| ${d.opIndex} | ${d.label} | ${f(d.ms, 3)} | ${((100 * d.ms) / r.dispatch.totalMs).toFixed(1)}% |`);
    }
    out.push('');
  }
  return out.join('\n');
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  log(`wrote ${path}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const root = resolve(import.meta.dirname, '..');
  const assets = findAssetsDir();
  const wasmDir = join(root, 'node_modules', '@litertjs', 'core', 'wasm');
  if (!existsSync(join(wasmDir, 'litert_wasm_jspi_internal.wasm'))) throw new Error(`${wasmDir}: LiteRT.js's WASM files not found (npm ci installs @litertjs/core)`);

  const pageDir = join(root, 'dist', 'bench-browser');
  log('bundling the page (vite)');
  const { build } = await import('vite');
  await build({
    configFile: false,
    root: join(root, 'bench', 'browser'),
    base: './',
    logLevel: 'warn',
    build: { outDir: pageDir, emptyOutDir: true, target: 'esnext', minify: true, chunkSizeWarningLimit: 4096 },
  });

  const models = MODELS.filter((m) => (args.models?.length ? args.models.includes(m.id) : !args.quick || m.quick));
  const specs = models.map((m) => specFor(m, assets, args));
  const server = await serve(pageDir, wasmDir);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const chromium = await launchChromium();
  const results: BrowserModelResult[] = [];
  try {
    const page = await chromium.browser.newPage();
    page.setDefaultTimeout(0);
    page.on('console', (m) => {
      // LiteRT.js's runtime logs INFO lines (through console.error and console.log); its warnings
      // (W…) are kept: they tell where its delegate did something unexpected.
      const t = m.text();
      if (process.env.OCTET_BENCH_DEBUG || !/^INFO:|^I\d{4} \d\d:\d\d/.test(t)) log(`  [page ${m.type()}] ${t}`);
    });
    page.on('pageerror', (e) => log(`  [page error] ${(e as Error).message}`));
    await page.goto(url);
    await page.waitForFunction(() => document.title === 'octet bench ready');
    const info = (await page.evaluate((dir) => (window as unknown as { octetBench: { init(d: string): Promise<PageInfo> } }).octetBench.init(dir), '/litert-wasm/')) as PageInfo;
    const version = await chromium.browser.version();
    log(`Chromium ${version}; adapter ${info.adapter}; timestamps ${info.timestamps}`);
    for (const spec of specs) {
      log(`model ${spec.label}: ${spec.engines.join(', ')}`);
      const t0 = performance.now();
      try {
        await page.evaluate((s) => (window as unknown as { octetBench: { start(s: BrowserModelSpec): void } }).octetBench.start(s), spec);
        // Polled from here: page.waitForFunction is itself one DevTools call, under the same timeout.
        let outcome: { result: BrowserModelResult } | { error: string } | undefined;
        while (!outcome) {
          await new Promise((ok) => setTimeout(ok, 1000));
          outcome = (await page.evaluate(() => (window as unknown as { __benchOutcome?: unknown }).__benchOutcome)) as typeof outcome;
        }
        if ('error' in outcome) throw new Error(outcome.error);
        const r = outcome.result;
        for (const e of r.engines) {
          log(`  ${e.engine}: ${e.error ?? `first ${f(e.firstMs, 0)} ms, median ${f(e.latency?.median)} ms (${e.latency?.samples.length ?? 0} runs); vectors ${e.vectors?.map((v) => `${v.differing}/${v.elements}`).join(' ')}; top-1 ${e.evalAgree?.agree}/${e.evalAgree?.n}`}`);
        }
        results.push(r);
      } catch (e) {
        log(`  ${spec.id}: ${errorMessage(e)}`);
      }
      log(`  (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    }
    const seconds = (performance.now() - started) / 1000;
    const md = markdown(info, `Chromium ${version} (headless)`, results, args, seconds);
    write(args.json, JSON.stringify({ schema: 'octet-bench-browser/1', date: new Date().toISOString(), mode: args.quick ? 'quick' : 'full', chromium: version, page: info, results, seconds }, null, 2));
    write(args.md, md);
    console.log(md);
  } finally {
    await chromium.close();
    server.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(errorMessage(e));
    process.exit(1);
  },
);
