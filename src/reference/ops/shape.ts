// RESHAPE, SQUEEZE, PAD, TRANSPOSE and CONCATENATION: ops that move elements without arithmetic
// (except CONCATENATION of inputs whose quantization differs from the output's).
import type { OpOf } from '../../model/graph.ts';
import { allocate, dtypeRange, elementCount, stridesOf, type Kernel, type PrepareContext } from '../common.ts';

/**
 * RESHAPE and SQUEEZE reinterpret the row-major element order under a new shape; the output
 * tensor's shape already says which. The value is copied so that no two tensor ids share an
 * array a caller might write to.
 */
export function prepareReshape(_op: OpOf<'RESHAPE'> | OpOf<'SQUEEZE'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  if (elementCount(input) !== elementCount(output)) {
    throw ctx.error(`cannot reshape [${input.shape.join(', ')}] to [${output.shape.join(', ')}]`);
  }
  if (input.dtype !== output.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  return (values) => {
    values[output.id] = values[input.id]!.slice();
  };
}

/**
 * PAD: paddings (input 1) is a [rank, 2] constant of (before, after) counts. Quantized tensors
 * pad with the output zero point (real 0), float with 0, as TFLite's PAD does.
 */
export function preparePad(_op: OpOf<'PAD'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  const rank = input.shape.length;
  const paddings = ctx.constantInts(ctx.input(1), 'paddings');
  if (paddings.length !== rank * 2) throw ctx.error(`paddings hold ${paddings.length} values for rank ${rank}`);
  const outShape = input.shape.map((d, i) => d + paddings[2 * i] + paddings[2 * i + 1]);
  if (outShape.some((d, i) => d !== output.shape[i]) || output.shape.length !== rank) {
    throw ctx.error(`output [${output.shape.join(', ')}] is not the padded shape [${outShape.join(', ')}]`);
  }
  if (input.dtype !== output.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  let padValue = 0;
  if (input.dtype === 'int8' || input.dtype === 'uint8') {
    const qi = ctx.perTensorQuant(input, 'input');
    const qo = ctx.perTensorQuant(output, 'output');
    if (qi.zeroPoint !== qo.zeroPoint || Math.fround(qi.scale) !== Math.fround(qo.scale)) {
      throw ctx.unsupported('different input and output quantization');
    }
    padValue = qo.zeroPoint;
  } else if (input.dtype !== 'float32' && input.dtype !== 'int32') {
    throw ctx.unsupported(`${input.dtype} input`);
  }
  // Each input row (innermost dimension) lands contiguously in the output at a fixed offset.
  const outStrides = stridesOf(outShape);
  const inner = rank === 0 ? 1 : input.shape[rank - 1];
  const rows = elementCount(input) / Math.max(inner, 1);
  const rowStart = new Int32Array(rows);
  const coord = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (let r = 0; r < rows; r++) {
    let o = rank === 0 ? 0 : paddings[2 * (rank - 1)];
    for (let d = 0; d < rank - 1; d++) o += (coord[d] + paddings[2 * d]) * outStrides[d];
    rowStart[r] = o;
    for (let d = rank - 2; d >= 0; d--) {
      if (++coord[d] < input.shape[d]) break;
      coord[d] = 0;
    }
  }
  const outCount = elementCount(output);
  return (values) => {
    const x = values[input.id]!;
    const out = allocate(output.dtype, outCount);
    if (padValue !== 0) out.fill(padValue);
    for (let r = 0; r < rows; r++) out.set(x.subarray(r * inner, (r + 1) * inner), rowStart[r]);
    values[output.id] = out;
  };
}

/** TRANSPOSE: output dimension i is input dimension perm[i] (perm is input 1). */
export function prepareTranspose(_op: OpOf<'TRANSPOSE'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  const rank = input.shape.length;
  const perm = ctx.constantInts(ctx.input(1), 'permutation').map((p) => (p < 0 ? p + rank : p));
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    throw ctx.error(`permutation [${perm.join(', ')}] is not a permutation of rank ${rank}`);
  }
  const outShape = perm.map((p) => input.shape[p]);
  if (outShape.some((d, i) => d !== output.shape[i])) {
    throw ctx.error(`output [${output.shape.join(', ')}] is not the transposed shape [${outShape.join(', ')}]`);
  }
  if (input.dtype !== output.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  const inStrides = stridesOf(input.shape);
  const strideOfOutDim = perm.map((p) => inStrides[p]);
  const count = elementCount(output);
  // Output position → input position, walking the output in row-major order.
  const source = new Int32Array(count);
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let d = 0; d < rank; d++) s += coord[d] * strideOfOutDim[d];
    source[i] = s;
    for (let d = rank - 1; d >= 0; d--) {
      if (++coord[d] < outShape[d]) break;
      coord[d] = 0;
    }
  }
  return (values) => {
    const x = values[input.id]!;
    const out = allocate(output.dtype, count);
    for (let i = 0; i < count; i++) out[i] = x[source[i]];
    values[output.id] = out;
  };
}

