// A PAD whose readers are all VALID CONV_2D or DEPTHWISE_CONV_2D becomes each convolution's
// explicit padding (Conv2DOptions.explicitPadding): one dispatch and one activation less, the
// convolution reading its taps outside the image as the input zero point (real 0; float 0),
// which is what the PAD wrote there. Converters that do not map a framework's padding onto
// SAME write PAD + VALID convolution (asymmetric for stride 2): the TFLM MobileNet v2
// 1×3×224×224 has 18 of them, the TFLM person-id model 21, FastViT 10, YOLOv8n 7.
//
// The CPU reference keeps running the unfused graph (OctetModel's CPU backend and the tests'
// expectations); the GPU runs this one. Both convolutions compute the same sums: the reference
// and both GPU paths skip or zero the taps outside the image, and a PAD with equal input and
// output quantization (TFLite requires it) fills with the very zero point the fused convolution
// pads with. Tensor ids stay; the PAD's output is no longer computed, so a run cannot capture it.
import type { ExplicitPadding, Graph, OpIR, OpOf, TensorIR } from '../model/graph.ts';
import { DTYPE_BYTES } from '../model/graph.ts';
import { readersOf } from './tensor-uses.ts';

type Convolution = OpOf<'CONV_2D'> | OpOf<'DEPTHWISE_CONV_2D'>;

/** The paddings operand's (before, after) counts per dimension, when it is a constant. */
function constantPaddings(t: TensorIR | undefined): number[] | undefined {
  if (!t?.data || (t.dtype !== 'int32' && t.dtype !== 'int64')) return undefined;
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const count = t.data.byteLength / DTYPE_BYTES[t.dtype];
  return Array.from({ length: count }, (_, i) => (t.dtype === 'int32' ? view.getInt32(i * 4, true) : Number(view.getBigInt64(i * 8, true))));
}

/** Same dtype, and for 8-bit tensors one per-tensor scale (as float32) and zero point. */
export function sameQuantization(a: TensorIR, b: TensorIR): boolean {
  if (a.dtype !== b.dtype) return false;
  if (a.dtype === 'float32') return true;
  if (a.dtype !== 'int8' && a.dtype !== 'uint8') return false;
  const [qa, qb] = [a.quant, b.quant];
  if (!qa || !qb || qa.scale.length !== 1 || qb.scale.length !== 1 || qa.zeroPoint.length !== 1 || qb.zeroPoint.length !== 1) return false;
  return qa.zeroPoint[0] === qb.zeroPoint[0] && Math.fround(qa.scale[0]!) === Math.fround(qb.scale[0]!);
}

/** The H and W padding of a PAD on a 4-D NHWC tensor that pads nothing else, or undefined. */
function spatialPadOf(graph: Graph, pad: OpIR): ExplicitPadding | undefined {
  const input = graph.tensors[pad.inputs[0]!];
  const output = graph.tensors[pad.outputs[0]!];
  const p = constantPaddings(graph.tensors[pad.inputs[1] ?? -1]);
  if (!input || !output || input.data || !p || input.shape.length !== 4 || p.length !== 8) return undefined;
  if (p.some((x) => !Number.isInteger(x) || x < 0) || p[0] !== 0 || p[1] !== 0 || p[6] !== 0 || p[7] !== 0) return undefined;
  if (input.shape.some((d, i) => d + p[2 * i]! + p[2 * i + 1]! !== output.shape[i])) return undefined;
  if (!sameQuantization(input, output)) return undefined;
  return { top: p[2]!, bottom: p[3]!, left: p[4]!, right: p[5]! };
}

function sum(a: ExplicitPadding | undefined, b: ExplicitPadding): ExplicitPadding {
  if (!a) return b;
  return { top: a.top + b.top, bottom: a.bottom + b.bottom, left: a.left + b.left, right: a.right + b.right };
}

const isValidConvolution = (op: OpIR): op is Convolution => (op.type === 'CONV_2D' || op.type === 'DEPTHWISE_CONV_2D') && op.options.padding === 'VALID';

/** One sweep: every PAD all of whose readers are VALID convolutions reading it as their input, folded into each. */
function foldOnce(graph: Graph): Graph {
  const readers = readersOf(graph);
  const outputs = new Set(graph.outputs);
  const folded = new Set<OpIR>();
  const replaced = new Map<OpIR, Convolution>();
  for (const pad of graph.ops) {
    if (pad.type !== 'PAD') continue;
    const padded = pad.outputs[0]!;
    const convs = readers.get(padded) ?? [];
    if (outputs.has(padded) || convs.length === 0) continue;
    // Each reader pads for itself then (a PAD read by two depthwise convolutions, FastViT's, folds into both).
    if (!convs.every((op) => isValidConvolution(op) && op.inputs.indexOf(padded) === 0 && op.inputs.lastIndexOf(padded) === 0)) continue;
    const p = spatialPadOf(graph, pad);
    if (!p) continue;
    for (const conv of convs as Convolution[]) {
      replaced.set(conv, { ...conv, inputs: [pad.inputs[0]!, ...conv.inputs.slice(1)], options: { ...conv.options, explicitPadding: sum(conv.options.explicitPadding, p) } } as Convolution);
    }
    folded.add(pad);
  }
  if (folded.size === 0) return graph;
  return { ...graph, ops: graph.ops.filter((op) => !folded.has(op)).map((op) => replaced.get(op) ?? op) };
}

/**
 * `graph` with each PAD of H and W whose readers are all VALID convolutions (reading it as their
 * input) folded into them; the same graph when none is. Sweeps until none is left, so a PAD of
 * a PAD folds too, the counts added (its reader is a convolution once the inner PAD folded).
 */
export function foldPadIntoConvolution(graph: Graph): Graph {
  let current = graph;
  for (;;) {
    const next = foldOnce(current);
    if (next === current) return current;
    current = next;
  }
}
