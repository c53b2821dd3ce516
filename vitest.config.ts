import { configDefaults, defineConfig } from 'vitest/config';

// One vitest run over both software adapters, as two projects: every suite on SwiftShader (Dawn's
// Vulkan route, as on any machine without a GPU), and the kernel, program, GPU I/O, image input,
// graph-fuzz, asset-model and corpus-model suites again on Mesa's llvmpipe (OpenGL ES,
// compatibility level; its int8 kernels take i32 arithmetic where SwiftShader's take f32). The
// corpus's slow set runs there in npm test too: about 37 s on llvmpipe against minutes on
// SwiftShader. `npm run test:full` (OCTET_TEST_FULL=1) adds the *.full.test.ts files on SwiftShader:
// whole eval sets, the long soak, whole-set comparisons and quantizer evals.
// GPU suites share one device per file; they are slow on CPU adapters, so timeouts are generous and
// files run in parallel only up to the core count. The last reporter prints the line CI reads.
const full = process.env.OCTET_TEST_FULL === '1';

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/count-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'swiftshader',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...(full ? [] : ['test/**/*.full.test.ts'])],
          env: { OCTET_BACKEND: 'swiftshader' },
        },
      },
      {
        extends: true,
        test: {
          name: 'llvmpipe',
          include: ['test/kernels/**/*.test.ts', 'test/runtime/gpu-program.test.ts', 'test/runtime/gpu-io.test.ts', 'test/image/gpu-input.test.ts', 'test/fuzz/graph-fuzz.test.ts', 'test/runtime/corpus.test.ts', 'test/runtime/corpus.full.test.ts', 'test/runtime/models.test.ts'],
          env: { OCTET_BACKEND: 'llvmpipe' },
        },
      },
    ],
  },
});
