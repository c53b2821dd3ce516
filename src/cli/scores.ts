// Classifier outputs → ranked, human-readable scores.
import type { Graph, TensorIR } from '../model/graph.ts';
import type { TensorData } from '../kernels/layout.ts';

export interface RankedClass {
  index: number;
  score: number;
}

/**
 * Output indices best first. Ranks the raw values (exact for quantized outputs, where many tie)
 * and breaks ties by the lower index, as a stable descending argsort does in the reference CSVs.
 */
export function rankIndices(values: ArrayLike<number>, k = values.length): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i);
  order.sort((a, b) => values[b] - values[a] || a - b);
  return order.slice(0, Math.max(0, k));
}

/** Whether `tensorId` is produced by a SOFTMAX op, i.e. already holds probabilities. */
export function isSoftmaxOutput(graph: Graph, tensorId: number): boolean {
  return graph.ops.some((op) => op.type === 'SOFTMAX' && op.outputs.includes(tensorId));
}

/** Real values of an output: quantized outputs dequantized with their (per-tensor) params. */
export function dequantizeOutput(data: TensorData, t: TensorIR): Float64Array {
  const out = new Float64Array(data.length);
  const q = t.quant;
  if (!q || t.dtype === 'float32') {
    for (let i = 0; i < data.length; i++) out[i] = data[i];
    return out;
  }
  const scale = q.scale[0];
  const zeroPoint = q.zeroPoint[0];
  for (let i = 0; i < data.length; i++) out[i] = scale * (data[i] - zeroPoint);
  return out;
}

export function softmax(values: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]);
  const out = new Float64Array(values.length);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += out[i] = Math.exp(values[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/**
 * Probabilities for a classifier output: the dequantized softmax output when the model ends in
 * SOFTMAX, else a softmax over the dequantized logits (so scores always read as probabilities).
 */
export function classProbabilities(graph: Graph, outputId: number, data: TensorData): { probabilities: Float64Array; softmaxApplied: boolean } {
  const real = dequantizeOutput(data, graph.tensors[outputId]);
  if (isSoftmaxOutput(graph, outputId)) return { probabilities: real, softmaxApplied: false };
  return { probabilities: softmax(real), softmaxApplied: true };
}
