// In a checkout: rebuilds dist/ (scripts/build.mjs) when it is missing or older than the sources,
// so `npx octet`, the tests that spawn the CLI and the package tests never run a stale build.
// Concurrent callers (parallel test files, shell loops) share one build through a lock directory.
// Not published: an installed package runs its dist/ as shipped (see bin/octet.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const sourceRoots = ['src', 'shaders', 'vite.lib.config.ts', 'tsconfig.build.json', 'scripts/build.mjs', 'package.json'].map((p) => join(root, p));
// scripts/build.mjs writes the declarations last: both outputs present and newer than every source.
const outputs = [join(root, 'dist', 'cli.js'), join(root, 'dist', 'types', 'node.d.ts')];
const lockDir = join(root, 'node_modules', '.octet-build.lock');
const STALE_LOCK_MS = 180_000;

function newestMtime(path) {
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file shows only as a newer folder
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

export function buildIsFresh() {
  if (!outputs.every((p) => existsSync(p))) return false;
  const built = Math.min(...outputs.map((p) => statSync(p).mtimeMs));
  return sourceRoots.every((p) => newestMtime(p) <= built);
}

function fail(message) {
  process.stderr.write(`octet: ${message}\n`);
  process.exit(1);
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function build() {
  process.stderr.write('building octet…\n');
  const result = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) fail(`cannot start the build (${result.error.message})`);
  if (result.status !== 0) {
    process.stderr.write(`${`${result.stderr ?? ''}${result.stdout ?? ''}`.trim()}\n`);
    fail(`building dist/ failed (exit ${result.status}); see the build output above (npm install first?)`);
  }
}

/** Builds dist/ unless it is fresh; returns whether it built. */
export function ensureBuilt() {
  const deadline = Date.now() + STALE_LOCK_MS;
  while (!buildIsFresh()) {
    let locked = false;
    try {
      mkdirSync(lockDir);
      locked = true;
    } catch (e) {
      if (e.code === 'ENOENT') {
        build(); // no node_modules: the build will explain what is missing
        return true;
      }
      if (e.code !== 'EEXIST') throw e;
    }
    if (locked) {
      try {
        if (buildIsFresh()) return false;
        build();
        return true;
      } finally {
        rmSync(lockDir, { recursive: true, force: true });
      }
    }
    // Someone else is building: wait for them, and break a lock left by a killed build.
    if (Date.now() > deadline) rmSync(lockDir, { recursive: true, force: true });
    sleep(100);
  }
  return false;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) ensureBuilt();
