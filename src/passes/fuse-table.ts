// An 8-bit op whose output is a function of one input byte (a unary activation or math op of
// src/ops/unary.ts, LOGISTIC), reading a CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED output that
// nothing else reads, becomes that producer's epilogue (ConvolutionOptions.fusedTable): the
// producer's words go through the op's 256-entry table in registers before they are stored, one
// dispatch and one activation less. SSD MobileNet v3's 18 HARD_SWISHes follow its convolutions so.
//
// The CPU reference keeps running the unfused graph; the GPU runs this one. Both compute the same
// bytes: the producer requantizes to the intermediate tensor as before, and the table is the one
// the op's own kernel applies (src/kernels/unary.ts byteTable, built by the reference's per-byte
// function). Tensor ids stay; the intermediate tensor is no longer computed, so a run cannot
// capture it.
import type { Graph, OpIR, TensorIR } from '../model/graph.ts';
import { isEightBit } from '../kernels/layout.ts';
import { UNARY_OP_TYPES } from '../ops/unary.ts';
import { producersOf, readersOf } from './tensor-uses.ts';

/** The ops whose 8-bit output is a table of their input byte. */
export const TABLE_OP_TYPES: ReadonlySet<string> = new Set<string>([...UNARY_OP_TYPES, 'LOGISTIC']);

const PRODUCERS: ReadonlySet<string> = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

const perTensor = (t: TensorIR) => t.quant !== undefined && t.quant.scale.length === 1 && t.quant.zeroPoint.length === 1;

/** A producer that takes the epilogue: its kernels' int8 path, with no other epilogue or placement yet. */
function takesTable(graph: Graph, op: OpIR): boolean {
  if (!PRODUCERS.has(op.type) || op.outputs.length !== 1) return false;
  const options = op.options as { fusedAdd?: unknown; fusedTable?: unknown; placement?: unknown };
  if (options.fusedAdd || options.fusedTable || options.placement) return false;
  const input = graph.tensors[op.inputs[0]!];
  return input !== undefined && isEightBit(input.dtype);
}

/**
 * `graph` with each table op fused into the producer of its input, where that input is an 8-bit
 * activation (per-tensor quantized, as the op's kernel needs) read by nothing else and no graph
 * output, and the op's output has its shape and dtype; the same graph when none is. The fused
 * producer keeps its place, index and inputs, and writes the op's output.
 */
export function fuseTableIntoProducer(graph: Graph): Graph {
  const producer = producersOf(graph);
  const readers = readersOf(graph);
  const outputs = new Set(graph.outputs);
  const fused = new Map<OpIR, OpIR>();
  const removed = new Set<OpIR>();
  for (const op of graph.ops) {
    if (!TABLE_OP_TYPES.has(op.type) || op.inputs.length !== 1 || op.outputs.length !== 1) continue;
    const intermediate = op.inputs[0]!;
    const made = producer.get(intermediate);
    if (!made || fused.has(made.op) || !takesTable(graph, made.op)) continue;
    if (readers.get(intermediate)?.length !== 1 || outputs.has(intermediate)) continue;
    const x = graph.tensors[intermediate];
    const y = graph.tensors[op.outputs[0]!];
    if (!x || !y || x.data || !isEightBit(x.dtype) || y.dtype !== x.dtype || !perTensor(x) || !perTensor(y)) continue;
    if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) continue;
    fused.set(made.op, { ...made.op, outputs: [op.outputs[0]!], options: { ...made.op.options, fusedTable: { op, intermediate } } } as OpIR);
    removed.add(op);
  }
  if (fused.size === 0) return graph;
  return { ...graph, ops: graph.ops.filter((op) => !removed.has(op)).map((op) => fused.get(op) ?? op) };
}
