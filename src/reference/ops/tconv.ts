// TRANSPOSE_CONV and BATCH_MATMUL (the convolution family additions), following TFLite:
//  - TRANSPOSE_CONV: reference_integer_ops::TransposeConv (int8, per-channel or per-tensor
//    weights) and reference_ops::TransposeConv (uint8, one multiplier, a weight zero point):
//    every input pixel scatters (x + input_offset)·(w + filter_offset) into an int32 scratch at
//    the output pixels its taps reach, then each output adds its bias, is requantized with
//    MultiplyByQuantizedMultiplier, moves by the output zero point and is clamped.
//  - BATCH_MATMUL: reference_ops::BatchMatMul<int8_t, int32_t> as batch_matmul.cc calls it:
//    Σ_k (lhs − lhs_zp)(rhs − rhs_zp), one multiplier (double lhs_scale·rhs_scale/out_scale),
//    no fused activation; batch dims broadcast.
// Accumulation wraps at 32 bits, as the int32 scratch does in practice.
//
// 'xnnpack' requantization (what the TFLite runtime outputs) was settled against the runtime
// itself (test/reference/tconv-runtime.test.ts): see xnnpackTakesTransposeConv for when the
// runtime's XNNPACK delegate runs TRANSPOSE_CONV (then fp32 requantization, as its convolutions);
// otherwise transpose_conv.cc's fixed point (double rounding) runs. The delegate has no
// BATCH_MATMUL: batch_matmul.cc's optimized kernel requantizes in cpu_backend_gemm (ruy), with
// ruy's single rounding (ruyMultiplyByQuantizedMultiplier), which differs from the reference
// kernel's double rounding at ties.
import { activationRangeFloat, activationRangeQuantized } from '../../quant/activation.ts';
import { multiplyByQuantizedMultiplier, quantizeMultiplier, ruyMultiplyByQuantizedMultiplier } from '../../quant/fixedpoint.ts';
import { dequantizeTensor } from '../../quant/tensor.ts';
import type { OpOf } from '../../model/graph.ts';
import {
  ConvFamilyShapeError,
  batchMatMulGeometry,
  operandBatchIndex,
  transposeConvGeometry,
  type BatchMatMulGeometry,
} from '../../model/conv-family.ts';
import { xnnpackTakesTransposeConv } from '../../model/tflite-delegation.ts';
import {
  allocate,
  channelMultipliers,
  elementCount,
  type Kernel,
  type PrepareContext,
  type QuantizedData,
} from '../common.ts';
import { roundHalfEven } from '../../rounding.ts';

function geometryOr<T>(ctx: PrepareContext, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof ConvFamilyShapeError) throw ctx.error(e.message);
    throw e;
  }
}

/** XNNPACK's fp32 requantization scale input × weight / output, each step in float32. */
function float32Scale(inScale: number, weightScale: number, outScale: number): number {
  const f = Math.fround;
  return f(f(f(inScale) * f(weightScale)) / f(outScale));
}

