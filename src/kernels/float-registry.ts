// Lowerings for the float32 GPU path: float models, hybrid models (float activations, 8-bit
// weights dequantized at load), and 8-bit models turned float by src/float/dequantize-graph.ts.
// Float tensors are stored plainly (row-major, unpadded); see src/kernels/float/.
import type { OpType } from '../model/graph.ts';
import type { Lowering } from './lowering.ts';
import { lowerFloatConv2D, lowerFloatDepthwiseConv2D, lowerFloatFullyConnected } from './float/conv.ts';
import { lowerFloatBinary, lowerFloatUnary } from './float/elementwise.ts';
import { FLOAT_BINARY_ARITH_LOWERINGS } from './float/binary.ts';
import { lowerFloatMean, lowerFloatPool } from './float/pool.ts';
import { lowerFloatConcatenation, lowerFloatPad, lowerFloatReshape, lowerFloatSoftmax, lowerFloatTranspose } from './float/shape.ts';

export const FLOAT_LOWERINGS: Partial<Record<OpType, Lowering>> = {
  CONV_2D: lowerFloatConv2D as Lowering,
  DEPTHWISE_CONV_2D: lowerFloatDepthwiseConv2D as Lowering,
  FULLY_CONNECTED: lowerFloatFullyConnected as Lowering,
  ADD: lowerFloatBinary as Lowering,
  MUL: lowerFloatBinary as Lowering,
  // binary arithmetic with broadcasting
  ...FLOAT_BINARY_ARITH_LOWERINGS,
  AVERAGE_POOL_2D: lowerFloatPool as Lowering,
  MAX_POOL_2D: lowerFloatPool as Lowering,
  MEAN: lowerFloatMean as Lowering,
  SOFTMAX: lowerFloatSoftmax as Lowering,
  LOGISTIC: lowerFloatUnary as Lowering,
  RELU: lowerFloatUnary as Lowering,
  RELU6: lowerFloatUnary as Lowering,
  RESHAPE: lowerFloatReshape as Lowering,
  SQUEEZE: lowerFloatReshape as Lowering,
  PAD: lowerFloatPad as Lowering,
  TRANSPOSE: lowerFloatTranspose as Lowering,
  CONCATENATION: lowerFloatConcatenation as Lowering,
};
