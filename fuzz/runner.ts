// The fuzz loop: input i of run seed S gets its own PRNG (mulberry32 of a hash of S and i), picks a
// seed model and 1–3 mutation steps, and goes through the oracle. Any input is reproducible from
// (S, i) alone, and a failure is kept as its recipe (seed id + steps), shrunk to the fewest edits
// that still fail the same way.
import { mapTflite, type TfliteMap } from './flatbuffer-map.ts';
import { applyRecipe, generateSteps, type Mutation, type Recipe, type Step } from './mutators.ts';
import { knownIssueOf } from './known-issues.ts';
import { checkInput, OUTCOME_CLASSES, type FailureKind, type Verdict } from './oracle.ts';
import type { Seed } from './seeds.ts';
import { mulberry32 } from '../test/helpers/rng.ts';

export interface WeightedSeed {
  seed: Seed;
  weight: number;
}

export interface FuzzOptions {
  count: number;
  /** Run seed: the same count and seed give the same inputs. */
  runSeed: number;
  seeds: WeightedSeed[];
  /** Failures kept per failure kind (all are counted). */
  keepPerKind?: number;
  /** Called every `progressEvery` inputs. */
  onProgress?: (done: number, report: FuzzReport) => void;
  progressEvery?: number;
}

export interface FoundFailure {
  index: number;
  seed: Seed;
  recipe: Recipe;
  bytes: Uint8Array;
  verdict: Verdict;
}

export interface FuzzReport {
  inputs: number;
  ms: number;
  /** Importer outcomes: ok and each typed error class (plus untyped-error, which is also a failure). */
  outcomes: Record<string, number>;
  /** Oracle failures by kind, known issues (known-issues.ts) excluded. */
  failures: Record<FailureKind, number>;
  /** Failures explained by a known, reported importer bug, by issue id. */
  known: Record<string, number>;
  /** strategy → outcome → count (an input with several steps counts for each). */
  byStrategy: Record<string, Record<string, number>>;
  bySeed: Record<string, number>;
  maxImportMs: number;
  found: FoundFailure[];
}

