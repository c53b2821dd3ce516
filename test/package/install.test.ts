// The package as a new user gets it: `npm pack` once, the tarball linted (publint, attw) and
// installed from the file into one fresh temporary project, then used through every door a user
// has: a strict TypeScript Vite app built with `vite build` and run in headless Chromium (the
// model classifies an image on page load, on the main thread and in a Web Worker), a plain Node
// ESM script, declarations type-checked under moduleResolution bundler and nodenext, and the
// `octet` command through npx. Every consumer's output is printed and written to
// test-output/package-install.json. Needs npm's cache to hold vite, typescript and webgpu (the
// checkout's `npm ci` put them there); installs run with --prefer-offline.
import { spawn } from 'node:child_process';
import { cpSync, createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, relative, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAssetsDir } from '../../src/assets-node.ts';
import { launchChromium, type TestBrowser } from '../helpers/browser.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const CONSUMERS = join(import.meta.dirname, 'consumers');
const ASSETS = findAssetsDir();
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

// The budgets grow with the op count (every op brings a reference kernel, GPU lowerings and inlined
// WGSL): with about 75 ops the bundle measured 153 kB gzipped, each app script 156 kB. What they guard against is
// an accidental inclusion (Node code, Dawn, a whole dependency), which costs hundreds of kB at once.
/** Gzipped bytes of the browser entry and every chunk it imports (unminified, dependencies excluded). */
const BROWSER_BUNDLE_BUDGET_GZ = 256_000;
/** Gzipped bytes of each script the Vite app ships, the page's and the worker's (each holds the
 * engine and its dependencies, minified by Vite). */
const APP_SCRIPT_BUDGET_GZ = 256_000;

const MODEL = 'mobilenet_v1_0.25_224_quant';
const EXPECTED = { label: 'cheeseburger', index: 934 };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: none of the npm_* variables of the `npm test` around us. */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // npm's cache and registry settings stay: the installs must find what `npm ci` cached.
    if (/^npm_/i.test(k) && !/^npm_config_(cache|registry)$/i.test(k)) continue;
    if (k !== 'INIT_CWD' && k !== 'NODE_OPTIONS') env[k] = v;
  }
  return { ...env, OCTET_ASSETS: ASSETS, ...extra };
}

function sh(command: string, args: string[], cwd: string, env = userEnv()): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

async function ok(command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Run> {
  const r = await sh(command, args, cwd, env);
  expect(r.code, `${command} ${args.join(' ')} in ${cwd}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
}

const installedVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

// Sizes in kB of 1000 bytes, as npm pack and Vite print them.
const report: Record<string, unknown> = {};
function record(key: string, value: unknown): void {
  report[key] = value;
  console.log(`[package] ${key}: ${typeof value === 'string' ? value : JSON.stringify(value, null, 2)}`);
}

let work: string;
let app: string;
let tarball: string;
let packed: { size: number; unpackedSize: number; entryCount: number; files: { path: string; size: number }[] };
const started = Date.now();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'octet-package-'));
  // dist/ built as the CLI launcher builds it (only when stale, under its lock), so that packing
  // never rebuilds dist/ under test files that run the CLI in parallel; --ignore-scripts skips
  // prepack, which would run the same build (npm run build) again.
  await ok(process.execPath, [join(ROOT, 'scripts', 'build-if-stale.mjs')], ROOT);
  // One pack, one install, every consumer in one project.
  const pack = await ok('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], ROOT, userEnv());
  packed = (JSON.parse(pack.stdout) as (typeof packed & { filename: string })[])[0]!;
  tarball = join(work, `${pkg.name}-${pkg.version}.tgz`);
  expect(existsSync(tarball)).toBe(true);

  app = join(work, 'app');
  mkdirSync(app);
  cpSync(CONSUMERS, app, { recursive: true });
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'octet-consumer', private: true, type: 'module' }, null, 2)}\n`);
  const t0 = Date.now();
  await ok(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      tarball,
      `webgpu@${installedVersion('webgpu')}`,
      `vite@${installedVersion('vite')}`,
      `typescript@${installedVersion('typescript')}`,
    ],
    app,
  );
  record('npm install (s)', ((Date.now() - t0) / 1000).toFixed(1));
}, 240_000);

