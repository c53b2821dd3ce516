// Graphs of a PAD feeding a convolution, as TF2 and PyTorch exports write explicit padding: a
// one-convolution graph (VALID over the padded input) with a PAD of H and W put in front.
import type { ExplicitPadding, Graph } from '../../src/model/graph.ts';

/**
 * `conv` (one convolution whose input, graph input 0, is the padded image) with its input
 * produced by a PAD of a new, smaller graph input by `pads` (before/after on H and W, 0 on N
 * and C), paddings stored as `paddingsType`. The padded tensor keeps its id and quantization.
 */
export function withPadBefore(conv: Graph, pads: ExplicitPadding, paddingsType: 'int32' | 'int64' = 'int32'): Graph {
  const padded = conv.tensors[conv.inputs[0]!]!;
  const [n, h, w, c] = padded.shape as [number, number, number, number];
  const inShape = [n, h - pads.top - pads.bottom, w - pads.left - pads.right, c];
  if (inShape.some((d) => d < 1)) throw new Error(`pads ${JSON.stringify(pads)} leave no image of [${padded.shape}]`);
  const inputId = conv.tensors.length;
  const paddingsId = inputId + 1;
  const flat = [0, 0, pads.top, pads.bottom, pads.left, pads.right, 0, 0];
  const data = paddingsType === 'int32' ? Int32Array.from(flat) : BigInt64Array.from(flat.map(BigInt));
  const tensors = [
    ...conv.tensors.map((t) => (t.id === padded.id ? { ...t, name: `${t.name} padded` } : t)),
    { ...padded, id: inputId, shape: inShape, data: undefined },
    { id: paddingsId, name: 'paddings', shape: [4, 2], dtype: paddingsType, data: new Uint8Array(data.buffer) },
  ];
  const pad = { type: 'PAD', index: conv.ops.length, version: 1, inputs: [inputId, paddingsId], outputs: [padded.id], options: {} } as Graph['ops'][number];
  return { ...conv, name: `pad ${JSON.stringify(pads)} then ${conv.name}`, tensors, ops: [pad, ...conv.ops], inputs: [inputId] };
}
