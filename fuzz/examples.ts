// The hand-picked regression inputs in test/fuzz/regressions/: for each target, the first input
// (fixed PRNG) that one strategy makes from an Octet-made seed and that the importer rejects with
// the target's message, saved as a recipe (seed id + sha256 + the step). Regenerate with
// `npm run fuzz -- --examples` (same recipes every time).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapTflite } from './flatbuffer-map.ts';
import { applyRecipe, generateStep } from './mutators.ts';
import { checkInput } from './oracle.ts';
import { octetSeeds } from './seeds.ts';
import { importTflite } from '../src/model/import.ts';
import { mulberry32 } from '../test/helpers/rng.ts';

const TARGETS: readonly [name: string, strategy: string, message: RegExp][] = [
  ['opcodes-empty', 'opcodesEmpty', /0 operator codes/],
  ['unknown-opcode', 'opcode', /UNKNOWN_OP_/],
  ['custom-op', 'opcode', /CUSTOM ''/],
  ['options-type-mismatch', 'opcode', /builtin_options has union type/],
  ['cycle', 'opTensorIndex', /before any operator writes it/],
  ['op-index-out-of-range', 'opTensorIndex', /tensor index -?\d+ out of range/],
  ['written-twice', 'opTensorIndex', /which is already/],
  ['buffer-index-out-of-range', 'bufferIndex', /buffer index \d+ out of range/],
  ['buffer-size-mismatch', 'bufferIndex', /constant data is/],
  ['negative-dim', 'shapeDim', /negative dimension/],
  ['huge-element-count', 'shapeDim', /more than 2147483647/],
  ['absurd-dim-imports', 'shapeDim', /^ok$/],
  ['huge-vector-length', 'vectorLength', /vector of (2147483647|4294967295) ×/],
  ['offset-outside-file', 'redirectOffset', /lies outside the file/],
  ['vtable-size', 'vtable', /vtable size \d+ is invalid/],
  ['field-overruns-table', 'vtable', /overruns the table/],
  ['scale-not-finite', 'quantization', /not a finite non-negative number/],
  ['zero-point-int64', 'quantization', /does not fit in int32/],
  ['custom-quantization', 'quantization', /CUSTOM_QUANTIZATION/],
  ['float16-tensor', 'tensorType', /FLOAT16/],
  ['bad-activation', 'options', /is not a known activation/],
  ['zero-stride', 'options', /must be at least 1/],
  ['truncated', 'truncate', /lies outside the file/],
  ['no-outputs', 'graphIO', /graph has no outputs/],
];

export function writeExamples(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const seeds = octetSeeds().filter((s) => s.id !== 'octet:unused-tensors');
  const written: string[] = [];
  for (const [name, strategy, re] of TARGETS) {
    const rng = mulberry32(name.length * 131 + 7);
    let found = false;
    for (let i = 0; i < 5000 && !found; i++) {
      const seed = seeds[i % seeds.length]!;
      const st = generateStep(strategy, { rng, seed: seed.bytes, map: mapTflite(seed.bytes) });
      if (!st) continue;
      const bytes = applyRecipe(seed.bytes, [st]);
      let message = 'ok';
      try {
        importTflite(bytes);
      } catch (e) {
        message = (e as Error).message;
      }
      if (!re.test(message) || checkInput(bytes).failure) continue;
      const path = join(dir, `${name}.recipe.json`);
      writeFileSync(path, JSON.stringify({ seed: seed.id, seedSha256: seed.sha256, steps: [st], expect: message }, null, 1) + '\n');
      written.push(`${path}: ${seed.id}, ${st.strategy} ${st.note} → ${message}`);
      found = true;
    }
    if (!found) written.push(`(no input found for ${name})`);
  }
  return written;
}
