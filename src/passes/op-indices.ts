// Op indices across passes: OpIR.index is the model's operator index, and stays unique in every
// graph a pass returns. An op a pass inserts takes a fresh index from an allocator that starts past
// every index of the graph the pipeline began with (so past ops folded away too: a fresh index
// never names a model operator) and records in `origin` the model operator it was derived from.
import type { Graph } from '../model/graph.ts';

/** Fresh op indices: the first is one past the largest index in `graph`, each call the next. */
export function opIndexAllocator(graph: Pick<Graph, 'ops'>): () => number {
  let next = graph.ops.reduce((m, op) => Math.max(m, op.index + 1), 0);
  return () => next++;
}

/**
 * Throws when two ops of `graph` share an index, or an op's `origin` is not an index of `model`
 * (the graph the passes started from): a pass broke the rule above, and messages naming ops by
 * index would be ambiguous.
 */
export function checkOpIndices(graph: Pick<Graph, 'ops'>, model: Pick<Graph, 'ops'>, after: string): void {
  const seen = new Set<number>();
  const modelIndices = new Set(model.ops.flatMap((op) => (op.origin === undefined ? [op.index] : [op.index, op.origin])));
  for (const op of graph.ops) {
    if (seen.has(op.index)) throw new Error(`after ${after}: two ops have index ${op.index} (the second a ${op.type})`);
    seen.add(op.index);
    if (op.origin !== undefined && !modelIndices.has(op.origin)) {
      throw new Error(`after ${after}: ${op.type} at index ${op.index} has origin ${op.origin}, which is no operator of the model`);
    }
  }
}