export function prepareTransposeConv(op: OpOf<'TRANSPOSE_CONV'>, ctx: PrepareContext): Kernel {
  const g = geometryOr(ctx, () => transposeConvGeometry(ctx.graph, op));
  const filter = ctx.input(1);
  const input = ctx.input(2);
  const biasTensor = ctx.optionalInput(3);
  const output = ctx.output();
  const inId = input.id;
  const outId = output.id;
  const outCount = elementCount(output);
  const { batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW, padTop, padLeft } = g;
  const filterStride = kH * kW * inC;

  if (input.dtype === 'float32') {
    const hybrid = (filter.dtype === 'int8' || filter.dtype === 'uint8') && !!filter.quant && filter.quant.scale.length > 0;
    if (filter.dtype !== 'float32' && !hybrid) throw ctx.unsupported(`float32 input and ${filter.dtype} weights`);
    if (output.dtype !== 'float32') throw ctx.unsupported(`float32 input and ${output.dtype} output`);
    const w = hybrid
      ? dequantizeTensor(ctx.constant(filter, 'weights') as Int8Array, filter.shape, filter.quant!)
      : (ctx.constant(filter, 'weights') as Float32Array);
    const bias = new Float32Array(outC);
    if (biasTensor) {
      if (biasTensor.dtype !== 'float32') throw ctx.unsupported(`float32 input and ${biasTensor.dtype} bias`);
      bias.set(ctx.constant(biasTensor, 'bias') as Float32Array);
    }
    const [lo, hi] = activationRangeFloat(op.options.activation);
    return (values) => {
      const x = values[inId] as Float32Array;
      const acc = new Float32Array(outCount);
      scatter((xi, wi, oi) => {
        acc[oi] = acc[oi]! + x[xi]! * w[wi]!;
      });
      const out = new Float32Array(outCount);
      for (let i = 0; i < outCount; i++) {
        const v = acc[i]! + bias[i % outC]!;
        out[i] = v < lo ? lo : v > hi ? hi : v;
      }
      values[outId] = out;
    };
  }

  if (input.dtype === 'int16') throw ctx.unsupported('int16 input (int16x8 transpose convolution is out of scope)');
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw ctx.unsupported(`${input.dtype} input`);
  if (filter.dtype !== input.dtype) throw ctx.unsupported(`${input.dtype} input and ${filter.dtype} weights`);
  if (output.dtype !== input.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  const inQ = ctx.perTensorQuant(input, 'input');
  const outQ = ctx.perTensorQuant(output, 'output');
  const wQ = filter.quant;
  if (!wQ || wQ.scale.length === 0) throw ctx.error(`needs quantization parameters on its weights ('${filter.name}')`);
  const perChannel = wQ.scale.length !== 1;
  if (perChannel && (wQ.scale.length !== outC || wQ.axis !== 0)) {
    throw ctx.error(`weights have ${wQ.scale.length} scales on axis ${wQ.axis}; expected ${outC} on axis 0`);
  }
  let filterOffset = 0;
  if (input.dtype === 'int8') {
    for (const zp of wQ.zeroPoint) if (zp !== 0) throw ctx.unsupported(`int8 weights with zero point ${zp}`);
  } else {
    if (perChannel) throw ctx.unsupported('uint8 per-channel weights');
    filterOffset = -wQ.zeroPoint[0]!;
  }
  const bias = new Int32Array(outC);
  if (biasTensor) {
    if (biasTensor.dtype !== 'int32') throw ctx.unsupported(`${input.dtype} input and ${biasTensor.dtype} bias`);
    bias.set(ctx.constant(biasTensor, 'bias') as Int32Array);
  }
  const rawW = ctx.constant(filter, 'weights') as QuantizedData;
  const w = new Int32Array(rawW.length);
  for (let i = 0; i < w.length; i++) w[i] = rawW[i]! + filterOffset;
  const inputOffset = -inQ.zeroPoint;
  const [actMin, actMax] = activationRangeQuantized(op.options.activation, outQ.scale, outQ.zeroPoint, output.dtype);
  const requant = channelMultipliers(inQ.scale, wQ, outQ.scale, outC);
  const floatScale =
    ctx.xnnpack && xnnpackTakesTransposeConv(g, perChannel, op.options.padding)
      ? Float32Array.from({ length: outC }, (_, c) => float32Scale(inQ.scale, wQ.scale[perChannel ? c : 0]!, outQ.scale))
      : null;
  const zp = outQ.zeroPoint;
  return (values) => {
    const x = values[inId] as QuantizedData;
    const scratch = new Int32Array(outCount);
    scatter((xi, wi, oi) => {
      scratch[oi] = (scratch[oi]! + Math.imul(x[xi]! + inputOffset, w[wi]!)) | 0;
    });
    const out = allocate(output.dtype, outCount);
    for (let i = 0; i < outCount; i++) {
      const c = i % outC;
      const acc = (scratch[i]! + bias[c]!) | 0;
      if (floatScale) {
        const scaled = Math.fround(Math.fround(acc) * floatScale[c]!);
        const lo = actMin - zp;
        const hi = actMax - zp;
        out[i] = roundHalfEven(scaled < lo ? lo : scaled > hi ? hi : scaled) + zp;
      } else {
        const v = multiplyByQuantizedMultiplier(acc, requant.multiplier[c]!, requant.shift[c]!) + zp;
        out[i] = v < actMin ? actMin : v > actMax ? actMax : v;
      }
    }
    values[outId] = out;
  };

  /** TFLite's loop order: batch, input row, input column, input channel, tap row, tap column, output channel. */
  function scatter(add: (xi: number, wi: number, oi: number) => void): void {
    for (let b = 0; b < batch; b++) {
      for (let iy = 0; iy < inH; iy++) {
        for (let ix = 0; ix < inW; ix++) {
          for (let ic = 0; ic < inC; ic++) {
            const xi = ((b * inH + iy) * inW + ix) * inC + ic;
            const oy0 = iy * strideH - padTop;
            const ox0 = ix * strideW - padLeft;
            for (let ky = 0; ky < kH; ky++) {
              const oy = oy0 + ky;
              if (oy < 0 || oy >= outH) continue;
              for (let kx = 0; kx < kW; kx++) {
                const ox = ox0 + kx;
                if (ox < 0 || ox >= outW) continue;
                const oBase = ((b * outH + oy) * outW + ox) * outC;
                const wBase = (ky * kW + kx) * inC + ic;
                for (let oc = 0; oc < outC; oc++) add(xi, oc * filterStride + wBase, oBase + oc);
              }
            }
          }
        }
      }
    }
  }
}

/** Element offset of (row, col) of matrix `index` in a row-major [.., rows, cols] operand. */
function matrixElement(index: number, rows: number, cols: number, r: number, c: number): number {
  return (index * rows + r) * cols + c;
}

/** Calls visit(lhsOffset, rhsOffset) for each k of output (b, i, j), honouring adj_x / adj_y. */
function operandOffsets(g: BatchMatMulGeometry, adjX: boolean, adjY: boolean) {
  return (b: number, i: number, j: number, k: number): [number, number] => {
    const lb = operandBatchIndex(g, b, g.lhsBatchStrides);
    const rb = operandBatchIndex(g, b, g.rhsBatchStrides);
    const l = adjX ? matrixElement(lb, g.lhsRows, g.lhsCols, k, i) : matrixElement(lb, g.lhsRows, g.lhsCols, i, k);
    const r = adjY ? matrixElement(rb, g.rhsRows, g.rhsCols, j, k) : matrixElement(rb, g.rhsRows, g.rhsCols, k, j);
    return [l, r];
  };
}

export function prepareBatchMatMul(op: OpOf<'BATCH_MATMUL'>, ctx: PrepareContext): Kernel {
  const g = geometryOr(ctx, () => batchMatMulGeometry(ctx.graph, op));
  const lhs = ctx.input(0);
  const rhs = ctx.input(1);
  const output = ctx.output();
  const offsets = operandOffsets(g, op.options.adjX, op.options.adjY);
  const lhsId = lhs.id;
  const rhsId = rhs.id;
  const outId = output.id;
  const outCount = elementCount(output);
  const { m, n, k, batches } = g;

  if (lhs.dtype === 'float32') {
    if (rhs.dtype !== 'float32') throw ctx.unsupported(`float32 LHS and ${rhs.dtype} RHS (hybrid BATCH_MATMUL)`);
    if (output.dtype !== 'float32') throw ctx.unsupported(`float32 input and ${output.dtype} output`);
    return (values) => {
      const x = values[lhsId] as Float32Array;
      const y = values[rhsId] as Float32Array;
      const out = new Float32Array(outCount);
      let o = 0;
      for (let b = 0; b < batches; b++) {
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let acc = 0;
            for (let kk = 0; kk < k; kk++) {
              const [l, r] = offsets(b, i, j, kk);
              acc += x[l]! * y[r]!;
            }
            out[o++] = acc;
          }
        }
      }
      values[outId] = out;
    };
  }

  if (lhs.dtype === 'int16') throw ctx.unsupported('int16 input (int16 BATCH_MATMUL is out of scope)');
  // batch_matmul.cc takes float32, int8 and int16; uint8 is refused there too.
  if (lhs.dtype !== 'int8') throw ctx.unsupported(`${lhs.dtype} input`);
  if (rhs.dtype !== 'int8') throw ctx.unsupported(`int8 LHS and ${rhs.dtype} RHS`);
  if (output.dtype !== 'int8') throw ctx.unsupported(`int8 input and ${output.dtype} output`);
  const lq = ctx.perTensorQuant(lhs, 'LHS');
  const rq = ctx.perTensorQuant(rhs, 'RHS');
  const oq = ctx.perTensorQuant(output, 'output');
  const { multiplier, shift } = quantizeMultiplier((lq.scale * rq.scale) / oq.scale);
  // ruy's one rounding shifts right by 31 − shift; a multiplier of 2^30 or more has no such shift.
  if (shift > 30) throw ctx.unsupported(`a requantization multiplier of ${(lq.scale * rq.scale) / oq.scale} (2^30 or more)`);
  // The runtime's batch_matmul.cc requantizes through cpu_backend_gemm (ruy): one rounding.
  const singleRounding = ctx.requantization === 'xnnpack';
  return (values) => {
    const x = values[lhsId] as Int8Array;
    const y = values[rhsId] as Int8Array;
    const out = new Int8Array(outCount);
    let o = 0;
    for (let b = 0; b < batches; b++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let kk = 0; kk < k; kk++) {
            const [l, r] = offsets(b, i, j, kk);
            acc = (acc + Math.imul(x[l]! - lq.zeroPoint, y[r]! - rq.zeroPoint)) | 0;
          }
          const v = (singleRounding ? ruyMultiplyByQuantizedMultiplier(acc, multiplier, shift) : multiplyByQuantizedMultiplier(acc, multiplier, shift)) + oq.zeroPoint;
          out[o++] = v < -128 ? -128 : v > 127 ? 127 : v;
        }
      }
    }
    values[outId] = out;
  };
}