/**
 * CONCATENATION along `axis`. A quantized input whose params equal the output's is copied;
 * otherwise it is rescaled as reference_ops::ConcatenationWithScaling does, in float32:
 * round(x·s + b) + zp_out with s = scale_in·(1/scale_out), b = −zp_in·s, then clamped.
 */
export function prepareConcatenation(op: OpOf<'CONCATENATION'>, ctx: PrepareContext): Kernel {
  const output = ctx.output();
  const rank = output.shape.length;
  const axis = op.options.axis < 0 ? op.options.axis + rank : op.options.axis;
  if (axis < 0 || axis >= rank) throw ctx.error(`axis ${op.options.axis} is outside rank ${rank}`);
  if (op.options.activation !== 'NONE') throw ctx.unsupported(`fused activation ${op.options.activation}`);
  const inputs = op.inputs.map((_, i) => ctx.input(i));
  const outer = output.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const innerOf = (shape: readonly number[]): number => shape.slice(axis).reduce((a, b) => a * b, 1);
  let axisTotal = 0;
  for (const t of inputs) {
    if (t.dtype !== output.dtype) throw ctx.unsupported(`${t.dtype} input and ${output.dtype} output`);
    if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && d !== output.shape[i])) {
      throw ctx.error(`input [${t.shape.join(', ')}] does not fit output [${output.shape.join(', ')}] on axis ${axis}`);
    }
    axisTotal += t.shape[axis];
  }
  if (axisTotal !== output.shape[axis]) throw ctx.error(`inputs add up to ${axisTotal} on axis ${axis}, not ${output.shape[axis]}`);

  const quantized = output.dtype === 'int8' || output.dtype === 'uint8';
  if (!quantized && output.dtype !== 'float32' && output.dtype !== 'int32') throw ctx.unsupported(`${output.dtype} input`);
  const f = Math.fround;
  /** Per input: null to copy, else the float32 scale and bias of the rescale. */
  const rescale = inputs.map((t) => {
    if (!quantized) return null;
    const qi = ctx.perTensorQuant(t, 'input');
    const qo = ctx.perTensorQuant(output, 'output');
    if (qi.zeroPoint === qo.zeroPoint && f(qi.scale) === f(qo.scale)) return null;
    const scale = f(f(qi.scale) * f(1 / f(qo.scale)));
    return { scale, bias: f(-qi.zeroPoint * scale), zeroPoint: qo.zeroPoint };
  });
  const [qmin, qmax] = quantized ? dtypeRange(output.dtype as 'int8' | 'uint8') : [0, 0];
  const outInner = innerOf(output.shape);
  const count = elementCount(output);
  return (values) => {
    const out = allocate(output.dtype, count);
    let offset = 0;
    inputs.forEach((t, k) => {
      const x = values[t.id]!;
      const inner = innerOf(t.shape);
      const r = rescale[k];
      for (let o = 0; o < outer; o++) {
        const src = o * inner;
        const dst = o * outInner + offset;
        if (!r) {
          out.set(x.subarray(src, src + inner), dst);
          continue;
        }
        for (let j = 0; j < inner; j++) {
          const real = f(f(x[src + j] * r.scale) + r.bias);
          const v = (real < 0 ? -Math.round(-real) : Math.round(real)) + r.zeroPoint;
          out[dst + j] = v < qmin ? qmin : v > qmax ? qmax : v;
        }
      }
      offset += inner;
    });
    values[output.id] = out;
  };
}
