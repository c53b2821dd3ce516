import { defineConfig } from 'vite';

// Bundles the Node entry and the CLI into dist/ (shaders inlined through ?raw), so that
// `npx octet` runs without a TypeScript toolchain and the bench travels as one file.
export default defineConfig({
  build: {
    ssr: true,
    outDir: 'dist',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    rollupOptions: {
      input: { node: 'src/node.ts', cli: 'src/cli/main.ts' },
      output: { format: 'es', entryFileNames: '[name].mjs' },
      external: ['webgpu', /^node:/],
    },
  },
});
