#!/usr/bin/env node
// `npm test` and `npm run test:full`: type-check, then one vitest run over both software adapters
// (vitest.config.ts). Two things on top of vitest itself:
// - Dawn's OpenGL ES backend prints two lines about the limits it lowers each time a device is made
//   on llvmpipe; exactly those lines are dropped (nothing else Dawn or a test prints is).
// - The closing `N passed, M failed` line (test/count-reporter.ts) is printed last, after every
//   other line of both streams, so it is the last line of the output whatever order they arrive in.
// The exit code is vitest's: non-zero when any test failed.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const full = process.argv.includes('--full');
const bin = (name) => join(root, 'node_modules', '.bin', name);

const typecheck = spawnSync(bin('tsc'), ['--noEmit'], { cwd: root, stdio: 'inherit' });
if (typecheck.status !== 0) {
  console.log('\n0 passed, 1 failed (the type check)');
  process.exit(1);
}

const DAWN_GLES_LIMIT_NOTICE = /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/;
const COUNT_LINE = /^\d+ passed, \d+ failed(, \d+ skipped)?$/;

const env = { ...process.env, OCTET_TEST_FULL: full ? '1' : '0' };
if (process.stdout.isTTY && !('NO_COLOR' in env)) env.FORCE_COLOR ??= '1';
const child = spawn(bin('vitest'), ['run', ...process.argv.slice(2).filter((a) => a !== '--full')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });

let count;
const forward = (stream, out) =>
  new Promise((resolve) => {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      if (DAWN_GLES_LIMIT_NOTICE.test(line)) return;
      if (COUNT_LINE.test(line)) return void (count = line);
      out.write(line + '\n');
    });
    lines.on('close', resolve);
  });

const streams = Promise.all([forward(child.stdout, process.stdout), forward(child.stderr, process.stderr)]);
const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await streams;
// No count line means vitest stopped before reporting (a config error, a crash): that is a failure.
console.log(count ?? '0 passed, 1 failed (vitest did not report)');
process.exit(count ? code : 1);
