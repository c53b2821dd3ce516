// ADD, MUL, RELU, RELU6, QUANTIZE and DEQUANTIZE: one output element from one element of each
// input (ADD and MUL broadcast numpy-style).
import { activationRangeFloat, activationRangeQuantized } from '../../quant/activation.ts';
import { multiplyByQuantizedMultiplier, quantizeMultiplier } from '../../quant/fixedpoint.ts';
import { dequantizeTensor, quantizeTensor, quantizeTensorTfliteOptimized, quantizeTensorXnnpack, xnnpackConvertMultiplier } from '../../quant/tensor.ts';
import type { OpOf, TensorIR } from '../../model/graph.ts';
import { roundHalfEven } from '../../rounding.ts';
import { prepareBinaryArith } from './binary.ts';
import { xnnpackMulOutput, xnnpackMulScale } from '../../quant/binary.ts';
import { allocate, dtypeRange, elementCount, stridesOf, type Kernel, type PrepareContext, type QuantizedData } from '../common.ts';

/**
 * For each output element, the index of the input element that broadcasts to it; null when the
 * input already has the output's shape. Shapes align at the trailing dimension; a 1 stretches.
 */
function broadcastIndex(ctx: PrepareContext, input: TensorIR, outShape: readonly number[]): Int32Array | null {
  const rank = outShape.length;
  if (input.shape.length > rank) throw ctx.error(`input [${input.shape.join(', ')}] has a higher rank than the output`);
  const padded = [...new Array<number>(rank - input.shape.length).fill(1), ...input.shape];
  if (padded.every((d, i) => d === outShape[i])) return null;
  const inStrides = stridesOf(padded);
  for (let d = 0; d < rank; d++) {
    if (padded[d] !== outShape[d] && padded[d] !== 1) {
      throw ctx.error(`input [${input.shape.join(', ')}] does not broadcast to [${outShape.join(', ')}]`);
    }
    if (padded[d] === 1) inStrides[d] = 0;
  }
  const count = outShape.reduce((a, b) => a * b, 1);
  const index = new Int32Array(count);
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let d = 0; d < rank; d++) s += coord[d] * inStrides[d];
    index[i] = s;
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d] < outShape[d]) break;
      coord[d] = 0;
    }
  }
  return index;
}

/** Applies `combine(a, b)` over two broadcast inputs into an output array. */
function binaryKernel(
  ctx: PrepareContext,
  combine: (a: number, b: number) => number,
): Kernel {
  const a = ctx.input(0);
  const b = ctx.input(1);
  const output = ctx.output();
  const count = elementCount(output);
  const aIndex = broadcastIndex(ctx, a, output.shape);
  const bIndex = broadcastIndex(ctx, b, output.shape);
  return (values) => {
    const x = values[a.id]!;
    const y = values[b.id]!;
    const out = allocate(output.dtype, count);
    for (let i = 0; i < count; i++) {
      out[i] = combine(x[aIndex ? aIndex[i] : i], y[bIndex ? bIndex[i] : i]);
    }
    values[output.id] = out;
  };
}

/** Dtype checks shared by ADD and MUL: all three tensors float32, or all the same 8-bit type. */
function binaryDType(ctx: PrepareContext): 'float32' | 'int8' | 'uint8' {
  const a = ctx.input(0);
  const b = ctx.input(1);
  const output = ctx.output();
  if (a.dtype !== 'float32' && a.dtype !== 'int8' && a.dtype !== 'uint8') throw ctx.unsupported(`${a.dtype} input`);
  if (b.dtype !== a.dtype || output.dtype !== a.dtype) {
    throw ctx.unsupported(`${a.dtype} and ${b.dtype} inputs and ${output.dtype} output`);
  }
  return a.dtype;
}

/**
 * ADD. Quantized: TFLite's Add with left_shift 20. Each input is centred, shifted left by 20,
 * scaled by scale_i / (2·max(scale_1, scale_2)), the two are summed and the sum scaled by
 * 2·max / (2^20·scale_out), every multiplier a QuantizeMultiplier of a double (add.cc Prepare).
 */
