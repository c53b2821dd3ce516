// TRANSPOSE_CONV and BATCH_MATMUL on the int8 GPU path (shaders/tconv.wgsl,
// shaders/batch-matmul.wgsl). Geometry comes from src/model/conv-family.ts, the same rules the
// importer and the reference apply; the requantization follows the reference's choice per mode.
import tconvSource from '../../shaders/tconv.wgsl?raw';
import batchMatMulSource from '../../shaders/batch-matmul.wgsl?raw';
import type { OpOf } from '../model/graph.ts';
import { batchMatMulGeometry, transposeConvGeometry } from '../model/conv-family.ts';
import { quantizeMultiplier } from '../quant/fixedpoint.ts';
import { constantData } from '../quant/tensor.ts';
import { xnnpackTakesTransposeConv } from '../model/tflite-delegation.ts';
import { roundUp4 } from './layout.ts';
import { int8Shader } from './common.ts';
import { assertAccumulatorFits, float32ScaleBits, int8Weights } from './conv2d.ts';
import {
  int8ActivationRange,
  int8ZeroPoint,
  LoweringError,
  scaleOf,
  singleDispatch,
  splatByte,
  tensorOf,
  uniformWords,
  workgroupsFor,
  type BindingRef,
  type ConstantSpec,
  type LoweredOp,
  type LoweringContext,
  xnnpackKernels,
  geometryOf,
} from './lowering.ts';

