// Unary activations and math on the int8 path: every 8-bit op is its 256-entry table (built by
// src/quant/unary.ts, the very table the CPU reference uses) applied by shaders/unary.wgsl
// (tableLookup; LOGISTIC's table is its gemmlowp function over the 256 bytes); PRELU runs
// shaders/prelu.wgsl: a table per channel where alpha is a constant that varies along the
// channels only, else the reference's two-multiplier arithmetic. int32 ops (ABS, NEG) share the float path's elementwise shader (src/kernels/float/unary.ts).
import unarySource from '../../shaders/unary.wgsl?raw';
import preluSource from '../../shaders/prelu.wgsl?raw';
import { tensorElementCount, type ByteTableOptions, type OpIR, type OpOf, type TensorIR } from '../model/graph.ts';
import { logisticTable } from '../quant/softmax.ts';
import { checkFixedOutput } from './softmax.ts';
import { PRELU_MAX_RANK, UNARY_OP_TYPES, UnaryOpError, preluChannelTables, preluMultipliers, unaryOptionsOf, unaryTable, type UnaryOpType } from '../quant/unary.ts';
import { constantData } from '../quant/tensor.ts';
import { innerDim, isEightBit, outerCount, roundUp4, toGpuLayout, type TensorData } from './layout.ts';
import { int8Shader } from './common.ts';
import { lowerInt32Unary } from './float/unary.ts';
import {
  int8ZeroPoint,
  LoweringError,
  scaleOf,
  singleDispatch,
  tensorOf,
  uniformWords,
  workgroupsFor,
  type BindingRef,
  type ConstantSpec,
  type LoweredOp,
  type LoweringContext,
  loweringFor,
  xnnpackKernels,
} from './lowering.ts';

function perTensor(label: string, t: TensorIR): void {
  if ((t.quant?.scale.length ?? 0) !== 1) throw new LoweringError(`${label}: '${t.name}' needs per-tensor quantization`);
}

const packedWords = (shape: readonly number[]): number => (outerCount(shape) * roundUp4(innerDim(shape))) / 4;

/**
 * The op's table (or consecutive 256-entry tables) moved into the GPU's int8 domain: a legacy
 * uint8 byte u is stored as u − 128 (the top bit flipped), so entry b of each GPU table is the
 * model table's entry b ^ 0x80, flipped.
 */
export function gpuTable(table: Uint8Array, dtype: 'int8' | 'uint8'): Uint32Array {
  const flip = dtype === 'uint8' ? 0x80 : 0;
  const bytes = new Uint8Array(table.length);
  for (let t = 0; t < table.length; t += 256) {
    for (let b = 0; b < 256; b++) bytes[t + b] = table[t + (b ^ flip)]! ^ flip;
  }
  return new Uint32Array(bytes.buffer);
}

/** 256-entry tables (one, or one per channel) as table_byte reads them (shaders/common.wgsl): gpuTable's bytes, one u32 each. */
export function gpuByteTable(tables: Uint8Array, dtype: 'int8' | 'uint8'): Uint32Array {
  if (tables.length === 0 || tables.length % 256 !== 0) throw new LoweringError(`byte tables have 256 entries each, got ${tables.length}`);
  return Uint32Array.from(new Uint8Array(gpuTable(tables, dtype).buffer));
}

/**
 * The most alpha elements PRELU tabulates (preluChannelTables, 256 entries of a u32 each: 4 MiB); a layer
 * with more channels keeps the arithmetic kernel.
 */
export const PRELU_MAX_TABLES = 4096;

/**
 * The 256-entry table of an 8-bit op whose output is a function of one input byte (a unary op,
 * LOGISTIC) from `input` to `output`: entry b is the output's stored byte for the input's stored
 * byte b, the very table the CPU reference applies (src/quant/unary.ts unaryTable, src/quant/softmax.ts
 * logisticTable). Its own kernel (tableLookup) and a producer's fused epilogue
 * (src/passes/fuse-table.ts) both apply it. Refusals are LoweringErrors named by `label`.
 */
export function byteTable(ctx: LoweringContext, label: string, op: OpIR, input: TensorIR, output: TensorIR): Uint8Array {
  if (!isEightBit(input.dtype) || output.dtype !== input.dtype) throw new LoweringError(`${label}: ${input.dtype} input and ${output.dtype} output`);
  perTensor(label, input);
  perTensor(label, output);
  if (op.type === 'LOGISTIC') {
    checkFixedOutput(label, input, output);
    return logisticTable(input.dtype as 'int8' | 'uint8', scaleOf(input), input.quant!.zeroPoint[0]!, (m) => new LoweringError(`${label}: ${m}`));
  }
  if (!(UNARY_OP_TYPES as readonly string[]).includes(op.type)) throw new LoweringError(`${label}: ${op.type} has no byte table`);
  try {
    return unaryTable(op.type as UnaryOpType, unaryOptionsOf(op as OpOf<UnaryOpType>), {
      dtype: input.dtype as 'int8' | 'uint8',
      inputScale: scaleOf(input),
      inputZeroPoint: input.quant!.zeroPoint[0]!,
      outputScale: scaleOf(output),
      outputZeroPoint: output.quant!.zeroPoint[0]!,
      // XNNPACK's tables only where its delegate runs the graph; TFLite's kernels otherwise.
      mode: xnnpackKernels(ctx) ? 'xnnpack' : 'tflite',
    });
  } catch (e) {
    if (e instanceof UnaryOpError) throw new LoweringError(`${label}: ${e.message}`);
    throw e;
  }
}

