// `npm run fuzz -- --graphs N [--seed S] [--no-save] [--out DIR]`: the graph fuzzer
// (test/fuzz/graph-fuzz.ts) for N random int8 graphs on the default adapter (OCTET_BACKEND picks
// another), GPU against the CPU reference in every mode. Prints the counts, the refusals and each
// failure; failing cases go to test/fuzz/graph-regressions/<seed>-<index>.json unless --no-save.
import { requestNodeGpuContext } from '../src/gpu/node-gpu.ts';
import { formatGraphReport, fuzzGraphs, GRAPH_REGRESSIONS_DIR } from '../test/fuzz/graph-fuzz.ts';

export interface GraphCliArgs {
  graphs: number;
  seed: number;
  save: boolean;
  out: string;
}

export function parseGraphArgs(argv: readonly string[]): GraphCliArgs {
  const args: GraphCliArgs = { graphs: 0, seed: Date.now() % 0x7fffffff, save: true, out: GRAPH_REGRESSIONS_DIR };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--graphs') args.graphs = Number(value());
    else if (a === '--seed' || a === '-s') args.seed = Number(value());
    else if (a === '--no-save') args.save = false;
    else if (a === '--out') args.out = value();
    else throw new Error(`unknown argument ${a} (graph fuzzer: --graphs N [--seed S] [--no-save] [--out DIR])`);
  }
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
