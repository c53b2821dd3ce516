#!/usr/bin/env node
// Entry for `npm run fuzz -- --count N [--seed S]`: loads fuzz/main.ts through Vite's module
// runner (TypeScript, no build step; vite-node is not installed) and runs it in this process.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const { module } = await runnerImport(join(here, 'main.ts'), { configFile: false, logLevel: 'warn' });
try {
  process.exitCode = module.main(process.argv.slice(2));
} catch (e) {
  console.error(String(e?.message ?? e));
  process.exitCode = 2;
}
