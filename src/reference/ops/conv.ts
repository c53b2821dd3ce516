// CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED, following TFLite's reference kernels:
// reference_integer_ops::ConvPerChannel / DepthwiseConvPerChannel / FullyConnected(PerChannel)
// for int8, and reference_ops::Conv / DepthwiseConv / FullyConnected for legacy uint8.
//
// Both integer paths are one formula: acc = Σ (w + filter_offset)(x + input_offset) + bias, then
// MultiplyByQuantizedMultiplier with the channel's multiplier, + output zero point, clamp to the
// fused activation's range. int8 has filter_offset 0 and per-channel multipliers; uint8 has
// filter_offset = −weight_zero_point and one multiplier. Taps outside the image are skipped, as
// TFLite does, which is the same as padding with the input zero point.
//
// Accumulation wraps at 32 bits (Math.imul, |0) as TFLite's int32 accumulator does in practice.
// With requantization 'xnnpack' the last step instead follows XNNPACK's fp32 requantization
// (see RequantizationMode), or, in a graph the delegate refuses, TFLite's builtin kernels: ruy's
// single rounding for CONV_2D and FULLY_CONNECTED, the double rounding for DEPTHWISE_CONV_2D.
import { activationRangeFloat, activationRangeQuantized } from '../../quant/activation.ts';
import { multiplyByQuantizedMultiplier, ruyMultiplyByQuantizedMultiplier } from '../../quant/fixedpoint.ts';
import { dequantizeTensor } from '../../quant/tensor.ts';
import { ConvFamilyShapeError, windowGeometry as sharedWindowGeometry, type WindowGeometry, type WindowOptions } from '../../model/conv-family.ts';
import type { Activation, OpOf, TensorIR } from '../../model/graph.ts';
import {
  allocate,
  channelMultipliers,
  elementCount,
  offsetInt32,
  type ChannelMultipliers,
  type Kernel,
  type PrepareContext,
  type QuantizedData,
} from '../common.ts';
import { roundHalfEven } from '../../rounding.ts';

/** Everything a quantized weighted op needs besides its geometry, prepared once. */
interface QuantizedWeightedParams {
  /** Weights with the filter offset folded in (w − weight_zero_point), in the model's layout. */
  weights: Int32Array;
  /** Bias per output channel (zeros when the op has none). */
  bias: Int32Array;
  requant: ChannelMultipliers;
  /** XNNPACK's per-channel float32 scale input_scale × weight_scale[c] / output_scale, or null outside XNNPACK. */
  floatScale: Float32Array | null;
  /** ruy's single-rounding MultiplyByQuantizedMultiplier instead of TFLite's double rounding. */
  singleRounding: boolean;
  inputOffset: number;
  outputZeroPoint: number;
  activationMin: number;
  activationMax: number;
}

interface FloatWeightedParams {
  weights: Float32Array;
  bias: Float32Array;
  activationMin: number;
  activationMax: number;
}

type WeightedParams = { kind: 'quantized'; q: QuantizedWeightedParams } | { kind: 'float'; f: FloatWeightedParams };

/**
 * Checks the dtype combination of a weighted op and prepares its weights, bias and multipliers.
 * `channelAxis` is the weight dimension that indexes output channels (where per-channel scales live).
 */
