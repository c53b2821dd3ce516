#!/usr/bin/env node
// Makes `npm test` and `npm run demo` work on a fresh clone: installs the npm packages when
// node_modules is missing or older than package-lock.json, and on Debian the packages that give
// WebGPU a software adapter on a machine without a GPU. As root it installs them with apt-get;
// otherwise it stops with one line naming the command to run. Uses nothing outside Node itself.
import { execFileSync, execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * chromium: SwiftShader's Vulkan driver (and the browser the demo and browser tests drive);
 * libvulkan1: the Vulkan loader Dawn opens; libegl-dev, libegl-mesa0, libgles2, libgl1-mesa-dri:
 * Mesa's llvmpipe through OpenGL ES, the second software adapter the tests run on.
 */
export const DEBIAN_PACKAGES = ['chromium', 'libvulkan1', 'libegl-dev', 'libegl-mesa0', 'libgles2', 'libgl1-mesa-dri'];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function ensureNpmPackages() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
    console.error('octet: installing npm packages (npm ci)…');
    execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit', env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' } });
  }
}

function installed(pkg) {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('install ok installed');
  } catch {
    return false;
  }
}

function ensureDebianPackages() {
  if (process.platform !== 'linux' || !existsSync('/usr/bin/dpkg-query') || !existsSync('/usr/bin/apt-get')) return;
  const missing = DEBIAN_PACKAGES.filter((pkg) => !installed(pkg));
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    console.error(`octet: WebGPU without a GPU needs Debian packages that are missing; run: sudo sh -c '${command}'`);
    process.exit(1);
  }
  console.error(`octet: installing ${missing.join(' ')} (software WebGPU adapters)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execSync('apt-get update -qq', { stdio: 'inherit', env });
  execSync(`apt-get install -y -qq --no-install-recommends ${missing.join(' ')}`, { stdio: ['ignore', 'ignore', 'inherit'], env });
}

ensureNpmPackages();
ensureDebianPackages();
