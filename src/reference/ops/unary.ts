// Unary activations and math, and PRELU. float32: each op's float function (src/quant/unary.ts).
// 8 bits: the op's 256-entry table, built once at load from its per-element function, then one
// lookup per element; the GPU applies the same table. PRELU (input and alpha) follows
// reference_ops::BroadcastPrelu4DSlow: two output multipliers, identity and input × alpha.
import type { OpOf, TensorIR } from '../../model/graph.ts';
import { PRELU_MAX_RANK, UnaryOpError, preluFunction, unaryFloatFunction, unaryOptionsOf, unaryTable, type UnaryOpType } from '../../quant/unary.ts';
import { UNARY_OP_TYPES, unaryOpDef } from '../../ops/unary.ts';
import { allocate, elementCount, stridesOf, type Kernel, type PrepareContext, type QuantizedData } from '../common.ts';

type UnaryOp = OpOf<UnaryOpType>;

export function prepareUnary(op: UnaryOp, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  const count = elementCount(input);
  if (op.inputs.length !== 1) throw ctx.error(`takes 1 input, got ${op.inputs.length}`);
  if (output.dtype !== input.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  if (elementCount(output) !== count) throw ctx.error(`output [${output.shape.join(', ')}] does not match input [${input.shape.join(', ')}]`);
  if (input.dtype === 'float32') {
    const fn = unaryFloatFunction(op.type, unaryOptionsOf(op));
    return (values) => {
      const x = values[input.id] as Float32Array;
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = fn(x[i]!);
      values[output.id] = out;
    };
  }
  const int32 = unaryOpDef(op.type).int32;
  if (input.dtype === 'int32' && int32) {
    const fn = int32.fn;
    return (values) => {
      const x = values[input.id] as Int32Array;
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = fn(x[i]!);
      values[output.id] = out;
    };
  }
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw ctx.unsupported(`${input.dtype} input`);
  const table = eightBitTable(op, ctx, input, output);
  return (values) => {
    const x = values[input.id] as QuantizedData;
    // Stores into an Int8Array wrap the table's byte into the signed value.
    const out = allocate(output.dtype, count) as QuantizedData;
    for (let i = 0; i < count; i++) out[i] = table[x[i]! & 0xff]!;
    values[output.id] = out;
  };
}

/** The reference kernel of every op in src/ops/unary.ts. */
export const UNARY_PREPARERS = Object.fromEntries(UNARY_OP_TYPES.map((t) => [t, prepareUnary])) as {
  [T in UnaryOpType]: (op: OpOf<T>, ctx: PrepareContext) => Kernel;
};

/** The op's 256-entry table for these tensors, or the reference's named error. */
export function eightBitTable(op: UnaryOp, ctx: PrepareContext, input: TensorIR, output: TensorIR): Uint8Array {
  const qi = ctx.perTensorQuant(input, 'input');
  const qo = ctx.perTensorQuant(output, 'output');
  try {
    return unaryTable(op.type, unaryOptionsOf(op), {
      dtype: input.dtype as 'int8' | 'uint8',
      inputScale: qi.scale,
      inputZeroPoint: qi.zeroPoint,
      outputScale: qo.scale,
      outputZeroPoint: qo.zeroPoint,
      // XNNPACK's tables only where its delegate runs the graph; TFLite's kernels otherwise.
      mode: ctx.xnnpack ? 'xnnpack' : 'tflite',
    });
  } catch (e) {
    if (e instanceof UnaryOpError) throw ctx.error(e.message);
    throw e;
  }
}

/**
 * For each output element, the index of the alpha element that broadcasts to it; alpha's shape
 * aligns at the trailing dimension and its 1s stretch (CalculateShapeForBroadcast). The output
 * must have the input's shape (PreluPrepare insists).
 */
export function preluAlphaIndex(inputShape: readonly number[], alphaShape: readonly number[], fail: (m: string) => Error): Int32Array {
  const rank = inputShape.length;
  if (rank > PRELU_MAX_RANK || alphaShape.length > PRELU_MAX_RANK) throw fail(`takes rank ≤ ${PRELU_MAX_RANK}, got input [${inputShape.join(', ')}] and alpha [${alphaShape.join(', ')}]`);
  if (alphaShape.length > rank) throw fail(`alpha [${alphaShape.join(', ')}] has a higher rank than the input [${inputShape.join(', ')}]`);
  const padded = [...new Array<number>(rank - alphaShape.length).fill(1), ...alphaShape];
  const strides = stridesOf(padded);
  for (let d = 0; d < rank; d++) {
    if (padded[d] !== inputShape[d] && padded[d] !== 1) throw fail(`alpha [${alphaShape.join(', ')}] does not broadcast to the input [${inputShape.join(', ')}]`);
    if (padded[d] === 1) strides[d] = 0;
  }
  const count = inputShape.reduce((a, b) => a * b, 1);
  const index = new Int32Array(count);
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let d = 0; d < rank; d++) s += coord[d]! * strides[d]!;
    index[i] = s;
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d]! < inputShape[d]!) break;
      coord[d] = 0;
    }
  }
  return index;
}

/**
 * PRELU: x ≥ 0 ? x : x · alpha. Quantized: preluFunction (src/quant/unary.ts) on every element,
 * alpha broadcast to the input's shape.
 */
export function preparePrelu(op: OpOf<'PRELU'>, ctx: PrepareContext): Kernel {
  if (op.inputs.length !== 2) throw ctx.error(`takes 2 inputs (input, alpha), got ${op.inputs.length}`);
  const input = ctx.input(0);
  const alpha = ctx.input(1);
  const output = ctx.output();
  if (alpha.dtype !== input.dtype || output.dtype !== input.dtype) throw ctx.unsupported(`${input.dtype} input, ${alpha.dtype} alpha and ${output.dtype} output`);
  if (output.shape.length !== input.shape.length || output.shape.some((d, i) => d !== input.shape[i])) {
    throw ctx.error(`output [${output.shape.join(', ')}] must have the input's shape [${input.shape.join(', ')}]`);
  }
  const alphaIndex = preluAlphaIndex(input.shape, alpha.shape, (m) => ctx.error(m));
  const count = elementCount(input);
  if (input.dtype === 'float32') {
    return (values) => {
      const x = values[input.id] as Float32Array;
      const a = values[alpha.id] as Float32Array;
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = x[i]! >= 0 ? x[i]! : Math.fround(x[i]! * a[alphaIndex[i]!]!);
      values[output.id] = out;
    };
  }
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw ctx.unsupported(`${input.dtype} input`);
  const qi = ctx.perTensorQuant(input, 'input');
  const qa = ctx.perTensorQuant(alpha, 'alpha');
  const qo = ctx.perTensorQuant(output, 'output');
  const prelu = preluFunction({
    dtype: input.dtype, inputScale: qi.scale, inputZeroPoint: qi.zeroPoint, alphaScale: qa.scale, alphaZeroPoint: qa.zeroPoint, outputScale: qo.scale, outputZeroPoint: qo.zeroPoint,
  });
  return (values) => {
    const x = values[input.id] as QuantizedData;
    const a = values[alpha.id] as QuantizedData;
    const out = allocate(output.dtype, count) as QuantizedData;
    for (let i = 0; i < count; i++) out[i] = prelu(x[i]!, a[alphaIndex[i]!]!);
    values[output.id] = out;
  };
}
