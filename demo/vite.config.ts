// The demo's Vite config: the page lives in demo/, imports the engine from ../src, and reads the
// shared assets through the octet-assets plugin (never copied into the repository).
// Start it with `npm run demo` (`vite demo` finds this file because demo/ is the root).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { octetAssets } from '../src/assets-vite-plugin.ts';

const demoRoot = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: demoRoot,
  plugins: [octetAssets()],
  // Its own dependency cache, so that vitest's and the demo's optimizers never invalidate each other.
  cacheDir: fileURLToPath(new URL('../node_modules/.vite-demo', import.meta.url)),
  // Pre-bundled at start-up, so the first page load never triggers a re-optimize-and-reload.
  optimizeDeps: {
    entries: ['index.html'],
    include: ['flatbuffers', 'jpeg-js', 'pngjs/browser.js', 'wgsl-preprocessor/wgsl-preprocessor.js'],
  },
  // The CPU worker (cpu-worker.ts) is a module worker; the build keeps it one.
  worker: { format: 'es' },
  server: {
    host: '127.0.0.1',
    // The page imports ../src; Vite serves files outside the root only when allowed.
    fs: { allow: [repoRoot] },
  },
  build: {
    outDir: fileURLToPath(new URL('../dist/demo', import.meta.url)),
    // Not 'assets': /assets/ is where the shared asset folder is served.
    assetsDir: 'static',
    emptyOutDir: true,
    target: 'es2022',
  },
});
