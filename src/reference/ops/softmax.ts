// SOFTMAX and LOGISTIC: the two ops with fixed output parameters (scale 1/256; zero point −128
// for int8, 0 for uint8), computed with gemmlowp fixed point exactly as TFLite's reference
// kernels do (reference_ops::Softmax quantized, reference_integer_ops::Logistic and
// reference_ops::Logistic uint8). Under 'xnnpack' requantization (what the TFLite runtime
// outputs) 8-bit SOFTMAX instead follows the runtime's optimized float lookup-table kernel.
import { rescale } from '../../quant/fixedpoint.ts';
import { inputRadius, logisticTable, multiplierGreaterThanOne as greaterThanOne, softmaxTable } from '../../quant/softmax.ts';
import type { OpOf, TensorIR } from '../../model/graph.ts';
import { elementCount, type Kernel, type PrepareContext, type QuantizedData } from '../common.ts';
import {
  expOnNegativeValues,
  fixedMul,
  oneOverOnePlusXForXIn01,
  roundingDivideByPOT,
} from '../../quant/gemmlowp.ts';

/** Checks the fixed output params TFLite's Prepare insists on for 8-bit SOFTMAX / LOGISTIC. */
function checkFixedOutput(ctx: PrepareContext, input: TensorIR, output: TensorIR): void {
  if (output.dtype !== input.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  const q = ctx.perTensorQuant(output, 'output');
  const expectedZeroPoint = output.dtype === 'int8' ? -128 : 0;
  if (Math.fround(q.scale) !== 1 / 256 || q.zeroPoint !== expectedZeroPoint) {
    throw ctx.unsupported(`output scale ${q.scale} and zero point ${q.zeroPoint} (TFLite requires 1/256 and ${expectedZeroPoint})`);
  }
}

/** QuantizeMultiplierGreaterThanOne, or the reference's error for a multiplier below 1. */
function multiplierGreaterThanOne(ctx: PrepareContext, real: number): { multiplier: number; leftShift: number } {
  const m = greaterThanOne(real);
  if (!m) throw ctx.error(`input scale gives a multiplier ${real} below 1`);
  return m;
}

/** MultiplyByQuantizedMultiplierGreaterThanOne: SRDHM(x · 2^left, m), the shift wrapping as int32. */
function multiplyGreaterThanOne(x: number, multiplier: number, leftShift: number): number {
  return fixedMul(Math.imul(x, 1 << leftShift), multiplier);
}

/**
 * SOFTMAX over the last dimension. Float: exp(β(x − max)) / Σ. Quantized: differences from the
 * row maximum are scaled by β·scale into Q5.26 (PreprocessSoftmaxScaling), exponentiated with
 * exp_on_negative_values, summed in Q12.19, and divided through a fixed-point reciprocal.
 */
export function prepareSoftmax(op: OpOf<'SOFTMAX'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  const count = elementCount(input);
  const depth = input.shape[input.shape.length - 1] ?? 1;
  const rows = count / depth;
  const beta = op.options.beta;

  if (input.dtype === 'float32') {
    if (output.dtype !== 'float32') throw ctx.unsupported(`float32 input and ${output.dtype} output`);
    return (values) => {
      const x = values[input.id] as Float32Array;
      const out = new Float32Array(count);
      for (let r = 0; r < rows; r++) {
        const base = r * depth;
        let max = -Infinity;
        for (let c = 0; c < depth; c++) if (x[base + c] > max) max = x[base + c];
        let sum = 0;
        for (let c = 0; c < depth; c++) sum += out[base + c] = Math.exp((x[base + c] - max) * beta);
        for (let c = 0; c < depth; c++) out[base + c] /= sum;
      }
      values[output.id] = out;
    };
  }
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw ctx.unsupported(`${input.dtype} input`);
  checkFixedOutput(ctx, input, output);
  const qi = ctx.perTensorQuant(input, 'input');
  if (ctx.requantization === 'xnnpack') return softmaxLookupTable(input, output, qi.scale, beta, rows, depth);

  const scaledDiffIntegerBits = 5;
  const accumulationIntegerBits = 12;
  const realMultiplier = Math.min(beta * qi.scale * 2 ** (31 - scaledDiffIntegerBits), 2 ** 31 - 1);
  const { multiplier, leftShift } = multiplierGreaterThanOne(ctx, realMultiplier);
  const diffMin = -inputRadius(scaledDiffIntegerBits, leftShift);
  const outputMin = output.dtype === 'int8' ? -128 : 0;
  const outputMax = output.dtype === 'int8' ? 127 : 255;

  return (values) => {
    const x = values[input.id] as QuantizedData;
    const out = output.dtype === 'int8' ? new Int8Array(count) : new Uint8Array(count);
    for (let r = 0; r < rows; r++) {
      const base = r * depth;
      let max = x[base];
      for (let c = 1; c < depth; c++) if (x[base + c] > max) max = x[base + c];

      let sumOfExps = 0; // Q12.19
      for (let c = 0; c < depth; c++) {
        const diff = x[base + c] - max;
        if (diff >= diffMin) {
          const scaledDiff = multiplyGreaterThanOne(diff, multiplier, leftShift); // Q5.26
          const e = expOnNegativeValues(scaledDiff, scaledDiffIntegerBits); // Q0.31
          sumOfExps = (sumOfExps + rescale(e, 0, accumulationIntegerBits)) | 0;
        }
      }

      // GetReciprocal: normalise the sum to [1, 2), take 1/(1 + fraction), remember the exponent.
      const headroomPlusOne = Math.clz32(sumOfExps);
      const numBitsOverUnit = accumulationIntegerBits - headroomPlusOne;
      const shiftedSumMinusOne = ((sumOfExps << headroomPlusOne) - 0x80000000) | 0;
      const shiftedScale = oneOverOnePlusXForXIn01(shiftedSumMinusOne); // Q0.31

      for (let c = 0; c < depth; c++) {
        const diff = x[base + c] - max;
        if (diff >= diffMin) {
          const scaledDiff = multiplyGreaterThanOne(diff, multiplier, leftShift);
          const e = expOnNegativeValues(scaledDiff, scaledDiffIntegerBits);
          // Past 31 (a sum of exponentials of 512 or more, beyond gemmlowp's asserted range, where
          // TFLite's C++ shifts by the count modulo 32 and outputs the maximum) the exact quotient
          // is below one half and rounds to 0.
          const exponent = numBitsOverUnit + 31 - 8;
          const unsaturated = exponent > 31 ? 0 : roundingDivideByPOT(fixedMul(shiftedScale, e), exponent);
          const shifted = unsaturated + outputMin;
          out[base + c] = shifted < outputMin ? outputMin : shifted > outputMax ? outputMax : shifted;
        } else {
          out[base + c] = outputMin;
        }
      }
    }
    values[output.id] = out;
  };
}

/**
 * SOFTMAX as the TFLite runtime runs it for 8-bit tensors (the XNNPACK delegate does not take a
 * quantized softmax, so this is the built-in kernel, activations.cc SoftmaxQuantized with
 * kGenericOptimized): optimized_ops::Softmax over the float32 table of softmaxTable. Per row, in
 * float32: sum = Σ table[255 − max + x] in index order, inv = 1 / (sum × 1/256), and each output
 * is RoundToNearest(table[…] × inv) (half to even) + zp_out, clamped. It differs from the gemmlowp
 * reference kernel by one LSB on some elements (one of 965 on the iNat bird MobileNet's 'bird').
 */
function softmaxLookupTable(input: TensorIR, output: TensorIR, inputScale: number, beta: number, rows: number, depth: number): Kernel {
  const f = Math.fround;
  const table = softmaxTable(inputScale, beta);
  const isInt8 = output.dtype === 'int8';
  const zeroPoint = isInt8 ? -128 : 0;
  const [lo, hi] = isInt8 ? [-128, 127] : [0, 255];
  const count = rows * depth;
  return (values) => {
    const x = values[input.id] as QuantizedData;
    const out = isInt8 ? new Int8Array(count) : new Uint8Array(count);
    for (let r = 0; r < rows; r++) {
      const base = r * depth;
      let max = x[base];
      for (let c = 1; c < depth; c++) if (x[base + c] > max) max = x[base + c];
      let sum = 0;
      for (let c = 0; c < depth; c++) sum = f(sum + table[255 - max + x[base + c]]);
      const inv = f(1 / f(sum / 256));
      for (let c = 0; c < depth; c++) {
        const p = f(table[255 - max + x[base + c]] * inv);
        let q = Math.round(p);
        if (q - p === 0.5 && (q & 1) !== 0) q -= 1;
        q += zeroPoint;
        out[base + c] = q < lo ? lo : q > hi ? hi : q;
      }
    }
    values[output.id] = out;
  };
}

/**
 * LOGISTIC. Quantized: a function of the input byte alone (the output's params are fixed), so
 * every element goes through logisticTable (src/quant/softmax.ts), gemmlowp's fixed-point
 * logistic evaluated once per byte, the table the GPU applies too.
 */
export function prepareLogistic(_op: OpOf<'LOGISTIC'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  const count = elementCount(input);
  if (input.dtype === 'float32') {
    if (output.dtype !== 'float32') throw ctx.unsupported(`float32 input and ${output.dtype} output`);
    return (values) => {
      const x = values[input.id] as Float32Array;
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = 1 / (1 + Math.exp(-x[i]));
      values[output.id] = out;
    };
  }
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw ctx.unsupported(`${input.dtype} input`);
  checkFixedOutput(ctx, input, output);
  const qi = ctx.perTensorQuant(input, 'input');
  const table = logisticTable(input.dtype, qi.scale, qi.zeroPoint, (m) => ctx.error(m));
  const isInt8 = input.dtype === 'int8';

  return (values) => {
    const x = values[input.id] as QuantizedData;
    const out = isInt8 ? new Int8Array(count) : new Uint8Array(count);
    // Int8Array stores the table's byte back as its signed value.
    for (let i = 0; i < count; i++) out[i] = table[x[i] & 0xff]!;
    values[output.id] = out;
  };
}
