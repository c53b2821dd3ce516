// tabulateConstantOperands (load pass tabulate-byte-ops): an 8-bit binary op of an activation and
// a constant varying along the innermost dimension at most gets ByteTables, the CPU reference's
// own op on every byte of every channel: entry (c, b) is what the reference computes for byte b
// in channel c of the unmodified graph. Ops that do not qualify (a constant varying along another
// dimension, two activations, a broadcast activation, float operands) keep none; the reference
// ignores the tables. The GPU equality is test/kernels/byte-tables.test.ts.
import { describe, expect, it } from 'vitest';
import type { ByteTableOptions, Graph } from '../../src/model/graph.ts';
import { constantOperandTables, tabulateConstantOperands } from '../../src/passes/byte-tables.ts';
import { runReference } from '../../src/reference/run.ts';
import { REQUANTIZATION_MODES } from '../helpers/gpu.ts';
import { constantOperandGraph, everyByteInput, type ConstantOperandCase } from '../helpers/binary-graphs.ts';

const base: ConstantOperandCase = { op: 'SUB', dtype: 'int8', shape: [1, 4, 4, 6], constantShape: [6], constantFirst: false, activation: 'NONE' };
const tablesOf = (g: Graph) => (g.ops[0]!.options as ByteTableOptions).byteTables;

describe('tabulateConstantOperands', () => {
  it('gives each qualifying op the reference\'s outputs for every byte of every channel, in both requantizations', () => {
    const cases: ConstantOperandCase[] = [
      base,
      { ...base, op: 'MUL', dtype: 'uint8', constantShape: [1, 1, 1, 6], constantFirst: true, activation: 'RELU6' },
      { ...base, op: 'ADD', shape: [3, 9], constantShape: [], activation: 'RELU_N1_TO_1' },
      { ...base, op: 'MAXIMUM', dtype: 'uint8', shape: [2, 5, 7], constantShape: [1, 1, 7] },
      { ...base, op: 'SQUARED_DIFFERENCE', constantShape: [1, 1, 1, 1], constantFirst: true },
    ];
    for (const [i, c] of cases.entries()) {
      const graph = constantOperandGraph(c, 40 + i);
      for (const requantization of REQUANTIZATION_MODES) {
        const tabulated = tabulateConstantOperands(graph, { requantization, xnnpackDelegate: true });
        const tables = tablesOf(tabulated);
        expect(tables, graph.name).toBeDefined();
        const channels = (c.constantShape.at(-1) ?? 1) === 1 ? 1 : c.shape.at(-1)!;
        expect(tables!.channels, graph.name).toBe(channels);
        expect(tables!.input, graph.name).toBe(graph.inputs[0]);
        // The reference on an input holding every byte in every channel, element by element.
        const x = everyByteInput(c);
        const y = runReference(graph, [x], { requantization, xnnpackDelegate: true })[0] as Int8Array | Uint8Array;
        const inner = c.shape.at(-1)!;
        let mismatches = 0;
        for (let e = 0; e < x.length; e++) {
          const table = channels === 1 ? 0 : e % inner;
          if (tables!.tables[table * 256 + (x[e]! & 0xff)] !== (y[e]! & 0xff)) mismatches++;
        }
        expect(mismatches, `${graph.name} (${requantization})`).toBe(0);
        // The reference ignores the tables: the same outputs with them.
        expect(runReference(tabulated, [x], { requantization, xnnpackDelegate: true })[0]).toEqual(y);
      }
    }
  });

  it('leaves a constant varying along another dimension, two activations, a broadcast activation', () => {
    const alongH = constantOperandGraph({ ...base, constantShape: [1, 4, 1, 6] }, 1);
    const two = constantOperandGraph(base, 2);
    const k = two.tensors.find((t) => t.name === 'constant')!.id;
    const twoInputs: Graph = { ...two, tensors: two.tensors.map((t) => (t.id === k ? { ...t, data: undefined } : t)), inputs: [...two.inputs, k] };
    const broadcast = constantOperandGraph({ ...base, shape: [4, 1], constantShape: [1, 6] }, 3);
    const out = broadcast.tensors.find((t) => t.name === 'y')!.id;
    const widened: Graph = { ...broadcast, tensors: broadcast.tensors.map((t) => (t.id === out ? { ...t, shape: [4, 6] } : t)) };
    for (const [why, g] of [['along H', alongH], ['two activations', twoInputs], ['broadcast activation', widened]] as const) {
      expect(constantOperandTables(g, g.ops[0]!), why).toBeUndefined();
      expect(tabulateConstantOperands(g, { requantization: 'xnnpack', xnnpackDelegate: true }), why).toBe(g);
    }
  });
});
