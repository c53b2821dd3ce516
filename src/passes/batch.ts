// Batching a batch-1 model: TFLite files fix the batch dimension at 1, but most image models are
// batch-agnostic. batchGraph rewrites every activation's leading dimension from 1 to n, and refuses,
// by op and tensor, any graph where that would change the meaning (an op mixing the batch axis).
import { OctetError } from '../errors.ts';
import { operatorName, type Graph, type OpIR, type TensorIR } from '../model/graph.ts';
import { isUnaryOp } from '../ops/unary.ts';

export class BatchError extends OctetError {
  override name = 'BatchError';
  readonly code = 'BATCH';
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
  // Unary elementwise ops (src/ops/unary.ts) map each element alone.
  if (isUnaryOp(op)) return undefined;
  switch (op.type) {
    case 'TRANSPOSE': {
      const perm = constInts(op.inputs[1]!);
      return perm && perm[0] === 0 ? undefined : 'its permutation moves the batch axis';
    }
    case 'MEAN':
    // Reductions: SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD as MEAN.
    case 'SUM':
    case 'REDUCE_MAX':
    case 'REDUCE_MIN':
    case 'REDUCE_PROD': {
      const axes = constInts(op.inputs[1]!) ?? [];
      return axes.some((a) => axisTouchesBatch(a, rankOf(op.inputs[0]!))) ? 'it reduces over the batch axis' : undefined;
    }
    // Normalizations over the innermost axis, which is the batch axis of a rank-1 tensor.
    case 'L2_NORMALIZATION':
    case 'LOG_SOFTMAX':
    case 'SOFTMAX':
      return rankOf(op.inputs[0]!) <= 1 ? 'it normalizes over the batch axis' : undefined;
    // A rank-2 operand has no batch axis: its leading dimension is a matrix axis (the contracted
    // one of an adjoint LHS, either axis of the RHS).
    case 'BATCH_MATMUL': {
      const [lhs, rhs] = [op.inputs[0]!, op.inputs[1]!];
      if (rankOf(lhs) === 2 && op.options.adjX && !graph.tensors[lhs]!.data) return 'its adjoint rank-2 LHS would be batched along its contracted axis';
      if (rankOf(rhs) === 2 && !graph.tensors[rhs]!.data) return 'its rank-2 RHS activation has a matrix axis where the batch axis would go';
      return undefined;
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
    // Data movement family.
    case 'STRIDED_SLICE': {
      const o = op.options;
      const whole = (o.ellipsisMask & 1) !== 0 || ((o.beginMask & 1) !== 0 && (o.endMask & 1) !== 0 && (constInts(op.inputs[3]!) ?? [0])[0] === 1);
      return whole && !(o.newAxisMask & 1) && !(o.shrinkAxisMask & 1) ? undefined : 'it may slice the batch axis';
    }
    case 'SLICE': {
      const begin = constInts(op.inputs[1]!);
      const size = constInts(op.inputs[2]!);
      return begin?.[0] === 0 && size?.[0] === -1 ? undefined : 'it may slice the batch axis';
    }
    case 'SPLIT':
      return axisTouchesBatch((constInts(op.inputs[0]!) ?? [0])[0]!, rankOf(op.inputs[1]!)) ? 'it splits the batch axis' : undefined;
    case 'SPLIT_V':
      return axisTouchesBatch((constInts(op.inputs[2]!) ?? [0])[0]!, rankOf(op.inputs[0]!)) ? 'it splits the batch axis' : undefined;
    case 'UNPACK':
      return axisTouchesBatch(op.options.axis, rankOf(op.inputs[0]!)) ? 'it unpacks the batch axis' : undefined;
    case 'PACK':
      return axisTouchesBatch(op.options.axis, rankOf(op.outputs[0]!)) ? 'it packs along the batch axis' : undefined;
    case 'EXPAND_DIMS':
      return axisTouchesBatch((constInts(op.inputs[1]!) ?? [0])[0]!, rankOf(op.outputs[0]!)) ? 'it inserts a dimension before the batch axis' : undefined;
    case 'REVERSE_V2':
      return (constInts(op.inputs[1]!) ?? [0]).some((a) => axisTouchesBatch(a, rankOf(op.inputs[0]!))) ? 'it reverses the batch axis' : undefined;
    case 'TILE':
      return (constInts(op.inputs[1]!) ?? [0])[0] === 1 ? undefined : 'it tiles the batch axis';
    case 'GATHER':
      return axisTouchesBatch(op.options.axis, rankOf(op.inputs[0]!)) || op.options.batchDims !== 0 || !graph.tensors[op.inputs[1]!]?.data
        ? 'it gathers along the batch axis or with run-time indices'
        : undefined;
    case 'GATHER_ND':
      return 'its indices address the batch axis';
    case 'SHAPE':
      return "its output is the batch-1 shape";
    case 'BROADCAST_TO':
      return 'its shape operand fixes the batch dimension';
    case 'SPACE_TO_BATCH_ND':
    case 'BATCH_TO_SPACE_ND':
      return 'it moves data between the batch and spatial axes';
    // Resize, arg reductions and casts: resizes and casts keep the batch axis; ARG_* must not reduce it.
    case 'ARG_MAX':
    case 'ARG_MIN':
      return axisTouchesBatch((constInts(op.inputs[1]!) ?? [0])[0]!, rankOf(op.inputs[0]!)) ? 'it reduces over the batch axis' : undefined;
    case 'DETECTION_POSTPROCESS':
      return "TFLite's kernel runs batch 1 only (its outputs hold one image's detections)";
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
    // Per pixel, per row or per element: each batch item computes alone.
    case 'CONV_2D':
    case 'DEPTHWISE_CONV_2D':
    case 'FULLY_CONNECTED':
    case 'TRANSPOSE_CONV':
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D':
    case 'LOGISTIC':
    case 'RELU':
    case 'RELU6':
    case 'PRELU':
    case 'RESHAPE':
    case 'DEPTH_TO_SPACE':
    case 'SPACE_TO_DEPTH':
    case 'QUANTIZE':
    case 'DEQUANTIZE':
    case 'RESIZE_BILINEAR':
    case 'RESIZE_NEAREST_NEIGHBOR':
    case 'CAST':
      return undefined;
    default: {
      // Every op type is decided above: a new one is a compile error here, not silently batched.
      const undecided: never = op;
      return `no batching rule for ${(undecided as OpIR).type}`;
    }
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
    if (reason) throw new BatchError(`cannot batch '${graph.name}': ${op.type} at ${operatorName(op)}: ${reason}`);
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
