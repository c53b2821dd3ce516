// Lowerings for SOFTMAX, LOGISTIC, RELU, RELU6, RESHAPE, SQUEEZE, PAD, TRANSPOSE, CONCATENATION,
// QUANTIZE and DEQUANTIZE on the int8 path. Each op family lives in its own module; this table
// is what the registry spreads in.
import { lowerDequantize, lowerQuantize, lowerRelu } from './quantize.ts';
import { lowerConcatenation, lowerPad, lowerReshape, lowerTranspose } from './relayout.ts';
import { lowerSoftmax } from './softmax.ts';
import { lowerUnary } from './unary.ts';
import { MOVE_LOWERINGS } from './move.ts';
import { UNARY_LOWERINGS } from './unary.ts';
import { RESIZE_ARG_CAST_LOWERINGS } from './resize.ts';

export const SHAPE_AND_ACTIVATION_LOWERINGS = {
  SOFTMAX: lowerSoftmax,
  LOGISTIC: lowerUnary,
  RESHAPE: lowerReshape,
  SQUEEZE: lowerReshape,
  PAD: lowerPad,
  TRANSPOSE: lowerTranspose,
  // Data movement family (8-bit and 32-bit tensors alike).
  ...MOVE_LOWERINGS,
  CONCATENATION: lowerConcatenation,
  QUANTIZE: lowerQuantize,
  DEQUANTIZE: lowerDequantize,
  RELU: lowerRelu,
  RELU6: lowerRelu,
  // Unary activations and math.
  ...UNARY_LOWERINGS,
  // Resize, arg reductions and casts (every dtype these ops take).
  ...RESIZE_ARG_CAST_LOWERINGS,
};