/** A unary op (or LOGISTIC) alone: its table through shaders/unary.wgsl; int32 ABS and NEG on the float path's kernel. */
export function lowerUnary(ctx: LoweringContext, op: OpOf<UnaryOpType> | OpOf<'LOGISTIC'>): LoweredOp {
  const label = `${op.type.toLowerCase()}#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (input.dtype === 'int32' && output.dtype === 'int32' && op.type !== 'LOGISTIC') return lowerInt32Unary(ctx, op);
  const table = byteTable(ctx, label, op, input, output);
  // Same packed layout in and out: the word-for-word lookup needs equal innermost dimensions.
  if (tensorElementCount(input.shape) !== tensorElementCount(output.shape) || innerDim(input.shape) !== innerDim(output.shape)) {
    throw new LoweringError(`${label}: input [${input.shape.join(', ')}] and output [${output.shape.join(', ')}] differ`);
  }
  return tableLookup(ctx, label, input, output, table);
}

/**
 * One dispatch of shaders/unary.wgsl: `output` is `table` (entry b: the output's stored byte for
 * the input's stored byte b, both in the model's dtype) applied to every byte of `input`, which
 * has the output's shape and dtype. Every 8-bit op whose output is a function of one input byte
 * runs this way (the unary ops, LOGISTIC).
 */
export function tableLookup(ctx: LoweringContext, label: string, input: TensorIR, output: TensorIR, table: Uint8Array): LoweredOp {
  const total = packedWords(output.shape);
  return singleDispatch(
    label,
    int8Shader(ctx, unarySource, { BYTE_TABLE: true, CHANNEL_TABLES: false }),
    [
      { label: `${label} table`, data: gpuByteTable(table, input.dtype as 'int8' | 'uint8'), usage: 'storage' },
      { label: `${label} params`, data: uniformWords([['u32', total]]), usage: 'uniform' },
    ],
    [{ tensor: input.id }, { tensor: output.id }, { constant: 0 }, { constant: 1 }],
    workgroupsFor(ctx, total),
  );
}

/**
 * `tables` (channels × 256, table c at c · 256: channel c's output byte for each input byte) applied
 * to `input` of the same packed layout as `output`, channels its innermost dimension.
 */
export function channelTableLookup(ctx: LoweringContext, label: string, input: TensorIR, output: TensorIR, tables: Uint8Array): LoweredOp {
  const channels = innerDim(output.shape);
  if (tables.length !== channels * 256) throw new LoweringError(`${label}: ${tables.length / 256} tables for ${channels} channels`);
  const total = packedWords(output.shape);
  return singleDispatch(
    label,
    int8Shader(ctx, unarySource, { BYTE_TABLE: true, CHANNEL_TABLES: true }),
    [
      { label: `${label} tables`, data: gpuByteTable(tables, input.dtype as 'int8' | 'uint8'), usage: 'storage' },
      { label: `${label} params`, data: uniformWords([['u32', total], ['u32', channels], ['u32', roundUp4(channels) / 4]]), usage: 'uniform' },
    ],
    [{ tensor: input.id }, { tensor: output.id }, { constant: 0 }, { constant: 1 }],
    workgroupsFor(ctx, total),
  );
}

/** PRELU, 8 bits: alpha broadcast over the input (rank ≤ 4), constant or computed. */
export function lowerPrelu(ctx: LoweringContext, op: OpOf<'PRELU'>): LoweredOp {
  const label = `prelu#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const alpha = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (!isEightBit(input.dtype) || alpha.dtype !== input.dtype || output.dtype !== input.dtype) {
    throw new LoweringError(`${label}: ${input.dtype} input, ${alpha.dtype} alpha and ${output.dtype} output`);
  }
  perTensor(label, input);
  perTensor(label, alpha);
  perTensor(label, output);
  const rank = input.shape.length;
  if (rank > PRELU_MAX_RANK || alpha.shape.length > rank) throw new LoweringError(`${label}: input [${input.shape.join(', ')}] and alpha [${alpha.shape.join(', ')}] (rank ≤ ${PRELU_MAX_RANK}, alpha's at most the input's)`);
  if (output.shape.length !== rank || output.shape.some((d, i) => d !== input.shape[i])) throw new LoweringError(`${label}: output [${output.shape.join(', ')}] must have the input's shape`);
  const shape4 = [...new Array<number>(PRELU_MAX_RANK - rank).fill(1), ...input.shape];
  const alpha4 = [...new Array<number>(PRELU_MAX_RANK - alpha.shape.length).fill(1), ...alpha.shape];
  const keep = alpha4.map((d, i) => {
    if (d !== shape4[i] && d !== 1) throw new LoweringError(`${label}: alpha [${alpha.shape.join(', ')}] does not broadcast to [${input.shape.join(', ')}]`);
    return d === 1 ? 0 : 1;
  });
  const total = packedWords(output.shape);
  // A constant alpha that varies along the channels only (per-channel slopes, or one slope): each
  // output element is its channel's table applied to its input byte, one lookup, no arithmetic.
  // On SwiftShader (Node, Dawn), PRELU over 96×96×32 took 9.7 ms in arithmetic and the unary table
  // kernel, a lookup a byte, 2.0 ms.
  if (alpha.data && keep[0] === 0 && keep[1] === 0 && keep[2] === 0 && alpha4[3]! <= PRELU_MAX_TABLES) {
    const tables = preluChannelTables(
      {
        dtype: input.dtype as 'int8' | 'uint8',
        inputScale: scaleOf(input),
        inputZeroPoint: input.quant!.zeroPoint[0]!,
        alphaScale: scaleOf(alpha),
        alphaZeroPoint: alpha.quant!.zeroPoint[0]!,
        outputScale: scaleOf(output),
        outputZeroPoint: output.quant!.zeroPoint[0]!,
      },
      constantData(alpha) as ArrayLike<number>,
    );
    return alpha4[3] === 1 ? tableLookup(ctx, label, input, output, tables) : channelTableLookup(ctx, label, input, output, tables);
  }
  const m = preluMultipliers(scaleOf(input), scaleOf(alpha), scaleOf(output));
  const uniforms = uniformWords([
    ['u32', total],
    ['u32', shape4[3]!],
    ['u32', roundUp4(shape4[3]!) / 4],
    ['u32', shape4[1]!],
    ['u32', shape4[2]!],
    ['u32', alpha4[1]!],
    ['u32', alpha4[2]!],
    ['u32', 0],
    ['u32', keep[0]!],
    ['u32', keep[1]!],
    ['u32', keep[2]!],
    ['u32', keep[3]!],
    ['u32', roundUp4(alpha4[3]!)],
    ['i32', int8ZeroPoint(input)],
    ['i32', int8ZeroPoint(alpha)],
    ['i32', int8ZeroPoint(output)],
    ['i32', m.identity.multiplier],
    ['i32', m.identity.shift],
    ['i32', m.alpha.multiplier],
    ['i32', m.alpha.shift],
  ]);
  const constants: ConstantSpec[] = [];
  // A constant alpha (the usual per-channel slopes) is uploaded once in the packed layout.
  let alphaBinding: BindingRef = { tensor: alpha.id };
  if (alpha.data) {
    constants.push({ label: `${label} alpha`, data: toGpuLayout(alpha, constantData(alpha) as TensorData), usage: 'storage' });
    alphaBinding = { constant: 0 };
  }
  constants.push({ label: `${label} params`, data: uniforms, usage: 'uniform' });
  const shader = int8Shader(ctx, preluSource, {});
  return singleDispatch(label, shader, constants, [{ tensor: input.id }, alphaBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}

/**
 * An 8-bit binary op that the load pass tabulate-byte-ops gave its tables (ByteTables,
 * src/passes/byte-tables.ts: the reference's op on every byte of every channel) as those tables
 * through the table kernel, one lookup a byte; undefined for an op without.
 */
export function lowerByteTables(ctx: LoweringContext, op: OpIR): LoweredOp | undefined {
  const byteTables = (op.options as ByteTableOptions).byteTables;
  if (!byteTables) return undefined;
  const label = `${op.type.toLowerCase()}#${op.index}`;
  const input = tensorOf(ctx, byteTables.input);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (!op.inputs.includes(input.id) || input.dtype !== output.dtype || input.shape.length !== output.shape.length || input.shape.some((d, i) => d !== output.shape[i])) {
    throw new LoweringError(`${label}: its tables read '${input.name}' [${input.shape.join(', ')}], not an operand of the output's shape [${output.shape.join(', ')}]`);
  }
  const { channels, tables } = byteTables;
  if (tables.length !== channels * 256 || (channels !== 1 && channels !== innerDim(output.shape))) throw new LoweringError(`${label}: ${tables.length} table entries for ${channels} channels of [${output.shape.join(', ')}]`);
  return channels === 1 ? tableLookup(ctx, label, input, output, tables) : channelTableLookup(ctx, label, input, output, tables);
}

export const UNARY_LOWERINGS = {
  ...loweringFor(UNARY_OP_TYPES, lowerUnary),
  PRELU: lowerPrelu,
};
