// `npm run fuzz -- --count N [--seed S] [--assets all|small|none] [--no-save] [--out DIR]`: a long run.
// Prints counts per outcome (ok / each error class) and per strategy, and saves each failing
// input into test/fuzz/regressions/ as a recipe: seed id + sha256 + mutation steps, never the
// bytes (the seed is an Octet-made model, rebuilt at replay, or a shared asset model, found then).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatReport, fuzz, type FoundFailure, type WeightedSeed } from './runner.ts';
import { writeExamples } from './examples.ts';
import { assetSeeds, octetSeeds, sha256 } from './seeds.ts';

export const REGRESSIONS_DIR = join(import.meta.dirname, '..', 'test', 'fuzz', 'regressions');

export interface CliArgs {
  count: number;
  seed: number;
  assets: 'all' | 'small' | 'none';
  save: boolean;
  out: string;
  examples: boolean;
}

export function parseArgs(argv: readonly string[]): CliArgs {
  const args: CliArgs = { count: 100_000, seed: Date.now() % 0x7fffffff, assets: 'all', save: true, out: REGRESSIONS_DIR, examples: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--count' || a === '-n') args.count = Number(value());
    else if (a === '--seed' || a === '-s') args.seed = Number(value());
    else if (a === '--assets') args.assets = value() as CliArgs['assets'];
    else if (a === '--no-save') args.save = false;
    else if (a === '--out') args.out = value();
    else if (a === '--examples') args.examples = true;
    else if (a === '--help' || a === '-h') {
      console.log('npm run fuzz -- --count N [--seed S] [--assets all|small|none] [--no-save] [--out DIR]\nnpm run fuzz -- --examples [--out DIR]   (rewrite the hand-picked regression inputs)');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isSafeInteger(args.count) || args.count < 1) throw new Error(`--count must be a positive integer`);
  if (!Number.isSafeInteger(args.seed)) throw new Error(`--seed must be an integer`);
  if (!['all', 'small', 'none'].includes(args.assets)) throw new Error(`--assets must be all, small or none`);
  return args;
}

/**
 * Octet seeds get half the inputs, asset seeds (when present) the other half; assets over 1 MiB
 * count a fifth as much as the others (each of their inputs costs ~100× more).
 */
export function weightedSeeds(assets: CliArgs['assets']): WeightedSeed[] {
  const octet = octetSeeds();
  const shared = assets === 'none' ? [] : assetSeeds(assets === 'small' ? 64 * 1024 : Infinity);
  const ws: WeightedSeed[] = octet.map((seed) => ({ seed, weight: 1 / octet.length }));
  const w = (s: { bytes: Uint8Array }) => (s.bytes.length > 1 << 20 ? 0.2 : 1);
  const total = shared.reduce((n, s) => n + w(s), 0);
  for (const seed of shared) ws.push({ seed, weight: w(seed) / total });
  return ws;
}

const slug = (s: string) => s.replace(/^(octet|asset):/, '').replace(/\.tflite$/, '').replace(/[^A-Za-z0-9_.-]+/g, '_').slice(-60);

/** Writes a found failure into `dir`; returns the path. */
export function saveFailure(f: FoundFailure, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const kind = f.verdict.failure?.kind ?? 'failure';
  const hash = sha256(f.bytes).slice(0, 10);
  const path = join(dir, `${slug(f.seed.id)}-${kind}-${hash}.recipe.json`);
  writeFileSync(path, JSON.stringify({ ...f.recipe, failure: f.verdict.failure?.message }, null, 1) + '\n');
  return path;
}

export function main(argv: readonly string[]): number {
  const args = parseArgs(argv);
  if (args.examples) {
    for (const line of writeExamples(args.out)) console.log(line);
    return 0;
  }
  const seeds = weightedSeeds(args.assets);
  console.log(`octet fuzz: ${args.count} inputs, run seed ${args.seed}, ${seeds.length} seed models (${seeds.filter((s) => !s.seed.octet).length} assets)`);
  const report = fuzz({
    count: args.count,
    runSeed: args.seed,
    seeds,
    keepPerKind: 5,
    progressEvery: 10_000,
    onProgress: (done, r) => {
      const failures = Object.values(r.failures).reduce((a, b) => a + b, 0);
      console.log(`  ${done} inputs, ${(r.ms / 1000).toFixed(0)} s, ok ${r.outcomes.ok}, failures ${failures}`);
    },
  });
  console.log(formatReport(report));
  if (args.save) for (const f of report.found) console.log(`saved ${saveFailure(f, args.out)}`);
  const failures = Object.values(report.failures).reduce((a, b) => a + b, 0);
  const known = Object.values(report.known).reduce((a, b) => a + b, 0);
  console.log(`${failures ? `${failures} failing inputs` : 'no failures'}${known ? ` (and ${known} from known issues, not saved)` : ''}`);
  return failures ? 1 : 0;
}