export function prepareAdd(op: OpOf<'ADD'>, ctx: PrepareContext): Kernel {
  // int32 ADD and MUL (shape arithmetic, keypoint decoding) live with the other binary ops.
  if (ctx.input(0).dtype === 'int32') return prepareBinaryArith(op, ctx);
  const dtype = binaryDType(ctx);
  if (dtype === 'float32') {
    const [min, max] = activationRangeFloat(op.options.activation);
    return binaryKernel(ctx, (x, y) => {
      const v = Math.fround(x + y);
      return v < min ? min : v > max ? max : v;
    });
  }
  const q1 = ctx.perTensorQuant(ctx.input(0), 'first input');
  const q2 = ctx.perTensorQuant(ctx.input(1), 'second input');
  const qo = ctx.perTensorQuant(ctx.output(), 'output');
  const leftShift = 20;
  const twiceMaxInputScale = 2 * Math.max(q1.scale, q2.scale);
  const m1 = quantizeMultiplier(q1.scale / twiceMaxInputScale);
  const m2 = quantizeMultiplier(q2.scale / twiceMaxInputScale);
  const mo = quantizeMultiplier(twiceMaxInputScale / (2 ** leftShift * qo.scale));
  const [min, max] = activationRangeQuantized(op.options.activation, qo.scale, qo.zeroPoint, dtype);
  if (ctx.xnnpack) return xnnpackAdd(ctx, q1, q2, qo, min, max);
  const shiftFactor = 1 << leftShift;
  return binaryKernel(ctx, (x, y) => {
    const scaled1 = multiplyByQuantizedMultiplier((x - q1.zeroPoint) * shiftFactor, m1.multiplier, m1.shift);
    const scaled2 = multiplyByQuantizedMultiplier((y - q2.zeroPoint) * shiftFactor, m2.multiplier, m2.shift);
    const v = multiplyByQuantizedMultiplier((scaled1 + scaled2) | 0, mo.multiplier, mo.shift) + qo.zeroPoint;
    return v < min ? min : v > max ? max : v;
  });
}

/**
 * XNNPACK's quantized add (xnn_init_qs8_add_minmax / qu8 params): the two input-to-output scale
 * ratios become integer multipliers with the larger in [2^20, 2^21), and
 * out = (bias + x1·m1 + x2·m2) >> shift + zp_out, where bias folds both zero points and the
 * rounding half (the shift floors, so ties round up).
 */
function xnnpackAdd(
  ctx: PrepareContext,
  q1: { scale: number; zeroPoint: number },
  q2: { scale: number; zeroPoint: number },
  qo: { scale: number; zeroPoint: number },
  min: number,
  max: number,
): Kernel {
  const f = Math.fround;
  const ratio1 = f(f(q1.scale) / f(qo.scale));
  const ratio2 = f(f(q2.scale) / f(qo.scale));
  // Unbiased float32 exponent of the larger ratio, read from its bits as XNNPACK does.
  const bits = new DataView(new ArrayBuffer(4));
  bits.setFloat32(0, Math.max(ratio1, ratio2));
  const exponent = (bits.getUint32(0) >>> 23) - 127;
  const shift = 20 - exponent;
  if (shift < 1 || shift > 31) throw ctx.unsupported(`input/output scale ratio ${Math.max(ratio1, ratio2)} (outside XNNPACK's add range)`);
  const m1 = roundHalfEven(ratio1 * 2 ** shift);
  const m2 = roundHalfEven(ratio2 * 2 ** shift);
  const bias = 2 ** (shift - 1) - m1 * q1.zeroPoint - m2 * q2.zeroPoint;
  const divisor = 2 ** shift;
  return binaryKernel(ctx, (x, y) => {
    const v = Math.floor((bias + x * m1 + y * m2) / divisor) + qo.zeroPoint;
    return v < min ? min : v > max ? max : v;
  });
}

