// The corpus models of the default suite on the GPU, equal to TFLite and the CPU reference (see
// test/helpers/corpus.ts); the slow ones run in corpus.full.test.ts. Also: the table names exactly
// the corpus models Octet imports, so a model that starts loading must be added to it.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { importTflite } from '../../src/model/import.ts';
import { CORPUS_RUNS, checkCorpusModel } from '../helpers/corpus.ts';
import { modelBytes } from '../helpers/vectors.ts';

it('CORPUS_RUNS lists exactly the corpus models that import', () => {
  const imported = readdirSync(assetPath('models', 'corpus'))
    .filter((f) => f.endsWith('.tflite'))
    .map((f) => `models/corpus/${f}`)
    .filter((path) => {
      try {
        importTflite(modelBytes(path), path);
        return true;
      } catch {
        return false;
      }
    });
  expect(Object.keys(CORPUS_RUNS).sort()).toEqual(imported.sort());
});

describe('corpus models on the GPU equal TFLite and the reference (default suite)', () => {
  for (const [path, suite] of Object.entries(CORPUS_RUNS)) {
    if (suite === 'default') it(path.split('/').pop()!, () => checkCorpusModel(path));
  }
});
