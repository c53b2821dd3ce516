// Which lowering handles which op on the GPU. Each path's table (int8 here, float32 in
// float-registry.ts) has an entry for every op type (GpuPathTable): a lowering, typed by the op it
// is registered for, or null where the path has no kernel, so a new op type does not compile until
// both paths decide. An op without a kernel is refused at load, by name, before anything is
// allocated. Each op family module exports its own share of the table.
import { operatorName, type Graph, type OpIR } from '../model/graph.ts';
import { HOST_PLACEMENT, runsOnHost, type OpPlacement } from '../model/inspect.ts';
import { lowerConv2D, lowerDepthwiseConv2D, lowerFullyConnected } from './conv2d.ts';
import { lowerBatchMatMul, lowerTransposeConv } from './tconv.ts';
import { POOL_AND_ELEMENTWISE_LOWERINGS } from './pool-elementwise.ts';
import { BINARY_ARITH_LOWERINGS } from './binary.ts';
import { SHAPE_AND_ACTIVATION_LOWERINGS } from './shape-ops.ts';
import { REDUCE_LOWERINGS } from './reduce.ts';
import { FLOAT_LOWERINGS } from './float-registry.ts';
import { LoweringError, withoutKernel, type GpuPathTable, type Lowering, type LoweredOp, type LoweringContext } from './lowering.ts';

export const INT8_LOWERINGS: GpuPathTable = {
  CONV_2D: lowerConv2D,
  DEPTHWISE_CONV_2D: lowerDepthwiseConv2D,
  FULLY_CONNECTED: lowerFullyConnected,
  // Convolution family additions.
  TRANSPOSE_CONV: lowerTransposeConv,
  BATCH_MATMUL: lowerBatchMatMul,
  ...POOL_AND_ELEMENTWISE_LOWERINGS,
  // binary arithmetic with broadcasting
  ...BINARY_ARITH_LOWERINGS,
  ...SHAPE_AND_ACTIVATION_LOWERINGS,
  // Reductions and normalizations.
  ...REDUCE_LOWERINGS,
  // 8-bit LOG_SOFTMAX and the detection post-process run on the host after the GPU program
  // (runsOnHost in src/model/inspect.ts); no GPU kernel computes them exactly yet.
  ...withoutKernel('LOG_SOFTMAX', 'DETECTION_POSTPROCESS'),
};

/**
 * An op runs on the float path when its first input is float32, except QUANTIZE, which takes
 * float in and gives 8 bits out and belongs to the int8 path. DEQUANTIZE (8 bits in, float out)
 * is int8 by the same rule.
 */
export function isFloatOp(ctx: LoweringContext, op: OpIR): boolean {
  return isFloatOpIn(ctx.graph, op);
}

function isFloatOpIn(graph: Pick<Graph, 'tensors'>, op: OpIR): boolean {
  if (op.type === 'QUANTIZE') return false;
  // TRANSPOSE_CONV's first input is its int32 output_shape; its data input is input 2.
  const first = graph.tensors[op.inputs[op.type === 'TRANSPOSE_CONV' ? 2 : 0]!];
  return first?.dtype === 'float32';
}

/**
 * Where an operator would run on the GPU by the rule above, or why it cannot: no lowering on its
 * path. (A lowering may still refuse a particular shape or quantization when the model loads.)
 */
export function gpuPlacement(graph: Pick<Graph, 'tensors'>, op: OpIR): OpPlacement {
  // Host ops (src/runtime/host-tail.ts) run after the GPU program reads back their inputs.
  if (runsOnHost(graph, op)) return HOST_PLACEMENT;
  const float = isFloatOpIn(graph, op);
  if ((float ? FLOAT_LOWERINGS : INT8_LOWERINGS)[op.type]) return { runsOn: float ? 'float GPU' : 'int8 GPU' };
  return { runsOn: 'not supported', reason: `no ${float ? 'float32' : 'int8'} GPU kernel for ${op.type}` };
}

export function lowerOp(ctx: LoweringContext, op: OpIR): LoweredOp {
  const float = isFloatOp(ctx, op);
  // op.type and op are correlated (the entry under op.type takes exactly this op), which
  // TypeScript cannot follow through a union of entries: the one cast of the registry.
  const lowering = (float ? FLOAT_LOWERINGS : INT8_LOWERINGS)[op.type] as Lowering | null;
  if (!lowering) {
    throw new LoweringError(
      `unsupported op ${op.type} (version ${op.version}) at ${operatorName(op)} on the ${float ? 'float32' : 'int8'} GPU path`,
    );
  }
  if (op.origin === undefined) return lowering(ctx, op);
  // An op a load pass inserted: the lowerings name it by its own index, which no model operator
  // has, so the message also says which one it serves.
  try {
    return lowering(ctx, op);
  } catch (e) {
    if (e instanceof LoweringError) throw new LoweringError(`${e.message} (operator ${op.index} was inserted for model operator ${op.origin})`, { cause: e });
    throw e;
  }
}
