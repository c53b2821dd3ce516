import { defineConfig } from 'vite';

// Bundles the browser bench's driver into dist/bench-browser.mjs for Node (bench/browser/run.ts).
// puppeteer and vite stay external (the driver launches Chromium and bundles the page with them);
// the page itself is bundled by the driver at run time, into dist/bench-browser/.
export default defineConfig({
  build: {
    ssr: true,
    outDir: 'dist',
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rollupOptions: {
      input: { 'bench-browser': 'bench/browser/run.ts' },
      output: { format: 'es', entryFileNames: '[name].mjs', codeSplitting: false },
      external: ['webgpu', 'puppeteer', 'vite', /^node:/],
    },
  },
  ssr: { noExternal: true, external: ['webgpu', 'puppeteer', 'vite'] },
});
