#!/usr/bin/env node
// The `octet` command: runs the built dist/cli.js, nothing else. In a checkout (scripts/ beside
// bin/, not published) dist/ is rebuilt first when it is missing or older than the sources, so a
// checkout being edited never runs a stale build; an installed package runs its dist/ as shipped.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const checkoutBuild = join(root, 'scripts', 'build-if-stale.mjs');
if (existsSync(checkoutBuild) && existsSync(join(root, 'src'))) (await import(pathToFileURL(checkoutBuild).href)).ensureBuilt();

const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write(`octet: ${cli} is missing: this copy of octet was packed without its build (npm run build)\n`);
  process.exit(1);
}
await import(pathToFileURL(cli).href);
