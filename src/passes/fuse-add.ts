// A residual ADD whose operand is a CONV_2D's output read by nothing else becomes the
// convolution's epilogue (Conv2DOptions.fusedAdd): one dispatch and one activation less, the
// convolution's output words added to the residual's in registers instead of stored and read
// back. MobileNet v2 has 10 such ADDs (after its linear 1×1 projections), ResNet-8 3.
//
// The CPU reference keeps running the unfused graph (OctetModel's CPU backend and the tests'
// expectations); the GPU runs this one. Both compute the same integers: the fused convolution
// requantizes to the intermediate tensor's quantization with its own activation, as before,
// then applies the ADD's arithmetic (shaders/common.wgsl add4, the ADD kernel's own) with the
// ADD's operand order, multipliers and activation to that word and the residual's; the float
// path adds in f32 and clamps as the ADD kernel does. Tensor ids stay; the intermediate tensor is
// no longer computed, so a run cannot capture it.
import type { Graph, OpIR, OpOf, TensorIR } from '../model/graph.ts';
import { isEightBit } from '../kernels/layout.ts';
import { producersOf, readersOf } from './tensor-uses.ts';

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

const perTensor = (t: TensorIR) => t.quant !== undefined && t.quant.scale.length === 1 && t.quant.zeroPoint.length === 1;

/**
 * Whether the ADD's operands and output fit the fused kernels: one dtype for all three, on the
 * convolution's path (float32 for the float kernel; int8 or uint8, per tensor, for the int8 one,
 * as the 8-bit ADD kernel takes them), every shape the output's (no broadcast), 4-D like the
 * convolution's output.
 */
function fusable(conv: OpOf<'CONV_2D'>, intermediate: TensorIR, residual: TensorIR, sum: TensorIR, graph: Graph): boolean {
  const convInput = graph.tensors[conv.inputs[0]!];
  if (!convInput || residual.data || sum.shape.length !== 4) return false;
  if (!sameShape(intermediate.shape, sum.shape) || !sameShape(residual.shape, sum.shape)) return false;
  if (intermediate.dtype !== sum.dtype || residual.dtype !== sum.dtype) return false;
  if (sum.dtype === 'float32') return convInput.dtype === 'float32';
  return isEightBit(sum.dtype) && isEightBit(convInput.dtype) && [intermediate, residual, sum].every(perTensor);
}

/**
 * `graph` with each ADD fused into the CONV_2D producing one of its operands, where that output
 * has no other reader and is no graph output and the other operand (the residual) is an
 * activation of the ADD's output shape; the same graph when none is. The fused op takes the
 * ADD's place in the order (the residual may be computed after the convolution) and its output;
 * the convolution keeps its index and inputs, the residual added as input 3. Where both operands
 * qualify, the one computed later is fused, so the other is ready and the fused op runs where
 * the convolution did. One sweep: a fused op's output feeding another ADD is no CONV_2D output
 * of this graph, so no convolution takes two ADDs.
 */
export function fuseAddIntoConvolution(graph: Graph): Graph {
  const producer = producersOf(graph);
  const readers = readersOf(graph);
  const outputs = new Set(graph.outputs);
  const fusedConvs = new Set<OpIR>();
  const replaced = new Map<OpIR, OpOf<'CONV_2D'>>();
  for (const add of graph.ops) {
    if (add.type !== 'ADD' || add.inputs.length !== 2 || add.inputs[0] === add.inputs[1]) continue;
    const sum = graph.tensors[add.outputs[0]!];
    if (!sum) continue;
    const candidates = [0, 1].flatMap((slot) => {
      const intermediate = add.inputs[slot]!;
      const made = producer.get(intermediate);
      if (!made || made.op.type !== 'CONV_2D' || made.op.options.fusedAdd || fusedConvs.has(made.op)) return [];
      // Its one reader is the ADD, which reads it once (its operands differ).
      if (readers.get(intermediate)?.length !== 1 || outputs.has(intermediate)) return [];
      const residual = graph.tensors[add.inputs[1 - slot]!];
      if (!residual || !fusable(made.op, graph.tensors[intermediate]!, residual, sum, graph)) return [];
      return [{ slot, conv: made.op, position: made.position }];
    });
    const chosen = candidates.sort((a, b) => b.position - a.position)[0];
    if (!chosen) continue;
    const { conv, slot } = chosen;
    const intermediate = add.inputs[slot]!;
    fusedConvs.add(conv);
    replaced.set(add, {
      ...conv,
      inputs: [conv.inputs[0]!, conv.inputs[1]!, conv.inputs[2] ?? -1, add.inputs[1 - slot]!],
      outputs: [add.outputs[0]!],
      options: { ...conv.options, fusedAdd: { index: add.index, intermediate, activation: add.options.activation, residualFirst: slot === 1 } },
    });
  }
  if (replaced.size === 0) return graph;
  return { ...graph, ops: graph.ops.filter((op) => !fusedConvs.has(op)).map((op) => replaced.get(op) ?? op) };
}
