// Replays every saved fuzz input in test/fuzz/regressions/ through the oracle. Each is a recipe
// (seed id + sha256 + mutation steps), never model bytes: an Octet-made seed ('octet:…') is rebuilt
// from code, so its recipes always replay and fail when the seed's bytes change (regenerate with
// `npm run fuzz -- --examples`); a shared asset seed ('asset:…') replays only where that model is
// present and unchanged.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { applyRecipe, type Recipe } from '../../fuzz/mutators.ts';
import { checkInput } from '../../fuzz/oracle.ts';
import { loadSeed } from '../../fuzz/seeds.ts';
import { importTflite } from '../../src/model/import.ts';

function importMessage(bytes: Uint8Array): string {
  try {
    importTflite(bytes);
    return 'ok';
  } catch (e) {
    return (e as Error).message;
  }
}

const dir = join(import.meta.dirname, 'regressions');
const files = readdirSync(dir).sort();
const recipes = files.filter((f) => f.endsWith('.recipe.json')).map((file) => ({ file, recipe: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Recipe }));
const octetRecipes = recipes.filter((r) => r.recipe.seed.startsWith('octet:'));
const assetRecipes = recipes.filter((r) => !r.recipe.seed.startsWith('octet:'));

describe('fuzz regressions', () => {
  test('the folder holds only regression recipes, the hand-picked examples among them', () => {
    expect(files.filter((f) => !f.endsWith('.recipe.json') && f !== 'README.md')).toEqual([]);
    expect(octetRecipes.length).toBeGreaterThanOrEqual(24);
  });

  test.each(octetRecipes)('$file', ({ recipe }) => {
    const seed = loadSeed(recipe.seed);
    expect(seed, `seed ${recipe.seed}`).toBeDefined();
    expect(seed!.sha256, `seed ${recipe.seed} changed: regenerate with npm run fuzz -- --examples`).toBe(recipe.seedSha256);
    const bytes = applyRecipe(seed!.bytes, recipe.steps);
    expect(bytes.length).toBeLessThan(4096);
    expect(checkInput(bytes).failure).toBeUndefined();
    // A hand-picked example still meets the importer check it was picked for.
    const expected = (recipe as Recipe & { expect?: string }).expect;
    if (expected !== undefined) expect(importMessage(bytes)).toBe(expected);
  });

  for (const { file, recipe } of assetRecipes) {
    const seed = loadSeed(recipe.seed);
    test.skipIf(!seed || seed.sha256 !== recipe.seedSha256)(file, () => {
      expect(checkInput(applyRecipe(seed!.bytes, recipe.steps)).failure).toBeUndefined();
    });
  }
});
