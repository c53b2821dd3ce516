// The corpus models too slow on SwiftShader for npm test: the same check as corpus.test.ts.
import { describe, it } from 'vitest';
import { CORPUS_RUNS, checkCorpusModel } from '../helpers/corpus.ts';

describe('corpus models on the GPU equal TFLite and the reference (full suite)', () => {
  for (const [path, suite] of Object.entries(CORPUS_RUNS)) {
    if (suite === 'full') it(path.split('/').pop()!, () => checkCorpusModel(path));
  }
});
