// Lowerings for ADD, MUL, AVERAGE_POOL_2D, MAX_POOL_2D and MEAN (being written).
import type { OpType } from '../model/graph.ts';
import type { Lowering } from './lowering.ts';

export const POOL_AND_ELEMENTWISE_LOWERINGS: Partial<Record<OpType, Lowering>> = {};
