// Who reads and who writes each tensor of a graph: what the fusion passes (fold-pad, fuse-add,
// place-concat) ask before they remove a tensor from what the GPU computes.
import type { Graph, OpIR } from '../model/graph.ts';

/** Each tensor's readers, every op once however many of its inputs the tensor is. */
export function readersOf(graph: Graph): Map<number, OpIR[]> {
  const readers = new Map<number, OpIR[]>();
  for (const op of graph.ops) {
    for (const id of new Set(op.inputs)) {
      if (id < 0) continue;
      const list = readers.get(id);
      if (list) list.push(op);
      else readers.set(id, [op]);
    }
  }
  return readers;
}

/** Each tensor's producing op and that op's position in the graph's order. */
export function producersOf(graph: Graph): Map<number, { op: OpIR; position: number }> {
  const producers = new Map<number, { op: OpIR; position: number }>();
  graph.ops.forEach((op, position) => {
    for (const id of op.outputs) producers.set(id, { op, position });
  });
  return producers;
}