afterAll(() => {
  record('install test wall time (s)', ((Date.now() - started) / 1000).toFixed(1));
  mkdirSync(join(ROOT, 'test-output'), { recursive: true });
  writeFileSync(join(ROOT, 'test-output', 'package-install.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds dist/, the bin and the package files, and no sources, tests, fuzz inputs, benchmarks or CI', () => {
    const paths = packed.files.map((f) => f.path);
    record('npm pack', `${packed.entryCount} files, ${(packed.size / 1000).toFixed(1)} kB packed, ${(packed.unpackedSize / 1000).toFixed(1)} kB unpacked`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'bin/octet.mjs',
        'dist/index.js',
        'dist/node.js',
        'dist/cli.js',
        'dist/node-in-browser.js',
        'dist/types/index.d.ts',
        'dist/types/node.d.ts',
      ]),
    );
    const allowed = /^(package\.json|README\.md|bin\/octet\.mjs|dist\/.+\.(js|d\.ts))$/;
    expect(paths.filter((p) => !allowed.test(p))).toEqual([]);
    expect(paths.filter((p) => /^(test|fuzz|bench|\.ci|src|scripts|shaders|demo|docs)\//.test(p) || /\.test\./.test(p))).toEqual([]);
  });

  it('installs for a browser app without Dawn: webgpu is an optional peer', async () => {
    const alone = join(work, 'browser-only');
    mkdirSync(alone);
    writeFileSync(join(alone, 'package.json'), '{ "name": "browser-only", "private": true, "type": "module" }\n');
    await ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], alone);
    const lock = JSON.parse(readFileSync(join(alone, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    const installed = Object.keys(lock.packages).filter((p) => p).map((p) => p.replace(/^node_modules\//, '')).sort();
    record('npm install octet (alone) brings', installed.join(', '));
    expect(installed).toContain('octet');
    expect(installed.filter((p) => /(^|\/)webgpu$/.test(p))).toEqual([]);
  }, 120_000);

  it('passes publint (strict) and arethetypeswrong (ESM-only profile)', async () => {
    const publint = await ok(join(ROOT, 'node_modules', '.bin', 'publint'), ['run', tarball, '--strict'], ROOT);
    expect(publint.stdout).toMatch(/All good!/);
    // ESM-only: a CommonJS `require` and TypeScript's legacy node10 resolution (no `exports`) are
    // out of scope, so the profile leaves them out; everything else must resolve cleanly.
    const attw = await ok(join(ROOT, 'node_modules', '.bin', 'attw'), [tarball, '--profile', 'esm-only', '--format', 'table-flipped'], ROOT);
    expect(attw.stdout.split('\n').filter((l) => /💀|❌|⚠️/.test(l) && !/ignored/.test(l))).toEqual([]);
    const rows = attw.stdout.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => /^│ "octet/.test(l));
    record('attw', rows.map((l) => l.replace(/[│\s]+/g, ' ').trim()));
  });

  it('ships a browser bundle with no Node imports, gzipped within budget', () => {
    const dist = join(app, 'node_modules', 'octet', 'dist');
    const seen = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
        const spec = m[1]!;
        expect(spec, `${relative(dist, file)} imports ${spec}`).not.toMatch(/^node:|^webgpu$|\.ts$|\?raw$/);
        if (spec.startsWith('.')) visit(join(dirname(file), spec));
      }
    };
    visit(join(dist, 'index.js'));
    const files = [...seen];
    const raw = files.reduce((n, f) => n + statSync(f).size, 0);
    const gz = files.reduce((n, f) => n + gzipSync(readFileSync(f), { level: 9 }).length, 0);
    record('browser bundle', `${files.map((f) => relative(dist, f)).join(' + ')}: ${(raw / 1000).toFixed(1)} kB, ${(gz / 1000).toFixed(1)} kB gzipped`);
    expect(files.length).toBeGreaterThan(1);
    expect(gz).toBeLessThanOrEqual(BROWSER_BUNDLE_BUDGET_GZ);
  });
});

describe('installed into a fresh project', () => {
  it("exports at run time what the README's API section lists, one engine behind both entries", async () => {
    const script =
      "const a = await import('octet'); const b = await import('octet/node');" +
      'console.log(JSON.stringify({ octet: Object.keys(a), node: Object.keys(b), shared: Object.keys(a).every((k) => a[k] === b[k]) }));';
    const r = await ok(process.execPath, ['--input-type=module', '-e', script], app);
    const real = JSON.parse(r.stdout) as { octet: string[]; node: string[]; shared: boolean };
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const listed = (entry: string): string[] => {
      const block = new RegExp(`<!-- exports: ${entry} -->([\\s\\S]*?)<!-- /exports -->`).exec(readme);
      expect(block, `README.md has an exports block for ${entry}`).not.toBeNull();
      const names = [...block![1]!.matchAll(/`([A-Za-z_$][\w$]*)`/g)].map((m) => m[1]!).filter((n) => n !== 'octet');
      return [...new Set(names)].sort();
    };
    expect(listed('octet')).toEqual([...real.octet].sort());
    expect(listed('octet/node')).toEqual(real.node.filter((k) => !real.octet.includes(k)).sort());
    expect(real.shared).toBe(true);
    record('exports', `octet: ${real.octet.length}, octet/node: ${real.node.length} (${real.node.length - real.octet.length} of its own)`);
  });

  it('has docs/api as TypeDoc generates it from the packed declarations', async () => {
    const fresh = join(work, 'docs-api');
    await ok(join(ROOT, 'node_modules', '.bin', 'typedoc'), ['--out', fresh, '--logLevel', 'Warn'], ROOT);
    const tree = (dir: string): Map<string, string> => {
      const files = new Map<string, string>();
      const walk = (d: string): void => {
        for (const name of readdirSync(d)) {
          const full = join(d, name);
          if (statSync(full).isDirectory()) walk(full);
          else files.set(relative(dir, full), readFileSync(full, 'utf8'));
        }
      };
      walk(dir);
      return files;
    };
    const committed = tree(join(ROOT, 'docs', 'api'));
    const generated = tree(fresh);
    expect([...committed.keys()].sort(), 'docs/api is stale: npm run docs').toEqual([...generated.keys()].sort());
    const stale = [...generated].filter(([path, text]) => committed.get(path) !== text).map(([path]) => path);
    expect(stale, 'docs/api is stale: npm run docs').toEqual([]);
    record('docs/api', `${generated.size} pages, current`);
  }, 120_000);

  it('a strict TypeScript Vite app, built with vite build, classifies on page load and in a Web Worker in Chromium', async () => {
    await ok(process.execPath, [join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
    await ok(process.execPath, [join(app, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], app);
    const out = join(app, 'dist');
    const js = readdirSync(join(out, 'static')).filter((f) => f.endsWith('.js'));
    expect(js.some((f) => f.startsWith('worker')), `a worker chunk among ${js.join(', ')}`).toBe(true);
    const scripts = js.map((f) => ({ f, gz: gzipSync(readFileSync(join(out, 'static', f)), { level: 9 }).length }));
    record('Vite app scripts (minified, dependencies included)', scripts.map(({ f, gz }) => `${f}: ${(gz / 1000).toFixed(1)} kB gzipped`).join(', '));
    for (const { gz } of scripts) expect(gz).toBeLessThanOrEqual(APP_SCRIPT_BUDGET_GZ);

    const server = await serve(out);
    let chromium: TestBrowser | undefined;
    try {
      chromium = await launchChromium();
      const page = await chromium.browser.newPage();
      const problems: string[] = [];
      const logs: string[] = [];
      page.on('console', (m) => (m.type() === 'error' ? problems.push(m.text()) : logs.push(m.text())));
      page.on('pageerror', (e) => problems.push(`uncaught: ${(e as Error).message}`));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
      });
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForSelector('body[data-done="true"]', { timeout: 180_000 });
      const error = await page.$eval('body', (b) => (b as HTMLElement).dataset.error);
      expect(error).toBeUndefined();
      const results = JSON.parse(await page.$eval('body', (b) => (b as HTMLElement).dataset.result!)) as Record<string, unknown>[];
      record('Vite app console', logs.filter((l) => l.startsWith('octet')));
      expect(results.map((r) => r.where)).toEqual(['main thread', 'worker']);
      for (const r of results) {
        expect(r).toMatchObject({ ...EXPECTED, backend: 'gpu' });
        expect(r.adapter).toMatch(/swiftshader/i);
      }
      expect(problems).toEqual([]);
    } finally {
      await chromium?.close();
      await new Promise((done) => server.close(done));
    }
  }, 300_000);

  it('a plain Node ESM script loads a model with octet/node and runs it', async () => {
    const r = await ok(process.execPath, ['node-consumer.mjs'], app);
    const line = r.stdout.trim().split('\n').pop()!;
    record('node-consumer.mjs', line);
    expect(JSON.parse(line)).toMatchObject({ model: MODEL, ...EXPECTED, backend: 'gpu', sameOctetModelClass: true });
    expect(JSON.parse(line).adapter).toMatch(/swiftshader/i);
  }, 120_000);

  it('type-checks against the installed declarations under moduleResolution bundler and nodenext', async () => {
    const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const mode of ['bundler', 'nodenext']) {
      const r = await sh(process.execPath, [tsc, '-p', join('types', `tsconfig.${mode}.json`), '--listFiles'], app);
      expect(r.code, `${mode}:\n${r.stdout}${r.stderr}`).toBe(0);
      const fromOctet = r.stdout.split('\n').filter((f) => f.includes(`${sep}node_modules${sep}octet${sep}dist${sep}types${sep}`));
      record(`tsc (${mode})`, `clean; ${fromOctet.length} declaration files from octet checked`);
      expect(fromOctet.some((f) => f.endsWith('node.d.ts'))).toBe(true);
    }
  }, 120_000);

  it('runs npx octet doctor and npx octet classify from the installed package', async () => {
    const doctor = await ok('npx', ['--no', 'octet', 'doctor'], app);
    record('npx octet doctor', doctor.stdout.trim());
    expect(doctor.stdout).toMatch(/adapter\s+.*swiftshader/i);
    expect(doctor.stderr).not.toMatch(/building octet/);
    const model = join(ASSETS, 'models', 'tflite-support', `${MODEL}.tflite`);
    const image = join(ASSETS, 'images', 'tflite-support', 'burger.jpg');
    const classify = await ok('npx', ['--no', 'octet', 'classify', model, image, '--top', '3'], app);
    record('npx octet classify', classify.stdout.trim());
    const top = classify.stdout.split('\n')[1]!.trim().split(/\s+/);
    expect(Number(top[1])).toBe(EXPECTED.index);
    expect(top.slice(2).join(' ')).toBe(EXPECTED.label);
  }, 120_000);
});

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Serves the built app, and the shared assets under /assets/ (read in place, never copied). */
function serve(dir: string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/favicon.ico') {
      res.writeHead(204).end(); // the app has no icon; a 404 would show as a console error
      return;
    }
    const [base, rest] = path.startsWith('/assets/') ? [ASSETS, path.slice('/assets/'.length)] : [dir, path === '/' ? 'index.html' : path.slice(1)];
    const file = normalize(join(base, rest));
    if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((done) => server.listen(0, '127.0.0.1', () => done(server)));
}
