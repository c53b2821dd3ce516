import { it } from 'vitest';
import { checkCorpusModel } from '../helpers/corpus.ts';
for (const m of (process.env.DIAG_MODELS ?? '').split(',')) it(m, () => checkCorpusModel(`models/corpus/${m}.tflite`), 1_200_000);
