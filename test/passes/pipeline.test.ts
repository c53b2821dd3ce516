// The GPU load pipeline: its passes in order, op indices unique after every pass (checked by
// runPasses itself), an inserted op's fresh index past every model operator (folded ones too),
// and messages naming an inserted op leading back to the model operator it serves.
import { describe, expect, it } from 'vitest';
import { operatorName, type Graph, type OpIR } from '../../src/model/graph.ts';
import { lowerOp } from '../../src/kernels/registry.ts';
import { LoweringError, type LoweringContext } from '../../src/kernels/lowering.ts';
import { GPU_LOAD_PASSES, runPasses, type GraphPass } from '../../src/passes/pipeline.ts';
import { evaluateOp, ReferenceRunError } from '../../src/reference/run.ts';
import { GraphBuilder, quant } from '../helpers/graphs.ts';
import { flatteningFcGraph } from '../helpers/fc-flatten.ts';
import { mulberry32 } from '../helpers/rng.ts';

const OPTIONS = { requantization: 'xnnpack' } as const;

/** `graph` with an op that folds away appended last: a TRANSPOSE of constants nothing reads. */
function withTrailingFoldedOp(graph: Graph): Graph {
  const b = new GraphBuilder();
  b.tensors.push(...graph.tensors);
  b.ops.push(...graph.ops);
  const c = b.tensor('c', [2, 3], 'int32', undefined, Int32Array.from([1, 2, 3, 4, 5, 6]));
  const perm = b.tensor('perm', [2], 'int32', undefined, Int32Array.from([1, 0]));
  b.op({ type: 'TRANSPOSE', inputs: [c, perm], outputs: [b.tensor('unused', [3, 2], 'int32')], options: {} });
  return b.build(graph.inputs, graph.outputs, graph.name);
}

describe('GPU load passes', () => {
  it('run in order: constants folded, canonicalized for the GPU, PADs folded into convolutions, ADDs fused into them, then channel concatenations placed', () => {
    expect(GPU_LOAD_PASSES.map((p) => p.name)).toEqual(['fold-constants', 'canonicalize-for-gpu', 'fold-pad', 'fuse-add', 'fuse-table', 'tabulate-byte-ops', 'place-concat']);
  });

  it('give the RESHAPE inserted before FULLY_CONNECTED [1,25,20,5]→[4,2500] a fresh index and the FC as origin', () => {
    const { graph, fcIndex } = flatteningFcGraph(mulberry32(1));
    const g = runPasses(graph, GPU_LOAD_PASSES, OPTIONS);
    expect(g.ops.map((op) => [op.type, op.index, op.origin])).toEqual([
      ['RELU', 0, undefined],
      ['RESHAPE', 2, fcIndex],
      ['FULLY_CONNECTED', fcIndex, undefined],
    ]);
    expect(new Set(g.ops.map((op) => op.index)).size).toBe(g.ops.length);
  });

  it('never give an inserted op the index of a model operator, not even one folded away', () => {
    const graph = withTrailingFoldedOp(flatteningFcGraph(mulberry32(1)).graph);
    expect(graph.ops.map((op) => op.index)).toEqual([0, 1, 2]);
    const g = runPasses(graph, GPU_LOAD_PASSES, OPTIONS);
    // The TRANSPOSE (operator 2) is folded; the RESHAPE gets 3, which no model operator has.
    expect(g.ops.map((op) => [op.type, op.index, op.origin])).toEqual([
      ['RELU', 0, undefined],
      ['RESHAPE', 3, 1],
      ['FULLY_CONNECTED', 1, undefined],
    ]);
  });

  it('refuse a pass that leaves two ops with one index, or an origin that is no model operator', () => {
    const { graph } = flatteningFcGraph(mulberry32(1));
    const duplicate: GraphPass = { name: 'duplicate', run: (g) => ({ ...g, ops: [...g.ops, { ...g.ops[0]! }] }) };
    expect(() => runPasses(graph, [duplicate], OPTIONS)).toThrow("after pass 'duplicate': two ops have index 0 (the second a RELU)");
    const stray: GraphPass = { name: 'stray', run: (g, ctx) => ({ ...g, ops: [...g.ops, { ...g.ops[0]!, index: ctx.newOpIndex(), origin: 9 } as OpIR] }) };
    expect(() => runPasses(graph, [stray], OPTIONS)).toThrow(/after pass 'stray': RELU at index 2 has origin 9, which is no operator of the model/);
    const fine: GraphPass = { name: 'fine', run: (g, ctx) => ({ ...g, ops: [...g.ops, { ...g.ops[0]!, index: ctx.newOpIndex(), origin: 0 } as OpIR] }) };
    expect(runPasses(graph, [fine], OPTIONS).ops.map((op) => op.index)).toEqual([0, 1, 2]);
  });
});

describe('messages about an inserted op', () => {
  /** MEAN with a run-time axis (refused by the GPU lowering, and by name) as a pass would insert it. */
  function inserted(): { graph: Graph; op: OpIR } {
    const b = new GraphBuilder();
    const x = b.tensor('x', [1, 4, 4, 3], 'int8', quant(0.1, 0));
    const axis = b.tensor('axis', [1], 'int32');
    const y = b.tensor('y', [1, 3], 'int8', quant(0.1, 0));
    b.op({ type: 'MEAN', inputs: [x, axis], outputs: [y], options: { keepDims: false } });
    const graph = b.build([x, axis], [y]);
    return { graph, op: { ...graph.ops[0]!, index: 12, origin: 7 } };
  }

  it('name its own index and the model operator it was inserted for', () => {
    expect(operatorName({ index: 7 })).toBe('operator 7');
    expect(operatorName({ index: 12, origin: 7 })).toBe('operator 12 (inserted for model operator 7)');
  });

  it('on the GPU: a lowering refusal says which model operator the op serves', () => {
    const { graph, op } = inserted();
    const ctx: LoweringContext = { graph, useDot4: false, requantization: 'xnnpack', workgroupSize: 64, maxWorkgroupsPerDimension: 65535 };
    expect(() => lowerOp(ctx, op)).toThrow(LoweringError);
    expect(() => lowerOp(ctx, op)).toThrow('MEAN at operator 12: the axis tensor must be a constant (operator 12 was inserted for model operator 7)');
    // A model operator's message is as it was.
    expect(() => lowerOp(ctx, graph.ops[0]!)).toThrow(/^MEAN at operator 0: the axis tensor must be a constant$/);
    const unsupported = { ...op, type: 'DETECTION_POSTPROCESS' } as unknown as OpIR;
    expect(() => lowerOp(ctx, unsupported)).toThrow(/at operator 12 \(inserted for model operator 7\) on the int8 GPU path/);
  });

  it('on the CPU reference: a refusal says so too', () => {
    const b = new GraphBuilder();
    const params = b.tensor('params', [3], 'int32', undefined, Int32Array.from([1, 2, 3]));
    const indices = b.tensor('indices', [1], 'int32', undefined, Int32Array.from([5]));
    const out = b.tensor('out', [1], 'int32');
    b.op({ type: 'GATHER', inputs: [params, indices], outputs: [out], options: { axis: 0, batchDims: 0 } });
    const graph = b.build([], [out]);
    const op = { ...graph.ops[0]!, index: 12, origin: 7 };
    expect(() => evaluateOp(graph, op)).toThrow(ReferenceRunError);
    expect(() => evaluateOp(graph, op)).toThrow(/\(operator 12 \(inserted for model operator 7\)\)$/);
  });
});