function prepareWeighted(
  ctx: PrepareContext,
  activation: Activation,
  channels: number,
  channelAxis: number,
  viaGemm: boolean,
): WeightedParams {
  const input = ctx.input(0);
  const filter = ctx.input(1);
  const biasTensor = ctx.optionalInput(2);
  const output = ctx.output();
  if (filter.shape[channelAxis] !== channels) {
    throw ctx.error(`weights [${filter.shape.join(', ')}] do not have ${channels} output channels on axis ${channelAxis}`);
  }

  if (input.dtype === 'float32') {
    const hybrid = filter.dtype === 'int8' && !!filter.quant && filter.quant.scale.length > 0;
    if (filter.dtype !== 'float32' && !hybrid) throw ctx.unsupported(`float32 input and ${filter.dtype} weights`);
    if (output.dtype !== 'float32') throw ctx.unsupported(`float32 input and ${output.dtype} output`);
    const bias = new Float32Array(channels);
    if (biasTensor) {
      if (biasTensor.dtype !== 'float32') throw ctx.unsupported(`float32 input and ${biasTensor.dtype} bias`);
      bias.set(ctx.constant(biasTensor, 'bias') as Float32Array);
    }
    const [activationMin, activationMax] = activationRangeFloat(activation);
    return {
      kind: 'float',
      f: {
        // Hybrid models (float activations, int8 weights): the weights are dequantized once and the
        // op runs in float. TFLite's hybrid kernels instead quantize the input on the fly, so
        // they differ from this by that rounding.
        weights: hybrid
          ? dequantizeTensor(ctx.constant(filter, 'weights') as Int8Array, filter.shape, filter.quant!)
          : (ctx.constant(filter, 'weights') as Float32Array),
        bias,
        activationMin,
        activationMax,
      },
    };
  }

  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw ctx.unsupported(`${input.dtype} input`);
  if (filter.dtype !== input.dtype) throw ctx.unsupported(`${input.dtype} input and ${filter.dtype} weights`);
  if (output.dtype !== input.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  const inQ = ctx.perTensorQuant(input, 'input');
  const outQ = ctx.perTensorQuant(output, 'output');
  const wQ = filter.quant;
  if (!wQ || wQ.scale.length === 0) throw ctx.error(`needs quantization parameters on its weights ('${filter.name}')`);
  if (wQ.scale.length !== 1) {
    if (wQ.scale.length !== channels || wQ.axis !== channelAxis) {
      throw ctx.error(`weights have ${wQ.scale.length} scales on axis ${wQ.axis}; expected ${channels} on axis ${channelAxis}`);
    }
  }

  let filterOffset = 0;
  if (input.dtype === 'int8') {
    // reference_integer_ops kernels have no filter offset: int8 weights are symmetric.
    for (let i = 0; i < wQ.zeroPoint.length; i++) {
      if (wQ.zeroPoint[i] !== 0) throw ctx.unsupported(`int8 weights with zero point ${wQ.zeroPoint[i]}`);
    }
  } else {
    // TFLite's uint8 kernels take one filter offset and one multiplier.
    if (wQ.scale.length !== 1) throw ctx.unsupported('uint8 per-channel weights');
    filterOffset = -wQ.zeroPoint[0];
  }

  const bias = new Int32Array(channels);
  if (biasTensor) {
    if (biasTensor.dtype !== 'int32') throw ctx.unsupported(`${input.dtype} input and ${biasTensor.dtype} bias`);
    const b = ctx.constant(biasTensor, 'bias');
    if (b.length !== channels) throw ctx.error(`bias has ${b.length} values for ${channels} output channels`);
    bias.set(b);
  }
  const [activationMin, activationMax] = activationRangeQuantized(activation, outQ.scale, outQ.zeroPoint, output.dtype);
  return {
    kind: 'quantized',
    q: {
      weights: offsetInt32(ctx.constant(filter, 'weights') as QuantizedData, filterOffset),
      bias,
      requant: channelMultipliers(inQ.scale, wQ, outQ.scale, channels),
      floatScale: ctx.xnnpack ? xnnpackScales(inQ.scale, wQ.scale, outQ.scale, channels) : null,
      // TFLite's builtin CONV_2D and FULLY_CONNECTED requantize inside cpu_backend_gemm (ruy);
      // its DEPTHWISE_CONV_2D keeps the double rounding of MultiplyByQuantizedMultiplier.
      singleRounding: ctx.requantization === 'xnnpack' && !ctx.xnnpack && viaGemm && input.dtype === 'int8',
      inputOffset: -inQ.zeroPoint,
      outputZeroPoint: outQ.zeroPoint,
      activationMin,
      activationMax,
    },
  };
}

function xnnpackScales(inputScale: number, weightScales: Float64Array, outputScale: number, channels: number): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    const weightScale = weightScales.length === 1 ? weightScales[0] : weightScales[c];
    out[c] = f(f(f(inputScale) * f(weightScale)) / f(outputScale));
  }
  return out;
}

