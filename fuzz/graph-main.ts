// `npm run fuzz -- --graphs N [--seed S] [--no-save] [--out DIR]`: the graph fuzzer
// (test/fuzz/graph-fuzz.ts) for N random int8 graphs on the default adapter (OCTET_BACKEND picks
// another), GPU against the CPU reference in every mode. Prints the counts, the refusals and each
// failure; failing cases go to test/fuzz/graph-regressions/<seed>-<index>.json unless --no-save.
import { parseArgs } from 'node:util';
import { requestNodeGpuContext } from '../src/gpu/node-gpu.ts';
import { formatGraphReport, fuzzGraphs, GRAPH_REGRESSIONS_DIR } from '../test/fuzz/graph-fuzz.ts';

export interface GraphCliArgs {
  graphs: number;
  seed: number;
  save: boolean;
  out: string;
}

export function parseGraphArgs(argv: readonly string[]): GraphCliArgs {
  const usage = 'graph fuzzer: --graphs N [--seed S] [--no-save] [--out DIR]';
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      options: { graphs: { type: 'string' }, seed: { type: 'string', short: 's' }, 'no-save': { type: 'boolean' }, out: { type: 'string' } },
    }));
  } catch (e) {
    throw new Error(`${(e as Error).message} (${usage})`);
  }
  const args: GraphCliArgs = {
    graphs: Number(values.graphs ?? 0),
    seed: values.seed === undefined ? Date.now() % 0x7fffffff : Number(values.seed),
    save: !values['no-save'],
    out: values.out ?? GRAPH_REGRESSIONS_DIR,
  };
  if (!Number.isSafeInteger(args.graphs) || args.graphs < 1) throw new Error('--graphs must be a positive integer');
  if (!Number.isSafeInteger(args.seed)) throw new Error('--seed must be an integer');
  return args;
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseGraphArgs(argv);
  const ctx = await requestNodeGpuContext();
  console.log(`octet graph fuzz: ${args.graphs} graphs, run seed ${args.seed}, adapter ${ctx.caps.adapter.backend}`);
  const every = Math.max(10, Math.round(args.graphs / 10));
  try {
    const report = await fuzzGraphs({
      ctx,
      count: args.graphs,
      seed: args.seed,
      save: args.save,
      regressionsDir: args.out,
      onGraph: (i, r) => {
        if ((i + 1) % every === 0 && i + 1 < args.graphs) console.log(`  ${i + 1} graphs, ${(r.ms / 1000).toFixed(0)} s, refused ${r.refused}, failures ${r.failures}`);
      },
    });
    console.log(formatGraphReport(report));
    for (const path of report.saved) console.log(`saved ${path}`);
    console.log(report.failures ? `${report.failures} failing graphs` : 'no failures');
    return report.failures ? 1 : 0;
  } finally {
    ctx.destroy();
  }
}
