// An 8-bit binary op with one constant operand that varies along the innermost dimension at most
// runs as tables (load pass tabulate-byte-ops, src/passes/byte-tables.ts): the table kernel is
// what lowers it (one table for a single value, one per channel otherwise), and it equals the CPU
// reference byte for byte on every input byte of every channel, for ADD, SUB, MUL, MAXIMUM,
// MINIMUM and SQUARED_DIFFERENCE, the constant first or second, scalar, [C] or [1, 1, 1, C], int8
// and uint8, with fused activations and in both requantizations. Which ops the pass tabulates:
// test/passes/byte-tables.test.ts.
import { describe, expect, it } from 'vitest';
import type { Activation, Graph } from '../../src/model/graph.ts';
import { lowerOp } from '../../src/kernels/registry.ts';
import { GPU_LOAD_PASSES, runPasses } from '../../src/passes/pipeline.ts';
import { gpuVersusReference } from '../helpers/compare.ts';
import { REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { constantOperandGraph, everyByteInput, type ConstantOperandCase as Case, type ConstantOperandOp as Op } from '../helpers/binary-graphs.ts';

const OPS: Op[] = ['ADD', 'SUB', 'MUL', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE'];
const ACTIVATIONS: Activation[] = ['NONE', 'RELU', 'RELU6', 'RELU_N1_TO_1'];

function cases(): Case[] {
  const list: Case[] = [];
  for (const [i, op] of OPS.entries()) {
    for (const dtype of op === 'SQUARED_DIFFERENCE' ? (['int8'] as const) : (['int8', 'uint8'] as const)) {
      // 6 channels (a partial last word), 3 (one word a pixel, MoveNet's input), 9; rank 4, 2 and 3.
      const shapes: Array<[number[], number[]]> = [[[1, 16, 16, 6], [6]], [[256, 3], [1, 3]], [[2, 128, 9], [1, 1, 9]], [[1, 16, 16, 5], []], [[1, 8, 32, 7], [1, 1, 1, 1]]];
      for (const [j, [shape, constantShape]] of shapes.entries()) {
        list.push({ op, dtype, shape, constantShape, constantFirst: (i + j) % 2 === 1, activation: ['ADD', 'SUB', 'MUL'].includes(op) ? ACTIVATIONS[(i + j) % 4]! : 'NONE' });
      }
    }
  }
  return list;
}

/** The shader the graph's op lowers to after the load passes. */
const code = (graph: Graph) => {
  const loaded = runPasses(graph, GPU_LOAD_PASSES, { requantization: 'xnnpack' });
  const lowered = lowerOp({ graph: loaded, useDot4: false, requantization: 'xnnpack', workgroupSize: 64, maxWorkgroupsPerDimension: 65535 }, loaded.ops[0]!);
  return 'dispatch' in lowered.steps[0]! ? lowered.steps[0].dispatch.code : '';
};

describe('8-bit binary ops with a constant of the innermost dimension run as tables', () => {
  it('the table kernel lowers them: one table for a single value, one per channel otherwise', () => {
    for (const [i, c] of cases().entries()) {
      const graph = constantOperandGraph(c, 10 + i);
      const shader = code(graph);
      const single = (c.constantShape.at(-1) ?? 1) === 1;
      expect(shader.includes('channel_byte('), graph.name).toBe(!single);
      expect(shader.includes('table_word(input[index])'), graph.name).toBe(single);
    }
  });

  it('equal the reference on every byte of every channel, in both requantizations', async () => {
    const ctx = await testContext();
    const failures: string[] = [];
    let count = 0;
    for (const [i, c] of cases().entries()) {
      const graph = constantOperandGraph(c, 10 + i);
      for (const mode of REQUANTIZATION_MODES) {
        const [cmp] = await gpuVersusReference(ctx, graph, [everyByteInput(c)], mode);
        if (cmp!.differing > 0) failures.push(`${graph.name} (${mode}): ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
        count++;
      }
    }
    expect(failures).toEqual([]);
    expect(count).toBe(cases().length * REQUANTIZATION_MODES.length);
  });
});
