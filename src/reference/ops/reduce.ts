// SUM, REDUCE_MAX, REDUCE_MIN, REDUCE_PROD (axis reductions like MEAN), L2_NORMALIZATION and
// LOG_SOFTMAX (normalizations over the innermost dimension). The 8-bit arithmetic is
// src/quant/reduce.ts, shared with the GPU lowerings.
import type { OpOf, OpType, TensorIR } from '../../model/graph.ts';
import { checkReduceAxes, FIXED_NORMALIZATION_OUTPUT, ReduceShapeError } from '../../model/reduce-shape.ts';
import {
  invSqrtQuantizedMultiplierExp,
  l2NormalizeValue,
  logSoftmaxRow,
  logSoftmaxTable,
  multiplyByQuantizedMultiplier64,
  prodMultiplier,
  sumRule,
  wrapTo,
} from '../../quant/reduce.ts';
import { allocate, elementCount, stridesOf, type Kernel, type PrepareContext, type QuantizedData } from '../common.ts';

type ReduceOp = OpOf<'SUM'> | OpOf<'REDUCE_MAX'> | OpOf<'REDUCE_MIN'> | OpOf<'REDUCE_PROD'>;

/**
 * For every input element in row-major order, the output element it reduces into. Each output's
 * elements are then visited in the input's row-major order, which is the order TFLite's Reduce
 * iterates (it matters for the product, which rounds after every step).
 */
function reductionIndex(shape: readonly number[], axes: ReadonlySet<number>): { index: Int32Array; outCount: number } {
  const keptShape = shape.map((d, i) => (axes.has(i) ? 1 : d));
  const keptStrides = stridesOf(keptShape);
  const count = shape.reduce((a, b) => a * b, 1);
  const index = new Int32Array(count);
  const coord = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) if (!axes.has(d)) o += coord[d]! * keptStrides[d]!;
    index[i] = o;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++coord[d]! < shape[d]!) break;
      coord[d] = 0;
    }
  }
  return { index, outCount: keptShape.reduce((a, b) => a * b, 1) };
}

