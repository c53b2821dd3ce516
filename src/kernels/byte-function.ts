// 8-bit ops whose output byte is a function of one input byte in each channel: a binary op with
// one constant operand that varies along the innermost dimension at most (an input
// normalization's SUB or MUL, a bias ADD, a MAXIMUM with a floor) runs as tables rather than as
// arithmetic. The tables are the CPU reference's own op evaluated at load on every byte of every
// channel (evaluateByteFunction), so the GPU's output equals the reference by construction, in
// either requantization; the table kernel (src/kernels/unary.ts) then does one lookup a byte.
// On SwiftShader (Node) MoveNet's input SUBs over 192×192×3 took 92 and 70 ms in the binary
// kernel's arithmetic (TFLite's fixed-point rescaling, 64-bit products in 16-bit limbs).
import type { Graph, OpIR, TensorIR } from '../model/graph.ts';
import { runReference } from '../reference/run.ts';
import { innerDim, isEightBit } from './layout.ts';
import { LoweringError, tensorOf, type LoweredOp, type LoweringContext } from './lowering.ts';
import { channelTableLookup, PRELU_MAX_TABLES, tableLookup } from './unary.ts';

/** The 8-bit binary ops (src/model/binary-ops.ts BINARY_DTYPES), tabulated where one operand is a constant of the innermost dimension. */
const TABULATED_BINARY: ReadonlySet<string> = new Set(['ADD', 'SUB', 'MUL', 'MAXIMUM', 'MINIMUM', 'SQUARED_DIFFERENCE']);

const perTensor = (t: TensorIR) => t.quant !== undefined && t.quant.scale.length === 1 && t.quant.zeroPoint.length === 1;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * The tables of `ops` (elementwise 8-bit ops in graph order, reading `input` and constants, the
 * last writing `output`), `channels` of them (1, or the innermost dimension): the CPU reference
 * runs the ops on an input holding every byte in every channel, `input` and each op output
 * reshaped to [256, channels] (leading 1s up to their rank), with the options the GPU program
 * computes with. Entry c · 256 + b is channel c's output byte (as stored) for input byte b.
 */
export function evaluateByteFunction(ctx: LoweringContext, label: string, ops: readonly OpIR[], input: TensorIR, output: TensorIR, channels: number): Uint8Array {
  const rank = Math.max(2, output.shape.length);
  const shape = [...new Array<number>(rank - 2).fill(1), 256, channels];
  const computed = new Set([input.id, ...ops.flatMap((op) => op.outputs)]);
  const graph: Graph = {
    ...ctx.graph,
    name: `${label} tables`,
    tensors: ctx.graph.tensors.map((t) => (computed.has(t.id) ? { ...t, shape, data: undefined } : t)),
    ops: [...ops],
    inputs: [input.id],
    outputs: [output.id],
  };
  const bytes = new Uint8Array(256 * channels);
  for (let b = 0; b < 256; b++) bytes.fill(b, b * channels, (b + 1) * channels);
  let result: ArrayBufferView;
  try {
    result = runReference(graph, [input.dtype === 'int8' ? new Int8Array(bytes.buffer) : bytes], { requantization: ctx.requantization, xnnpackDelegate: ctx.xnnpackDelegate ?? true })[0] as ArrayBufferView;
  } catch (e) {
    throw new LoweringError(`${label}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const out = new Uint8Array(result.buffer, result.byteOffset, result.byteLength);
  const tables = new Uint8Array(256 * channels);
  for (let c = 0; c < channels; c++) for (let b = 0; b < 256; b++) tables[c * 256 + b] = out[b * channels + c]!;
  return tables;
}

/**
 * Where `op` (operands already checked) is an 8-bit binary op of an activation of the output's
 * shape and a constant that broadcasts along all but the innermost dimension: the activation and
 * the number of tables (1 for a single value, else the innermost dimension, at most
 * PRELU_MAX_TABLES). Undefined otherwise.
 */
export function constantOperandTables(ctx: LoweringContext, op: OpIR): { input: TensorIR; channels: number } | undefined {
  if (!TABULATED_BINARY.has(op.type) || op.inputs.length !== 2 || op.outputs.length !== 1) return undefined;
  const [a, b] = op.inputs.map((id) => tensorOf(ctx, id)) as [TensorIR, TensorIR];
  const output = tensorOf(ctx, op.outputs[0]!);
  if (!isEightBit(output.dtype) || ![a, b, output].every((t) => t.dtype === output.dtype && perTensor(t))) return undefined;
  if (Boolean(a.data) === Boolean(b.data)) return undefined;
  const [input, constant] = a.data ? [b, a] : [a, b];
  if (!sameShape(input.shape, output.shape) || constant.shape.length > output.shape.length) return undefined;
  const leading = constant.shape.slice(0, -1);
  if (leading.some((d) => d !== 1)) return undefined;
  const last = constant.shape.at(-1) ?? 1;
  const inner = innerDim(output.shape);
  if (last !== 1 && (last !== inner || output.shape.length === 0)) return undefined;
  const channels = last === 1 ? 1 : inner;
  return channels <= PRELU_MAX_TABLES ? { input, channels } : undefined;
}

/** `op` as tables (one lookup a byte) where constantOperandTables finds it a function of one byte per channel, else undefined. */
export function lowerAsByteTables(ctx: LoweringContext, op: OpIR): LoweredOp | undefined {
  const found = constantOperandTables(ctx, op);
  if (!found) return undefined;
  const label = `${op.type.toLowerCase()}#${op.index}`;
  const output = tensorOf(ctx, op.outputs[0]!);
  const tables = evaluateByteFunction(ctx, label, [op], found.input, output, found.channels);
  return found.channels === 1 ? tableLookup(ctx, label, found.input, output, tables) : channelTableLookup(ctx, label, found.input, output, tables);
}