function inputRng(runSeed: number, index: number): () => number {
  let h = (runSeed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ index, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return mulberry32((h ^ (h >>> 16) ^ index) >>> 0);
}

const maps = new WeakMap<Seed, TfliteMap>();
function mapOf(seed: Seed): TfliteMap {
  let m = maps.get(seed);
  if (!m) maps.set(seed, (m = mapTflite(seed.bytes)));
  return m;
}

/** The steps and bytes of input `index` of run `runSeed`. */
export function generateInput(opts: Pick<FuzzOptions, 'runSeed' | 'seeds'>, index: number): { seed: Seed; steps: Step[]; bytes: Uint8Array } {
  const rng = inputRng(opts.runSeed, index);
  const total = opts.seeds.reduce((n, s) => n + s.weight, 0);
  let r = rng() * total;
  let seed = opts.seeds[opts.seeds.length - 1]!.seed;
  for (const s of opts.seeds) {
    r -= s.weight;
    if (r < 0) {
      seed = s.seed;
      break;
    }
  }
  const steps = generateSteps({ rng, seed: seed.bytes, map: mapOf(seed) });
  return { seed, steps, bytes: applyRecipe(seed.bytes, steps) };
}

/**
 * Drops steps, then halves and single mutations, while the input still fails with the same kind.
 * At most `maxTrials` re-runs (inputs from 4 MB asset seeds take a while each).
 */
export function shrink(seed: Seed, steps: Step[], kind: FailureKind, maxTrials = 80): Step[] {
  let trials = 0;
  const fails = (s: Step[]) => trials++ < maxTrials && checkInput(applyRecipe(seed.bytes, s)).failure?.kind === kind;
  let cur = steps;
  for (let i = cur.length - 1; i >= 0 && cur.length > 1; i--) {
    const without = cur.filter((_, j) => j !== i);
    if (fails(without)) cur = without;
  }
  const withMutations = (si: number, ms: Mutation[]) => cur.map((s, j) => (j === si ? { ...s, mutations: ms } : s));
  for (let si = 0; si < cur.length; si++) {
    // Halves first (a 100-entry aliasing step), then one at a time once it is small.
    for (let ms = cur[si]!.mutations; ms.length > 8; ms = cur[si]!.mutations) {
      const half = Math.ceil(ms.length / 2);
      const a = withMutations(si, ms.slice(0, half));
      const b = withMutations(si, ms.slice(half));
      if (fails(a)) cur = a;
      else if (fails(b)) cur = b;
      else break;
    }
    for (let mi = cur[si]!.mutations.length - 1; mi >= 0 && cur[si]!.mutations.length > 1; mi--) {
      const trial = withMutations(si, cur[si]!.mutations.filter((_, k) => k !== mi));
      if (fails(trial)) cur = trial;
    }
  }
  return cur;
}

export function emptyReport(): FuzzReport {
  return {
    inputs: 0,
    ms: 0,
    outcomes: Object.fromEntries([...OUTCOME_CLASSES, 'untyped-error'].map((k) => [k, 0])),
    failures: { 'untyped-error': 0, slow: 0, 'allocation-cap': 0, invariant: 0 },
    known: {},
    byStrategy: {},
    bySeed: {},
    maxImportMs: 0,
    found: [],
  };
}

export function fuzz(opts: FuzzOptions): FuzzReport {
  const report = emptyReport();
  const keep = opts.keepPerKind ?? 3;
  const kept: Partial<Record<FailureKind, number>> = {};
  const start = performance.now();
  for (let i = 0; i < opts.count; i++) {
    const { seed, steps, bytes } = generateInput(opts, i);
    const v = checkInput(bytes);
    report.inputs++;
    report.outcomes[v.outcome] = (report.outcomes[v.outcome] ?? 0) + 1;
    report.bySeed[seed.id] = (report.bySeed[seed.id] ?? 0) + 1;
    report.maxImportMs = Math.max(report.maxImportMs, v.ms);
    for (const s of steps) {
      const row = (report.byStrategy[s.strategy] ??= {});
      row[v.outcome] = (row[v.outcome] ?? 0) + 1;
    }
    const known = v.failure && knownIssueOf(v.failure.kind, bytes);
    if (known) report.known[known.id] = (report.known[known.id] ?? 0) + 1;
    else if (v.failure) {
      report.failures[v.failure.kind]++;
      if ((kept[v.failure.kind] ?? 0) < keep) {
        kept[v.failure.kind] = (kept[v.failure.kind] ?? 0) + 1;
        const small = shrink(seed, steps, v.failure.kind);
        const smallBytes = applyRecipe(seed.bytes, small);
        report.found.push({
          index: i,
          seed,
          recipe: { seed: seed.id, seedSha256: seed.sha256, steps: small },
          bytes: smallBytes,
          verdict: ((sv) => (sv.failure ? sv : v))(checkInput(smallBytes)),
        });
      }
    }
    if (opts.onProgress && opts.progressEvery && (i + 1) % opts.progressEvery === 0) {
      report.ms = performance.now() - start;
      opts.onProgress(i + 1, report);
    }
  }
  report.ms = performance.now() - start;
  return report;
}

export function formatReport(r: FuzzReport): string {
  const lines: string[] = [];
  lines.push(`${r.inputs} inputs in ${(r.ms / 1000).toFixed(1)} s (slowest import ${r.maxImportMs.toFixed(1)} ms)`);
  lines.push('outcomes:');
  for (const [k, n] of Object.entries(r.outcomes)) lines.push(`  ${k.padEnd(28)} ${String(n).padStart(8)}`);
  lines.push('oracle failures:');
  for (const [k, n] of Object.entries(r.failures)) lines.push(`  ${k.padEnd(28)} ${String(n).padStart(8)}`);
  for (const [k, n] of Object.entries(r.known)) lines.push(`  known issue ${k.padEnd(16)} ${String(n).padStart(8)}`);
  lines.push('by strategy (ok / format / op / type / untyped):');
  for (const [s, row] of Object.entries(r.byStrategy).sort()) {
    const c = (k: string) => String(row[k] ?? 0).padStart(6);
    lines.push(`  ${s.padEnd(16)} ${c('ok')} ${c('ModelFormatError')} ${c('UnsupportedOpError')} ${c('UnsupportedTensorTypeError')} ${c('untyped-error')}`);
  }
  lines.push('by seed:');
  for (const [s, n] of Object.entries(r.bySeed).sort()) lines.push(`  ${s.padEnd(60)} ${String(n).padStart(8)}`);
  for (const f of r.found) {
    lines.push(`FAILURE ${f.verdict.failure?.kind} at input ${f.index} (seed ${f.seed.id}): ${f.verdict.failure?.message}`);
    for (const s of f.recipe.steps) lines.push(`  ${s.strategy}: ${s.note} ${JSON.stringify(s.mutations)}`);
    if (f.verdict.failure?.stack) lines.push(f.verdict.failure.stack.split('\n').slice(0, 8).map((l) => `    ${l}`).join('\n'));
  }
  return lines.join('\n');
}
