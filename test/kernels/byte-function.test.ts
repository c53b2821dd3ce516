// An 8-bit binary op with one constant operand that varies along the innermost dimension at most
// runs as tables (src/kernels/byte-function.ts): the table kernel is what lowers it (one table for
// a single value, one per channel otherwise), it equals the CPU reference byte for byte on every
// input byte of every channel, for ADD, SUB, MUL, MAXIMUM, MINIMUM and SQUARED_DIFFERENCE, the
// constant first or second, scalar, [C] or [1, 1, 1, C], int8 and uint8, with fused activations
// and in both requantizations; a constant that varies along another dimension keeps the
// arithmetic kernel.
import { describe, expect, it } from 'vitest';
import type { Activation, Graph } from '../../src/model/graph.ts';
import { lowerOp } from '../../src/kernels/registry.ts';
import { constantOperandTables } from '../../src/kernels/byte-function.ts';
import { gpuVersusReference } from '../helpers/compare.ts';
import { REQUANTIZATION_MODES, testContext } from '../helpers/gpu.ts';
import { GraphBuilder, quant, randomBytes } from '../helpers/graphs.ts';
import { mulberry32, randInt } from '../helpers/rng.ts';

type Op = 'ADD' | 'SUB' | 'MUL' | 'MAXIMUM' | 'MINIMUM' | 'SQUARED_DIFFERENCE';

interface Case {
  op: Op;
  dtype: 'int8' | 'uint8';
  /** The activation's shape; the constant's. */
  shape: number[];
  constantShape: number[];
  constantFirst: boolean;
  activation: Activation;
}

/** x (every byte in every channel: 256 rows of the innermost dimension) and a constant, under `c.op`. */
function caseGraph(c: Case, seed: number): Graph {
  const rng = mulberry32(seed);
  const offset = c.dtype === 'uint8' ? 128 : 0;
  const b = new GraphBuilder();
  const sx = 0.02 + rng() * 0.04;
  const sk = sx * (0.3 + rng() * 2);
  const x = b.tensor('x', c.shape, c.dtype, quant(sx, offset + randInt(rng, -20, 20)));
  const count = c.constantShape.reduce((a, d) => a * d, 1);
  const k = b.tensor('constant', c.constantShape, c.dtype, quant(sk, offset + randInt(rng, -20, 20)), randomBytes(rng, count, c.dtype));
  const so = c.op === 'MUL' ? sx * sk * (40 + rng() * 60) : c.op === 'SQUARED_DIFFERENCE' ? (sx + sk) ** 2 * (30 + rng() * 60) : (sx + sk) * (0.6 + rng() * 0.8);
  const y = b.tensor('y', c.shape, c.dtype, quant(so, offset + randInt(rng, -20, 20)));
  const options = ['ADD', 'SUB', 'MUL'].includes(c.op) ? { activation: c.activation } : {};
  b.op({ type: c.op, inputs: c.constantFirst ? [k, x] : [x, k], outputs: [y], options } as never);
  return b.build([x], [y], `${c.op} ${c.dtype} [${c.shape}] ${c.constantFirst ? `const [${c.constantShape}] first` : `const [${c.constantShape}] second`} ${c.activation}`);
}

/** Every byte in every channel: element (p, c) of the flattened rows holds (p + 37c) mod 256. */
function everyByteInput(c: Case): Int8Array | Uint8Array {
  const channels = c.shape.at(-1) ?? 1;
  const count = c.shape.reduce((a, d) => a * d, 1);
  const x = c.dtype === 'int8' ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) x[i] = (Math.floor(i / channels) + 37 * (i % channels)) & 0xff;
  return x;
}

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

const code = (graph: Graph) => {
  const lowered = lowerOp({ graph, useDot4: false, requantization: 'xnnpack', workgroupSize: 64, maxWorkgroupsPerDimension: 65535 }, graph.ops[0]!);
  return 'dispatch' in lowered.steps[0]! ? lowered.steps[0].dispatch.code : '';
};

describe('8-bit binary ops with a constant of the innermost dimension run as tables', () => {
  it('the table kernel lowers them: one table for a single value, one per channel otherwise', () => {
    for (const [i, c] of cases().entries()) {
      const graph = caseGraph(c, 10 + i);
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
      const graph = caseGraph(c, 10 + i);
      for (const mode of REQUANTIZATION_MODES) {
        const [cmp] = await gpuVersusReference(ctx, graph, [everyByteInput(c)], mode);
        if (cmp!.differing > 0) failures.push(`${graph.name} (${mode}): ${cmp!.differing}/${cmp!.elements} differ, ${cmp!.firstDiff}`);
        count++;
      }
    }
    expect(failures).toEqual([]);
    expect(count).toBe(cases().length * REQUANTIZATION_MODES.length);
  });

  it('a constant varying along another dimension, two activations or a broadcast activation keep the arithmetic kernel', () => {
    const base: Case = { op: 'SUB', dtype: 'int8', shape: [1, 4, 4, 6], constantShape: [1, 4, 1, 6], constantFirst: false, activation: 'NONE' };
    const ctxOf = (graph: Graph) => ({ graph, useDot4: false, requantization: 'xnnpack' as const, workgroupSize: 64, maxWorkgroupsPerDimension: 65535 });
    const alongH = caseGraph(base, 1);
    expect(constantOperandTables(ctxOf(alongH), alongH.ops[0]!)).toBeUndefined();
    expect(code(alongH)).not.toContain('channel_byte(');
    // Both operands activations.
    const two = caseGraph({ ...base, constantShape: [6] }, 2);
    const twoInputs: Graph = { ...two, tensors: two.tensors.map((t) => (t.name === 'constant' ? { ...t, data: undefined } : t)), inputs: [...two.inputs, two.tensors.find((t) => t.name === 'constant')!.id] };
    expect(constantOperandTables(ctxOf(twoInputs), twoInputs.ops[0]!)).toBeUndefined();
    // The activation broadcast up to the output's shape ([4, 1] against a constant [4, 6]... here [1, 6] against [6] is the same shape).
    const broadcast = caseGraph({ ...base, shape: [4, 1], constantShape: [1, 6] }, 3);
    const out = broadcast.tensors.find((t) => t.name === 'y')!;
    const widened: Graph = { ...broadcast, tensors: broadcast.tensors.map((t) => (t.id === out.id ? { ...t, shape: [4, 6] } : t)) };
    expect(constantOperandTables(ctxOf(widened), widened.ops[0]!)).toBeUndefined();
  });
});
