// QUANTIZE (float32 or 8-bit in, 8-bit out), DEQUANTIZE (8-bit in, float32 out), RELU and RELU6
// lowering onto shaders/quantize.wgsl, byte for byte with src/reference/ops/elementwise.ts.
import quantizeSource from '../../shaders/quantize.wgsl?raw';
import { tensorElementCount, type OpOf, type TensorIR } from '../model/graph.ts';
import { quantizeMultiplier } from '../quant/fixedpoint.ts';
import { xnnpackConvertMultiplier } from '../quant/tensor.ts';
import { innerDim, isEightBit, outerCount, roundUp4 } from './layout.ts';
import { int8Shader } from './common.ts';
import {
  int8ActivationRange,
  int8ZeroPoint,
  LoweringError,
  scaleOf,
  tensorOf,
  uniformWords,
  workgroupsFor,
  singleDispatch,
  type LoweredOp,
  type LoweringContext,
  xnnpackKernels,
  builtinKernels,
} from './lowering.ts';

interface QuantizeParams {
  total: number;
  inputZp?: number;
  outputZp?: number;
  actMin?: number;
  actMax?: number;
  multiplier?: number;
  shift?: number;
  scaleSignificand?: number;
  scaleExponent?: number;
  scale?: number;
}

function perTensor(label: string, t: TensorIR): void {
  if ((t.quant?.scale.length ?? 0) !== 1) throw new LoweringError(`${label}: '${t.name}' needs per-tensor quantization`);
}

function lowerWith(
  ctx: LoweringContext,
  label: string,
  input: TensorIR,
  output: TensorIR,
  flags: { FROM_FLOAT: boolean; TO_FLOAT: boolean; XNN_ROUND?: boolean; XNN_CONVERT?: boolean; EXACT_QUOTIENT?: boolean },
  shape: readonly number[],
  p: QuantizeParams,
): LoweredOp {
  if (tensorElementCount(input.shape) !== tensorElementCount(output.shape)) throw new LoweringError(`${label}: input and output sizes differ`);
  const scaleBits = new Uint32Array(new Float32Array([p.scale ?? 0]).buffer)[0]!;
  const uniforms = uniformWords([
    ['u32', p.total],
    ['u32', innerDim(shape)],
    ['u32', roundUp4(innerDim(shape)) / 4],
    ['i32', p.inputZp ?? 0],
    ['i32', p.outputZp ?? 0],
    ['i32', p.actMin ?? -128],
    ['i32', p.actMax ?? 127],
    ['i32', p.multiplier ?? 0],
    ['i32', p.shift ?? 0],
    ['u32', p.scaleSignificand ?? 0],
    ['i32', p.scaleExponent ?? 0],
    ['u32', scaleBits],
  ]);
  const shader = int8Shader(ctx, quantizeSource, { XNN_ROUND: false, XNN_CONVERT: false, EXACT_QUOTIENT: false, ...flags });
  return singleDispatch(label, shader, [{ label: `${label} params`, data: uniforms, usage: 'uniform' }], [{ tensor: input.id }, { tensor: output.id }, { constant: 0 }], workgroupsFor(ctx, p.total));
}

const packedWords = (shape: readonly number[]): number => (outerCount(shape) * roundUp4(innerDim(shape))) / 4;

/** A positive finite float32 as significand in [2^23, 2^24) times 2^exponent. */
function float32Parts(label: string, x: number): { significand: number; exponent: number } {
  const f = Math.fround(x);
  if (!(f > 0) || !Number.isFinite(f)) throw new LoweringError(`${label}: scale ${x} is not a positive finite float32`);
  const bits = new Uint32Array(new Float32Array([f]).buffer)[0]!;
  const biased = (bits >>> 23) & 0xff;
  let significand = bits & 0x7fffff;
  let exponent = -149;
  if (biased !== 0) {
    significand |= 0x800000;
    exponent = biased - 150;
  }
  while (significand < 0x800000) {
    significand *= 2;
    exponent -= 1;
  }
  return { significand, exponent };
}

/**
 * QUANTIZE. float32 in, 'tflite' mode: round(x / scale) half away from zero, + zp, clamped
 * (AffineQuantize). float32 in, 'xnnpack' mode: x × float32(1/scale) rounded half to even
 * (XNNPACK's f32-qs8/qu8 convert), as src/quant/tensor.ts quantizeTensorXnnpack. In a graph the
 * delegate refuses: the exact quotient rounded half away (quantizeTensorTfliteOptimized).
 * 8-bit in: MultiplyByQuantizedMultiplier by QuantizeMultiplier(scale_in / scale_out) (Requantize),
 * or under 'xnnpack' where the delegate takes the op XNNPACK's convert (xnnpackConvertMultiplier).
 */
