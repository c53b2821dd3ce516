// An int8-I/O model with a uint8 boundary, for runtimes whose API has no int8 tensors (LiteRT.js,
// bench/peers/litert.ts): what the TFLite converter writes for inference_input_type=uint8. With the
// same scale and zero point + 128, TFLite's QUANTIZE between int8 and uint8 is q ± 128 exactly
// (test/bench/uint8-boundary.test.ts checks it in the TFLite runtime itself).
import type { Graph, OpIR, TensorIR } from '../../src/model/graph.ts';

/**
 * `graph` with uint8 in place of every int8 graph input and output (see the header), or undefined
 * when it has none. The added QUANTIZE ops come first and last, so operator order stays topological.
 */
export function withUint8Boundary(graph: Graph): Graph | undefined {
  const int8 = (id: number) => graph.tensors[id]!.dtype === 'int8';
  if (!graph.inputs.some(int8) && !graph.outputs.some(int8)) return undefined;
  const tensors: TensorIR[] = graph.tensors.map((t) => ({ ...t }));
  const before: OpIR[] = [];
  const after: OpIR[] = [];
  const shifted = (t: TensorIR, name: string): TensorIR => {
    if (!t.quant || t.quant.scale.length !== 1) throw new Error(`int8 boundary tensor '${t.name}' is not per-tensor quantized`);
    const u: TensorIR = {
      id: tensors.length,
      name,
      shape: [...t.shape],
      dtype: 'uint8',
      quant: { scale: Float64Array.from(t.quant.scale), zeroPoint: Int32Array.from(t.quant.zeroPoint, (z) => z + 128), axis: t.quant.axis },
    };
    tensors.push(u);
    return u;
  };
  const quantize = (from: number, to: number): OpIR => ({ index: 0, type: 'QUANTIZE', version: 2, inputs: [from], outputs: [to], options: {} });
  const inputs = graph.inputs.map((id) => {
    if (!int8(id)) return id;
    const u = shifted(graph.tensors[id]!, `${graph.tensors[id]!.name}_uint8`);
    before.push(quantize(u.id, id));
    return u.id;
  });
  const outputs = graph.outputs.map((id) => {
    if (!int8(id)) return id;
    const u = shifted(graph.tensors[id]!, `${graph.tensors[id]!.name}_uint8`);
    after.push(quantize(id, u.id));
    return u.id;
  });
  const ops = [...before, ...graph.ops, ...after].map((op, index) => ({ ...op, index }) as OpIR);
  return { ...graph, tensors, ops, inputs, outputs };
}
