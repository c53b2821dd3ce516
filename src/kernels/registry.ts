// Which lowering handles which op on the int8 GPU path. An op missing here is refused at load,
// by name, before anything is allocated.
import type { OpIR, OpType } from '../model/graph.ts';
import { lowerConv2D, lowerDepthwiseConv2D, lowerFullyConnected } from './conv2d.ts';
import { LoweringError, type LoweredOp, type LoweringContext } from './lowering.ts';

type Lowering = (ctx: LoweringContext, op: never) => LoweredOp;

export const INT8_LOWERINGS: Partial<Record<OpType, Lowering>> = {
  CONV_2D: lowerConv2D,
  FULLY_CONNECTED: lowerFullyConnected,
  DEPTHWISE_CONV_2D: lowerDepthwiseConv2D,
};

export function registerLowering(type: OpType, lowering: Lowering): void {
  INT8_LOWERINGS[type] = lowering;
}

export function lowerOp(ctx: LoweringContext, op: OpIR): LoweredOp {
  const lowering = INT8_LOWERINGS[op.type];
  if (!lowering) {
    throw new LoweringError(`unsupported op ${op.type} (version ${op.version}) at operator ${op.index} on the int8 GPU path`);
  }
  return (lowering as (ctx: LoweringContext, op: OpIR) => LoweredOp)(ctx, op);
}
