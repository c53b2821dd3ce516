import { defineConfig } from 'vite';

// Bundles the benchmark into one file, dist/bench.mjs (shaders inlined through ?raw, every
// dependency but Dawn's `webgpu` inlined), so that it travels alone to a machine without
// node_modules (see bench/README.md, ../shared/gpu/kit.sh). The TFLite WASM runtime is read from
// disk at run time (node_modules, or OCTET_TFLITE_WASM_DIR); it is skipped where absent.
export default defineConfig({
  build: {
    ssr: true,
    outDir: 'dist',
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rollupOptions: {
      input: { bench: process.env.OCTET_BENCH_ENTRY ?? 'bench/run.ts' },
      output: { format: 'es', entryFileNames: '[name].mjs', codeSplitting: false },
      external: ['webgpu', /^node:/],
    },
  },
  ssr: { noExternal: true, external: ['webgpu'] },
});