/**
 * MUL. Quantized, 'tflite' (mul.cc): (x1 − zp1)(x2 − zp2) scaled by
 * QuantizeMultiplier(scale1·scale2/scale_out), where mul.cc forms that ratio in float32 before
 * widening it. 'xnnpack': XNNPACK's fp32 multiply (xnnpackMulScale) where the delegate takes the
 * op, mul.cc's kernel where its scale range refuses it.
 */
export function prepareMul(op: OpOf<'MUL'>, ctx: PrepareContext): Kernel {
  if (ctx.input(0).dtype === 'int32') return prepareBinaryArith(op, ctx);
  const dtype = binaryDType(ctx);
  if (dtype === 'float32') {
    const [min, max] = activationRangeFloat(op.options.activation);
    return binaryKernel(ctx, (x, y) => {
      const v = Math.fround(x * y);
      return v < min ? min : v > max ? max : v;
    });
  }
  const q1 = ctx.perTensorQuant(ctx.input(0), 'first input');
  const q2 = ctx.perTensorQuant(ctx.input(1), 'second input');
  const qo = ctx.perTensorQuant(ctx.output(), 'output');
  const f = Math.fround;
  const [min, max] = activationRangeQuantized(op.options.activation, qo.scale, qo.zeroPoint, dtype);
  const xnnScale = ctx.xnnpack ? xnnpackMulScale(q1, q2, qo) : null;
  if (xnnScale !== null) {
    return binaryKernel(ctx, (x, y) => xnnpackMulOutput((x - q1.zeroPoint) * (y - q2.zeroPoint), xnnScale, qo.zeroPoint, min, max));
  }
  const m = quantizeMultiplier(f(f(f(q1.scale) * f(q2.scale)) / f(qo.scale)));
  return binaryKernel(ctx, (x, y) => {
    const v =
      multiplyByQuantizedMultiplier(Math.imul(x - q1.zeroPoint, y - q2.zeroPoint), m.multiplier, m.shift) + qo.zeroPoint;
    return v < min ? min : v > max ? max : v;
  });
}

/**
 * RELU and RELU6. Quantized (activations.cc ReluX): requantize from the input's params to the
 * output's with QuantizeMultiplier(float(scale_in / scale_out)), then clamp to the quantized
 * activation range of the output.
 */
