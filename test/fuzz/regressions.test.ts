// Replays every saved fuzz input in test/fuzz/regressions/ through the oracle: `*.tflite` files
// are mutated Octet-made models (bytes, < 4 KiB); `*.recipe.json` files are mutations of a shared
// asset model (seed path + sha256 + steps), replayed only when that model is present and unchanged.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { applyRecipe, type Recipe } from '../../fuzz/mutators.ts';
import { checkInput } from '../../fuzz/oracle.ts';
import { loadAssetSeed } from '../../fuzz/seeds.ts';

const dir = join(import.meta.dirname, 'regressions');
const files = readdirSync(dir).sort();
const binaries = files.filter((f) => f.endsWith('.tflite'));
const recipes = files.filter((f) => f.endsWith('.recipe.json'));

describe('fuzz regressions', () => {
  test('the folder holds only regression inputs', () => {
    expect(files.filter((f) => !f.endsWith('.tflite') && !f.endsWith('.recipe.json') && f !== 'README.md')).toEqual([]);
    expect(binaries.length).toBeGreaterThan(0);
  });

  test.each(binaries)('%s', (file) => {
    const bytes = new Uint8Array(readFileSync(join(dir, file)));
    expect(bytes.length).toBeLessThan(4096);
    const v = checkInput(bytes);
    expect(v.failure).toBeUndefined();
  });

  for (const file of recipes) {
    const recipe = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Recipe;
    const seed = loadAssetSeed(recipe.seed);
    test.skipIf(!seed || seed.sha256 !== recipe.seedSha256)(file, () => {
      expect(checkInput(applyRecipe(seed!.bytes, recipe.steps)).failure).toBeUndefined();
    });
  }
});
