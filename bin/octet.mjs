#!/usr/bin/env node
// Launcher for the `octet` CLI. Runs the bundled dist/cli.mjs, rebuilding it first when it is
// missing or older than the sources, so a checkout being edited never runs a stale bundle.
// Concurrent launches (parallel tests, shell loops) share one build through a lock directory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const bundle = join(root, 'dist', 'cli.mjs');
const sourceRoots = ['src', 'shaders', 'vite.node.config.ts', 'package.json'].map((p) => join(root, p));
const lockDir = join(root, 'node_modules', '.octet-build.lock');
const STALE_LOCK_MS = 120_000;

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

function bundleIsFresh() {
  if (!existsSync(bundle)) return false;
  // An installed package ships dist/ without src/: nothing to compare against.
  if (!existsSync(join(root, 'src'))) return true;
  const built = statSync(bundle).mtimeMs;
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
  const viteBin = join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  const args = ['build', '--config', 'vite.node.config.ts', '--logLevel', 'error'];
  const [command, commandArgs] = existsSync(viteBin) ? [process.execPath, [viteBin, ...args]] : ['npx', ['vite', ...args]];
  process.stderr.write('building octet…\n');
  const result = spawnSync(command, commandArgs, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.error) fail(`cannot start the build (${result.error.message}); run npm install`);
  if (result.status !== 0) {
    const detail = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim();
    process.stderr.write(`${detail}\n`);
    fail(`building dist/cli.mjs failed (exit ${result.status}); see the build output above`);
  }
}

function ensureBundle() {
  const deadline = Date.now() + STALE_LOCK_MS;
  while (!bundleIsFresh()) {
    let locked = false;
    try {
      mkdirSync(lockDir);
      locked = true;
    } catch (e) {
      if (e.code === 'ENOENT') {
        build(); // no node_modules: the build will explain what is missing
        return;
      }
      if (e.code !== 'EEXIST') throw e;
    }
    if (locked) {
      try {
        if (!bundleIsFresh()) build();
      } finally {
        rmSync(lockDir, { recursive: true, force: true });
      }
      return;
    }
    // Someone else is building: wait for them, and break a lock left by a killed build.
    if (Date.now() > deadline) rmSync(lockDir, { recursive: true, force: true });
    sleep(100);
  }
}

ensureBundle();
await import(pathToFileURL(bundle).href);
