#!/usr/bin/env node
// Makes `npm test` and `npm run demo` work on a fresh clone: installs the npm packages when
// node_modules is missing or older than package-lock.json, and says which Debian packages give a
// software WebGPU adapter when none is installed. Uses nothing outside Node itself.
import { execSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  console.error('octet: installing npm packages (npm ci)…');
  execSync('npm ci --no-audit --no-fund', { cwd: root, stdio: 'inherit', env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' } });
}
if (process.platform === 'linux') {
  const missing = [];
  if (!existsSync('/usr/lib/chromium/vk_swiftshader_icd.json')) missing.push('chromium');
  if (!['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/aarch64-linux-gnu/libvulkan.so.1'].some(existsSync)) missing.push('libvulkan1');
  if (missing.length) {
    console.error(
      `octet: without a GPU, WebGPU here needs Debian's ${missing.join(' and ')} (SwiftShader): sudo apt-get install ${missing.join(' ')}`,
    );
  }
}
