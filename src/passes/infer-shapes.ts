// Shape inference after constant folding. A model whose intermediate shapes TFLite computes at run
// time (see src/model/tflite-delegation.ts) stores placeholders for them: tfls_dilated_conv's
// SPACE_TO_BATCH_ND → CONV_2D → BATCH_TO_SPACE_ND chain carries [1, 1, 1, 3] where TFLite
// resizes to [36, 3, 3, 3]. Once folding has made the shape operands constant, each op's output
// shape follows from its inputs, in model order, as TFLite's Prepare would size it. Only
// non-constant outputs of the ops below are resized; graph inputs keep their shapes, and an op
// not listed keeps its stored output shape (its kernel then checks it).
import { windowPadding } from '../model/conv-family.ts';
import { constantData } from '../quant/tensor.ts';
import type { Graph, OpIR, TensorIR } from '../model/graph.ts';
import { UNARY_OP_TYPES } from '../ops/unary.ts';

/** Same-shape ops: the output has the first input's shape. */
const ELEMENTWISE: ReadonlySet<string> = new Set(['QUANTIZE', 'DEQUANTIZE', 'RELU', 'RELU6', 'LOGISTIC', 'SOFTMAX', ...UNARY_OP_TYPES]);
/** numpy-broadcasting binary ops. */
const BROADCASTING = new Set(['ADD', 'SUB', 'MUL', 'DIV', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE', 'POW', 'FLOOR_DIV', 'FLOOR_MOD']);

function ints(t: TensorIR | undefined): number[] | undefined {
  if (!t?.data) return undefined;
  return Array.from(constantData(t) as ArrayLike<number | bigint>, Number);
}

function broadcast(a: readonly number[], b: readonly number[]): number[] | undefined {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? 1;
    const y = b[b.length - rank + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** The output shape TFLite's Prepare gives `op` for these input shapes, or undefined when not inferred here. */
function outputShape(op: OpIR, tensors: readonly TensorIR[]): number[] | undefined {
  const input = (k: number): TensorIR | undefined => (op.inputs[k] !== undefined && op.inputs[k]! >= 0 ? tensors[op.inputs[k]!] : undefined);
  const x = input(0);
  if (!x) return undefined;
  if (ELEMENTWISE.has(op.type)) return [...x.shape];
  if (BROADCASTING.has(op.type)) {
    const y = input(1);
    return y ? broadcast(x.shape, y.shape) : undefined;
  }
  switch (op.type) {
    case 'SPACE_TO_BATCH_ND':
    case 'BATCH_TO_SPACE_ND': {
      const block = ints(input(1));
      const pads = ints(input(2));
      const m = block?.length ?? 0;
      if (!block || !pads || pads.length !== 2 * m || x.shape.length < m + 1) return undefined;
      const shape = [...x.shape];
      const blockCount = block.reduce((p, b) => p * b, 1);
      for (let i = 0; i < m; i++) {
        const d = x.shape[1 + i]!;
        shape[1 + i] = op.type === 'SPACE_TO_BATCH_ND' ? (d + pads[2 * i]! + pads[2 * i + 1]!) / block[i]! : d * block[i]! - pads[2 * i]! - pads[2 * i + 1]!;
      }
      shape[0] = op.type === 'SPACE_TO_BATCH_ND' ? x.shape[0]! * blockCount : x.shape[0]! / blockCount;
      return shape.every((d) => Number.isInteger(d) && d >= 0) ? shape : undefined;
    }
    case 'CONV_2D':
    case 'DEPTHWISE_CONV_2D': {
      const w = input(1);
      if (!w || x.shape.length !== 4 || w.shape.length !== 4) return undefined;
      const o = op.options;
      const h = windowPadding(o, 'height', x.shape[1]!, w.shape[1]!);
      const wd = windowPadding(o, 'width', x.shape[2]!, w.shape[2]!);
      return [x.shape[0]!, h.outSize, wd.outSize, op.type === 'CONV_2D' ? w.shape[0]! : w.shape[3]!];
    }
    default:
      return undefined;
  }
}

/** The graph with inferred output shapes (the same graph when every stored shape already agrees). */
export function inferShapes(graph: Graph): Graph {
  let tensors: TensorIR[] | undefined;
  const current = (): readonly TensorIR[] => tensors ?? graph.tensors;
  for (const op of graph.ops) {
    const shape = outputShape(op, current());
    const id = op.outputs[0];
    if (!shape || id === undefined || id < 0) continue;
    const t = current()[id]!;
    if (t.data || graph.inputs.includes(id) || (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]))) continue;
    tensors ??= graph.tensors.slice();
    tensors[id] = { ...t, shape };
  }
  return tensors ? { ...graph, tensors } : graph;
}
