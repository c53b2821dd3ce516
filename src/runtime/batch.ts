// Batching a batch-1 model: TFLite files fix the batch dimension at 1, but most image models are
// batch-agnostic. batchGraph rewrites every activation's leading dimension from 1 to n, and refuses,
// by op and tensor, any graph where that would change the meaning (an op mixing the batch axis).
import type { Graph, OpIR, TensorIR } from '../model/graph.ts';

export class BatchError extends Error {
  override name = 'BatchError';
}

function axisTouchesBatch(axis: number, rank: number): boolean {
  return axis === 0 || axis === -rank;
}

/** Returns the reason an op cannot run batched, or undefined. */
function batchBlocker(graph: Graph, op: OpIR): string | undefined {
  const rankOf = (id: number) => graph.tensors[id]!.shape.length;
  const constInts = (id: number): number[] | undefined => {
    const t = graph.tensors[id];
    if (!t?.data) return undefined;
    const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const n = t.dtype === 'int64' ? t.data.byteLength / 8 : t.data.byteLength / 4;
    return Array.from({ length: n }, (_, i) => (t.dtype === 'int64' ? Number(view.getBigInt64(i * 8, true)) : view.getInt32(i * 4, true)));
  };
  switch (op.type) {
    case 'TRANSPOSE': {
      const perm = constInts(op.inputs[1]!);
      return perm && perm[0] === 0 ? undefined : 'its permutation moves the batch axis';
    }
    case 'MEAN': {
      const axes = constInts(op.inputs[1]!) ?? [];
      return axes.some((a) => axisTouchesBatch(a, rankOf(op.inputs[0]!))) ? 'it reduces over the batch axis' : undefined;
    }
    case 'CONCATENATION':
      return axisTouchesBatch(op.options.axis, rankOf(op.outputs[0]!)) ? 'it concatenates along the batch axis' : undefined;
    case 'PAD': {
      const pads = constInts(op.inputs[1]!) ?? [];
      return pads[0] || pads[1] ? 'it pads the batch axis' : undefined;
    }
    case 'SQUEEZE':
      return op.options.squeezeDims.length === 0 || op.options.squeezeDims.some((d) => axisTouchesBatch(d, rankOf(op.inputs[0]!)))
        ? 'it may squeeze the batch axis'
        : undefined;
    // binary arithmetic with broadcasting: an activation operand of lower rank than the output
    // aligns its leading (batch) dimension with a non-batch one of the output.
    case 'ADD':
    case 'MUL':
    case 'SUB':
    case 'DIV':
    case 'MAXIMUM':
    case 'MINIMUM':
    case 'SQUARED_DIFFERENCE':
    case 'POW':
    case 'FLOOR_DIV':
    case 'FLOOR_MOD': {
      const outRank = rankOf(op.outputs[0]!);
      const low = op.inputs.find((id) => !graph.tensors[id]!.data && rankOf(id) < outRank);
      return low === undefined ? undefined : `its operand '${graph.tensors[low]!.name}' has a lower rank than the output, so its batch axis would broadcast along another`;
    }
    default:
      return undefined;
  }
}

/**
 * The graph with batch n: every activation (graph inputs included) whose leading dimension is 1
 * gets n. RESHAPE's shape operand and options are rewritten to match. Constants keep their shapes.
 */
export function batchGraph(graph: Graph, n: number): Graph {
  if (!Number.isInteger(n) || n < 1) throw new BatchError(`batch size must be a positive integer, got ${n}`);
  if (n === 1) return graph;
  for (const op of graph.ops) {
    const reason = batchBlocker(graph, op);
    if (reason) throw new BatchError(`cannot batch '${graph.name}': ${op.type} at operator ${op.index}: ${reason}`);
  }
  const tensors: TensorIR[] = graph.tensors.map((t) => {
    if (t.data) return t;
    if (t.shape.length === 0 || t.shape[0] !== 1) {
      throw new BatchError(`cannot batch '${graph.name}': activation '${t.name}' has shape [${t.shape.join(', ')}], not a leading batch dimension of 1`);
    }
    return { ...t, shape: [n, ...t.shape.slice(1)] };
  });
  const ops = graph.ops.map((op) => {
    if (op.type !== 'RESHAPE') return op;
    const shapeId = op.inputs[1];
    if (shapeId !== undefined && shapeId >= 0 && tensors[shapeId]?.data) {
      const original = tensors[shapeId]!;
      const data = original.data!.slice();
      const view = new DataView(data.buffer);
      if (original.dtype === 'int32' && view.getInt32(0, true) === 1) view.setInt32(0, n, true);
      else if (original.dtype === 'int64' && view.getBigInt64(0, true) === 1n) view.setBigInt64(0, BigInt(n), true);
      tensors[shapeId] = { ...original, data };
    }
    const newShape = op.options.newShape;
    return newShape && newShape[0] === 1 ? { ...op, options: { ...op.options, newShape: [n, ...newShape.slice(1)] } } : op;
  });
  return { ...graph, tensors, ops };
}
