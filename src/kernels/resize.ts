// RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR, ARG_MAX, ARG_MIN and CAST on the GPU
// (shaders/resize.wgsl, argminmax.wgsl, cast.wgsl). One lowering per op serves the int8 table
// and the float table alike (which table an op lands in depends on its first input's dtype, and
// these ops take 8-bit, 32-bit, int64 and bool tensors). The source coordinates and weights of a
// resize are computed on the host by the CPU reference's own functions
// (src/reference/ops/resize.ts), so the GPU interpolates exactly the reference's taps; everything
// is checked here, before anything is allocated.
import resizeSource from '../../shaders/resize.wgsl?raw';
import argSource from '../../shaders/argminmax.wgsl?raw';
import castSource from '../../shaders/cast.wgsl?raw';
import type { DType, OpOf, TensorIR } from '../model/graph.ts';
import { tensorElementCount } from '../model/graph.ts';
import { constantData } from '../quant/tensor.ts';
import { nearestIndices, q11, tfliteIntegerTaps, tfliteTaps, xnnpackTaps, type AxisTaps } from '../quant/resize-taps.ts';
import { innerDim, isEightBit, outerCount, roundUp4 } from './layout.ts';
import { int8Shader } from './common.ts';
import { aliasOf, LoweringError, xnnpackKernels, singleDispatch, tensorOf, uniformWords, workgroupsFor, type ConstantSpec, type LoweredOp, type LoweringContext } from './lowering.ts';

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;
/** Elements addressable with the shaders' u32 index arithmetic (int64: two words each). */
const MAX_WORDS = 2 ** 31 - 1;

function labelOf(op: { type: string; index: number }): string {
  return `${op.type.toLowerCase()}#${op.index}`;
}

function constantInts(label: string, t: TensorIR, role: string): number[] {
  if (!t.data) throw new LoweringError(`${label}: the ${role} must be a constant (or computable from constants)`);
  if (t.dtype !== 'int32' && t.dtype !== 'int64') throw new LoweringError(`${label}: the ${role} is ${t.dtype}, expected int32 or int64`);
  const values = constantData(t) as Int32Array | BigInt64Array;
  return Array.from({ length: values.length }, (_, i) => Number(values[i]!));
}

function activationInput(label: string, t: TensorIR): void {
  if (t.data) throw new LoweringError(`${label}: a constant input '${t.name}' should have been folded`);
}

function checkSameQuant(label: string, input: TensorIR, output: TensorIR): void {
  const qi = input.quant;
  const qo = output.quant;
  if (!qi || !qo || qi.scale.length !== 1 || qo.scale.length !== 1) throw new LoweringError(`${label}: 8-bit resize needs per-tensor quantization on input and output`);
  if (qi.scale[0] !== qo.scale[0] || qi.zeroPoint[0] !== qo.zeroPoint[0]) {
    throw new LoweringError(`${label}: input quantization (${qi.scale[0]}, ${qi.zeroPoint[0]}) differs from the output's (${qo.scale[0]}, ${qo.zeroPoint[0]}); TFLite's resize does not requantize`);
  }
}

/** taps = [y_lo, y_hi, y_w, x_lo, x_hi, x_w] as i32 words (see shaders/resize.wgsl). */
function tapWords(ty: { lo: Int32Array; hi: Int32Array; w: Int32Array }, tx: { lo: Int32Array; hi: Int32Array; w: Int32Array }): Int32Array {
  const out = new Int32Array(3 * ty.lo.length + 3 * tx.lo.length);
  let o = 0;
  for (const a of [ty.lo, ty.hi, ty.w, tx.lo, tx.hi, tx.w]) {
    out.set(a, o);
    o += a.length;
  }
  return out;
}

const f32Bits = (values: Float32Array): Int32Array => new Int32Array(values.buffer.slice(0));

