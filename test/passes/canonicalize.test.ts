// canonicalizeForGpu: a FULLY_CONNECTED whose 8-bit input's innermost dimension is not the FC's
// depth gets an explicit RESHAPE in front, with a fresh op index and the FC's index as its origin;
// tensor ids stay, the input graph is untouched, and the CPU reference computes the same outputs.
import { describe, expect, it } from 'vitest';
import { operatorName } from '../../src/model/graph.ts';
import { canonicalizeForGpu } from '../../src/passes/canonicalize.ts';
import { runReference } from '../../src/reference/run.ts';
import { fullyConnectedGraph, randomInput } from '../helpers/graphs.ts';
import { flatteningFcGraph } from '../helpers/fc-flatten.ts';
import { mulberry32 } from '../helpers/rng.ts';

describe('canonicalizeForGpu', () => {
  it('flattens [1, 25, 20, 5] into weights [4, 2500] with an inserted RESHAPE: fresh index, origin the FC', () => {
    const { graph, fcIndex } = flatteningFcGraph(mulberry32(1));
    const before = structuredClone(graph);
    const c = canonicalizeForGpu(graph);
    expect(c.ops.map((op) => [op.type, op.index, op.origin])).toEqual([
      ['RELU', 0, undefined],
      ['RESHAPE', 2, fcIndex],
      ['FULLY_CONNECTED', fcIndex, undefined],
    ]);
    const [, reshape, fc] = c.ops;
    const flat = c.tensors[reshape!.outputs[0]!]!;
    expect(flat.id).toBe(graph.tensors.length); // appended: the model's tensor ids stay valid
    expect(flat.shape).toEqual([1, 2500]);
    expect(flat.data).toBeUndefined();
    expect(reshape!.inputs).toEqual([graph.ops[1]!.inputs[0]]);
    expect(fc!.inputs).toEqual([flat.id, ...graph.ops[1]!.inputs.slice(1)]);
    expect(operatorName(reshape!)).toBe('operator 2 (inserted for model operator 1)');
    expect(graph).toEqual(before);
    const input = randomInput(mulberry32(2), graph.tensors[0]!);
    expect(Array.from(runReference(c, [input])[0]!)).toEqual(Array.from(runReference(graph, [input])[0]!));
  });

  it('takes inserted indices from the allocator it is given', () => {
    const { graph } = flatteningFcGraph(mulberry32(1));
    let next = 40;
    const c = canonicalizeForGpu(graph, () => next++);
    expect(c.ops.map((op) => op.index)).toEqual([0, 40, 1]);
    expect(next).toBe(41);
  });

  it('leaves an FC whose input is already [rows, depth], and a float one, as they are', () => {
    const plain = fullyConnectedGraph(mulberry32(3), { dtype: 'int8', batch: 2, depth: 12, units: 5, perChannel: true, activation: 'NONE' });
    expect(canonicalizeForGpu(plain)).toBe(plain);
    const { graph } = flatteningFcGraph(mulberry32(1));
    const float = { ...graph, tensors: graph.tensors.map((t) => (t.data ? t : { ...t, dtype: 'float32' as const, quant: undefined })) };
    expect(canonicalizeForGpu(float)).toBe(float);
  });
});
