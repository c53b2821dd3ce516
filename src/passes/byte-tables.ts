// 8-bit ops whose output byte is a function of one input byte in each channel, tabulated at load
// by the CPU reference's own ops, so that the GPU applies tables that equal the reference by
// construction (in either requantization): the fused runs of src/passes/fuse-table.ts, and the
// load pass tabulate-byte-ops here, which gives an 8-bit binary op with one constant operand
// varying along the innermost dimension at most (an input normalization's SUB or MUL, a bias
// ADD, a MAXIMUM with a floor) its tables (ByteTables) so that the table kernel
// (src/kernels/unary.ts) does one lookup a byte instead of the arithmetic. On SwiftShader (Node)
// MoveNet's input SUBs over 192×192×3 took 92 and 70 ms in the binary kernel's arithmetic
// (TFLite's fixed-point rescaling, 64-bit products in 16-bit limbs) and about 1 ms each so.
import type { ByteTableOptions, Graph, OpIR, TensorIR } from '../model/graph.ts';
import { innerDim, isEightBit } from '../kernels/layout.ts';
import type { ReferenceOptions } from '../reference/common.ts';
import { ReferenceRunError, runReference } from '../reference/run.ts';

/** The 8-bit binary ops (src/model/binary-ops.ts BINARY_DTYPES), tabulated where one operand is a constant of the innermost dimension. */
const TABULATED_BINARY: ReadonlySet<string> = new Set(['ADD', 'SUB', 'MUL', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE']);

/** The most tables an op gets (256 u32 each on the GPU: 4 MiB); an op with more channels keeps the arithmetic. */
export const MAX_BYTE_TABLES = 4096;

const perTensor = (t: TensorIR) => t.quant !== undefined && t.quant.scale.length === 1 && t.quant.zeroPoint.length === 1;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The tables of `ops` (elementwise 8-bit ops in graph order, reading `input` and constants, the
 * last writing `output`), `channels` of them (1, or the innermost dimension): the CPU reference
 * runs the ops on an input holding every byte in every channel, `input` and each op output
 * reshaped to [256, channels] (leading 1s up to their rank), with `options`. Entry c · 256 + b is
 * channel c's output byte (as stored) for input byte b. Throws what the reference throws for an
 * op it refuses.
 */
export function evaluateByteFunction(graph: Graph, ops: readonly OpIR[], input: TensorIR, output: TensorIR, channels: number, options: ReferenceOptions): Uint8Array {
  const rank = Math.max(2, output.shape.length);
  const shape = [...new Array<number>(rank - 2).fill(1), 256, channels];
  const computed = new Set([input.id, ...ops.flatMap((op) => op.outputs)]);
  const tabulated: Graph = {
    ...graph,
    name: `${graph.name} tables`,
    tensors: graph.tensors.map((t) => (computed.has(t.id) ? { ...t, shape, data: undefined } : t)),
    ops: [...ops],
    inputs: [input.id],
    outputs: [output.id],
  };
  const bytes = new Uint8Array(256 * channels);
  for (let b = 0; b < 256; b++) bytes.fill(b, b * channels, (b + 1) * channels);
  const result = runReference(tabulated, [input.dtype === 'int8' ? new Int8Array(bytes.buffer) : bytes], options)[0] as ArrayBufferView;
  const out = new Uint8Array(result.buffer, result.byteOffset, result.byteLength);
  const tables = new Uint8Array(256 * channels);
  for (let c = 0; c < channels; c++) for (let b = 0; b < 256; b++) tables[c * 256 + b] = out[b * channels + c]!;
  return tables;
}

/**
 * Where `op` is an 8-bit binary op (per-tensor quantized, one dtype) of an activation of the
 * output's shape and a constant that broadcasts along all but the innermost dimension: the
 * activation and the number of tables (1 for a single value, else the innermost dimension, at
 * most MAX_BYTE_TABLES). Undefined otherwise.
 */
export function constantOperandTables(graph: Graph, op: OpIR): { input: TensorIR; channels: number } | undefined {
  if (!TABULATED_BINARY.has(op.type) || op.inputs.length !== 2 || op.outputs.length !== 1) return undefined;
  const [a, b] = op.inputs.map((id) => graph.tensors[id]);
  const output = graph.tensors[op.outputs[0]!];
  if (!a || !b || !output || !isEightBit(output.dtype) || ![a, b, output].every((t) => t.dtype === output.dtype && perTensor(t))) return undefined;
  if (Boolean(a.data) === Boolean(b.data)) return undefined;
  const [input, constant] = a.data ? [b, a] : [a, b];
  if (!sameShape(input.shape, output.shape) || constant.shape.length > output.shape.length) return undefined;
  if (constant.shape.slice(0, -1).some((d) => d !== 1)) return undefined;
  const last = constant.shape.at(-1) ?? 1;
  const inner = innerDim(output.shape);
  if (last !== 1 && (last !== inner || output.shape.length === 0)) return undefined;
  const channels = last === 1 ? 1 : inner;
  return channels <= MAX_BYTE_TABLES ? { input, channels } : undefined;
}

/**
 * `graph` with each 8-bit binary op of constantOperandTables given its tables (ByteTables), the
 * same graph when none is. An op the reference refuses keeps no tables: its own lowering then
 * names the problem.
 */
export function tabulateConstantOperands(graph: Graph, options: ReferenceOptions): Graph {
  let changed = false;
  const ops = graph.ops.map((op) => {
    const found = constantOperandTables(graph, op);
    if (!found) return op;
    let tables: Uint8Array;
    try {
      tables = evaluateByteFunction(graph, [op], found.input, graph.tensors[op.outputs[0]!]!, found.channels, options);
    } catch (e) {
      if (e instanceof ReferenceRunError) return op;
      throw e;
    }
    changed = true;
    return { ...op, options: { ...(op.options as ByteTableOptions), byteTables: { input: found.input.id, channels: found.channels, tables } } } as OpIR;
  });
  return changed ? { ...graph, ops } : graph;
}
