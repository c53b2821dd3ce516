// Graphs for the unary activations and math (src/quant/unary.ts) and PRELU: one input feeding
// several single ops, so that one GPU program checks many tables at once.
import type { DType, Graph, OpType, QuantParams } from '../../src/model/graph.ts';
import type { UnaryOpType, UnaryOptions } from '../../src/quant/unary.ts';
import { GraphBuilder, quant } from './graphs.ts';

export interface UnaryBranch {
  type: UnaryOpType;
  options?: UnaryOptions;
  /** Output params in the model's dtype (uint8 zero points as stored). */
  output?: { scale: number; zeroPoint: number };
}

export function unaryOptionsFor(type: OpType, options: UnaryOptions = {}): object {
  if (type === 'LEAKY_RELU') return { alpha: options.alpha ?? 0.2 };
  if (type === 'GELU') return { approximate: options.approximate ?? false };
  return {};
}

/** x → each branch's op → its own output, all of x's shape and dtype. */
export function unaryFanGraph(dtype: DType, shape: number[], inputQuant: QuantParams | undefined, branches: UnaryBranch[], name: string): Graph {
  const b = new GraphBuilder();
  const x = b.tensor('x', shape, dtype, inputQuant);
  const outputs = branches.map((br, i) => {
    const q = br.output ? quant(br.output.scale, br.output.zeroPoint) : undefined;
    const y = b.tensor(`${br.type.toLowerCase()}${i}`, shape, dtype, q);
    b.op({ type: br.type, inputs: [x], outputs: [y], options: unaryOptionsFor(br.type, br.options) } as never);
    return y;
  });
  return b.build([x], outputs, name);
}

export interface PreluCase {
  dtype: 'int8' | 'uint8' | 'float32';
  shape: number[];
  alphaShape: number[];
  /** Alpha as a constant (the usual per-channel slopes) or a second graph input. */
  constantAlpha: boolean;
  inputQuant?: [number, number];
  alphaQuant?: [number, number];
  outputQuant?: [number, number];
}

export function preluGraph(c: PreluCase, alphaData?: ArrayBufferView): Graph {
  const b = new GraphBuilder();
  const q = (p?: [number, number]) => (p && c.dtype !== 'float32' ? quant(p[0], p[1]) : undefined);
  const x = b.tensor('x', c.shape, c.dtype, q(c.inputQuant));
  const a = b.tensor('alpha', c.alphaShape, c.dtype, q(c.alphaQuant), c.constantAlpha ? alphaData : undefined);
  const y = b.tensor('y', c.shape, c.dtype, q(c.outputQuant));
  b.op({ type: 'PRELU', inputs: [x, a], outputs: [y], options: {} });
  return b.build(c.constantAlpha ? [x] : [x, a], [y], `PRELU ${c.dtype} [${c.shape}] alpha [${c.alphaShape}]${c.constantAlpha ? ' const' : ''}`);
}

/** Every stored byte at least once (37 is odd, so i·37 mod 256 runs through all of them), then more. */
export function everyByte(dtype: 'int8' | 'uint8', count: number): Int8Array | Uint8Array {
  const out = dtype === 'int8' ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = (i * 37 + 11) & 0xff;
  return out;
}

/** An op whose 8-bit output is a table of its input byte, as src/passes/fuse-table.ts fuses one. */
export type TableOpType = 'HARD_SWISH' | 'LOGISTIC' | 'TANH' | 'LEAKY_RELU' | 'RELU_N1_TO_1';

/**
 * `graph` (one producer, its output the graph output) with that output read by a `type` op, whose
 * output, of its shape and dtype, becomes the graph's. LOGISTIC and TANH get TFLite's fixed output
 * quantization (1/256 and 1/128), the others one near the input's.
 */
export function withTableOp(rng: () => number, graph: Graph, type: TableOpType): Graph {
  const x = graph.tensors[graph.outputs[0]!]!;
  const dtype = x.dtype as 'int8' | 'uint8';
  const offset = dtype === 'uint8' ? 128 : 0;
  const scale = x.quant!.scale[0]!;
  const q = type === 'LOGISTIC' ? quant(1 / 256, offset - 128)
    : type === 'TANH' ? quant(1 / 128, offset)
    : quant(scale * (0.6 + rng() * 0.8), offset + Math.round(rng() * 40 - 20));
  const y = { ...x, id: graph.tensors.length, name: type.toLowerCase(), quant: q, data: undefined };
  const op = { type, index: graph.ops.length, version: 1, inputs: [x.id], outputs: [y.id], options: unaryOptionsFor(type) } as never;
  return { ...graph, name: `${graph.name} then ${type}`, tensors: [...graph.tensors, y], ops: [...graph.ops, op], outputs: [y.id] };
}

/** `graph` (its output x 8-bit) then SiLU as yolov8 exports it: MUL(x, LOGISTIC(x)) (`swap`: MUL(LOGISTIC(x), x)). */
export function withSilu(rng: () => number, graph: Graph, swap = false): Graph {
  const withLogistic = withTableOp(rng, graph, 'LOGISTIC');
  const x = graph.tensors[graph.outputs[0]!]!;
  const s = withLogistic.outputs[0]!;
  const offset = x.dtype === 'uint8' ? 128 : 0;
  const y = { ...x, id: withLogistic.tensors.length, name: 'silu', quant: quant(x.quant!.scale[0]! * (0.5 + rng() * 0.4), offset + Math.round(rng() * 20 - 10)), data: undefined };
  const op = { type: 'MUL', index: withLogistic.ops.length, version: 1, inputs: swap ? [s, x.id] : [x.id, s], outputs: [y.id], options: { activation: 'NONE' } } as never;
  return { ...withLogistic, name: `${graph.name} then SiLU`, tensors: [...withLogistic.tensors, y], ops: [...withLogistic.ops, op], outputs: [y.id] };
}

/**
 * `graph` (its output x 8-bit) then a hard-swish gate as SSD MobileNet v3 exports it: g = ADD(x, 3)
 * with RELU6, then MUL(x, g), 3 a single constant of its own quantization.
 */
export function withHardSwishGate(rng: () => number, graph: Graph): Graph {
  const x = graph.tensors[graph.outputs[0]!]!;
  const offset = x.dtype === 'uint8' ? 128 : 0;
  const base = graph.tensors.length;
  const three = { id: base, name: 'three', shape: [], dtype: x.dtype, quant: quant(0.0236, offset - 128), data: new Uint8Array([(offset - 1) & 0xff]) };
  const gate = { ...x, id: base + 1, name: 'gate', quant: quant(6 / 255, offset - 128), data: undefined };
  const y = { ...x, id: base + 2, name: 'gated', quant: quant(x.quant!.scale[0]! * (2 + rng() * 2), offset + Math.round(rng() * 20 - 10)), data: undefined };
  const add = { type: 'ADD', index: graph.ops.length, version: 1, inputs: [x.id, three.id], outputs: [gate.id], options: { activation: 'RELU6' } } as never;
  const mul = { type: 'MUL', index: graph.ops.length + 1, version: 1, inputs: [x.id, gate.id], outputs: [y.id], options: { activation: 'NONE' } } as never;
  return { ...graph, name: `${graph.name} then a hard-swish gate`, tensors: [...graph.tensors, three, gate, y], ops: [...graph.ops, add, mul], outputs: [y.id] };
}
