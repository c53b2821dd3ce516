// Lowerings for the float32 GPU path (float models, and int8 models run as float with their
// weights dequantized at load). Being written.
import type { OpType } from '../model/graph.ts';
import type { Lowering } from './lowering.ts';

export const FLOAT_LOWERINGS: Partial<Record<OpType, Lowering>> = {};
