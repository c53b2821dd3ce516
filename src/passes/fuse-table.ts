// 8-bit ops whose output is a function of one input byte, reading a CONV_2D, DEPTHWISE_CONV_2D or
// FULLY_CONNECTED output, become that producer's epilogue (ConvolutionOptions.fusedTable): the
// producer's words go through the ops' 256-entry table in registers before they are stored, their
// dispatches and activations gone. The ops: a unary activation or math op of src/ops/unary.ts or
// LOGISTIC reading the producer's output, and binary ops of such bytes, or of them and a single
// constant value, so chains like SiLU's MUL(x, LOGISTIC(x)) (yolov8n's 58) fuse whole; SSD
// MobileNet v3's 18 HARD_SWISHes and the tflm id model's 42 LEAKY_RELUs follow their convolutions.
//
// The CPU reference keeps running the unfused graph; the GPU runs this one. Both compute the same
// bytes: the producer requantizes to the intermediate tensor as before, and the table is the
// reference's own ops evaluated on every byte (src/passes/byte-tables.ts evaluateByteFunction).
// Tensor ids stay; the fused tensors are no longer computed, so a run cannot capture them.
import type { FusedTable, Graph, OpIR, TensorIR } from '../model/graph.ts';
import { isEightBit } from '../kernels/layout.ts';
import { UNARY_OP_TYPES } from '../ops/unary.ts';
import type { ReferenceOptions } from '../reference/common.ts';
import { ReferenceRunError } from '../reference/run.ts';
import { evaluateByteFunction } from './byte-tables.ts';
import { readersOf } from './tensor-uses.ts';

/** The ops whose 8-bit output is a table of their one input byte. */
export const TABLE_OP_TYPES: ReadonlySet<string> = new Set<string>([...UNARY_OP_TYPES, 'LOGISTIC']);

/** 8-bit binary ops whose output is a function of their operands' bytes (src/model/binary-ops.ts BINARY_DTYPES). */
const BINARY_OP_TYPES: ReadonlySet<string> = new Set(['ADD', 'SUB', 'MUL', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE']);

const PRODUCERS: ReadonlySet<string> = new Set(['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED']);

const perTensor = (t: TensorIR) => t.quant !== undefined && t.quant.scale.length === 1 && t.quant.zeroPoint.length === 1;
const sameShape = (a: TensorIR, b: TensorIR) => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
const single = (t: TensorIR) => t.shape.reduce((a, d) => a * d, 1) === 1;

/** A producer that takes the epilogue: its kernels' int8 path, with no other epilogue or placement yet. */
function takesTable(graph: Graph, op: OpIR): boolean {
  if (!PRODUCERS.has(op.type) || op.outputs.length !== 1) return false;
  const options = op.options as { fusedAdd?: unknown; fusedTable?: unknown; placement?: unknown };
  if (options.fusedAdd || options.fusedTable || options.placement) return false;
  const input = graph.tensors[op.inputs[0]!];
  return input !== undefined && isEightBit(input.dtype);
}

/**
 * Whether `op` computes a byte of `x`'s shape and dtype from bytes in `bytes` (tensors that are
 * functions of the producer's byte) and at most a single constant value.
 */
function byteFunctionOf(graph: Graph, op: OpIR, x: TensorIR, bytes: ReadonlySet<number>): boolean {
  if (op.outputs.length !== 1) return false;
  const out = graph.tensors[op.outputs[0]!];
  if (!out || out.dtype !== x.dtype || !perTensor(out) || !sameShape(out, x)) return false;
  if (TABLE_OP_TYPES.has(op.type)) return op.inputs.length === 1 && bytes.has(op.inputs[0]!);
  if (!BINARY_OP_TYPES.has(op.type) || op.inputs.length !== 2) return false;
  const operands = op.inputs.map((id) => graph.tensors[id]);
  if (operands.some((t) => !t || t.dtype !== x.dtype || !perTensor(t))) return false;
  const inChain = op.inputs.filter((id) => bytes.has(id)).length;
  return inChain === 2 || (inChain === 1 && operands.some((t) => t!.data !== undefined && single(t!)));
}

/**
 * The longest run of byte-function ops (in graph order) after `x`'s producer that reads only `x`
 * and each other (and single constants) and leaves one tensor for the rest of the graph, the last
 * op's output: every other tensor of the run, `x` included, read by run ops only and no graph
 * output. Empty when not even the first qualifies.
 */
function chainFrom(graph: Graph, x: TensorIR, after: number, readers: Map<number, OpIR[]>, outputs: ReadonlySet<number>): OpIR[] {
  const bytes = new Set([x.id]);
  const ops: OpIR[] = [];
  for (const op of graph.ops.slice(after + 1)) {
    if (!op.inputs.some((id) => bytes.has(id))) continue;
    if (!byteFunctionOf(graph, op, x, bytes)) break;
    ops.push(op);
    bytes.add(op.outputs[0]!);
  }
  for (let n = ops.length; n > 0; n--) {
    const run = new Set(ops.slice(0, n));
    const inner = [x.id, ...ops.slice(0, n - 1).map((op) => op.outputs[0]!)];
    if (inner.every((id) => !outputs.has(id) && (readers.get(id) ?? []).every((r) => run.has(r)))) return ops.slice(0, n);
  }
  return [];
}

/**
 * `graph` with each run of byte-function ops fused into the producer of their input, where that
 * input is an 8-bit activation (per-tensor quantized, as the table needs) of a producer that takes
 * the epilogue, and the run leaves one tensor of the input's shape and dtype; the same graph when
 * none is. The fused producer keeps its place, index and inputs, and writes the run's output; its
 * table is the run evaluated by the CPU reference with `options` (a run the reference refuses is
 * left to its own lowerings, which name the problem).
 */
export function fuseTableIntoProducer(graph: Graph, options: ReferenceOptions): Graph {
  const readers = readersOf(graph);
  const outputs = new Set(graph.outputs);
  const fused = new Map<OpIR, OpIR>();
  const removed = new Set<OpIR>();
  graph.ops.forEach((op, position) => {
    if (!takesTable(graph, op) || removed.has(op)) return;
    const x = graph.tensors[op.outputs[0]!];
    if (!x || x.data || !isEightBit(x.dtype) || !perTensor(x) || outputs.has(x.id)) return;
    const chain = chainFrom(graph, x, position, readers, outputs);
    if (chain.length === 0 || chain.some((c) => removed.has(c) || fused.has(c))) return;
    const written = graph.tensors[chain.at(-1)!.outputs[0]!]!;
    let table: Uint8Array;
    try {
      table = evaluateByteFunction(graph, chain, x, written, 1, options);
    } catch (e) {
      if (e instanceof ReferenceRunError) return;
      throw e;
    }
    const fusedTable: FusedTable = { ops: chain, intermediate: x.id, table };
    fused.set(op, { ...op, outputs: [written.id], options: { ...op.options, fusedTable } } as OpIR);
    for (const c of chain) removed.add(c);
  });
  if (fused.size === 0) return graph;
  // The fused producer keeps its place: the run's ops read nothing but its output and constants.
  return { ...graph, ops: graph.ops.filter((op) => !removed.has(op)).map((op) => fused.get(op) ?? op) };
}
