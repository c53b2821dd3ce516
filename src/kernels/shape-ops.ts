// Lowerings for SOFTMAX, LOGISTIC, RELU, RELU6, RESHAPE, SQUEEZE, PAD, TRANSPOSE, CONCATENATION,
// QUANTIZE and DEQUANTIZE on the int8 path. Each op family lives in its own module; this table
// is what the registry spreads in.
import type { OpType } from '../model/graph.ts';
import type { Lowering } from './lowering.ts';
import { lowerDequantize, lowerQuantize, lowerRelu } from './quantize.ts';
import { lowerConcatenation, lowerPad, lowerReshape, lowerTranspose } from './relayout.ts';
import { lowerLogistic, lowerSoftmax } from './softmax.ts';
import { MOVE_LOWERINGS } from './move.ts';
import { UNARY_LOWERINGS } from './unary.ts';
import { RESIZE_ARG_CAST_LOWERINGS } from './resize.ts';

export const SHAPE_AND_ACTIVATION_LOWERINGS: Partial<Record<OpType, Lowering>> = {
  SOFTMAX: lowerSoftmax as Lowering,
  LOGISTIC: lowerLogistic as Lowering,
  RESHAPE: lowerReshape as Lowering,
  SQUEEZE: lowerReshape as Lowering,
  PAD: lowerPad as Lowering,
  TRANSPOSE: lowerTranspose as Lowering,
  // Data movement family (8-bit and 32-bit tensors alike).
  ...MOVE_LOWERINGS,
  CONCATENATION: lowerConcatenation as Lowering,
  QUANTIZE: lowerQuantize as Lowering,
  DEQUANTIZE: lowerDequantize as Lowering,
  RELU: lowerRelu as Lowering,
  RELU6: lowerRelu as Lowering,
  // Unary activations and math.
  ...UNARY_LOWERINGS,
  // Resize, arg reductions and casts (every dtype these ops take).
  ...RESIZE_ARG_CAST_LOWERINGS,
};