/** Requantizes one accumulator to the output's 8-bit range. */
function requantize(acc: number, q: QuantizedWeightedParams, channel: number): number {
  if (q.floatScale) {
    // XNNPACK fp32 requantization: clamp in float relative to the zero point, then round.
    const scaled = Math.fround(Math.fround(acc) * q.floatScale[channel]);
    const lo = q.activationMin - q.outputZeroPoint;
    const hi = q.activationMax - q.outputZeroPoint;
    return roundHalfEven(scaled < lo ? lo : scaled > hi ? hi : scaled) + q.outputZeroPoint;
  }
  const multiply = q.singleRounding ? ruyMultiplyByQuantizedMultiplier : multiplyByQuantizedMultiplier;
  const v = multiply(acc, q.requant.multiplier[channel], q.requant.shift[channel]) + q.outputZeroPoint;
  return v < q.activationMin ? q.activationMin : v > q.activationMax ? q.activationMax : v;
}

function clampFloat(v: number, min: number, max: number): number {
  return v < min ? min : v > max ? max : v;
}

/** The window geometry (src/model/conv-family.ts), its refusal in this op's error. */
export function windowGeometry(
  ctx: PrepareContext,
  input: TensorIR,
  output: TensorIR,
  o: WindowOptions,
  kH: number,
  kW: number,
): WindowGeometry {
  try {
    return sharedWindowGeometry(input, output, o, kH, kW);
  } catch (e) {
    if (e instanceof ConvFamilyShapeError) throw ctx.error(e.message);
    throw e;
  }
}

/**
 * For one output pixel, the taps that land inside the image: input element offsets (pixel start,
 * before the channel) and filter tap indices (ky·kW + kx). Returns how many there are.
 */
function validTaps(g: WindowGeometry, n: number, oy: number, ox: number, inputBase: Int32Array, tapIndex: Int32Array): number {
  const iy0 = oy * g.strideH - g.padTop;
  const ix0 = ox * g.strideW - g.padLeft;
  let count = 0;
  for (let ky = 0; ky < g.kH; ky++) {
    const iy = iy0 + ky * g.dilH;
    if (iy < 0 || iy >= g.inH) continue;
    for (let kx = 0; kx < g.kW; kx++) {
      const ix = ix0 + kx * g.dilW;
      if (ix < 0 || ix >= g.inW) continue;
      inputBase[count] = ((n * g.inH + iy) * g.inW + ix) * g.inC;
      tapIndex[count] = ky * g.kW + kx;
      count++;
    }
  }
  return count;
}

/** A fused table op is the GPU's own form (src/passes/fuse-table.ts); the reference runs the graph from before the load passes. */
function refuseFusedTable(op: OpOf<'CONV_2D'> | OpOf<'DEPTHWISE_CONV_2D'> | OpOf<'FULLY_CONNECTED'>, ctx: PrepareContext): void {
  if (op.options.fusedTable) throw ctx.unsupported(`a fused ${op.options.fusedTable.ops.map((o) => o.type).join(' + ')} (run the reference on the unfused graph)`);
}

