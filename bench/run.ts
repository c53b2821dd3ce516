// `npm run bench -- [--quick] [--json OUT.json] [--md OUT.md] [--svg OUT.svg] ...`: kernel and
// model benchmarks of Octet against its float path, TFLite WASM and TF.js WebGPU. See bench/README.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { requestNodeGpuContext, type NodeBackend } from '../src/gpu/node-gpu.ts';
import type { GpuContext } from '../src/gpu/context.ts';
import { describeContext } from '../src/runtime/model.ts';
import { DEFAULT_GEMM_TILE, describeTile, type GemmTile } from '../src/kernels/gemm.ts';
import { benchConvs, benchGemm, tuneGemm, type ConvResult, type GemmResult, type TuneResult } from './kernels.ts';
import { benchModels, type ModelResult } from './models.ts';
import { formatTuneKernels, tuneKernels } from './tune-kernels.ts';
import { markdown, svg, type BenchReport } from './report.ts';
import { errorMessage, log } from './common.ts';

const HELP = `usage: npm run bench -- [options]
  --quick              small sizes and the three small models (under 5 minutes on a software adapter)
  --json FILE          JSON report (default bench/results/bench.json)
  --md FILE            markdown table (default bench/results/bench.md)
  --svg FILE           SVG chart (default bench/results/bench.svg)
  --large              add 2048 and 4096 GEMMs (real GPUs only)
  --sizes 256,512      GEMM sizes (default: quick 256,512; full 256,512,1024)
  --only kernels|models  run one half
  --models a,b         built-in model ids (mobilenet_v1_0.25_128, resnet8, vww_96, mobilenet_v2_1.0_224)
  --model FILE         benchmark this .tflite (repeatable; replaces the built-in list)
  --runs N             timed runs per model and engine (default quick 20, full 50; capped by a time budget)
  --reps N             timed dispatches per kernel (default quick 3, full 7)
  --tile MxN/TMxTN/K   fix the int8 and f32 tile instead of tuning (e.g. 64x64/4x4/16; K=r: registers only)
  --no-tflite --no-tfjs --no-float   leave a peer out
  --tune               only measure the conv/depthwise tile and workgroup size candidates on this adapter
                       (src/kernels/tuned-tiles.ts) and print the table entry to check in; nothing else runs
  --tune-rounds N      alternated rounds per candidate (default 5)
  --tune-write         also rewrite this adapter class's entry of src/kernels/tuned-tiles.ts
  --backend auto|default|swiftshader|llvmpipe   Dawn route (or OCTET_BACKEND)`;

const DEFAULT_JSON = 'bench/results/bench.json';

interface Args {
  quick: boolean;
  json: string;
  md: string;
  svg: string;
  large: boolean;
  sizes?: number[];
  only?: 'kernels' | 'models';
  models?: string[];
  files: string[];
  runs?: number;
  reps?: number;
  tile?: GemmTile;
  tflite: boolean;
  tfjs: boolean;
  float: boolean;
  backend: NodeBackend;
  tune: boolean;
  tuneRounds: number;
  tuneWrite: boolean;
}