function lowerResize(ctx: LoweringContext, op: OpOf<'RESIZE_BILINEAR' | 'RESIZE_NEAREST_NEIGHBOR'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  activationInput(label, input);
  if (input.shape.length !== 4) throw new LoweringError(`${label}: input ${fmt(input.shape)} is not [batch, height, width, channels]`);
  if (input.dtype !== output.dtype) throw new LoweringError(`${label}: ${input.dtype} input and ${output.dtype} output`);
  const [outH, outW] = constantInts(label, tensorOf(ctx, op.inputs[1]!), 'size') as [number, number];
  const [batches, inH, inW, channels] = input.shape as [number, number, number, number];
  const expected = [batches, outH, outW, channels];
  if (output.shape.length !== 4 || output.shape.some((d, i) => d !== expected[i])) throw new LoweringError(`${label}: output ${fmt(output.shape)} is not the expected ${fmt(expected)}`);
  if (!(outH >= 1 && outW >= 1 && inH >= 1 && inW >= 1)) throw new LoweringError(`${label}: empty input ${fmt(input.shape)} or size [${outH}, ${outW}]`);
  const eight = isEightBit(input.dtype);
  if (eight) checkSameQuant(label, input, output);
  else if (input.dtype !== 'float32' && !(op.type === 'RESIZE_NEAREST_NEIGHBOR' && input.dtype === 'int32')) {
    throw new LoweringError(`${label}: ${input.dtype} tensors are not resized on the GPU`);
  }
  const { alignCorners, halfPixelCenters } = op.options;
  const words = eight ? roundUp4(channels) / 4 : channels;
  const total = batches * outH * outW * words;
  if (total > MAX_WORDS) throw new LoweringError(`${label}: output ${fmt(output.shape)} is too large`);
  const flags = { NEAREST: false, Q11: false, TFLITE_INT: false, FLOAT: false };
  let taps: Int32Array;
  if (op.type === 'RESIZE_NEAREST_NEIGHBOR') {
    flags.NEAREST = true;
    const ys = nearestIndices(inH, outH, alignCorners, halfPixelCenters);
    const xs = nearestIndices(inW, outW, alignCorners, halfPixelCenters);
    taps = tapWords({ lo: ys, hi: ys, w: new Int32Array(outH) }, { lo: xs, hi: xs, w: new Int32Array(outW) });
  } else {
    if (alignCorners && halfPixelCenters) throw new LoweringError(`${label}: align_corners with half_pixel_centers, which TFLite refuses`);
    if (xnnpackKernels(ctx)) {
      const ty = xnnpackTaps(inH, outH, alignCorners, halfPixelCenters);
      const tx = xnnpackTaps(inW, outW, alignCorners, halfPixelCenters);
      const weights = (t: AxisTaps) => (eight ? Int32Array.from(t.alpha, q11) : f32Bits(t.alpha));
      taps = tapWords({ ...ty, w: weights(ty) }, { ...tx, w: weights(tx) });
      if (eight) flags.Q11 = true;
      else flags.FLOAT = true;
    } else if (input.dtype === 'int8') {
      flags.TFLITE_INT = true;
      const ty = tfliteIntegerTaps(inH, outH, alignCorners, halfPixelCenters);
      const tx = tfliteIntegerTaps(inW, outW, alignCorners, halfPixelCenters);
      const d = (t: { lo: Int32Array; scaled: Int32Array }) => Int32Array.from(t.scaled, (s, i) => s - 1024 * t.lo[i]!);
      taps = tapWords({ ...ty, w: d(ty) }, { ...tx, w: d(tx) });
    } else if (input.dtype === 'float32') {
      const ty = tfliteTaps(inH, outH, alignCorners, halfPixelCenters);
      const tx = tfliteTaps(inW, outW, alignCorners, halfPixelCenters);
      const fraction = (t: AxisTaps) => f32Bits(Float32Array.from(t.alpha, (v, i) => v - t.lo[i]!));
      taps = tapWords({ ...ty, w: fraction(ty) }, { ...tx, w: fraction(tx) });
    } else {
      // reference_ops' uint8 kernel sums float products with +0.5 truncation: a float
      // contraction on the GPU could move a value across the truncation point.
      throw new LoweringError(`${label}: uint8 RESIZE_BILINEAR under 'tflite' requantization (reference_ops' float weights) has no GPU kernel; use 'xnnpack'`);
    }
  }
  const constants: ConstantSpec[] = [
    { label: `${label} taps`, data: taps, usage: 'storage' },
    { label: `${label} params`, data: uniformWords([['u32', total], ['u32', words], ['u32', inH], ['u32', inW], ['u32', outH], ['u32', outW], ['u32', 0], ['u32', 0]]), usage: 'uniform' },
  ];
  const shader = int8Shader(ctx, resizeSource, flags);
  return singleDispatch(label, shader, constants, [{ tensor: input.id }, { tensor: output.id }, { constant: 0 }, { constant: 1 }], workgroupsFor(ctx, total));
}

