// The constant-folding pass: ops on constants and SHAPE become constants computed by the reference,
// tensor ids and the remaining op indices stay, graph outputs are never folded, and a folded op's
// refusal names the model's operator index.
import { describe, expect, it } from 'vitest';
import { foldConstants } from '../../src/passes/fold-constants.ts';
import { runReference, ReferenceRunError } from '../../src/reference/run.ts';
import { constantData } from '../../src/quant/tensor.ts';
import { GraphBuilder, quant } from '../helpers/graphs.ts';

/** tinymaix's tail: SHAPE → STRIDED_SLICE (shrink) → PACK feeding RESHAPE's shape. */
function shapeChain(outType: 'int32' | 'int64' = 'int32') {
  const b = new GraphBuilder();
  const q = quant(0.1, 3);
  const x = b.tensor('x', [1, 1, 1, 10], 'int8', q);
  const shape = b.tensor('shape', [4], outType);
  b.op({ type: 'SHAPE', inputs: [x], outputs: [shape], options: { outType } });
  const one = (name: string, v: number) => b.tensor(name, [1], 'int32', undefined, Int32Array.from([v]));
  const batch = b.tensor('batch', [], outType);
  b.op({ type: 'STRIDED_SLICE', inputs: [shape, one('b', 0), one('e', 1), one('s', 1)], outputs: [batch], options: { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 1, offset: false } });
  const minus = b.tensor('minus1', [], outType, undefined, outType === 'int32' ? Int32Array.from([-1]) : BigInt64Array.from([-1n]));
  const packed = b.tensor('packed', [2], outType);
  b.op({ type: 'PACK', inputs: [batch, minus], outputs: [packed], options: { valuesCount: 2, axis: 0 } });
  const y = b.tensor('y', [1, 10], 'int8', q);
  b.op({ type: 'RESHAPE', inputs: [x, packed], outputs: [y], options: {} });
  return b.build([x], [y]);
}

describe('foldConstants', () => {
  it('folds SHAPE → STRIDED_SLICE → PACK into RESHAPE’s constant shape, keeping ids and indices', () => {
    for (const outType of ['int32', 'int64'] as const) {
      const g = shapeChain(outType);
      const f = foldConstants(g);
      expect(f.ops.map((op) => [op.type, op.index])).toEqual([['RESHAPE', 3]]);
      expect(f.tensors.length).toBe(g.tensors.length);
      const packed = f.tensors[f.ops[0]!.inputs[1]!]!;
      expect(packed.dtype).toBe(outType);
      expect(Array.from(constantData(packed) as Int32Array | BigInt64Array, Number)).toEqual([1, -1]);
      expect(g.tensors[packed.id]!.data).toBeUndefined(); // the input graph is not modified
      const x = Int8Array.from({ length: 10 }, (_, i) => i - 5);
      expect(Array.from(runReference(g, [x])[0]!)).toEqual(Array.from(x));
    }
  });

  it('leaves graphs without foldable ops as they are, and never folds an op writing a graph output', () => {
    const b = new GraphBuilder();
    const c = b.tensor('c', [2, 3], 'int32', undefined, Int32Array.from([1, 2, 3, 4, 5, 6]));
    const out = b.tensor('out', [3, 2], 'int32');
    b.op({ type: 'TRANSPOSE', inputs: [c, b.tensor('perm', [2], 'int32', undefined, Int32Array.from([1, 0]))], outputs: [out], options: {} });
    const g = b.build([], [out]);
    expect(foldConstants(g)).toBe(g);
  });

  it('a folded op that the reference refuses names the model operator', () => {
    const b = new GraphBuilder();
    const c = b.tensor('c', [4], 'int32', undefined, Int32Array.from([1, 2, 3, 4]));
    const z = (v: number) => b.tensor('k', [1], 'int32', undefined, Int32Array.from([v]));
    const s = b.tensor('s', [2], 'int32');
    b.op({ type: 'STRIDED_SLICE', inputs: [c, z(0), z(2), z(0)], outputs: [s], options: { beginMask: 0, endMask: 0, ellipsisMask: 0, newAxisMask: 0, shrinkAxisMask: 0, offset: false } });
    const x = b.tensor('x', [2], 'int32');
    const y = b.tensor('y', [2], 'int32');
    b.op({ type: 'RESHAPE', inputs: [x, s], outputs: [y], options: {} });
    expect(() => foldConstants(b.build([x], [y]))).toThrow(ReferenceRunError);
    expect(() => foldConstants(b.build([x], [y]))).toThrow(/STRIDED_SLICE stride 0 is zero \(operator 0\)/);
  });
});
