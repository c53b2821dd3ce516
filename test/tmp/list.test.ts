import { it } from 'vitest';
import { importTflite } from '../../src/model/import.ts';
import { CORPUS_RUNS } from '../helpers/corpus.ts';
import { modelBytes } from '../helpers/vectors.ts';
it('list', () => {
  for (const path of Object.keys(CORPUS_RUNS)) {
    const g = importTflite(modelBytes(path), path);
    const counts = new Map<string, number>();
    for (const op of g.ops) counts.set(op.type, (counts.get(op.type) ?? 0) + 1);
    const nonconst = g.ops.filter((op) => op.inputs.slice(1).some((id) => id >= 0 && !g.tensors[id]!.data) && !['ADD','MUL','SUB','CONCATENATION','DIV','MAXIMUM','MINIMUM','SQUARED_DIFFERENCE','PACK','BATCH_MATMUL','PRELU'].includes(op.type)).map((op) => `${op.index}:${op.type}`);
    console.log(`${path}: in ${g.inputs.map((i) => g.tensors[i]!.dtype + '[' + g.tensors[i]!.shape + ']')} out ${g.outputs.map((i) => g.tensors[i]!.dtype)}\n  ${[...counts].map(([k, v]) => `${k}×${v}`).join(' ')}\n  non-const operand: ${nonconst.join(' ')}`);
  }
});
