// The graph fuzzer inside `npm test`: a bounded run of random int8 chains, GPU against the CPU
// reference byte for byte under both requantizations and both dot4 inner loops; a replay of every
// saved case in test/fuzz/graph-regressions/; and a planted difference, so that it cannot pass
// by comparing nothing. Runs under both vitest projects (SwiftShader and llvmpipe).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { runReference } from '../../src/reference/run.ts';
import { compareTensors } from '../helpers/compare.ts';
import { testContext } from '../helpers/gpu.ts';
import { buildGraph, describeGraph, graphInputs } from './graph-gen.ts';
import {
  ALL_MODES,
  checkGraph,
  formatGraphReport,
  fuzzCase,
  fuzzGraphs,
  GRAPH_REGRESSIONS_DIR,
  type CompareFn,
  type GraphRegression,
} from './graph-fuzz.ts';

// 250 graphs × 4 modes over 42 op types: 7.3 s on SwiftShader and 3.3 s on llvmpipe (the whole file 10.2 s and
// 5.9 s; measured on a shared 2-core machine).
const GRAPHS = 250;
const SEED = 20240611;

describe('graph fuzzer', () => {
  it('generates valid graphs: the reference runs each, deterministically from (seed, index)', () => {
    // Building and running the reference alone costs about 1 ms a graph: many draws, so a rare invalid one shows.
    for (let index = 0; index < 2000; index++) {
      const a = fuzzCase(7, index);
      expect(fuzzCase(7, index)).toEqual(a);
      const graph = buildGraph(a.desc);
      expect(graph.ops.length, describeGraph(a.desc)).toBe(a.desc.ops.length);
      expect(() => runReference(graph, graphInputs(graph, a.inputSeed)), describeGraph(a.desc)).not.toThrow();
    }
  });

  it(`${GRAPHS} random graphs equal the reference byte for byte in every mode`, async () => {
    const ctx = await testContext();
    const report = await fuzzGraphs({ ctx, count: GRAPHS, seed: SEED, save: false });
    const summary = formatGraphReport(report);
    console.log(`graph fuzz on ${ctx.caps.adapter.backend}: ${summary.split('\n')[0]}`);
    expect(report.failures, summary).toBe(0);
    expect(report.graphs).toBe(GRAPHS);
    // Refusals are legitimate but must stay rare, or the run would compare little.
    expect(report.refused, summary).toBeLessThanOrEqual(GRAPHS / 10);
    expect(report.comparisons).toBe((GRAPHS - report.refused) * ALL_MODES.length);
  });

  const saved = readdirSync(GRAPH_REGRESSIONS_DIR).filter((f) => f.endsWith('.json')).sort();
  it.each(saved)('replays %s', async (file) => {
    const ctx = await testContext();
    const r = JSON.parse(readFileSync(join(GRAPH_REGRESSIONS_DIR, file), 'utf8')) as GraphRegression;
    expect(file).toBe(`${r.seed}-${r.index}.json`);
    const result = await checkGraph(ctx, r.desc, r.inputSeed, ALL_MODES);
    expect(result.refused, r.graph).toBeUndefined();
    expect(result.failures, r.graph).toEqual([]);
    expect(result.comparisons).toBe(ALL_MODES.length);
  });

  it('detects a planted difference, saves it, and the saved case replays', async () => {
    const ctx = await testContext();
    // The real comparison with one reference byte changed: every compared graph must fail.
    const perturbed: CompareFn = async (c, graph, inputs, mode) => {
      const program = await GpuProgram.build(c, graph, { requantization: mode.requantization, int8Arithmetic: mode.int8Arithmetic });
      try {
        const { outputs } = await program.run(inputs);
        const expected = runReference(graph, inputs, { requantization: mode.requantization });
        const last = expected[0]!;
        const k = last.length >> 1;
        last[k] = Number(last[k]) === 0 ? 1 : 0;
        return outputs.map((o, i) => compareTensors(o, expected[i]!));
      } finally {
        program.dispose();
      }
    };
    const dir = mkdtempSync(join(tmpdir(), 'octet-graph-fuzz-'));
    try {
      const modes = [ALL_MODES[0]!];
      const report = await fuzzGraphs({ ctx, count: 3, seed: SEED, modes, regressionsDir: dir, compare: perturbed });
      expect(report.refused).toBe(0);
      expect(report.failures).toBe(3);
      expect(report.found.every((f) => f.failures[0]!.kind === 'mismatch' && f.failures[0]!.detail.includes('1/'))).toBe(true);
      expect(readdirSync(dir).sort()).toEqual([0, 1, 2].map((i) => `${SEED}-${i}.json`).sort());
      // Round trip: the saved description rebuilds the same graph, which passes the real comparison.
      const r = JSON.parse(readFileSync(join(dir, `${SEED}-1.json`), 'utf8')) as GraphRegression;
      expect(describeGraph(r.desc)).toBe(describeGraph(fuzzCase(SEED, 1).desc));
      const replay = await checkGraph(ctx, r.desc, r.inputSeed, modes);
      expect(replay).toEqual({ comparisons: 1, failures: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