export function lowerQuantize(ctx: LoweringContext, op: OpOf<'QUANTIZE'>): LoweredOp {
  const label = `quantize#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (!isEightBit(output.dtype)) throw new LoweringError(`${label}: ${output.dtype} output is not 8-bit`);
  perTensor(label, output);
  if (input.dtype === 'float32') {
    if (xnnpackKernels(ctx)) {
      const scale = Math.fround(scaleOf(output));
      if (!(scale > 0) || !Number.isFinite(scale)) throw new LoweringError(`${label}: scale ${scale} is not a positive finite float32`);
      return lowerWith(ctx, label, input, output, { FROM_FLOAT: true, TO_FLOAT: false, XNN_ROUND: true }, output.shape, {
        total: packedWords(output.shape),
        outputZp: int8ZeroPoint(output),
        // The float32 reciprocal XNNPACK keeps; the int8-domain clamp bounds relative to the zero point.
        scale: Math.fround(1 / scale),
        actMin: -128 - int8ZeroPoint(output),
        actMax: 127 - int8ZeroPoint(output),
      });
    }
    const { significand, exponent } = float32Parts(label, scaleOf(output));
    // A graph the delegate refuses runs TFLite's builtin kernel: x / double(scale).
    return lowerWith(ctx, label, input, output, { FROM_FLOAT: true, TO_FLOAT: false, EXACT_QUOTIENT: builtinKernels(ctx) }, output.shape, {
      total: packedWords(output.shape),
      outputZp: int8ZeroPoint(output),
      scaleSignificand: significand,
      scaleExponent: exponent,
    });
  }
  if (!isEightBit(input.dtype)) throw new LoweringError(`${label}: ${input.dtype} input is not float32 or 8-bit`);
  perTensor(label, input);
  if (innerDim(input.shape) !== innerDim(output.shape)) throw new LoweringError(`${label}: input and output shapes differ`);
  const xnnMultiplier = xnnpackKernels(ctx) ? xnnpackConvertMultiplier(scaleOf(input), scaleOf(output), input.dtype === output.dtype) : null;
  if (xnnMultiplier !== null) {
    return lowerWith(ctx, label, input, output, { FROM_FLOAT: false, TO_FLOAT: false, XNN_CONVERT: true }, output.shape, {
      total: packedWords(output.shape),
      inputZp: int8ZeroPoint(input),
      outputZp: int8ZeroPoint(output),
      multiplier: xnnMultiplier,
    });
  }
  const { multiplier, shift } = quantizeMultiplier(scaleOf(input) / scaleOf(output));
  return lowerWith(ctx, label, input, output, { FROM_FLOAT: false, TO_FLOAT: false }, output.shape, {
    total: packedWords(output.shape),
    inputZp: int8ZeroPoint(input),
    outputZp: int8ZeroPoint(output),
    multiplier,
    shift,
  });
}

/** DEQUANTIZE: scale × (q − zp) in float32. */
export function lowerDequantize(ctx: LoweringContext, op: OpOf<'DEQUANTIZE'>): LoweredOp {
  const label = `dequantize#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (!isEightBit(input.dtype)) throw new LoweringError(`${label}: ${input.dtype} input is not 8-bit`);
  if (output.dtype !== 'float32') throw new LoweringError(`${label}: ${output.dtype} output is not float32`);
  perTensor(label, input);
  // The reference multiplies the (float32-valued) scale in double and rounds once to float32; the
  // GPU's float32 product rounds the same exact product once, so the scale must be a float32.
  if (Math.fround(scaleOf(input)) !== scaleOf(input)) throw new LoweringError(`${label}: scale ${scaleOf(input)} is not a float32 value`);
  return lowerWith(ctx, label, input, output, { FROM_FLOAT: false, TO_FLOAT: true }, input.shape, {
    total: tensorElementCount(input.shape),
    inputZp: int8ZeroPoint(input),
    scale: scaleOf(input),
  });
}

/**
 * RELU and RELU6 (activations.cc ReluX): requantize by QuantizeMultiplier(float(scale_in / scale_out))
 * with the float32 scales, then clamp to the output's quantized activation range.
 */
export function lowerRelu(ctx: LoweringContext, op: OpOf<'RELU'> | OpOf<'RELU6'>): LoweredOp {
  const label = `${op.type.toLowerCase()}#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (!isEightBit(input.dtype) || output.dtype !== input.dtype) throw new LoweringError(`${label}: ${input.dtype} input and ${output.dtype} output`);
  perTensor(label, input);
  perTensor(label, output);
  if (innerDim(input.shape) !== innerDim(output.shape)) throw new LoweringError(`${label}: input and output shapes differ`);
  const f = Math.fround;
  const { multiplier, shift } = quantizeMultiplier(f(f(scaleOf(input)) / f(scaleOf(output))));
  const [actMin, actMax] = int8ActivationRange(op.type === 'RELU' ? 'RELU' : 'RELU6', output);
  return lowerWith(ctx, label, input, output, { FROM_FLOAT: false, TO_FLOAT: false }, output.shape, {
    total: packedWords(output.shape),
    inputZp: int8ZeroPoint(input),
    outputZp: int8ZeroPoint(output),
    actMin,
    actMax,
    multiplier,
    shift,
  });
}