function reduceGeometry(op: ReduceOp, ctx: PrepareContext): { input: TensorIR; output: TensorIR; index: Int32Array; outCount: number; n: number } {
  const input = ctx.input(0);
  const output = ctx.output();
  const axisTensor = ctx.input(1);
  let axes: Set<number>;
  try {
    axes = checkReduceAxes(input.shape, axisTensor.dtype, ctx.constantInts(axisTensor, 'axis'), output.shape, op.options.keepDims);
  } catch (e) {
    if (e instanceof ReduceShapeError) throw ctx.error(e.message);
    throw e;
  }
  const { index, outCount } = reductionIndex(input.shape, axes);
  if (output.dtype !== input.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  return { input, output, index, outCount, n: elementCount(input) / Math.max(outCount, 1) };
}

/** Equal input and output params, which TFLite's EvalGeneric requires of 8-bit MAX, MIN (and raw SUM). */
function sameQuant(ctx: PrepareContext, input: TensorIR, output: TensorIR): boolean {
  const qi = ctx.perTensorQuant(input, 'input');
  const qo = ctx.perTensorQuant(output, 'output');
  return Math.fround(qi.scale) === Math.fround(qo.scale) && qi.zeroPoint === qo.zeroPoint;
}

function isEightBit(dtype: string): dtype is 'int8' | 'uint8' {
  return dtype === 'int8' || dtype === 'uint8';
}

/** REDUCE_MAX and REDUCE_MIN: the raw extreme (float32, or 8-bit with equal params). */
export function prepareReduceMaxMin(op: OpOf<'REDUCE_MAX'> | OpOf<'REDUCE_MIN'>, ctx: PrepareContext): Kernel {
  const { input, output, index, outCount } = reduceGeometry(op, ctx);
  if (input.dtype !== 'float32') {
    if (!isEightBit(input.dtype)) throw ctx.unsupported(`${input.dtype} input`);
    if (!sameQuant(ctx, input, output)) throw ctx.unsupported('different input and output quantization (TFLite requires them equal)');
  }
  const isMax = op.type === 'REDUCE_MAX';
  return (values) => {
    const x = values[input.id]!;
    const best = new Float64Array(outCount).fill(isMax ? -Infinity : Infinity);
    for (let i = 0; i < index.length; i++) {
      const v = x[i]!;
      const o = index[i]!;
      if (isMax ? v > best[o]! : v < best[o]!) best[o] = v;
    }
    const out = allocate(output.dtype, outCount);
    for (let o = 0; o < outCount; o++) out[o] = best[o]!;
    values[output.id] = out;
  };
}

/** SUM: float32 Σx; 8-bit per src/quant/reduce.ts sumRule (raw or rescaled, then wrapped). */
export function prepareSum(op: OpOf<'SUM'>, ctx: PrepareContext): Kernel {
  const { input, output, index, outCount, n } = reduceGeometry(op, ctx);
  if (input.dtype === 'float32') {
    return (values) => {
      const x = values[input.id] as Float32Array;
      const sums = new Float32Array(outCount);
      for (let i = 0; i < index.length; i++) sums[index[i]!] += x[i]!;
      values[output.id] = sums;
    };
  }
  if (!isEightBit(input.dtype)) throw ctx.unsupported(`${input.dtype} input`);
  const dtype = input.dtype;
  const qi = ctx.perTensorQuant(input, 'input');
  const qo = ctx.perTensorQuant(output, 'output');
  const rule = sumRule({ dtype, count: n, inputScale: qi.scale, inputZeroPoint: qi.zeroPoint, outputScale: qo.scale, outputZeroPoint: qo.zeroPoint });
  return (values) => {
    const x = values[input.id] as QuantizedData;
    const sums = new Float64Array(outCount);
    for (let i = 0; i < index.length; i++) sums[index[i]!] += x[i]!;
    const out = allocate(dtype, outCount);
    for (let o = 0; o < outCount; o++) out[o] = wrapTo(dtype, rule.value(sums[o]!));
    values[output.id] = out;
  };
}

/**
 * REDUCE_PROD: float32 Πx (float32 after every step); int8 with TFLite's per-step rescaling
 * (EvalQuantizedProd). TFLite has no quantized uint8 product.
 */
export function prepareReduceProd(op: OpOf<'REDUCE_PROD'>, ctx: PrepareContext): Kernel {
  const { input, output, index, outCount, n } = reduceGeometry(op, ctx);
  if (input.dtype === 'float32') {
    return (values) => {
      const x = values[input.id] as Float32Array;
      const prods = new Float32Array(outCount).fill(1);
      for (let i = 0; i < index.length; i++) prods[index[i]!] *= x[i]!;
      values[output.id] = prods;
    };
  }
  if (input.dtype !== 'int8') throw ctx.unsupported(`${input.dtype} input (TFLite's quantized REDUCE_PROD is int8 only)`);
  // Measured: when every reduced axis has size 1, the TFLite runtime (reduce_utils drops size-1
  // axes, then reduces the wrong ones) multiplies other elements together and leaves the rest of
  // the output unwritten; there is nothing exact to agree with, so the reduction is refused.
  if (n === 1 && elementCount(input) > 0) throw ctx.unsupported(`an int8 product over axes of size 1 only (TFLite's runtime reduces other axes there)`);
  const qi = ctx.perTensorQuant(input, 'input');
  const qo = ctx.perTensorQuant(output, 'output');
  const { multiplier, shift } = prodMultiplier(qi.scale, qo.scale, n);
  const zpIn = qi.zeroPoint;
  const zpOut = qo.zeroPoint;
  return (values) => {
    const x = values[input.id] as Int8Array;
    const prods = new Int32Array(outCount);
    const started = new Uint8Array(outCount);
    for (let i = 0; i < index.length; i++) {
      const o = index[i]!;
      const d = x[i]! - zpIn;
      if (!started[o]) {
        prods[o] = d;
        started[o] = 1;
      } else {
        prods[o] = multiplyByQuantizedMultiplier64(BigInt(prods[o]!) * BigInt(d), multiplier, shift);
      }
    }
    const out = new Int8Array(outCount);
    for (let o = 0; o < outCount; o++) {
      const v = multiplyByQuantizedMultiplier64(BigInt(prods[o]!), multiplier, shift) + zpOut;
      out[o] = v < -128 ? -128 : v > 127 ? 127 : v;
    }
    values[output.id] = out;
  };
}

function normalizationGeometry(type: 'L2_NORMALIZATION' | 'LOG_SOFTMAX', ctx: PrepareContext): { input: TensorIR; output: TensorIR; rows: number; depth: number } {
  const input = ctx.input(0);
  const output = ctx.output();
  if (output.dtype !== input.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  if (elementCount(output) !== elementCount(input)) throw ctx.error(`output [${output.shape}] does not match input [${input.shape}]`);
  if (isEightBit(input.dtype)) {
    const q = ctx.perTensorQuant(output, 'output');
    const want = FIXED_NORMALIZATION_OUTPUT[type][input.dtype];
    if (Math.fround(q.scale) !== want.scale || q.zeroPoint !== want.zeroPoint) {
      throw ctx.unsupported(`output scale ${q.scale} and zero point ${q.zeroPoint} (TFLite requires ${want.scale} and ${want.zeroPoint})`);
    }
  } else if (input.dtype !== 'float32') {
    throw ctx.unsupported(`${input.dtype} input`);
  }
  const depth = input.shape[input.shape.length - 1] ?? 1;
  return { input, output, rows: depth === 0 ? 0 : elementCount(input) / depth, depth };
}

/** L2_NORMALIZATION over the innermost dimension (rank ≤ 4, no fused activation, as TFLite's Prepare). */
export function prepareL2Normalization(op: OpOf<'L2_NORMALIZATION'>, ctx: PrepareContext): Kernel {
  const { input, output, rows, depth } = normalizationGeometry('L2_NORMALIZATION', ctx);
  if (input.shape.length > 4) throw ctx.unsupported(`rank ${input.shape.length} input (TFLite takes rank ≤ 4)`);
  if (op.options.activation !== 'NONE') throw ctx.unsupported(`fused activation ${op.options.activation} (TFLite takes NONE only)`);
  if (input.dtype === 'float32') {
    const f = Math.fround;
    const epsilon = f(1e-6);
    return (values) => {
      const x = values[input.id] as Float32Array;
      const out = new Float32Array(x.length);
      for (let r = 0; r < rows; r++) {
        const base = r * depth;
        let squares = 0;
        for (let c = 0; c < depth; c++) squares = f(squares + f(x[base + c]! * x[base + c]!));
        const norm = Math.max(f(Math.sqrt(squares)), epsilon);
        for (let c = 0; c < depth; c++) out[base + c] = x[base + c]! / norm;
      }
      values[output.id] = out;
    };
  }
  const dtype = input.dtype as 'int8' | 'uint8';
  const zp = ctx.perTensorQuant(input, 'input').zeroPoint;
  return (values) => {
    const x = values[input.id] as QuantizedData;
    const out = allocate(dtype, x.length);
    for (let r = 0; r < rows; r++) {
      const base = r * depth;
      let acc = 0;
      for (let c = 0; c < depth; c++) acc += (x[base + c]! - zp) * (x[base + c]! - zp);
      const inv = invSqrtQuantizedMultiplierExp(acc | 0);
      for (let c = 0; c < depth; c++) out[base + c] = l2NormalizeValue(dtype, x[base + c]! - zp, inv);
    }
    values[output.id] = out;
  };
}

/** LOG_SOFTMAX over the innermost dimension: float x − max − log Σ exp(x − max); 8-bit per src/quant/reduce.ts. */
export function prepareLogSoftmax(_op: OpOf<'LOG_SOFTMAX'>, ctx: PrepareContext): Kernel {
  const { input, output, rows, depth } = normalizationGeometry('LOG_SOFTMAX', ctx);
  if (input.dtype === 'float32') {
    const f = Math.fround;
    return (values) => {
      const x = values[input.id] as Float32Array;
      const out = new Float32Array(x.length);
      for (let r = 0; r < rows; r++) {
        const base = r * depth;
        let max = -Infinity;
        for (let c = 0; c < depth; c++) if (x[base + c]! > max) max = x[base + c]!;
        let sum = 0;
        for (let c = 0; c < depth; c++) sum = f(sum + f(Math.exp(f(x[base + c]! - max))));
        const logSum = f(Math.log(sum));
        for (let c = 0; c < depth; c++) out[base + c] = f(f(x[base + c]! - max) - logSum);
      }
      values[output.id] = out;
    };
  }
  const dtype = input.dtype as 'int8' | 'uint8';
  const scale = ctx.perTensorQuant(input, 'input').scale;
  const table = logSoftmaxTable(scale);
  return (values) => {
    const x = values[input.id] as QuantizedData;
    const out = allocate(dtype, x.length) as QuantizedData;
    for (let r = 0; r < rows; r++) logSoftmaxRow(dtype, table, scale, x, r * depth, depth, out);
    values[output.id] = out;
  };
}

/** The preparers by op type, for the reference's table. */
export const REDUCE_PREPARERS = {
  SUM: prepareSum,
  REDUCE_MAX: prepareReduceMaxMin,
  REDUCE_MIN: prepareReduceMaxMin,
  REDUCE_PROD: prepareReduceProd,
  L2_NORMALIZATION: prepareL2Normalization,
  LOG_SOFTMAX: prepareLogSoftmax,
} satisfies Partial<Record<OpType, unknown>>;
