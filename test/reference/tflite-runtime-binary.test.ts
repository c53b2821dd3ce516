// The binary arithmetic family against the TFLite runtime itself (WASM build, XNNPACK delegate):
// graphs written by Octet, run there and in the CPU reference under 'xnnpack' requantization,
// element for element. This settles which kernel the runtime takes for each op and dtype:
// XNNPACK's subtract (its add with a negated multiplier) for 8-bit SUB, TFLite's own kernels for
// MAXIMUM/MINIMUM (raw comparison), SQUARED_DIFFERENCE (left shift 7) and every int32 op.
import { describe, expect, it } from 'vitest';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { runReference, type TensorData } from '../../src/reference/run.ts';
import { compareTensors } from '../helpers/compare.ts';
import { arithGraph, arithInputs, describeArith, type ArithCase } from '../helpers/binary-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

async function runtimeMismatches(cases: ArithCase[], seed: number): Promise<string[]> {
  const failures: string[] = [];
  for (const [i, c] of cases.entries()) {
    const rng = mulberry32(seed + i);
    const graph = arithGraph(rng, c);
    const inputs = arithInputs(rng, c);
    const peer = await createTflitePeer(exportTflite(graph));
    const [theirs] = peer.run(inputs);
    const [ours] = runReference(graph, inputs, { requantization: 'xnnpack' });
    const expected = ours instanceof Int8Array ? new Int8Array(theirs!.buffer, theirs!.byteOffset, theirs!.byteLength) : theirs!;
    const cmp = compareTensors(ours!, expected as TensorData);
    if (cmp.differing > 0) failures.push(`${describeArith(c)}: ${cmp.differing}/${cmp.elements} differ, ${cmp.firstDiff}`);
  }
  return failures;
}

const N = 2000;

describe('8-bit SUB equals the TFLite runtime (XNNPACK subtract)', () => {
  it('int8 and uint8, same shape and broadcast, fused activations, scale ratios on both sides', async () => {
    const cases: ArithCase[] = [];
    for (const dtype of ['int8', 'uint8'] as const) {
      const off = dtype === 'uint8' ? 128 : 0;
      for (const [sa, sb, so] of [[0.05, 0.05, 0.1], [0.02, 0.07, 0.05], [0.1, 0.013, 0.031], [0.5, 0.25, 0.125]]) {
        cases.push({ op: 'SUB', dtype, aShape: [1, N], bShape: [1, N], quant: [[sa!, 3 + off], [sb!, -7 + off], [so!, 1 + off]] });
      }
      cases.push({ op: 'SUB', dtype, aShape: [2, 40, 5], bShape: [5], activation: 'RELU', quant: [[0.03, off], [0.04, 10 + off], [0.05, -20 + off]] });
      cases.push({ op: 'SUB', dtype, aShape: [1, 3, 1, 7], bShape: [2, 1, 4, 7], activation: 'RELU6', constantB: true });
    }
    expect(await runtimeMismatches(cases, 100)).toEqual([]);
  }, 60_000);
});

describe('8-bit MAXIMUM, MINIMUM and int8 SQUARED_DIFFERENCE equal the TFLite runtime', () => {
  it('raw comparisons (also with differing params) and the left-shift-7 squared difference', async () => {
    const cases: ArithCase[] = [];
    for (const op of ['MAXIMUM', 'MINIMUM'] as const) {
      for (const dtype of ['int8', 'uint8'] as const) {
        const off = dtype === 'uint8' ? 128 : 0;
        cases.push({ op, dtype, aShape: [1, N], bShape: [1, N] });
        cases.push({ op, dtype, aShape: [3, 50], bShape: [], constantB: true, quant: [[0.009, 17 + off], [0.009, 17 + off], [0.009, 17 + off]] });
        cases.push({ op, dtype, aShape: [1, N], bShape: [1, N], quant: [[0.05, 3 + off], [0.02, -9 + off], [0.07, off]] });
      }
    }
    for (const [sa, sb, so] of [[0.05, 0.05, 0.2], [0.02, 0.07, 0.5], [0.1, 0.013, 1.1]]) {
      cases.push({ op: 'SQUARED_DIFFERENCE', dtype: 'int8', aShape: [1, N], bShape: [1, N], quant: [[sa!, 5], [sb!, -3], [so!, -100]] });
    }
    cases.push({ op: 'SQUARED_DIFFERENCE', dtype: 'int8', aShape: [2, 3, 5], bShape: [3, 1] });
    expect(await runtimeMismatches(cases, 200)).toEqual([]);
  }, 60_000);
});

describe('int32 arithmetic equals the TFLite runtime', () => {
  it('ADD, SUB, MUL, DIV, FLOOR_DIV, FLOOR_MOD, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, POW', async () => {
    const cases: ArithCase[] = [];
    for (const op of ['ADD', 'SUB', 'MUL', 'DIV', 'FLOOR_DIV', 'FLOOR_MOD', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE', 'POW'] as const) {
      cases.push({ op, dtype: 'int32', aShape: [1, 500], bShape: [1, 500] });
      cases.push({ op, dtype: 'int32', aShape: [2, 3, 4], bShape: [4] });
    }
    cases.push({ op: 'ADD', dtype: 'int32', aShape: [40], bShape: [40], activation: 'RELU6' });
    cases.push({ op: 'SUB', dtype: 'int32', aShape: [40], bShape: [40], activation: 'RELU' });
    cases.push({ op: 'MUL', dtype: 'int32', aShape: [40], bShape: [40], activation: 'RELU_N1_TO_1' });
    cases.push({ op: 'DIV', dtype: 'int32', aShape: [40], bShape: [1], activation: 'RELU6', constantB: true });
    expect(await runtimeMismatches(cases, 300)).toEqual([]);
  }, 60_000);
});
