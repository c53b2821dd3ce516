// Shape inference after folding: tfls_dilated_conv's chain, whose stored shapes are [1, 1, 1, C]
// placeholders for tensors TFLite sizes at run time, gets the shapes TFLite's Prepare computes
// once SPACE_TO_BATCH_ND's block and paddings are constant; graphs whose shapes agree come back
// unchanged, and the result runs in the reference equal to the dilated convolution it lowers.
import { describe, expect, it } from 'vitest';
import { inferShapes } from '../../src/passes/infer-shapes.ts';
import { runReference } from '../../src/reference/run.ts';
import { GraphBuilder } from '../helpers/graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

/** SPACE_TO_BATCH_ND → CONV_2D (VALID 3×3) → BATCH_TO_SPACE_ND → ADD, float32, with placeholder shapes. */
function dilatedChain(stored: 'placeholder' | 'true', rng: () => number) {
  const b = new GraphBuilder();
  const ph = stored === 'placeholder';
  const x = b.tensor('x', [1, 5, 5, 3], 'float32');
  const block = b.tensor('block', [2], 'int32', undefined, Int32Array.from([2, 2]));
  const pads = b.tensor('pads', [2, 2], 'int32', undefined, Int32Array.from([2, 3, 2, 3]));
  const s2b = b.tensor('s2b', ph ? [1, 1, 1, 3] : [4, 5, 5, 3], 'float32');
  b.op({ type: 'SPACE_TO_BATCH_ND', inputs: [x, block, pads], outputs: [s2b], options: {} });
  const w = b.tensor('w', [4, 3, 3, 3], 'float32', undefined, Float32Array.from({ length: 108 }, () => rng() - 0.5));
  const conv = b.tensor('conv', ph ? [1, 1, 1, 4] : [4, 3, 3, 4], 'float32');
  b.op({ type: 'CONV_2D', inputs: [s2b, w, -1], outputs: [conv], options: { padding: 'VALID', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } });
  const crops = b.tensor('crops', [2, 2], 'int32', undefined, Int32Array.from([0, 1, 0, 1]));
  const b2s = b.tensor('b2s', ph ? [1, 1, 1, 4] : [1, 5, 5, 4], 'float32');
  b.op({ type: 'BATCH_TO_SPACE_ND', inputs: [conv, block, crops], outputs: [b2s], options: {} });
  const bias = b.tensor('bias', [4], 'float32', undefined, Float32Array.from([0.5, -1, 2, 0]));
  const y = b.tensor('y', [1, 5, 5, 4], 'float32');
  b.op({ type: 'ADD', inputs: [b2s, bias], outputs: [y], options: { activation: 'NONE' } });
  return b.build([x], [y]);
}

describe('inferShapes', () => {
  it('sizes SPACE_TO_BATCH_ND, CONV_2D and BATCH_TO_SPACE_ND outputs as TFLite does', () => {
    const g = inferShapes(dilatedChain('placeholder', mulberry32(1)));
    expect(g.tensors.filter((t) => !t.data).map((t) => [t.name, t.shape])).toEqual([
      ['x', [1, 5, 5, 3]],
      ['s2b', [4, 5, 5, 3]],
      ['conv', [4, 3, 3, 4]],
      ['b2s', [1, 5, 5, 4]],
      ['y', [1, 5, 5, 4]],
    ]);
    const x = Float32Array.from({ length: 75 }, (_, i) => Math.sin(i));
    const expected = runReference(dilatedChain('true', mulberry32(1)), [x])[0]!;
    expect(Array.from(runReference(g, [x])[0]!)).toEqual(Array.from(expected));
  });

  it('returns the same graph when every stored shape agrees', () => {
    const g = dilatedChain('true', mulberry32(2));
    expect(inferShapes(g)).toBe(g);
  });
});
