// Graphs of a convolution whose output feeds a residual ADD, as MobileNet v2's linear projections
// and ResNet's blocks are: a one-convolution graph with an ADD of its output and a new graph input
// (the residual) put after it, in either operand order.
import type { Activation, Graph, OpIR } from '../../src/model/graph.ts';
import { GraphBuilder, quant } from './graphs.ts';
import { randInt } from './rng.ts';

export interface ResidualAdd {
  activation: Activation;
  /** ADD(residual, conv) rather than ADD(conv, residual). */
  residualFirst: boolean;
  /** scale_conv / scale_residual: TFLite's ADD rescales by the larger, so both sides of 1 matter. */
  scaleRatio: number;
}

export function describeResidualAdd(r: ResidualAdd): string {
  return `${r.residualFirst ? 'ADD(residual, conv)' : 'ADD(conv, residual)'} ${r.activation} ratio ${r.scaleRatio}`;
}

/**
 * `conv` (one convolution, its output the graph output) with that output added to a new graph
 * input of its shape (input 1 of the graph) by an ADD, whose output is the graph's. 8-bit
 * tensors get the residual scale from `scaleRatio` and an output scale near the sum's range;
 * float ones no quantization.
 */
export function withResidualAdd(rng: () => number, conv: Graph, r: ResidualAdd): Graph {
  const convOut = conv.tensors[conv.outputs[0]!]!;
  const residualId = conv.tensors.length;
  const sumId = residualId + 1;
  const eightBit = convOut.dtype !== 'float32';
  const zeroPoint = () => (convOut.dtype === 'uint8' ? randInt(rng, 98, 158) : randInt(rng, -30, 30));
  const convScale = convOut.quant?.scale[0] ?? 0;
  const residualScale = convScale / r.scaleRatio;
  const residual = { ...convOut, id: residualId, name: 'residual', quant: eightBit ? quant(residualScale, zeroPoint()) : undefined, data: undefined };
  const sum = { ...convOut, id: sumId, name: 'sum', quant: eightBit ? quant((convScale + residualScale) * (0.6 + rng() * 0.8), zeroPoint()) : undefined, data: undefined };
  const operands = r.residualFirst ? [residualId, convOut.id] : [convOut.id, residualId];
  const add = { type: 'ADD', index: conv.ops.length, version: 1, inputs: operands, outputs: [sumId], options: { activation: r.activation } } as OpIR;
  return {
    ...conv,
    name: `${conv.name} then ${describeResidualAdd(r)}`,
    tensors: [...conv.tensors, residual, sum],
    ops: [...conv.ops, add],
    inputs: [...conv.inputs, residualId],
    outputs: [sumId],
  };
}

/** The ADD of a graph from withResidualAdd alone: its operands the graph inputs (in the ADD's order), its output the graph's. */
export function addAlone(graph: Graph): Graph {
  const add = graph.ops.find((op) => op.type === 'ADD')!;
  return { ...graph, name: `${graph.name} (ADD alone)`, ops: [add], inputs: [...add.inputs], outputs: [...add.outputs] };
}

/**
 * A residual read across two convolutions: b = conv(x), c = conv(b), a = conv(c), out = ADD(a, b),
 * all 1×1 over [1, 6, 7, channels] int8 (per-channel weights). Fused, the last convolution reads
 * b, so b must stay live (and keep its buffer) through it, past c's convolution, its other reader.
 */
export function residualAcrossConvs(rng: () => number, channels: number): Graph {
  const b = new GraphBuilder();
  const shape = [1, 6, 7, channels];
  const activation = (name: string, scale: number) => b.tensor(name, shape, 'int8', quant(scale, randInt(rng, -20, 20)));
  const x = activation('x', 0.05);
  let current = x;
  const outs: number[] = [];
  for (const [i, name] of ['b', 'c', 'a'].entries()) {
    const scales = Array.from({ length: channels }, () => 0.004 + rng() * 0.01);
    const weights = Int8Array.from({ length: channels * channels }, () => randInt(rng, -127, 127));
    const filter = b.tensor(`filter ${i}`, [channels, 1, 1, channels], 'int8', quant(scales, new Array(channels).fill(0)), weights);
    const inScale = b.tensors[current]!.quant!.scale[0]!;
    const bias = b.tensor(`bias ${i}`, [channels], 'int32', quant(scales.map((s) => s * inScale), new Array(channels).fill(0)), Int32Array.from({ length: channels }, () => randInt(rng, -2000, 2000)));
    const out = activation(name, inScale * scales[0]! * Math.sqrt(channels) * 60);
    b.op({ type: 'CONV_2D', inputs: [current, filter, bias], outputs: [out], options: { padding: 'SAME', strideH: 1, strideW: 1, dilationH: 1, dilationW: 1, activation: 'NONE' } });
    outs.push(out);
    current = out;
  }
  const [residual, , conv] = outs as [number, number, number];
  const sum = activation('sum', (b.tensors[conv]!.quant!.scale[0]! + b.tensors[residual]!.quant!.scale[0]!) * 0.8);
  b.op({ type: 'ADD', inputs: [conv, residual], outputs: [sum], options: { activation: 'NONE' } });
  return b.build([x], [sum], 'residual across two convolutions');
}