export function prepareConv2D(op: OpOf<'CONV_2D'>, ctx: PrepareContext): Kernel {
  // The GPU's own form (src/passes/fuse-add.ts); the reference runs the graph from before the load passes.
  if (op.options.fusedAdd) throw ctx.unsupported('a convolution with a fused ADD (run the reference on the unfused graph)');
  refuseFusedTable(op, ctx);
  const input = ctx.input(0);
  const filter = ctx.input(1);
  const output = ctx.output();
  if (filter.shape.length !== 4) throw ctx.error(`needs 4-D OHWI weights, got [${filter.shape.join(', ')}]`);
  const [outC, kH, kW, filterC] = filter.shape;
  const g = windowGeometry(ctx, input, output, op.options, kH, kW);
  if (g.outC !== outC) throw ctx.error(`output has ${g.outC} channels but the weights have ${outC}`);
  if (filterC !== g.inC) throw ctx.unsupported(`grouped convolution (input ${g.inC} channels, weights ${filterC})`);
  const params = prepareWeighted(ctx, op.options.activation, outC, 0, true);
  const inId = input.id;
  const outId = output.id;
  const outCount = elementCount(output);
  const tapsPerFilter = kH * kW;
  const filterStride = tapsPerFilter * g.inC;
  const inputBase = new Int32Array(tapsPerFilter);
  const tapIndex = new Int32Array(tapsPerFilter);

  if (params.kind === 'quantized') {
    const q = params.q;
    const w = q.weights;
    return (values) => {
      const x = offsetInt32(values[inId] as QuantizedData, q.inputOffset);
      const out = allocate(output.dtype, outCount);
      let o = 0;
      for (let n = 0; n < g.batch; n++) {
        for (let oy = 0; oy < g.outH; oy++) {
          for (let ox = 0; ox < g.outW; ox++) {
            const taps = validTaps(g, n, oy, ox, inputBase, tapIndex);
            for (let oc = 0; oc < outC; oc++) {
              let acc = q.bias[oc];
              const wChannel = oc * filterStride;
              for (let t = 0; t < taps; t++) {
                const xBase = inputBase[t];
                const wBase = wChannel + tapIndex[t] * g.inC;
                for (let ic = 0; ic < g.inC; ic++) acc = (acc + Math.imul(x[xBase + ic], w[wBase + ic])) | 0;
              }
              out[o++] = requantize(acc, q, oc);
            }
          }
        }
      }
      values[outId] = out;
    };
  }
  const f = params.f;
  return (values) => {
    const x = values[inId] as Float32Array;
    const w = f.weights;
    const out = new Float32Array(outCount);
    let o = 0;
    for (let n = 0; n < g.batch; n++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const taps = validTaps(g, n, oy, ox, inputBase, tapIndex);
          for (let oc = 0; oc < outC; oc++) {
            let acc = 0;
            const wChannel = oc * filterStride;
            for (let t = 0; t < taps; t++) {
              const xBase = inputBase[t];
              const wBase = wChannel + tapIndex[t] * g.inC;
              for (let ic = 0; ic < g.inC; ic++) acc += x[xBase + ic] * w[wBase + ic];
            }
            out[o++] = clampFloat(acc + f.bias[oc], f.activationMin, f.activationMax);
          }
        }
      }
    }
    values[outId] = out;
  };
}

export function prepareDepthwiseConv2D(op: OpOf<'DEPTHWISE_CONV_2D'>, ctx: PrepareContext): Kernel {
  refuseFusedTable(op, ctx);
  const input = ctx.input(0);
  const filter = ctx.input(1);
  const output = ctx.output();
  if (filter.shape.length !== 4 || filter.shape[0] !== 1) {
    throw ctx.error(`needs [1, kH, kW, channels] weights, got [${filter.shape.join(', ')}]`);
  }
  const [, kH, kW, outC] = filter.shape;
  const g = windowGeometry(ctx, input, output, op.options, kH, kW);
  if (g.outC !== outC) throw ctx.error(`output has ${g.outC} channels but the weights have ${outC}`);
  // The multiplier follows from the shapes; some converters write an inconsistent option value,
  // and TFLite's kernels index by output_channel = in_channel·multiplier + m either way.
  const multiplier = outC / g.inC;
  if (!Number.isInteger(multiplier) || multiplier < 1) {
    throw ctx.error(`output channels ${outC} are not a multiple of input channels ${g.inC}`);
  }
  const params = prepareWeighted(ctx, op.options.activation, outC, 3, false);
  const inId = input.id;
  const outId = output.id;
  const outCount = elementCount(output);
  const tapsPerFilter = kH * kW;
  const inputBase = new Int32Array(tapsPerFilter);
  const tapIndex = new Int32Array(tapsPerFilter);
  const inC = g.inC;

  if (params.kind === 'quantized') {
    const q = params.q;
    const w = q.weights;
    const acc = new Int32Array(outC);
    return (values) => {
      const x = offsetInt32(values[inId] as QuantizedData, q.inputOffset);
      const out = allocate(output.dtype, outCount);
      let o = 0;
      for (let n = 0; n < g.batch; n++) {
        for (let oy = 0; oy < g.outH; oy++) {
          for (let ox = 0; ox < g.outW; ox++) {
            const taps = validTaps(g, n, oy, ox, inputBase, tapIndex);
            acc.set(q.bias);
            for (let t = 0; t < taps; t++) {
              const xBase = inputBase[t];
              const wBase = tapIndex[t] * outC;
              if (multiplier === 1) {
                for (let c = 0; c < outC; c++) acc[c] = (acc[c] + Math.imul(x[xBase + c], w[wBase + c])) | 0;
              } else {
                for (let ic = 0; ic < inC; ic++) {
                  const xv = x[xBase + ic];
                  for (let m = 0; m < multiplier; m++) {
                    const oc = ic * multiplier + m;
                    acc[oc] = (acc[oc] + Math.imul(xv, w[wBase + oc])) | 0;
                  }
                }
              }
            }
            for (let oc = 0; oc < outC; oc++) out[o++] = requantize(acc[oc], q, oc);
          }
        }
      }
      values[outId] = out;
    };
  }
  const f = params.f;
  const acc = new Float64Array(outC);
  return (values) => {
    const x = values[inId] as Float32Array;
    const w = f.weights;
    const out = new Float32Array(outCount);
    let o = 0;
    for (let n = 0; n < g.batch; n++) {
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          const taps = validTaps(g, n, oy, ox, inputBase, tapIndex);
          acc.fill(0);
          for (let t = 0; t < taps; t++) {
            const xBase = inputBase[t];
            const wBase = tapIndex[t] * outC;
            for (let oc = 0; oc < outC; oc++) {
              acc[oc] += x[xBase + Math.floor(oc / multiplier)] * w[wBase + oc];
            }
          }
          for (let oc = 0; oc < outC; oc++) {
            out[o++] = clampFloat(acc[oc] + f.bias[oc], f.activationMin, f.activationMax);
          }
        }
      }
    }
    values[outId] = out;
  };
}

