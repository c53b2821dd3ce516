// Shape rules of the window ops (CONV_2D, DEPTHWISE_CONV_2D, the pools), TRANSPOSE_CONV and
// BATCH_MATMUL, shared by the importer (which refuses a hostile or inconsistent op before anything
// is allocated), the CPU reference and both GPU paths, so that every stage agrees on one geometry. Each function returns the geometry or throws
// ConvFamilyShapeError with the reason; callers wrap it in their own error type.
import { OctetError } from '../errors.ts';
import type { ExplicitPadding, Graph, OpOf, Padding, TensorIR } from './graph.ts';

export class ConvFamilyShapeError extends OctetError {
  override name = 'ConvFamilyShapeError';
  readonly code = 'CONV_FAMILY_SHAPE';
}

/** Larger element counts cannot be addressed by 32-bit indices on the GPU. */
const MAX_ELEMENTS = 2 ** 31 - 1;

function fail(message: string): never {
  throw new ConvFamilyShapeError(message);
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** NHWC sizes of a strided 2-D window over an image: input, output, filter, stride, padding. */
interface StridedWindow {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  /** Padding before the first row / column (TFLite's padding_values.height / width). */
  padTop: number;
  padLeft: number;
}

/** NHWC geometry of a CONV_2D, DEPTHWISE_CONV_2D or pooling window, with TFLite's padding. */
export interface WindowGeometry extends StridedWindow {
  dilH: number;
  dilW: number;
}

/** NHWC geometry of a TRANSPOSE_CONV, with the padding TFLite derives from output_shape. */
export type TransposeConvGeometry = StridedWindow;

/**
 * TFLite's ComputeOutSize and ComputePaddingHeightWidth for one spatial dimension: the output
 * size the padding scheme implies, and the padding before the first element (SAME puts the odd
 * pixel of padding after, so `before` rounds down).
 */
export function spatialPadding(padding: Padding, inSize: number, filterSize: number, stride: number, dilation: number): { outSize: number; before: number } {
  const effectiveFilter = (filterSize - 1) * dilation + 1;
  const outSize = padding === 'SAME' ? Math.floor((inSize + stride - 1) / stride) : Math.floor((inSize - effectiveFilter + stride) / stride);
  const total = Math.max(0, (outSize - 1) * stride + effectiveFilter - inSize);
  return { outSize, before: Math.floor(total / 2) };
}

/** The options a window op carries (pools have no dilation: pass 1). */
export interface WindowOptions {
  padding: Padding;
  strideH: number;
  strideW: number;
  dilationH: number;
  dilationW: number;
  /** Only with padding 'VALID': the window runs over the input padded by these counts (see ConvolutionOptions). */
  explicitPadding?: ExplicitPadding;
}

/**
 * spatialPadding under a window op's options: TFLite's scheme, or with explicitPadding VALID over
 * the input grown by the padding before and after, whose first `before` rows or columns lie
 * outside the image.
 */
export function windowPadding(o: WindowOptions, axis: 'height' | 'width', inSize: number, filterSize: number): { outSize: number; before: number } {
  const [stride, dilation] = axis === 'height' ? [o.strideH, o.dilationH] : [o.strideW, o.dilationW];
  const e = o.explicitPadding;
  if (!e) return spatialPadding(o.padding, inSize, filterSize, stride, dilation);
  if (o.padding !== 'VALID') fail(`explicit padding needs VALID padding, got ${o.padding}`);
  const [before, after] = axis === 'height' ? [e.top, e.bottom] : [e.left, e.right];
  if (![before, after].every((p) => Number.isInteger(p) && p >= 0)) fail(`explicit padding ${JSON.stringify(e)} must be counts of at least 0`);
  return { outSize: spatialPadding('VALID', inSize + before + after, filterSize, stride, dilation).outSize, before };
}

/**
 * The window geometry of a 4-D NHWC input and output under a kH×kW filter; refuses an output
 * whose batch, height or width is not what the padding gives (the channel count is the caller's
 * rule: equal to the filter's for CONV_2D, a multiple of the input's for DEPTHWISE_CONV_2D).
 */
export function windowGeometry(input: TensorIR, output: TensorIR, o: WindowOptions, kH: number, kW: number): WindowGeometry {
  if (input.shape.length !== 4) fail(`needs a 4-D NHWC input, got ${shapeText(input.shape)}`);
  if (output.shape.length !== 4) fail(`needs a 4-D NHWC output, got ${shapeText(output.shape)}`);
  const [batch, inH, inW, inC] = input.shape as [number, number, number, number];
  const [outBatch, outH, outW, outC] = output.shape as [number, number, number, number];
  const h = windowPadding(o, 'height', inH, kH);
  const w = windowPadding(o, 'width', inW, kW);
  if (outBatch !== batch || h.outSize !== outH || w.outSize !== outW) {
    const scheme = o.explicitPadding ? `explicit padding ${JSON.stringify(o.explicitPadding)}` : `${o.padding} padding`;
    fail(`output ${shapeText(output.shape)} does not match ${scheme} of input ${shapeText(input.shape)} (expected ${batch}×${h.outSize}×${w.outSize})`);
  }
  return {
    batch, inH, inW, inC, outH, outW, outC, kH, kW,
    strideH: o.strideH, strideW: o.strideW, dilH: o.dilationH, dilW: o.dilationW,
    padTop: h.before, padLeft: w.before,
  };
}

/** The int32 values of TRANSPOSE_CONV's output_shape operand (input 0), which must be a constant. */
export function transposeConvOutputShape(t: TensorIR): number[] {
  if (t.dtype !== 'int32') fail(`output_shape '${t.name}' is ${t.dtype}; TFLite takes int32`);
  if (t.shape.length !== 1 || t.shape[0] !== 4) fail(`output_shape '${t.name}' has shape ${shapeText(t.shape)}; it must hold 4 values (NHWC)`);
  if (!t.data) fail(`output_shape '${t.name}' is computed at run time; Octet needs it constant`);
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return [0, 1, 2, 3].map((i) => view.getInt32(i * 4, true));
}

/**
 * TRANSPOSE_CONV (inputs: output_shape, weights [O, kH, kW, I], input [N, H, W, I], optional bias
 * [O]). TFLite computes the padding as for a forward convolution from the output to the input
 * (ComputePaddingHeightWidth with the output size as the "input"); an input whose size is not
 * what that forward convolution gives is inconsistent (TFLite would silently drop or leave out
 * rows) and is refused, as are empty or oversized shapes.
 */
export function transposeConvGeometry(graph: Pick<Graph, 'tensors'>, op: OpOf<'TRANSPOSE_CONV'>): TransposeConvGeometry {
  if (op.inputs.length < 3 || op.inputs.length > 4) fail(`takes 3 or 4 inputs (output_shape, weights, input, bias), got ${op.inputs.length}`);
  if (op.outputs.length !== 1) fail(`has ${op.outputs.length} outputs, expected 1`);
  const tensor = (id: number | undefined, role: string): TensorIR => {
    const t = id === undefined || id < 0 ? undefined : graph.tensors[id];
    if (!t) fail(`${role} (tensor ${id}) is missing`);
    return t;
  };
  const outputShape = transposeConvOutputShape(tensor(op.inputs[0], 'output_shape'));
  const filter = tensor(op.inputs[1], 'weights');
  const input = tensor(op.inputs[2], 'input');
  const output = tensor(op.outputs[0], 'output');
  if (outputShape.some((d) => !Number.isInteger(d) || d < 1)) fail(`output_shape ${shapeText(outputShape)} has a dimension below 1`);
  let elements = 1;
  for (const d of outputShape) elements *= d;
  if (elements > MAX_ELEMENTS) fail(`output_shape ${shapeText(outputShape)} has more than ${MAX_ELEMENTS} elements`);
  if (output.shape.length !== 4 || output.shape.some((d, i) => d !== outputShape[i])) {
    fail(`output tensor '${output.name}' has shape ${shapeText(output.shape)} but output_shape says ${shapeText(outputShape)}`);
  }
  if (filter.shape.length !== 4) fail(`needs 4-D [O, kH, kW, I] weights, got ${shapeText(filter.shape)}`);
  if (input.shape.length !== 4) fail(`needs a 4-D NHWC input, got ${shapeText(input.shape)}`);
  const [outC, kH, kW, filterC] = filter.shape as [number, number, number, number];
  const [batch, inH, inW, inC] = input.shape as [number, number, number, number];
  const [outBatch, outH, outW, outputC] = outputShape as [number, number, number, number];
  if ([outC, kH, kW, filterC].some((d) => d < 1)) fail(`weights ${shapeText(filter.shape)} have an empty dimension`);
  if ([batch, inH, inW, inC].some((d) => d < 1)) fail(`input ${shapeText(input.shape)} has an empty dimension`);
  if (filterC !== inC) fail(`weights have ${filterC} input channels but the input has ${inC}`);
  if (outC !== outputC) fail(`weights have ${outC} output channels but output_shape says ${outputC}`);
  if (outBatch !== batch) fail(`output_shape batch ${outBatch} differs from the input's ${batch}`);
  const { padding, strideH, strideW } = op.options;
  if (!(strideH >= 1 && strideW >= 1)) fail(`strides ${strideH}×${strideW} must be at least 1`);
  const expectH = spatialPadding(padding, outH, kH, strideH, 1).outSize;
  const expectW = spatialPadding(padding, outW, kW, strideW, 1).outSize;
  if (expectH !== inH || expectW !== inW) {
    fail(
      `output_shape ${shapeText(outputShape)} is inconsistent with input ${shapeText(input.shape)}: ` +
        `${padding} padding with ${kH}×${kW} weights and strides ${strideH}×${strideW} maps it to ${expectH}×${expectW}, not ${inH}×${inW}`,
    );
  }
  const biasId = op.inputs[3] ?? -1;
  if (biasId >= 0) {
    const bias = tensor(biasId, 'bias');
    const count = bias.shape.reduce((a, b) => a * b, 1);
    if (count !== outC) fail(`bias '${bias.name}' has ${count} values for ${outC} output channels`);
  }
  const pad = (inSize: number, filterSize: number, stride: number, size: number) => Math.max(0, Math.floor(((inSize - 1) * stride + filterSize - size) / 2));
  return {
    batch, inH, inW, inC, outH, outW, outC, kH, kW, strideH, strideW,
    padTop: pad(inH, kH, strideH, outH),
    padLeft: pad(inW, kW, strideW, outW),
  };
}

/** Row-major geometry of a BATCH_MATMUL: out[b][m][n] = Σ_k lhs[b][m][k] · rhs[b][k][n]. */
export interface BatchMatMulGeometry {
  m: number;
  n: number;
  k: number;
  /** Output batch dims (the broadcast of both operands' batch dims), outermost first. */
  batchDims: number[];
  /** Per output batch dim: the operand's matrix stride along it (0 where it broadcasts). */
  lhsBatchStrides: number[];
  rhsBatchStrides: number[];
  batches: number;
  /** Operand rows × cols as stored (before adj): lhs [m, k] or [k, m]; rhs [k, n] or [n, k]. */
  lhsRows: number;
  lhsCols: number;
  rhsRows: number;
  rhsCols: number;
}

/** BATCH_MATMUL of rank 2 to 5 with TFLite's batch broadcast (batch_matmul.cc). */
export function batchMatMulGeometry(graph: Pick<Graph, 'tensors'>, op: OpOf<'BATCH_MATMUL'>): BatchMatMulGeometry {
  if (op.inputs.length !== 2) fail(`takes 2 inputs, got ${op.inputs.length}`);
  if (op.outputs.length !== 1) fail(`has ${op.outputs.length} outputs, expected 1`);
  const lhs = graph.tensors[op.inputs[0]!];
  const rhs = graph.tensors[op.inputs[1]!];
  const output = graph.tensors[op.outputs[0]!];
  if (!lhs || !rhs || !output) fail('refers to a missing tensor');
  for (const [t, role] of [[lhs, 'LHS'], [rhs, 'RHS']] as const) {
    if (t.shape.length < 2 || t.shape.length > 5) fail(`${role} has rank ${t.shape.length}; TFLite takes rank 2 to 5`);
    if (t.shape.some((d) => d < 1)) fail(`${role} ${shapeText(t.shape)} has an empty dimension`);
  }
  const [lhsRows, lhsCols] = lhs.shape.slice(-2) as [number, number];
  const [rhsRows, rhsCols] = rhs.shape.slice(-2) as [number, number];
  const { adjX, adjY } = op.options;
  const m = adjX ? lhsCols : lhsRows;
  const k = adjX ? lhsRows : lhsCols;
  const kR = adjY ? rhsCols : rhsRows;
  const n = adjY ? rhsRows : rhsCols;
  if (k !== kR) fail(`LHS ${shapeText(lhs.shape)}${adjX ? ' (adj_x)' : ''} and RHS ${shapeText(rhs.shape)}${adjY ? ' (adj_y)' : ''} disagree on the reduced dimension (${k} vs ${kR})`);
  const rank = Math.max(lhs.shape.length, rhs.shape.length);
  const lhsBatch = [...new Array<number>(rank - lhs.shape.length).fill(1), ...lhs.shape.slice(0, -2)];
  const rhsBatch = [...new Array<number>(rank - rhs.shape.length).fill(1), ...rhs.shape.slice(0, -2)];
  const batchDims = lhsBatch.map((a, i) => {
    const b = rhsBatch[i]!;
    if (a !== b && a !== 1 && b !== 1) fail(`batch dimensions of LHS ${shapeText(lhs.shape)} and RHS ${shapeText(rhs.shape)} do not broadcast`);
    return Math.max(a, b);
  });
  const expected = [...batchDims, m, n];
  if (output.shape.length !== expected.length || output.shape.some((d, i) => d !== expected[i])) {
    fail(`output '${output.name}' has shape ${shapeText(output.shape)}, expected ${shapeText(expected)}`);
  }
  const strides = (dims: number[]) => {
    const out = new Array<number>(dims.length);
    let s = 1;
    for (let d = dims.length - 1; d >= 0; d--) {
      out[d] = dims[d] === 1 ? 0 : s;
      s *= dims[d]!;
    }
    return out;
  };
  let batches = 1;
  for (const d of batchDims) batches *= d;
  if (batches * m * n > MAX_ELEMENTS || batches * m * k > MAX_ELEMENTS) fail(`shapes ${shapeText(lhs.shape)} × ${shapeText(rhs.shape)} are too large`);
  return { m, n, k, batchDims, lhsBatchStrides: strides(lhsBatch), rhsBatchStrides: strides(rhsBatch), batches, lhsRows, lhsCols, rhsRows, rhsCols };
}

/** For output batch index b (row-major over batchDims): the operand's matrix index. */
export function operandBatchIndex(g: BatchMatMulGeometry, b: number, strides: readonly number[]): number {
  let index = 0;
  for (let d = g.batchDims.length - 1; d >= 0; d--) {
    const size = g.batchDims[d]!;
    index += (b % size) * strides[d]!;
    b = Math.floor(b / size);
  }
  return index;
}
