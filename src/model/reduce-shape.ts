// Shape and parameter rules of SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD, L2_NORMALIZATION and
// LOG_SOFTMAX, shared by the importer (which refuses a hostile or inconsistent op before anything
// is allocated), the CPU reference and both GPU paths. Each check throws ReduceShapeError with the
// reason; callers wrap it in their own error type.
import { OctetError } from '../errors.ts';
import { tensorElementCount, type DType, type Graph, type OpIR, type TensorIR } from './graph.ts';
import { constantData } from '../quant/tensor.ts';

export class ReduceShapeError extends OctetError {
  override name = 'ReduceShapeError';
  readonly code = 'REDUCE_SHAPE';
}

export const REDUCER_OPS: ReadonlySet<string> = new Set(['SUM', 'REDUCE_MAX', 'REDUCE_MIN', 'REDUCE_PROD']);

/** The fixed output params TFLite's Prepare insists on for 8-bit L2_NORMALIZATION and LOG_SOFTMAX. */
export const FIXED_NORMALIZATION_OUTPUT: Record<'L2_NORMALIZATION' | 'LOG_SOFTMAX', Record<'int8' | 'uint8', { scale: number; zeroPoint: number }>> = {
  L2_NORMALIZATION: { int8: { scale: 1 / 128, zeroPoint: 0 }, uint8: { scale: 1 / 128, zeroPoint: 128 } },
  LOG_SOFTMAX: { int8: { scale: 16 / 256, zeroPoint: 127 }, uint8: { scale: 16 / 256, zeroPoint: 255 } },
};

/**
 * The reduced axes, resolved (negative ones counted from the end) and deduplicated, as TFLite's
 * ResolveAxis does; checks that the axis tensor is int32 (TFLite's Prepare requires it), every
 * axis lies in [−rank, rank), and the output holds as many elements as the reduction gives.
 */
export function checkReduceAxes(
  inputShape: readonly number[],
  axisDType: DType,
  rawAxes: readonly number[],
  outputShape: readonly number[],
  keepDims: boolean,
): Set<number> {
  if (axisDType !== 'int32') throw new ReduceShapeError(`axis tensor is ${axisDType}; TFLite requires int32`);
  const rank = inputShape.length;
  const axes = new Set<number>();
  // A scalar input ignores its axes (ResolveAxis short-circuits).
  if (rank > 0) {
    for (const a of rawAxes) {
      if (!Number.isInteger(a) || a < -rank || a >= rank) throw new ReduceShapeError(`axis ${a} is outside [${-rank}, ${rank}) for an input of rank ${rank}`);
      axes.add(a < 0 ? a + rank : a);
    }
  }
  const expected = keepDims ? inputShape.map((d, i) => (axes.has(i) ? 1 : d)) : inputShape.filter((_, i) => !axes.has(i));
  if (tensorElementCount(outputShape) !== tensorElementCount(expected)) {
    throw new ReduceShapeError(`output [${outputShape.join(', ')}] does not match reducing [${inputShape.join(', ')}] over axes [${rawAxes.join(', ')}] (expected [${expected.join(', ')}])`);
  }
  return axes;
}

function fixedOutputProblem(type: 'L2_NORMALIZATION' | 'LOG_SOFTMAX', input: TensorIR, output: TensorIR): string | undefined {
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') return undefined;
  const q = output.quant;
  const want = FIXED_NORMALIZATION_OUTPUT[type][input.dtype];
  if (!q || q.scale.length !== 1) return `a ${input.dtype} output needs per-tensor quantization (scale ${want.scale}, zero point ${want.zeroPoint})`;
  if (Math.fround(q.scale[0]!) !== want.scale || q.zeroPoint[0] !== want.zeroPoint) {
    return `${input.dtype} output has scale ${q.scale[0]} and zero point ${q.zeroPoint[0]}; TFLite requires scale ${want.scale} and zero point ${want.zeroPoint}`;
  }
  return undefined;
}

/**
 * The importer's check of one op of this family (ops of other types pass): the axis tensor of a
 * reduction must be a constant int32 in range, and 8-bit L2_NORMALIZATION / LOG_SOFTMAX outputs
 * must carry TFLite's fixed params; L2_NORMALIZATION takes rank ≤ 4 and no fused activation.
 */
export function checkReduceFamilyOp(g: Pick<Graph, 'tensors'>, op: OpIR): void {
  if (REDUCER_OPS.has(op.type)) {
    const o = op as Extract<OpIR, { type: 'SUM' }>;
    if (o.inputs.length < 2 || o.outputs.length < 1 || o.inputs[0]! < 0 || o.inputs[1]! < 0) throw new ReduceShapeError('needs an input, an axis tensor and an output');
    const input = g.tensors[o.inputs[0]!]!;
    const axis = g.tensors[o.inputs[1]!]!;
    if (!axis.data) throw new ReduceShapeError(`axis tensor '${axis.name}' is computed at run time; Octet needs a constant`);
    if (axis.dtype !== 'int32') throw new ReduceShapeError(`axis tensor is ${axis.dtype}; TFLite requires int32`);
    const raw = Array.from(constantData(axis) as Int32Array);
    checkReduceAxes(input.shape, axis.dtype, raw, g.tensors[o.outputs[0]!]!.shape, o.options.keepDims);
    return;
  }
  if (op.type !== 'L2_NORMALIZATION' && op.type !== 'LOG_SOFTMAX') return;
  if (op.inputs.length < 1 || op.outputs.length < 1 || op.inputs[0]! < 0) throw new ReduceShapeError('needs an input and an output');
  const input = g.tensors[op.inputs[0]!]!;
  const output = g.tensors[op.outputs[0]!]!;
  if (op.type === 'L2_NORMALIZATION') {
    if (input.shape.length > 4) throw new ReduceShapeError(`input rank ${input.shape.length} is above 4 (TFLite takes rank ≤ 4)`);
    if (op.options.activation !== 'NONE') throw new ReduceShapeError(`fused activation ${op.options.activation}; TFLite takes NONE only`);
  }
  const problem = fixedOutputProblem(op.type, input, output);
  if (problem) throw new ReduceShapeError(problem);
}
