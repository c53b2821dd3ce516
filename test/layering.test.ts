// The layers of src/ import downwards only: kernels (GPU programs) and quant (host-side integer
// arithmetic) must not reach into the CPU reference or the runtime, the model IR depends on none
// of the stages built on it, and the op definitions (ops/) on nothing but the model IR. Every .ts file under src/ is read, its imports (static, type-only,
// re-exports and dynamic import()) taken from TypeScript's own pre-processor, so a new file or a new
// import cannot slip past.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

/** For each layer (a folder of src/), the folders of src/ it must not import from. */
const FORBIDDEN: Record<string, readonly string[]> = {
  kernels: ['reference', 'runtime'],
  quant: ['reference', 'kernels', 'runtime'],
  model: ['ops', 'reference', 'kernels', 'runtime', 'gpu'],
  // Op definitions (src/ops/) are data every stage reads: they build on the model IR only.
  ops: ['quant', 'reference', 'kernels', 'runtime', 'gpu', 'passes', 'quantize'],
  // Graph passes are Graph → Graph, applied before anything is lowered (and by the CPU reference,
  // which folds constants): no GPU code, and not the runtime that runs their list. (Types of
  // kernels/ are fine: dequantizeGraph's helpers take the public TensorData of kernels/layout.ts.)
  passes: ['gpu', 'runtime', 'compare'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The top folder of src/ a path lies in, or undefined outside src/ (or for a file directly in it). */
function layerOf(path: string): string | undefined {
  const parts = relative(SRC, path).split(sep);
  return parts.length > 1 && parts[0] !== '..' ? parts[0] : undefined;
}

interface Import {
  readonly file: string; // relative to the repository root
  readonly specifier: string;
  readonly target: string | undefined; // the layer of src/ it resolves into
}

const imports: Import[] = sourceFiles(SRC).flatMap((file) => {
  const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return info.importedFiles.map(({ fileName: specifier }) => ({
    file: relative(ROOT, file).split(sep).join('/'),
    specifier,
    target: specifier.startsWith('.') ? layerOf(resolve(dirname(file), specifier)) : undefined,
  }));
});

function violations(layer: string): string[] {
  const forbidden = FORBIDDEN[layer]!;
  return imports
    .filter((i) => i.file.startsWith(`src/${layer}/`) && i.target !== undefined && forbidden.includes(i.target))
    .map((i) => `${i.file} imports '${i.specifier}' (${i.target}/)`);
}

describe('layering of src/', () => {
  it('the scan finds the imports (it would pass vacuously otherwise)', () => {
    const kernelBinary = imports.filter((i) => i.file === 'src/kernels/binary.ts').map((i) => i.target);
    expect(kernelBinary).toContain('model');
    expect(kernelBinary).toContain('quant');
    for (const layer of Object.keys(FORBIDDEN)) expect(imports.some((i) => i.file.startsWith(`src/${layer}/`))).toBe(true);
    // Type-only imports and re-exports count as imports too.
    expect(imports.some((i) => i.file === 'src/index.ts' && i.target === 'runtime')).toBe(true);
  });

  for (const layer of Object.keys(FORBIDDEN)) {
    it(`${layer}/ imports nothing from ${FORBIDDEN[layer]!.join(', ')}`, () => {
      expect(violations(layer), `forbidden imports in src/${layer}/`).toEqual([]);
    });
  }
});
