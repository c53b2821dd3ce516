// The binary arithmetic family against the TFLite runtime itself (WASM build, XNNPACK delegate):
// graphs written by Octet, run there and in the CPU reference under 'xnnpack' requantization,
// element for element. This settles which kernel the runtime takes for each op and dtype:
// XNNPACK's subtract (its add with a negated multiplier) for 8-bit SUB, TFLite's own kernels for
// MAXIMUM/MINIMUM (raw comparison), SQUARED_DIFFERENCE (left shift 7) and every int32 op;
// XNNPACK's fp32 multiply for 8-bit MUL inside the delegate's scale range, mul.cc's outside it.
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

/** Every (a, b) pair of 8-bit values: a [256, 256] by a broadcast [256] row. */
function productGrid(dtype: 'int8' | 'uint8'): TensorData[] {
  const off = dtype === 'int8' ? -128 : 0;
  const a = dtype === 'int8' ? new Int8Array(65536) : new Uint8Array(65536);
  const b = dtype === 'int8' ? new Int8Array(256) : new Uint8Array(256);
  for (let i = 0; i < 65536; i++) a[i] = (i >> 8) + off;
  for (let i = 0; i < 256; i++) b[i] = i + off;
  return [a, b];
}

describe('8-bit MUL equals the TFLite runtime (XNNPACK fp32 multiply, mul.cc outside its range)', () => {
  it('int8 and uint8, same shape and broadcast, fused activations, random scales', async () => {
    const cases: ArithCase[] = [];
    for (const dtype of ['int8', 'uint8'] as const) {
      const off = dtype === 'uint8' ? 128 : 0;
      cases.push({ op: 'MUL', dtype, aShape: [1, N], bShape: [1, N] });
      cases.push({ op: 'MUL', dtype, aShape: [4, 25, 20], bShape: [1, 1, 20], activation: 'RELU' });
      cases.push({ op: 'MUL', dtype, aShape: [2, 10, 10, 16], bShape: [1, 1, 1, 16], activation: 'RELU6', constantB: true });
      cases.push({ op: 'MUL', dtype, aShape: [3, 50], bShape: [], activation: 'RELU_N1_TO_1', constantB: true, quant: [[0.02, 5 + off], [0.01, -3 + off], [0.0004, off]] });
      // SSD MobileNet v3's hard-swish gate: a [1,1,1,C] broadcast with zero point −128 inputs.
      cases.push({ op: 'MUL', dtype, aShape: [1, 20, 20, 24], bShape: [1, 1, 1, 24], quant: [[0.0617, -122 + off], [0.003493, -128 + off], [0.002749, -7 + off]] });
    }
    expect(await runtimeMismatches(cases, 400)).toEqual([]);
  }, 60_000);

  // Every product of two 8-bit values through scales chosen where the two rules part: dyadic
  // scales give exact ties (half to even against mul.cc's half away from zero); around XNNPACK's
  // lower bound 2^−16 a product of 16385 or 32770 lands where mul.cc's double rounding rounds up.
  for (const dtype of ['int8', 'uint8'] as const) {
    it(`${dtype}: every input pair, at exact ties and on both sides of 2^−16`, async () => {
      const off = dtype === 'int8' ? -128 : 0;
      const failures: string[] = [];
      for (const ratio of [2 ** -3, 1.5, 2 ** -16, 2 ** -16 * (1 - 7e-5), 2 ** -15 * (1 - 8e-5), 0.0371]) {
        const [sa, sb] = [0.5, 0.25];
        const c: ArithCase = { op: 'MUL', dtype, aShape: [256, 256], bShape: [1, 256], quant: [[sa, off], [sb, off], [(sa * sb) / ratio, off + 128]] };
        const graph = arithGraph(mulberry32(1), c);
        const inputs = productGrid(dtype);
        const peer = await createTflitePeer(exportTflite(graph));
        const [theirs] = peer.run(inputs);
        const [ours] = runReference(graph, inputs, { requantization: 'xnnpack' });
        const expected = ours instanceof Int8Array ? new Int8Array(theirs!.buffer, theirs!.byteOffset, theirs!.byteLength) : theirs!;
        const cmp = compareTensors(ours!, expected as TensorData);
        if (cmp.differing > 0) failures.push(`${describeArith(c)}: ${cmp.differing}/${cmp.elements} differ, ${cmp.firstDiff}`);
      }
      expect(failures).toEqual([]);
    }, 60_000);
  }
});

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