/**
 * FULLY_CONNECTED: weights [out, in]; the input is read as [batch, in] whatever its rank, with
 * batch = size / in, as TFLite flattens it. keepNumDims only changes the output tensor's shape,
 * which the graph already carries.
 */
export function prepareFullyConnected(op: OpOf<'FULLY_CONNECTED'>, ctx: PrepareContext): Kernel {
  refuseFusedTable(op, ctx);
  const input = ctx.input(0);
  const filter = ctx.input(1);
  const output = ctx.output();
  if (filter.shape.length !== 2) throw ctx.error(`needs 2-D [out, in] weights, got [${filter.shape.join(', ')}]`);
  const [outC, depth] = filter.shape;
  const inCount = elementCount(input);
  const batches = inCount / depth;
  if (!Number.isInteger(batches)) throw ctx.error(`input of ${inCount} elements is not a multiple of depth ${depth}`);
  const outCount = elementCount(output);
  if (outCount !== batches * outC) {
    throw ctx.error(`output [${output.shape.join(', ')}] is not ${batches}×${outC}`);
  }
  const params = prepareWeighted(ctx, op.options.activation, outC, 0, true);
  const inId = input.id;
  const outId = output.id;

  if (params.kind === 'quantized') {
    const q = params.q;
    const w = q.weights;
    return (values) => {
      const x = offsetInt32(values[inId] as QuantizedData, q.inputOffset);
      const out = allocate(output.dtype, outCount);
      for (let b = 0; b < batches; b++) {
        const xBase = b * depth;
        for (let oc = 0; oc < outC; oc++) {
          let acc = q.bias[oc];
          const wBase = oc * depth;
          for (let d = 0; d < depth; d++) acc = (acc + Math.imul(x[xBase + d], w[wBase + d])) | 0;
          out[b * outC + oc] = requantize(acc, q, oc);
        }
      }
      values[outId] = out;
    };
  }
  const f = params.f;
  return (values) => {
    const x = values[inId] as Float32Array;
    const w = f.weights;
    const out = new Float32Array(outCount);
    for (let b = 0; b < batches; b++) {
      const xBase = b * depth;
      for (let oc = 0; oc < outC; oc++) {
        let acc = 0;
        const wBase = oc * depth;
        for (let d = 0; d < depth; d++) acc += x[xBase + d] * w[wBase + d];
        out[b * outC + oc] = clampFloat(acc + f.bias[oc], f.activationMin, f.activationMax);
      }
    }
    values[outId] = out;
  };
}
