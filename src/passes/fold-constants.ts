// Constant folding: every op whose inputs are all constants, and every SHAPE (shapes are static
// in the Graph IR), is computed once at load with the CPU reference's own kernel, and its
// outputs become constants. Models exported from TF carry shape arithmetic that way
// (SHAPE → STRIDED_SLICE → PACK feeding RESHAPE; SHAPE → … → FLOOR_MOD → PACK feeding
// SPACE_TO_BATCH_ND's paddings): folded, the arithmetic needs no GPU kernel and the consumer
// sees constant operands.
//
// Tensor ids and the remaining ops' indices are unchanged (a folded op leaves a gap in
// OpIR.index, as dequantizeGraph's folds do), so errors still name the model's operator index.
// An op is kept when one of its outputs is a graph output (the runtime reads outputs from
// buffers an op writes) or when its result would be too large to hold as a constant.
import { DTYPE_BYTES, tensorElementCount, type Graph, type OpIR, type TensorIR } from '../model/graph.ts';
import { withDelegation, type ReferenceOptions, type TensorData } from '../reference/common.ts';
import { evaluateOp } from '../reference/run.ts';
import { inferShapes } from './infer-shapes.ts';

/** Folded results above this many bytes stay computed at run time (a TILE of a constant, say). */
export const MAX_FOLDED_BYTES = 1 << 24;

/** Bytes of a reference value in the tensor's own dtype (int64 values travel as int32). */
function constantBytes(t: TensorIR, value: TensorData): Uint8Array {
  if (t.dtype === 'int64') {
    const out = new BigInt64Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = BigInt(value[i] as number);
    return new Uint8Array(out.buffer);
  }
  if (value.BYTES_PER_ELEMENT !== DTYPE_BYTES[t.dtype]) {
    throw new Error(`fold-constants: tensor '${t.name}' is ${t.dtype} but its folded value is a ${value.constructor.name}`);
  }
  return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
}

function foldable(graph: Graph, op: OpIR, isConstant: (id: number) => boolean, outputs: ReadonlySet<number>): boolean {
  if (op.outputs.some((id) => outputs.has(id))) return false;
  const bytes = op.outputs.reduce((a, id) => {
    const t = graph.tensors[id];
    return a + (t ? tensorElementCount(t.shape) * DTYPE_BYTES[t.dtype] : Infinity);
  }, 0);
  if (bytes > MAX_FOLDED_BYTES) return false;
  if (op.type === 'SHAPE') return true;
  return op.inputs.every((id) => id < 0 || isConstant(id));
}

/**
 * The graph with every foldable op computed (see the file comment). Returns the same graph when
 * nothing folds. A folded op that the reference refuses (a bad operand) throws its
 * ReferenceRunError, naming the model's operator index, before anything is allocated.
 */
export function foldConstants(graph: Graph, givenOptions: ReferenceOptions = {}): Graph {
  // The folded ops compute what the runtime would: with or without its delegate, decided on the
  // graph as given (folding makes shape operands constant that TFLite sees as computed).
  const options = withDelegation(graph, givenOptions);
  const outputs = new Set(graph.outputs);
  const tensors: TensorIR[] = graph.tensors.slice();
  const isConstant = (id: number) => tensors[id]?.data !== undefined;
  const ops: OpIR[] = [];
  for (const op of graph.ops) {
    if (!foldable(graph, op, isConstant, outputs)) {
      ops.push(op);
      continue;
    }
    const results = evaluateOp({ ...graph, tensors }, op, options);
    op.outputs.forEach((id, k) => {
      const t = tensors[id]!;
      tensors[id] = { ...t, data: constantBytes(t, results[k]!) };
    });
  }
  // With shape operands constant, placeholder shapes of run-time-sized tensors can be inferred.
  return inferShapes(ops.length === graph.ops.length ? graph : { ...graph, tensors, ops });
}