function parseTile(s: string): GemmTile {
  const m = /^(\d+)x(\d+)\/(\d+)x(\d+)\/(\d+|r)$/.exec(s);
  if (!m) throw new Error(`--tile ${s}: expected MxN/TMxTN/K (workgroup memory) or MxN/TMxTN/r (registers only), e.g. 64x64/4x4/16`);
  const [tileM, tileN, tm, tn] = m.slice(1, 5).map(Number) as [number, number, number, number];
  return m[5] === 'r' ? { tileM, tileN, tm, tn, k: 16, shared: false } : { tileM, tileN, tm, tn, k: Number(m[5]), shared: true };
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    quick: false,
    json: DEFAULT_JSON,
    md: 'bench/results/bench.md',
    svg: 'bench/results/bench.svg',
    large: false,
    files: [],
    tflite: true,
    tfjs: true,
    float: true,
    backend: 'auto',
    tune: false,
    tuneRounds: 5,
    tuneWrite: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--quick': a.quick = true; break;
      case '--json': a.json = value(); break;
      case '--md': a.md = value(); break;
      case '--svg': a.svg = value(); break;
      case '--large': a.large = true; break;
      case '--sizes': a.sizes = value().split(',').map(Number); break;
      case '--only': a.only = value() as Args['only']; break;
      case '--models': a.models = value().split(','); break;
      case '--model': a.files.push(value()); break;
      case '--runs': a.runs = Number(value()); break;
      case '--reps': a.reps = Number(value()); break;
      case '--tile': a.tile = parseTile(value()); break;
      case '--no-tflite': a.tflite = false; break;
      case '--no-tfjs': a.tfjs = false; break;
      case '--no-float': a.float = false; break;
      case '--backend': a.backend = value() as NodeBackend; break;
      case '--tune': a.tune = true; break;
      case '--tune-rounds': a.tuneRounds = Number(value()); break;
      case '--tune-write': a.tune = true; a.tuneWrite = true; break;
      case '-h':
      case '--help':
        console.log(HELP);
        process.exit(0);
      default:
        throw new Error(`unknown option ${arg}\n${HELP}`);
    }
  }
  return a;
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  log(`wrote ${path}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const ctx = await requestNodeGpuContext({ backend: args.backend });
  const caps = ctx.caps;
  const route = caps.adapter.backend.replace(/^dawn-/, '') as NodeBackend;
  const dawnRoute: NodeBackend = route === 'swiftshader' || route === 'llvmpipe' ? route : args.backend === 'auto' ? 'default' : args.backend;
  log(`adapter: ${describeContext(ctx)} via ${caps.adapter.backend}; dot4 ${caps.paths.dot4I8Packed}, timestamps ${ctx.hasTimestamps}`);
  if (args.tune) {
    const result = await tuneKernels(ctx, { rounds: args.tuneRounds, write: args.tuneWrite ? 'src/kernels/tuned-tiles.ts' : undefined });
    console.log(formatTuneKernels(result));
    if (args.json !== DEFAULT_JSON) write(args.json, JSON.stringify(result, null, 2));
    ctx.destroy();
    return;
  }
  const notes: string[] = [];
  if (!ctx.hasTimestamps) {
    notes.push(
      "No timestamp-query on this adapter: kernel times are wall time of one submission (includes submit overhead); the models' per-dispatch GPU ms are sums of each dispatch's fastest wall time over 3 runs, each dispatch submitted alone (timing: 'wall', submit latency included).",
    );
  }

  let tiles = { int8: args.tile ?? DEFAULT_GEMM_TILE, f32: args.tile ?? DEFAULT_GEMM_TILE };
  let tuning: TuneResult[] = [];
  let gemm: GemmResult[] = [];
  let convs: ConvResult[] = [];
  let models: ModelResult[] = [];
  const reps = args.reps ?? (args.quick ? 3 : 7);

  if (args.only !== 'models') {
    try {
      if (!args.tile) {
        const tuneSize = args.quick ? 256 : 512;
        log(`tuning GEMM tiles at ${tuneSize}³`);
        tuning = await tuneGemm(ctx, tuneSize, reps);
        tiles = { int8: tuning.find((t) => t.precision === 'int8')!.chosen, f32: tuning.find((t) => t.precision === 'f32')!.chosen };
      }
      log(`tiles: int8 ${describeTile(tiles.int8)}; f32 ${describeTile(tiles.f32)}`);
      const sizes = args.sizes ?? [...(args.quick ? [256, 512] : [256, 512, 1024]), ...(args.large ? [2048, 4096] : [])];
      log('GEMM');
      gemm = await benchGemm(ctx, { quick: args.quick, sizes, reps }, tiles);
      log('convolutions');
      let fallbackCtx: GpuContext | undefined;
      if (!args.quick && caps.paths.dot4I8Packed) fallbackCtx = await requestNodeGpuContext({ backend: args.backend, dot4: 'off' });
      // The pointwise GEMM writes 4 channels per invocation: pick the tuned tile only if TN = 4.
      const pwTile = tiles.int8.tn === 4 ? tiles.int8 : DEFAULT_GEMM_TILE;
      convs = await benchConvs(ctx, fallbackCtx, { quick: args.quick, sizes, reps }, pwTile);
      fallbackCtx?.destroy();
    } catch (e) {
      notes.push(`kernel benchmarks stopped: ${errorMessage(e)}`);
      log(`kernel benchmarks stopped: ${errorMessage(e)}`);
    }
  }

  if (args.only !== 'kernels') {
    log('models');
    models = await benchModels(ctx, {
      quick: args.quick,
      files: args.files,
      only: args.models,
      warmup: args.quick ? 2 : 5,
      maxRuns: args.runs ?? (args.quick ? 20 : 50),
      budgetMs: args.quick ? 4000 : 20000,
      route: dawnRoute,
      peers: { tflite: args.tflite, tfjs: args.tfjs, float: args.float },
    });
  }

  if (convs.some((c) => c.gemm)) {
    notes.push('The tuned int8 GEMM is measured as a 1×1 convolution on the same packed weights and requantization as the conv2d lowering (output compared byte for byte); the lowering itself runs pointwise convolutions of 16+ pixels through the GEMM with a fixed tile.');
  }
  const report: BenchReport = {
    schema: 'octet-bench/1',
    date: new Date().toISOString(),
    mode: args.quick ? 'quick' : 'full',
    node: `Node ${process.version}`,
    adapter: {
      name: describeContext(ctx),
      route: caps.adapter.backend,
      software: caps.adapter.isFallbackAdapter || /swiftshader|llvmpipe/i.test(describeContext(ctx) + caps.adapter.backend),
      dot4I8Packed: caps.paths.dot4I8Packed,
      timestampQuery: ctx.hasTimestamps,
      subgroups: caps.paths.subgroups,
      shaderF16: caps.paths.shaderF16,
    },
    capabilities: caps,
    tiles: { ...tiles, tuning },
    gemm,
    convs,
    models,
    totalSeconds: (performance.now() - started) / 1000,
    notes,
  };
  const md = markdown(report);
  write(args.json, JSON.stringify(report, (_k, v) => (v === Infinity ? null : v), 2));
  write(args.md, md);
  write(args.svg, svg(report));
  console.log(md);
  ctx.destroy();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(errorMessage(e));
    process.exit(1);
  },
);
