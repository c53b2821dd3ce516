// Lowerings for SOFTMAX, LOGISTIC, RELU, RELU6, RESHAPE, SQUEEZE, PAD, TRANSPOSE, CONCATENATION,
// QUANTIZE and DEQUANTIZE (being written).
import type { OpType } from '../model/graph.ts';
import type { Lowering } from './lowering.ts';

export const SHAPE_AND_ACTIVATION_LOWERINGS: Partial<Record<OpType, Lowering>> = {};