function lowerArgMinMax(ctx: LoweringContext, op: OpOf<'ARG_MAX' | 'ARG_MIN'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  activationInput(label, input);
  if (output.dtype !== 'int32' && output.dtype !== 'int64') throw new LoweringError(`${label}: output is ${output.dtype}, expected int32 or int64`);
  if (!isEightBit(input.dtype) && input.dtype !== 'float32' && input.dtype !== 'int32') throw new LoweringError(`${label}: ${input.dtype} input has no GPU kernel`);
  const axisValues = constantInts(label, tensorOf(ctx, op.inputs[1]!), 'axis');
  const rank = input.shape.length;
  if (axisValues.length !== 1) throw new LoweringError(`${label}: the axis must hold one value`);
  const axis = axisValues[0]! < 0 ? axisValues[0]! + rank : axisValues[0]!;
  if (axis < 0 || axis >= rank) throw new LoweringError(`${label}: axis ${axisValues[0]} is outside rank ${rank}`);
  const size = input.shape[axis]!;
  const inner = input.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const total = tensorElementCount(output.shape);
  if (size < 1) throw new LoweringError(`${label}: axis ${axis} of ${fmt(input.shape)} is empty`);
  if (total * (output.dtype === 'int64' ? 2 : 1) > MAX_WORDS || tensorElementCount(input.shape) > MAX_WORDS) throw new LoweringError(`${label}: ${fmt(input.shape)} is too large`);
  if (total === 0) return { constants: [], steps: [] };
  const depth = Math.max(1, innerDim(input.shape));
  const constants: ConstantSpec[] = [
    { label: `${label} params`, data: uniformWords([['u32', total], ['u32', size], ['u32', inner], ['u32', depth], ['u32', roundUp4(depth) / 4], ['u32', 0], ['u32', 0], ['u32', 0]]), usage: 'uniform' },
  ];
  const shader = int8Shader(ctx, argSource, { ELEM8: isEightBit(input.dtype), FLOAT: input.dtype === 'float32', MAX: op.type === 'ARG_MAX', INT64: output.dtype === 'int64' });
  return singleDispatch(label, shader, constants, [{ tensor: input.id }, { tensor: output.id }, { constant: 0 }], workgroupsFor(ctx, total));
}

/** The dtypes CAST moves on the GPU (int16 has no GPU storage). */
const GPU_CAST_DTYPES: ReadonlySet<DType> = new Set<DType>(['int8', 'uint8', 'int32', 'int64', 'float32', 'bool']);

function lowerCast(ctx: LoweringContext, op: OpOf<'CAST'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  activationInput(label, input);
  for (const t of [input, output]) if (!GPU_CAST_DTYPES.has(t.dtype)) throw new LoweringError(`${label}: ${t.dtype} tensors have no GPU storage (CAST moves int8, uint8, int32, int64, float32 and bool)`);
  if (output.shape.length !== input.shape.length || output.shape.some((d, i) => d !== input.shape[i])) throw new LoweringError(`${label}: output ${fmt(output.shape)} must have the input's shape ${fmt(input.shape)}`);
  const count = tensorElementCount(output.shape);
  if (count === 0) return { constants: [], steps: [] };
  // A cast to its own type (e.g. MoveNet's uint8 → float32 input cast once the float twin makes
  // the input float32) is the input itself: same storage, same values, so its buffer (an alias).
  if (input.dtype === output.dtype) return aliasOf(input, output);
  const out8 = isEightBit(output.dtype);
  const outDepth = Math.max(1, innerDim(output.shape));
  const inDepth = Math.max(1, innerDim(input.shape));
  const total = out8 ? outerCount(output.shape) * (roundUp4(outDepth) / 4) : count;
  if (count * 2 > MAX_WORDS) throw new LoweringError(`${label}: ${fmt(output.shape)} is too large`);
  const constants: ConstantSpec[] = [
    { label: `${label} params`, data: uniformWords([['u32', total], ['u32', inDepth], ['u32', roundUp4(inDepth) / 4], ['u32', outDepth], ['u32', roundUp4(outDepth) / 4], ['u32', 0], ['u32', 0], ['u32', 0]]), usage: 'uniform' },
  ];
  const from = input.dtype;
  const to = output.dtype;
  const shader = int8Shader(ctx, castSource, {
    IN_F32: from === 'float32',
    IN_8: isEightBit(from),
    IN_U8: from === 'uint8',
    IN_I64: from === 'int64',
    OUT_8: out8,
    OUT_U8: to === 'uint8',
    OUT_I64: to === 'int64',
    OUT_F32: to === 'float32',
    OUT_BOOL: to === 'bool',
  });
  return singleDispatch(label, shader, constants, [{ tensor: input.id }, { tensor: output.id }, { constant: 0 }], workgroupsFor(ctx, total));
}

/** Spread into both the int8 and the float table (src/kernels/shape-ops.ts, float-registry.ts). */
export const RESIZE_ARG_CAST_LOWERINGS = {
  RESIZE_BILINEAR: lowerResize,
  RESIZE_NEAREST_NEIGHBOR: lowerResize,
  ARG_MAX: lowerArgMinMax,
  ARG_MIN: lowerArgMinMax,
  CAST: lowerCast,
};
