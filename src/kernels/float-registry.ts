// Lowerings for the float32 GPU path: float models, hybrid models (float activations, 8-bit
// weights dequantized at load), and 8-bit models turned float by src/passes/dequantize-graph.ts.
// Float tensors are stored plainly (row-major, unpadded); see src/kernels/float/.
import { withoutKernel, type GpuPathTable } from './lowering.ts';
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

export const FLOAT_LOWERINGS: GpuPathTable = {
  CONV_2D: lowerFloatConv2D,
  DEPTHWISE_CONV_2D: lowerFloatDepthwiseConv2D,
  FULLY_CONNECTED: lowerFloatFullyConnected,
  // Convolution family additions.
  TRANSPOSE_CONV: lowerFloatTransposeConv,
  BATCH_MATMUL: lowerFloatBatchMatMul,
  ADD: lowerFloatBinary,
  MUL: lowerFloatBinary,
  // binary arithmetic with broadcasting
  ...FLOAT_BINARY_ARITH_LOWERINGS,
  AVERAGE_POOL_2D: lowerFloatPool,
  MAX_POOL_2D: lowerFloatPool,
  MEAN: lowerFloatMean,
  // Reductions and normalizations.
  ...FLOAT_REDUCE_LOWERINGS,
  SOFTMAX: lowerFloatSoftmax,
  LOGISTIC: lowerFloatUnary,
  RELU: lowerFloatUnary,
  RELU6: lowerFloatUnary,
  // Unary activations and math.
  ...FLOAT_UNARY_LOWERINGS,
  RESHAPE: lowerFloatReshape,
  SQUEEZE: lowerFloatReshape,
  PAD: lowerFloatPad,
  TRANSPOSE: lowerFloatTranspose,
  // Data movement family: the same lowerings move float32 (and int32) tensors.
  ...MOVE_LOWERINGS,
  CONCATENATION: lowerFloatConcatenation,
  // Resize, arg reductions and casts: the int8 table's lowerings, which take float32 too.
  ...RESIZE_ARG_CAST_LOWERINGS,
  // QUANTIZE and DEQUANTIZE of 8-bit tensors belong to the int8 path (isFloatOp); a
  // DEQUANTIZE whose input is already float32 has no kernel. The detection post-process runs on the host.
  ...withoutKernel('QUANTIZE', 'DEQUANTIZE', 'DETECTION_POSTPROCESS'),
};
