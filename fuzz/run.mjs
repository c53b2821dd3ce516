#!/usr/bin/env node
// Entry for `npm run fuzz -- --count N [--seed S]` (the importer fuzzer, fuzz/main.ts) and
// `npm run fuzz -- --graphs N [--seed S]` (the GPU graph fuzzer, fuzz/graph-main.ts): loads the
// TypeScript through Vite's module runner (no build step; vite-node is not installed) and runs it
// in this process. The importer fuzzer is synchronous and is imported once; the graph fuzzer loads
// modules (Dawn) while it runs, so it keeps a runner open until it is done.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, createServerModuleRunner, runnerImport } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);

async function runGraphs() {
  const server = await createServer({
    configFile: false,
    logLevel: 'warn',
    appType: 'custom',
    server: { middlewareMode: true, hmr: false, ws: false },
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  const runner = createServerModuleRunner(server.environments.ssr, { hmr: false });
  try {
    const module = await runner.import(join(here, 'graph-main.ts'));
    return await module.main(argv);
  } finally {
    await runner.close();
    await server.close();
  }
}

try {
  if (argv.includes('--graphs')) {
    process.exitCode = await runGraphs();
  } else {
    const { module } = await runnerImport(join(here, 'main.ts'), { configFile: false, logLevel: 'warn' });
    process.exitCode = module.main(argv);
  }
} catch (e) {
  console.error(String(e?.message ?? e));
  process.exitCode = 2;
}
