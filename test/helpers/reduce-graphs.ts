// Builders for SUM / REDUCE_MAX / REDUCE_MIN / REDUCE_PROD and L2_NORMALIZATION / LOG_SOFTMAX
// single-op graphs, shared by the TFLite-runtime, kernel and import tests.
import type { Graph } from '../../src/model/graph.ts';
import { FIXED_NORMALIZATION_OUTPUT } from '../../src/model/reduce-shape.ts';
import { GraphBuilder, quant } from './graphs.ts';

export type ReduceType = 'SUM' | 'REDUCE_MAX' | 'REDUCE_MIN' | 'REDUCE_PROD';
export type ReduceDType = 'int8' | 'uint8' | 'float32';

export interface ReduceCase {
  type: ReduceType;
  dtype: ReduceDType;
  shape: number[];
  /** As stored: negative values and duplicates allowed. */
  axes: number[];
  keepDims: boolean;
  /** Input and output (scale, zero point) for 8-bit cases, zero points in the dtype's own domain. */
  input?: [number, number];
  output?: [number, number];
}

export function reduceOutputShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const reduced = new Set(axes.map((a) => (a < 0 ? a + shape.length : a)));
  return keepDims ? shape.map((d, i) => (reduced.has(i) ? 1 : d)) : shape.filter((_, i) => !reduced.has(i));
}

export function reduceGraph(c: ReduceCase): Graph {
  const b = new GraphBuilder();
  const q = (p?: [number, number]) => (c.dtype === 'float32' || !p ? undefined : quant(p[0], p[1]));
  const input = b.tensor('input', c.shape, c.dtype, q(c.input));
  const axis = b.tensor('axis', [c.axes.length], 'int32', undefined, Int32Array.from(c.axes));
  const output = b.tensor('output', reduceOutputShape(c.shape, c.axes, c.keepDims), c.dtype, q(c.output ?? c.input));
  b.op({ type: c.type, inputs: [input, axis], outputs: [output], options: { keepDims: c.keepDims } });
  const qText = c.dtype === 'float32' ? '' : ` ${c.input}→${c.output ?? c.input}`;
  return b.build([input], [output], `${c.type} ${c.dtype} [${c.shape}] axes [${c.axes}]${c.keepDims ? ' keepDims' : ''}${qText}`);
}

/** L2_NORMALIZATION or LOG_SOFTMAX with TFLite's fixed output params (or `output` to break them). */
export function normalizationGraph(
  type: 'L2_NORMALIZATION' | 'LOG_SOFTMAX',
  dtype: ReduceDType,
  shape: number[],
  input?: [number, number],
  output?: [number, number],
): Graph {
  const b = new GraphBuilder();
  const fixed = dtype === 'float32' ? undefined : FIXED_NORMALIZATION_OUTPUT[type][dtype];
  const x = b.tensor('input', shape, dtype, dtype === 'float32' || !input ? undefined : quant(input[0], input[1]));
  const outQ = output ?? (fixed ? [fixed.scale, fixed.zeroPoint] : undefined);
  const y = b.tensor('output', shape, dtype, dtype === 'float32' || !outQ ? undefined : quant(outQ[0], outQ[1]));
  if (type === 'L2_NORMALIZATION') b.op({ type, inputs: [x], outputs: [y], options: { activation: 'NONE' } });
  else b.op({ type, inputs: [x], outputs: [y], options: {} });
  return b.build([x], [y], `${type} ${dtype} [${shape}]${input ? ` ${input}` : ''}`);
}
