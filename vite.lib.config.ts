import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import { defineConfig } from 'vite';

// Builds the published JavaScript into dist/ (`npm run build` adds the declarations, see
// scripts/build.mjs): the browser-safe entry (dist/index.js), the Node entry (dist/node.js, which
// imports the browser entry rather than copying it, so classes are shared and `instanceof` holds
// across the two), the CLI (dist/cli.js) and a stub that `octet/node` resolves to in browsers.
// Shaders are inlined through ?raw. Dependencies stay imports: the user's bundler or Node resolves
// them, so an app that also uses flatbuffers ships it once. Not minified: the user's bundler
// minifies, and stack traces from the package stay readable.
const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const packages = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const external = (id: string): boolean =>
  id.startsWith('node:') || builtinModules.includes(id) || packages.some((p) => id === p || id.startsWith(`${p}/`));

// Modules kept out of the engine chunk: those that import node: (the CLI, the Node entry, Dawn
// acquisition, *-node.ts file helpers) and the browser stub of the Node entry.
const nodeOnly = /[\\/]src[\\/](cli[\\/]|node\.ts$|node-in-browser\.ts$|gpu[\\/]node-gpu\.ts$|.*-node\.ts$)/;

export default defineConfig({
  // Nothing from public/ or the demo: only the library.
  publicDir: false,
  build: {
    // scripts/build.mjs points outDir at a fresh folder, adds the declarations, then swaps it in.
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: false,
    lib: {
      entry: {
        index: 'src/index.ts',
        node: 'src/node.ts',
        cli: 'src/cli/main.ts',
        'node-in-browser': 'src/node-in-browser.ts',
      },
      formats: ['es'],
    },
    rollupOptions: {
      external,
      output: {
        entryFileNames: '[name].js',
        chunkFileNames: 'chunks/[name]-[hash].js',
        // The browser-safe engine in one chunk (the `.` entry re-exports it, the Node entry and the
        // CLI import it); what only Node uses stays in their own files.
        codeSplitting: {
          groups: [{ name: 'engine', test: (id: string) => /[\\/]src[\\/]/.test(id) && !nodeOnly.test(id) }],
        },
      },
    },
  },
});
