// Whether the TFLite runtime runs a graph through its XNNPACK delegate at all, and (for ops whose
// rounding depends on it) whether the delegate takes a given op.
//
// TFLite sizes every tensor in Prepare. An op whose output shape depends on the value of an
// operand that is not a constant (a RESHAPE whose shape comes from SHAPE → STRIDED_SLICE → PACK, a
// SPACE_TO_BATCH_ND whose paddings are computed) marks that output dynamic (SetTensorToDynamic),
// and Interpreter::ModifyGraphWithDelegate refuses a delegate without
// kTfLiteDelegateFlagsAllowDynamicTensors for the whole graph ("Attempting to use a delegate that
// only supports static-sized tensors with a graph that has dynamic-sized tensors"). XNNPACK's
// delegate in the runtime that made the reference vectors (TFLite WASM in @tensorflow/tfjs-tflite)
// is such a delegate: every op of such a graph runs TFLite's builtin kernels instead, and
// 'xnnpack' requantization follows those (tinymaix's MobileNet, whose last RESHAPE takes its
// shape from a SHAPE chain, is the corpus case; test/reference/tflite-runtime-conv.test.ts
// checks the rule against the runtime).
//
// "Constant" is what TFLite sees in the file: a tensor with a buffer. SHAPE's output is computed
// in Prepare but lives in the arena like any activation, so it does not make its consumers'
// operands constant (Octet's constant folding does, which is why this looks at the graph as
// imported, before folding).
import type { TransposeConvGeometry } from './conv-family.ts';
import type { Graph, OpIR } from './graph.ts';

/**
 * Per op type (TFLite builtin name), the input positions whose values decide the output shape:
 * each kernel's Prepare sizes the output only when all of them are constant
 * (IsConstantOrPersistentTensor) and marks it dynamic otherwise. Names are strings so that ops
 * Octet does not import yet can be listed.
 */
const SHAPE_OPERANDS: Readonly<Record<string, readonly number[]>> = {
  RESHAPE: [1],
  STRIDED_SLICE: [1, 2, 3],
  SLICE: [1, 2],
  PAD: [1],
  PADV2: [1],
  MIRROR_PAD: [1],
  TRANSPOSE: [1],
  MEAN: [1],
  SUM: [1],
  REDUCE_PROD: [1],
  REDUCE_MAX: [1],
  REDUCE_MIN: [1],
  REDUCE_ANY: [1],
  SPLIT: [0],
  SPLIT_V: [1, 2],
  TILE: [1],
  EXPAND_DIMS: [1],
  BROADCAST_TO: [1],
  SPACE_TO_BATCH_ND: [1, 2],
  BATCH_TO_SPACE_ND: [1, 2],
  RESIZE_BILINEAR: [1],
  RESIZE_NEAREST_NEIGHBOR: [1],
  ARG_MAX: [1],
  ARG_MIN: [1],
  FILL: [0],
  TRANSPOSE_CONV: [0],
};

/** The first op (in model order) whose output TFLite would size at run time, or undefined. */
export function firstDynamicOutputOp(graph: Pick<Graph, 'tensors' | 'ops'>): OpIR | undefined {
  return graph.ops.find((op) =>
    (SHAPE_OPERANDS[op.type] ?? []).some((position) => {
      const id = op.inputs[position];
      return id !== undefined && id >= 0 && graph.tensors[id]?.data === undefined;
    }),
  );
}

/** Whether the TFLite runtime applies its XNNPACK delegate to this (imported, unfolded) graph. */
export function xnnpackDelegateApplies(graph: Pick<Graph, 'tensors' | 'ops'>): boolean {
  return firstDynamicOutputOp(graph) === undefined;
}

/**
 * Whether the TFLite runtime's XNNPACK delegate takes an 8-bit TRANSPOSE_CONV (its QS8/QU8
 * deconvolution, fp32 requantization) rather than leaving it to transpose_conv.cc. Measured
 * against the runtime (test/reference/tconv-runtime.test.ts): the delegate takes per-tensor
 * int8 and uint8 weights, refuses per-channel weights (it has no QC8 deconvolution), strides
 * larger than the kernel and, with VALID padding, outputs smaller than the kernel.
 */
export function xnnpackTakesTransposeConv(g: TransposeConvGeometry, perChannel: boolean, padding: 'SAME' | 'VALID'): boolean {
  if (perChannel) return false;
  if (g.strideH > g.kH || g.strideW > g.kW) return false;
  if (padding === 'VALID' && (g.outH < g.kH || g.outW < g.kW)) return false;
  return true;
}
