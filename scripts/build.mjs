#!/usr/bin/env node
// npm run build (and prepack): the published dist/.
//   1. vite.lib.config.ts: dist/index.js (browser-safe entry), dist/node.js (Node entry), dist/cli.js
//      (the `octet` command), dist/node-in-browser.js, and their shared chunks in dist/chunks/.
//   2. tsconfig.build.json: declarations in dist/types/, one .d.ts per source module. tsc keeps the
//      sources' `.ts` import paths in declarations, which TypeScript refuses in a consumer's
//      node_modules, so they are rewritten to `.js` (the files sit side by side as .d.ts). The two
//      entry declarations reference @webgpu/types (a dependency): GPUDevice and friends appear in
//      the API, and TypeScript's DOM library does not declare them.
// Builds into a fresh folder and swaps it in at the end, so a CLI started meanwhile (parallel tests)
// never finds dist/ half-written. Runs only Node, vite and tsc from this checkout's node_modules.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const next = join(root, `dist.next-${process.pid}`);
const types = join(next, 'types');

function run(script, args) {
  const r = spawnSync(process.execPath, [join(root, 'node_modules', ...script), ...args], { cwd: root, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) {
    process.stderr.write(`octet build: ${script.join('/')} ${args.join(' ')} exited ${r.status}\n`);
    process.exit(r.status ?? 1);
  }
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? walk(full) : [full];
  });
}

rmSync(next, { recursive: true, force: true });
process.on('exit', () => rmSync(next, { recursive: true, force: true }));
run(['vite', 'bin', 'vite.js'], ['build', '--config', 'vite.lib.config.ts', '--logLevel', 'warn', '--outDir', next]);
run(['typescript', 'bin', 'tsc'], ['-p', 'tsconfig.build.json', '--outDir', types]);

const relativeTs = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]*?)\.ts(['"])/g;
for (const file of walk(types)) {
  if (!file.endsWith('.d.ts')) continue;
  let text = readFileSync(file, 'utf8').replace(relativeTs, '$1$2.js$3');
  if (file === join(types, 'index.d.ts') || file === join(types, 'node.d.ts')) text = `/// <reference types="@webgpu/types" />\n${text}`;
  writeFileSync(file, text);
}
// src/types.d.ts declares ?raw shader modules for the build only; nothing in the API uses it.
rmSync(join(types, 'types.d.ts'), { force: true });

const old = join(root, `dist.old-${process.pid}`);
if (existsSync(dist)) renameSync(dist, old);
renameSync(next, dist);
rmSync(old, { recursive: true, force: true });
