// The binary arithmetic family on the GPU equals the CPU reference byte for byte (int8, uint8 and
// int32 outputs) and within float32 rounding (float32): SUB, DIV, MAXIMUM, MINIMUM,
// SQUARED_DIFFERENCE, POW, FLOOR_DIV, FLOOR_MOD, and ADD and MUL over broadcasts above rank 4 and
// int32, over every broadcast pattern up to rank 6 (scalars, size-1 dimensions on either side,
// odd innermost dimensions that leave padding lanes in the packed layout), constant operands,
// fused activations, and both requantization modes where the op's reference depends on them.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/model/graph.ts';
import { GpuProgram } from '../../src/runtime/gpu-program.ts';
import { runReference, type RequantizationMode } from '../../src/reference/run.ts';
import { gpuVersusReference } from '../helpers/compare.ts';
import { REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { arithGraph, arithInputs, describeArith, HAS_ACTIVATION, type ArithCase, type ArithDType, type ArithOp } from '../helpers/binary-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

/** [a, b] shape pairs: same shape, scalar, size-1 dimensions on either or both sides, ranks 1 to 6. */
const PATTERNS: Array<[number[], number[]]> = [
  [[2, 3, 5], [2, 3, 5]],
  [[3, 7], []],
  [[], [2, 5]],
  [[2, 3, 4, 5], [5]],
  [[2, 3, 4, 1], [1, 3, 1, 6]],
  [[1, 3, 1, 7], [2, 1, 4, 7]],
  [[2, 1, 3, 1, 5], [1, 4, 1, 2, 5]],
  [[2, 2, 1, 3, 1, 3], [1, 2, 2, 1, 2, 1]],
  [[2, 1, 2, 2, 3, 5], [2, 3, 1]],
  [[2, 2, 2, 2, 2, 3], [2, 2, 2, 2, 2, 3]],
  [[1], [9]],
];

const ACTIVATIONS = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'] as const;

function cases(op: ArithOp, dtype: ArithDType, seed: number): ArithCase[] {
  const rng = mulberry32(seed);
  return PATTERNS.map(([aShape, bShape], i) => ({
    op,
    dtype,
    aShape,
    bShape,
    activation: HAS_ACTIVATION.has(op) ? ACTIVATIONS[i % ACTIVATIONS.length] : undefined,
    constantB: rng() < 0.3,
  }));
}

/** One line per graph whose GPU output differs from the reference (float32: beyond 2 ulp of the value). */
async function mismatches(list: ArithCase[], requantization: RequantizationMode, seed: number): Promise<string[]> {
  const ctx = await testContext();
  const failures: string[] = [];
  for (const [i, c] of list.entries()) {
    const rng = mulberry32(seed + i);
    const graph = arithGraph(rng, c);
    const inputs = arithInputs(rng, c);
    if (c.dtype === 'float32') {
      const bad = await floatMismatch(graph, inputs, c);
      if (bad) failures.push(`${describeArith(c)}: ${bad}`);
      continue;
    }
    const [cmp] = await gpuVersusReference(ctx, graph, inputs, requantization);
    if (cmp!.differing > 0) failures.push(`${describeArith(c)} (${requantization}): ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
  }
  return failures;
}

/**
 * Float32: each element within a few float32 ulps of the reference's (WGSL's division and pow
 * are not correctly rounded); FLOOR_DIV and FLOOR_MOD may differ by one step where the quotient
 * rounds onto an integer, which random inputs essentially never meet.
 */
async function floatMismatch(graph: Graph, inputs: Float32Array[] | ReturnType<typeof arithInputs>, c: ArithCase): Promise<string | null> {
  const ctx = await testContext();
  const program = await GpuProgram.build(ctx, graph);
  try {
    const { outputs } = await program.run(inputs);
    const [expected] = runReference(graph, inputs);
    const got = outputs[0] as Float32Array;
    const want = expected as Float32Array;
    const ulps = c.op === 'POW' ? 64 : 4;
    for (let i = 0; i < want.length; i++) {
      const e = want[i]!;
      const g = got[i]!;
      if (Number.isNaN(e) && Number.isNaN(g)) continue;
      if (e === g) continue;
      // FLOOR_MOD's x − q·y is rounded once more on a backend without a fused fma: within ulps of
      // the operands (|x|, |y| ≤ 8 here), not of the remainder.
      const tol = ulps * (c.op === 'FLOOR_MOD' ? 8 : Math.max(Math.abs(e), 1e-30)) * 2 ** -23;
      if (!(Math.abs(g - e) <= tol)) return `element ${i}: got ${g}, expected ${e}`;
    }
    return null;
  } finally {
    program.dispose();
  }
}

describe('8-bit binary ops equal the reference', () => {
  for (const requantization of REQUANTIZATION_MODES) {
    it(`SUB int8 and uint8, every broadcast pattern (${requantization})`, async () => {
      expect(await mismatches([...cases('SUB', 'int8', 1), ...cases('SUB', 'uint8', 2)], requantization, 10)).toEqual([]);
    });
    it(`ADD and MUL broadcasts above rank 4 (${requantization})`, async () => {
      const high = (op: ArithOp, dtype: 'int8' | 'uint8', seed: number) => cases(op, dtype, seed).filter((c) => Math.max(c.aShape.length, c.bShape.length) > 4);
      expect(await mismatches([...high('ADD', 'int8', 3), ...high('ADD', 'uint8', 4), ...high('MUL', 'int8', 5), ...high('MUL', 'uint8', 6)], requantization, 20)).toEqual([]);
    });
  }
  it('MAXIMUM and MINIMUM int8 and uint8, every broadcast pattern', async () => {
    const list = [...cases('MAXIMUM', 'int8', 7), ...cases('MAXIMUM', 'uint8', 8), ...cases('MINIMUM', 'int8', 9), ...cases('MINIMUM', 'uint8', 10)];
    expect(await mismatches(list, 'xnnpack', 30)).toEqual([]);
  });
  it('SQUARED_DIFFERENCE int8, every broadcast pattern', async () => {
    expect(await mismatches(cases('SQUARED_DIFFERENCE', 'int8', 11), 'tflite', 40)).toEqual([]);
  });
});

describe('int32 binary ops equal the reference', () => {
  for (const op of ['ADD', 'SUB', 'MUL', 'DIV', 'FLOOR_DIV', 'FLOOR_MOD', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE', 'POW'] as const) {
    it(`${op}: every broadcast pattern`, async () => {
      expect(await mismatches(cases(op, 'int32', 50), 'tflite', 60)).toEqual([]);
    });
  }
});

describe('float32 binary ops equal the float reference within float32 rounding', () => {
  it('SUB, DIV, FLOOR_DIV, FLOOR_MOD, MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, POW', async () => {
    const list = (['SUB', 'DIV', 'FLOOR_DIV', 'FLOOR_MOD', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE', 'POW'] as const).flatMap((op, k) =>
      cases(op, 'float32', 70 + k).filter((_, i) => i % 2 === k % 2),
    );
    expect(await mismatches(list, 'tflite', 80)).toEqual([]);
  });
});
