// Lowerings for the float32 GPU path: float models, hybrid models (float activations, 8-bit
// weights dequantized at load), and 8-bit models turned float by src/passes/dequantize-graph.ts.
// Float tensors are stored plainly (row-major, unpadded); see src/kernels/float/.
import type { OpType } from '../model/graph.ts';
import type { Lowering } from './lowering.ts';
import { lowerFloatConv2D, lowerFloatDepthwiseConv2D, lowerFloatFullyConnected } from './float/conv.ts';
import { lowerFloatBatchMatMul, lowerFloatTransposeConv } from './float/tconv.ts';
import { lowerFloatBinary, lowerFloatUnary } from './float/elementwise.ts';
import { FLOAT_BINARY_ARITH_LOWERINGS } from './float/binary.ts';
import { lowerFloatMean, lowerFloatPool } from './float/pool.ts';
import { MOVE_LOWERINGS } from './move.ts';
import { FLOAT_UNARY_LOWERINGS } from './float/unary.ts';
import { FLOAT_REDUCE_LOWERINGS } from './float/reduce.ts';
import { RESIZE_ARG_CAST_LOWERINGS } from './resize.ts';
import { lowerFloatConcatenation, lowerFloatPad, lowerFloatReshape, lowerFloatSoftmax, lowerFloatTranspose } from './float/shape.ts';

export const FLOAT_LOWERINGS: Partial<Record<OpType, Lowering>> = {
  CONV_2D: lowerFloatConv2D as Lowering,
  DEPTHWISE_CONV_2D: lowerFloatDepthwiseConv2D as Lowering,
  FULLY_CONNECTED: lowerFloatFullyConnected as Lowering,
  // Convolution family additions.
  TRANSPOSE_CONV: lowerFloatTransposeConv as Lowering,
  BATCH_MATMUL: lowerFloatBatchMatMul as Lowering,
  ADD: lowerFloatBinary as Lowering,
  MUL: lowerFloatBinary as Lowering,
  // binary arithmetic with broadcasting
  ...FLOAT_BINARY_ARITH_LOWERINGS,
  AVERAGE_POOL_2D: lowerFloatPool as Lowering,
  MAX_POOL_2D: lowerFloatPool as Lowering,
  MEAN: lowerFloatMean as Lowering,
  // Reductions and normalizations.
  ...FLOAT_REDUCE_LOWERINGS,
  SOFTMAX: lowerFloatSoftmax as Lowering,
  LOGISTIC: lowerFloatUnary as Lowering,
  RELU: lowerFloatUnary as Lowering,
  RELU6: lowerFloatUnary as Lowering,
  // Unary activations and math.
  ...FLOAT_UNARY_LOWERINGS,
  RESHAPE: lowerFloatReshape as Lowering,
  SQUEEZE: lowerFloatReshape as Lowering,
  PAD: lowerFloatPad as Lowering,
  TRANSPOSE: lowerFloatTranspose as Lowering,
  // Data movement family: the same lowerings move float32 (and int32) tensors.
  ...MOVE_LOWERINGS,
  CONCATENATION: lowerFloatConcatenation as Lowering,
  // Resize, arg reductions and casts: the int8 table's lowerings, which take float32 too.
  ...RESIZE_ARG_CAST_LOWERINGS,
};
