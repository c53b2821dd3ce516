// Graph rewrites that make a model fit the GPU kernels' assumptions, applied once at load.
// Tensor ids of the original graph stay valid (new tensors are appended), so captures and
// per-layer comparisons still address the model's own tensors. An inserted op gets a fresh index
// and `origin`, the operator it serves, so op indices stay unique and messages about it lead back
// to the model (operatorName).
import type { Graph, OpIR, TensorIR } from '../model/graph.ts';
import { opIndexAllocator } from './op-indices.ts';

/**
 * FULLY_CONNECTED flattens its input to [count / depth, depth]. The packed 8-bit layout pads the
 * innermost dimension, so when that dimension is not `depth` (micro_speech feeds [1,25,20,8]
 * into weights [4, 4000]) an explicit RESHAPE is inserted and its relayout kernel repacks.
 * `newOpIndex` gives the inserted ops their indices (runPasses passes one that continues past
 * every index of the graph the pipeline started from).
 */
export function canonicalizeForGpu(graph: Graph, newOpIndex: () => number = opIndexAllocator(graph)): Graph {
  const tensors: TensorIR[] = [...graph.tensors];
  const ops: OpIR[] = [];
  for (const op of graph.ops) {
    if (op.type === 'FULLY_CONNECTED') {
      const input = tensors[op.inputs[0]!]!;
      const filter = tensors[op.inputs[1]!]!;
      const depth = filter.shape[filter.shape.length - 1]!;
      const inner = input.shape[input.shape.length - 1];
      const isEightBit = input.dtype === 'int8' || input.dtype === 'uint8';
      if (isEightBit && inner !== depth) {
        const count = input.shape.reduce((a, b) => a * b, 1);
        const flatId = tensors.length;
        tensors.push({ ...input, id: flatId, name: `${input.name}/flattened`, shape: [count / depth, depth], data: undefined });
        const origin = op.origin ?? op.index;
        ops.push({ index: newOpIndex(), origin, type: 'RESHAPE', version: 1, inputs: [input.id], outputs: [flatId], options: { newShape: [count / depth, depth] } });
        ops.push({ ...op, inputs: [flatId, ...op.inputs.slice(1)] });
        continue;
      }
    }
    ops.push(op);
  }
  return ops.length === graph.ops.length ? graph : { ...graph, tensors, ops };
}
