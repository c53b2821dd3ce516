// Graphs the TFLite runtime runs without its XNNPACK delegate: any graph gets a SHAPE → RESHAPE
// tail on each output, so that RESHAPE's shape operand is computed and TFLite sizes its output at
// run time (a dynamic tensor), which makes the interpreter refuse the delegate for the whole graph
// (src/model/tflite-delegation.ts). The tail copies values, so the op under test is unchanged.
import type { Graph, OpIR, TensorIR } from '../../src/model/graph.ts';

export function withDynamicTail(graph: Graph): Graph {
  const tensors: TensorIR[] = graph.tensors.map((t) => ({ ...t }));
  const ops: OpIR[] = graph.ops.map((op) => ({ ...op }));
  const outputs = graph.outputs.map((id, j) => {
    const t = tensors[id]!;
    const shape = tensors.length;
    tensors.push({ id: shape, name: `${t.name} shape`, shape: [t.shape.length], dtype: 'int32' });
    const copy = tensors.length;
    tensors.push({ ...t, id: copy, name: `${t.name} (dynamic ${j})` });
    ops.push({ index: ops.length, type: 'SHAPE', version: 1, inputs: [id], outputs: [shape], options: { outType: 'int32' } });
    ops.push({ index: ops.length, type: 'RESHAPE', version: 1, inputs: [id, shape], outputs: [copy], options: {} });
    return copy;
  });
  return { ...graph, name: `${graph.name} + dynamic tail`, tensors, ops, outputs };
}