export function lowerTransposeConv(ctx: LoweringContext, op: OpOf<'TRANSPOSE_CONV'>): LoweredOp {
  const label = `tconv#${op.index}`;
  const g = geometryOf(label, () => transposeConvGeometry(ctx.graph, op));
  const filter = tensorOf(ctx, op.inputs[1]!);
  const input = tensorOf(ctx, op.inputs[2]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (input.dtype === 'int16') throw new LoweringError(`${label}: int16x8 TRANSPOSE_CONV (int16 activations) is out of scope`);
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw new LoweringError(`${label}: input is ${input.dtype}; the int8 path takes int8 or uint8`);
  if (filter.dtype !== input.dtype || output.dtype !== input.dtype) {
    throw new LoweringError(`${label}: ${input.dtype} input needs ${input.dtype} weights and output, got ${filter.dtype} and ${output.dtype}`);
  }
  const perChannel = (filter.quant?.scale.length ?? 0) > 1;
  if (perChannel && (filter.quant!.scale.length !== g.outC || filter.quant!.axis !== 0)) {
    throw new LoweringError(`${label}: weights have ${filter.quant!.scale.length} scales on axis ${filter.quant!.axis}; expected ${g.outC} on axis 0`);
  }
  if (perChannel && input.dtype === 'uint8') throw new LoweringError(`${label}: uint8 per-channel weights are not supported (TFLite takes one uint8 weight scale)`);
  const { values: w, zeroPoint: weightZp } = int8Weights(filter);
  const inputZp = int8ZeroPoint(input);
  const outputZp = int8ZeroPoint(output);
  const { kH, kW, inC, outC, strideH, strideW } = g;
  const inC4 = roundUp4(inC) / 4;
  const outCPadded = roundUp4(outC);
  const taps = kH * kW;

  const packed = new Int8Array(outCPadded * taps * inC4 * 4);
  for (let oc = 0; oc < outC; oc++) {
    for (let t = 0; t < taps; t++) {
      const src = (oc * taps + t) * inC;
      packed.set(w.subarray(src, src + inC), (oc * taps + t) * inC4 * 4);
    }
  }

  const biasId = op.inputs[3] ?? -1;
  const biasTensor = biasId >= 0 ? tensorOf(ctx, biasId) : undefined;
  if (biasTensor && (biasTensor.dtype !== 'int32' || !biasTensor.data)) throw new LoweringError(`${label}: bias must be a constant int32 tensor`);
  const bias = biasTensor ? (constantData(biasTensor) as Int32Array) : undefined;
  // The most taps one output sums: ⌈kH / strideH⌉ · ⌈kW / strideW⌉ pixels of inC channels.
  assertAccumulatorFits(label, Math.ceil(kH / strideH) * Math.ceil(kW / strideW) * inC, weightZp, bias);

  // Phases: (oy + pad_top) mod strideH picks the taps; phases past the kernel have none and share a row.
  const phasesH = Math.min(strideH, kH + 1);
  const phasesW = Math.min(strideW, kW + 1);
  const inScale = scaleOf(input);
  const outScale = scaleOf(output);
  const floatRequant = xnnpackKernels(ctx) && xnnpackTakesTransposeConv(g, perChannel, op.options.padding);
  const channelParams = new Int32Array(phasesH * phasesW * outCPadded * 4);
  for (let oc = 0; oc < outC; oc++) {
    const { multiplier, shift } = quantizeMultiplier((inScale * scaleOf(filter, oc)) / outScale);
    const scaleBits = float32ScaleBits(inScale, scaleOf(filter, oc), outScale);
    for (let ph = 0; ph < phasesH; ph++) {
      for (let pw = 0; pw < phasesW; pw++) {
        let weightSum = 0;
        let phaseTaps = 0;
        for (let ky = ph; ky < kH; ky += strideH) {
          for (let kx = pw; kx < kW; kx += strideW) {
            phaseTaps++;
            const base = ((oc * kH + ky) * kW + kx) * inC;
            for (let ic = 0; ic < inC; ic++) weightSum += w[base + ic]!;
          }
        }
        // Σ(w−zw)(x−zx) over the phase's taps = Σwx − zw·Σx − zx·Σw + n·zx·zw; all but Σwx and zw·Σx are constants.
        const folded = (bias ? bias[oc]! : 0) - inputZp * weightSum + phaseTaps * inC * inputZp * weightZp;
        channelParams.set([folded | 0, multiplier, shift, scaleBits], ((ph * phasesW + pw) * outCPadded + oc) * 4);
      }
    }
  }

  const [actMin, actMax] = int8ActivationRange(op.options.activation, output);
  const lastRealChannels = inC - (inC4 - 1) * 4;
  const lastWordMask = splatByte(1) >>> (8 * (4 - lastRealChannels));
  const total = g.batch * g.outH * g.outW * (outCPadded / 4);
  const uniforms = uniformWords([
    ['u32', g.batch],
    ['u32', g.inH],
    ['u32', g.inW],
    ['u32', inC4],
    ['u32', g.outH],
    ['u32', g.outW],
    ['u32', outCPadded / 4],
    ['u32', kH],
    ['u32', kW],
    ['u32', strideH],
    ['u32', strideW],
    ['u32', g.padTop],
    ['u32', g.padLeft],
    ['u32', phasesW],
    ['u32', splatByte(inputZp)],
    ['u32', lastWordMask],
    ['i32', outputZp],
    ['i32', actMin],
    ['i32', actMax],
    ['i32', weightZp],
    ['u32', total],
  ]);
  const shader = int8Shader(ctx, tconvSource, { WEIGHT_ZP: weightZp !== 0, FLOAT_REQUANT: floatRequant });
  return singleDispatch(label, shader, [
    { label: `${label} weights`, data: packed, usage: 'storage' },
    { label: `${label} channel params`, data: channelParams, usage: 'storage' },
    { label: `${label} params`, data: uniforms, usage: 'uniform' },
  ], [{ tensor: input.id }, { constant: 0 }, { constant: 1 }, { tensor: output.id }, { constant: 2 }], workgroupsFor(ctx, total));
}

/** Batch dims front-padded to 3 (rank 5 at most), as the shader's vec4 fields. */
function batchFields(dims: readonly number[], fill: number): number[] {
  if (dims.length > 3) throw new LoweringError(`BATCH_MATMUL with ${dims.length} batch dims (rank ${dims.length + 2}); TFLite takes rank 5 at most`);
  return [...new Array<number>(3 - dims.length).fill(fill), ...dims, 0];
}

export function lowerBatchMatMul(ctx: LoweringContext, op: OpOf<'BATCH_MATMUL'>): LoweredOp {
  const label = `bmm#${op.index}`;
  const g = geometryOf(label, () => batchMatMulGeometry(ctx.graph, op));
  const lhs = tensorOf(ctx, op.inputs[0]!);
  const rhs = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (lhs.dtype === 'int16') throw new LoweringError(`${label}: int16 BATCH_MATMUL is out of scope`);
  if (lhs.dtype !== 'int8' || rhs.dtype !== 'int8' || output.dtype !== 'int8') {
    throw new LoweringError(`${label}: the int8 path takes int8 operands and output (TFLite's BATCH_MATMUL has no uint8), got ${lhs.dtype} × ${rhs.dtype} → ${output.dtype}`);
  }
  for (const t of [lhs, rhs, output]) {
    if (!t.quant || t.quant.scale.length !== 1) throw new LoweringError(`${label}: '${t.name}' must be quantized per tensor`);
  }
  const { adjX, adjY } = op.options;
  const real = (scaleOf(lhs) * scaleOf(rhs)) / scaleOf(output);
  const { multiplier, shift } = quantizeMultiplier(real);
  if (shift > 30) throw new LoweringError(`${label}: a requantization multiplier of ${real} (2^30 or more) is not supported`);
  // |Σ(l − zl)(r − zr)| ≤ K·255² must stay inside int32 (dot4 and i32 sums wrap).
  if (g.k * 255 * 255 > 2 ** 31 - 1) throw new LoweringError(`${label}: a reduction over ${g.k} terms can overflow the int32 accumulator`);

  const constants: ConstantSpec[] = [];
  let rhsBinding: BindingRef;
  let rhsKMajor = adjY;
  let rhsRows = g.rhsRows;
  let rhsWords = Math.ceil(g.rhsCols / 4);
  const rhsStrides = [...g.rhsBatchStrides];
  if (rhs.data) {
    // A constant RHS is repacked at load as [matrix][n][K words], so the loop loads it directly.
    const raw = constantData(rhs) as Int8Array;
    const matrices = raw.length / (g.rhsRows * g.rhsCols);
    const k4 = Math.ceil(g.k / 4);
    const bytes = new Int8Array(Math.max(4, matrices * g.n * k4 * 4));
    for (let mat = 0; mat < matrices; mat++) {
      for (let j = 0; j < g.n; j++) {
        for (let kk = 0; kk < g.k; kk++) {
          const src = adjY ? (mat * g.n + j) * g.k + kk : (mat * g.k + kk) * g.n + j;
          bytes[(mat * g.n + j) * k4 * 4 + kk] = raw[src]!;
        }
      }
    }
    constants.push({ label: `${label} rhs`, data: bytes, usage: 'storage' });
    rhsBinding = { constant: 0 };
    rhsKMajor = true;
    rhsRows = g.n;
    rhsWords = k4;
  } else {
    rhsBinding = { tensor: rhs.id };
  }
  const outWords = Math.ceil(g.n / 4);
  const total = g.batches * g.m * outWords;
  const lastK = g.k - (Math.ceil(g.k / 4) - 1) * 4;
  const uniforms = uniformWords([
    ['u32', g.m],
    ['u32', g.n],
    ['u32', g.k],
    ['u32', Math.ceil(g.k / 4)],
    ['u32', outWords],
    ['u32', Math.ceil(g.lhsCols / 4)],
    ['u32', rhsWords],
    ['u32', total],
    ...batchFields(g.batchDims, 1).map((v): ['u32', number] => ['u32', v]),
    ...batchFields(g.lhsBatchStrides, 0).map((v): ['u32', number] => ['u32', v]),
    ...batchFields(rhsStrides, 0).map((v): ['u32', number] => ['u32', v]),
    ['i32', int8ZeroPoint(lhs)],
    ['i32', int8ZeroPoint(rhs)],
    ['i32', int8ZeroPoint(output)],
    ['i32', multiplier],
    ['i32', shift],
    ['u32', 0xffffffff >>> (8 * (4 - lastK))],
    ['u32', g.lhsRows],
    ['u32', rhsRows],
  ]);
  constants.push({ label: `${label} params`, data: uniforms, usage: 'uniform' });
  const shader = int8Shader(ctx, batchMatMulSource, {
    LHS_ADJ: adjX,
    RHS_KMAJOR: rhsKMajor,
    SINGLE_ROUNDING: ctx.requantization === 'xnnpack',
  });
  return singleDispatch(label, shader, constants, [{ tensor: lhs.id }, rhsBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}