export function prepareRelu(op: OpOf<'RELU'> | OpOf<'RELU6'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  const count = elementCount(output);
  if (output.dtype !== input.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  const activation = op.type === 'RELU' ? 'RELU' : 'RELU6';
  if (input.dtype === 'float32') {
    const [min, max] = activationRangeFloat(activation);
    return (values) => {
      const x = values[input.id] as Float32Array;
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = x[i] < min ? min : x[i] > max ? max : x[i];
      values[output.id] = out;
    };
  }
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw ctx.unsupported(`${input.dtype} input`);
  const qi = ctx.perTensorQuant(input, 'input');
  const qo = ctx.perTensorQuant(output, 'output');
  const m = quantizeMultiplier(Math.fround(Math.fround(qi.scale) / Math.fround(qo.scale)));
  const [min, max] = activationRangeQuantized(activation, qo.scale, qo.zeroPoint, input.dtype);
  return (values) => {
    const x = values[input.id] as QuantizedData;
    const out = allocate(output.dtype, count);
    for (let i = 0; i < count; i++) {
      const v = qo.zeroPoint + multiplyByQuantizedMultiplier(x[i] - qi.zeroPoint, m.multiplier, m.shift);
      out[i] = v < min ? min : v > max ? max : v;
    }
    values[output.id] = out;
  };
}

/**
 * QUANTIZE: float32 → int8/uint8, or int8/uint8 → int8/uint8 (Requantize: MultiplyByQuantizedMultiplier
 * of x − zp_in by QuantizeMultiplier(scale_in / scale_out), + zp_out, clamp).
 * From float32 the rounding depends on the mode:
 *  - 'tflite': reference_ops::AffineQuantize (lite/kernels/internal/reference/quantize.h):
 *    std::round(x / float(scale)) half away from zero, + zp, clamp; per-tensor or per-channel.
 *  - 'xnnpack' (per-tensor, what the TFLite runtime's XNNPACK delegate runs): x × float32(1/scale)
 *    rounded half to even (quantizeTensorXnnpack). Per-channel outputs, which the delegate does
 *    not take, keep AffineQuantize. In a graph the delegate refuses, TFLite's builtin kernel:
 *    x / double(scale) rounded half away from zero (quantizeTensorTfliteOptimized).
 * From 8 bits, 'xnnpack' runs XNNPACK's convert with its 8-bit-fraction multiplier
 * (xnnpackConvertMultiplier) where the delegate takes the op, Requantize elsewhere.
 */
export function prepareQuantize(_op: OpOf<'QUANTIZE'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  const count = elementCount(output);
  if (output.dtype !== 'int8' && output.dtype !== 'uint8') throw ctx.unsupported(`${output.dtype} output`);
  const outDType = output.dtype;
  if (!output.quant || output.quant.scale.length === 0) throw ctx.error(`needs quantization parameters on its output`);
  const outQuant = output.quant;
  if (input.dtype === 'float32') {
    if (ctx.requantization === 'xnnpack' && outQuant.scale.length === 1) {
      const scale = outQuant.scale[0]!;
      const zeroPoint = outQuant.zeroPoint[0]!;
      const quantize = ctx.xnnpack ? quantizeTensorXnnpack : quantizeTensorTfliteOptimized;
      return (values) => {
        values[output.id] = quantize(values[input.id] as Float32Array, scale, zeroPoint, outDType);
      };
    }
    return (values) => {
      values[output.id] = quantizeTensor(values[input.id] as Float32Array, output.shape, outQuant, outDType);
    };
  }
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw ctx.unsupported(`${input.dtype} input`);
  const qi = ctx.perTensorQuant(input, 'input');
  const qo = ctx.perTensorQuant(output, 'output');
  const [min, max] = dtypeRange(outDType);
  const xnnMultiplier = ctx.xnnpack ? xnnpackConvertMultiplier(qi.scale, qo.scale, input.dtype === outDType) : null;
  if (xnnMultiplier !== null) {
    return (values) => {
      const x = values[input.id] as QuantizedData;
      const out = allocate(outDType, count);
      for (let i = 0; i < count; i++) {
        const v = Math.floor(((x[i] - qi.zeroPoint) * xnnMultiplier + 128) / 256) + qo.zeroPoint;
        out[i] = v < min ? min : v > max ? max : v;
      }
      values[output.id] = out;
    };
  }
  const m = quantizeMultiplier(qi.scale / qo.scale);
  return (values) => {
    const x = values[input.id] as QuantizedData;
    const out = allocate(outDType, count);
    for (let i = 0; i < count; i++) {
      const v = multiplyByQuantizedMultiplier(x[i] - qi.zeroPoint, m.multiplier, m.shift) + qo.zeroPoint;
      out[i] = v < min ? min : v > max ? max : v;
    }
    values[output.id] = out;
  };
}

/** DEQUANTIZE: int8/uint8 → float32, scale × (q − zp). */
export function prepareDequantize(_op: OpOf<'DEQUANTIZE'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  if (output.dtype !== 'float32') throw ctx.unsupported(`${output.dtype} output`);
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw ctx.unsupported(`${input.dtype} input`);
  if (!input.quant || input.quant.scale.length === 0) throw ctx.error(`needs quantization parameters on its input`);
  const inQuant = input.quant;
  return (values) => {
    values[output.id] = dequantizeTensor(values[input.id] as QuantizedData, input.shape, inQuant);
  };
}
