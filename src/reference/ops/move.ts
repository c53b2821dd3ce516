// Data movement: STRIDED_SLICE, SLICE, SPLIT, SPLIT_V, PACK, UNPACK, GATHER, GATHER_ND, TILE,
// EXPAND_DIMS, SHAPE, BROADCAST_TO, REVERSE_V2, DEPTH_TO_SPACE, SPACE_TO_DEPTH,
// SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND. They copy elements without arithmetic, so one code
// path serves every dtype (8-bit values move as they are: TFLite's kernels copy the bytes).
// Each op is written in its own terms (TFLite's reference loops), independently of the GPU's
// affine-gather encoding, so that GPU-vs-reference tests check the encoding.
//
// Shape operands (begin, multiples, block_shape, paddings, ...) must be constants here; the
// constant-folding pass (src/passes/fold-constants.ts) turns computed ones (SHAPE → STRIDED_SLICE
// → PACK chains) into constants before a graph is prepared. Only GATHER and GATHER_ND take
// run-time operands (their indices); an index out of range is a ReferenceRunError at run time, as
// TFLite's kernels return an error, and nothing is read out of bounds.
import { operatorName, type OpOf, type TensorIR } from '../../model/graph.ts';
import { sliceRanges, stridedSliceRanges, type AxisRange } from '../../model/slice-ranges.ts';
import { ReferenceRunError, allocate, elementCount, stridesOf, type Kernel, type PrepareContext, type TensorData } from '../common.ts';

/** The most elements a move op may produce (the GPU's 32-bit indexing; anything larger is hostile). */
export const MAX_MOVE_ELEMENTS = 2 ** 31 - 1;

const sameShape = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);
const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

function checkOutputShape(ctx: PrepareContext, output: TensorIR, expected: readonly number[]): void {
  if (!sameShape(output.shape, expected)) throw ctx.error(`output ${fmt(output.shape)} is not the expected ${fmt(expected)}`);
}

function checkSameDType(ctx: PrepareContext, input: TensorIR, output: TensorIR): void {
  if (input.dtype !== output.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
}

/** Product of dims, refused above MAX_MOVE_ELEMENTS before anything is allocated. */
function checkedCount(ctx: PrepareContext, shape: readonly number[], what: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw ctx.error(`${what} ${fmt(shape)} has an invalid dimension`);
    n *= d;
  }
  if (shape.includes(0)) return 0;
  if (n > MAX_MOVE_ELEMENTS) throw ctx.error(`${what} ${fmt(shape)} has more than ${MAX_MOVE_ELEMENTS} elements`);
  return n;
}

function normalizeAxis(ctx: PrepareContext, axis: number, rank: number, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw ctx.error(`${what} ${axis} is outside rank ${rank}`);
  return a;
}

/** A scalar (or one-element) constant integer operand. */
function scalarInt(ctx: PrepareContext, t: TensorIR, role: string): number {
  const v = ctx.constantInts(t, role);
  if (v.length !== 1) throw ctx.error(`${role} must hold one value, got ${v.length}`);
  return v[0]!;
}

/**
 * Walks every coordinate of `shape` in row-major order, giving `f` the coordinate and the
 * running index; `f` returns the source element of that output element (−1: fill).
 */
function sourceMap(shape: readonly number[], f: (coord: number[]) => number): Int32Array {
  const count = shape.includes(0) ? 0 : shape.reduce((a, b) => a * b, 1);
  const out = new Int32Array(count);
  const coord = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    out[i] = f(coord);
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++coord[d]! < shape[d]!) break;
      coord[d] = 0;
    }
  }
  return out;
}

/** The value an out-of-input element takes: the zero point (real 0) for 8-bit, else 0. */
function fillValue(t: TensorIR): number {
  return t.dtype === 'int8' || t.dtype === 'uint8' ? (t.quant?.zeroPoint[0] ?? 0) : 0;
}

/** A kernel that writes output[i] = input[source[i]] (fill where source[i] < 0). */
function gatherKernel(input: TensorIR, output: TensorIR, source: Int32Array, fill = 0): Kernel {
  return (values) => {
    const x = values[input.id]!;
    const out = allocate(output.dtype, source.length);
    for (let i = 0; i < source.length; i++) {
      const s = source[i]!;
      out[i] = s < 0 ? fill : x[s]!;
    }
    values[output.id] = out;
  };
}

// ---- STRIDED_SLICE and SLICE --------------------------------------------------------------------

/** Source map of a slice given per-dimension ranges over an input whose dims are `shape`. */
function sliceSource(shape: readonly number[], ranges: readonly AxisRange[]): Int32Array {
  const strides = stridesOf(shape);
  return sourceMap(
    ranges.map((r) => r.size),
    (c) => {
      let s = 0;
      for (let d = 0; d < c.length; d++) s += (ranges[d]!.begin + c[d]! * ranges[d]!.stride) * strides[d]!;
      return s;
    },
  );
}

export function prepareStridedSlice(op: OpOf<'STRIDED_SLICE'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  checkSameDType(ctx, input, output);
  const begin = ctx.constantInts(ctx.input(1), 'begin');
  const end = ctx.constantInts(ctx.input(2), 'end');
  const strides = ctx.constantInts(ctx.input(3), 'strides');
  const { ranges, outShape, effectiveShape } = stridedSliceRanges(input.shape, begin, end, strides, op.options, (p) => ctx.error(p));
  checkOutputShape(ctx, output, outShape);
  return gatherKernel(input, output, sliceSource(effectiveShape, ranges));
}

export function prepareSlice(_op: OpOf<'SLICE'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  checkSameDType(ctx, input, output);
  const ranges = sliceRanges(input.shape, ctx.constantInts(ctx.input(1), 'begin'), ctx.constantInts(ctx.input(2), 'size'), (p) => ctx.error(p));
  checkOutputShape(ctx, output, ranges.map((r) => r.size));
  return gatherKernel(input, output, sliceSource(input.shape, ranges));
}

// ---- SPLIT, SPLIT_V, UNPACK, PACK ---------------------------------------------------------------

/** Copies consecutive slabs along `axis` of `input` into each output. */
function splitKernel(input: TensorIR, outputs: TensorIR[], axis: number, sizes: number[]): Kernel {
  const outer = input.shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = input.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const axisSize = input.shape[axis]!;
  return (values) => {
    const x = values[input.id]!;
    let offset = 0;
    outputs.forEach((t, k) => {
      const n = sizes[k]! * inner;
      const out = allocate(t.dtype, outer * n);
      for (let o = 0; o < outer; o++) {
        const src = (o * axisSize + offset) * inner;
        out.set(x.subarray(src, src + n), o * n);
      }
      values[t.id] = out;
      offset += sizes[k]!;
    });
  };
}

function splitOutputs(ctx: PrepareContext, input: TensorIR, axis: number, sizes: number[], squeeze: boolean): TensorIR[] {
  return sizes.map((s, k) => {
    const t = ctx.output(k);
    checkSameDType(ctx, input, t);
    const shape = input.shape.slice();
    if (squeeze) shape.splice(axis, 1);
    else shape[axis] = s;
    if (!sameShape(t.shape, shape)) throw ctx.error(`output ${k} ${fmt(t.shape)} is not the expected ${fmt(shape)}`);
    return t;
  });
}

export function prepareSplit(op: OpOf<'SPLIT'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(1);
  const axis = normalizeAxis(ctx, scalarInt(ctx, ctx.input(0), 'axis'), input.shape.length);
  const n = op.options.numSplits;
  if (n < 1 || n !== op.outputs.length) throw ctx.error(`num_splits ${n} does not match its ${op.outputs.length} outputs`);
  const dim = input.shape[axis]!;
  if (dim % n !== 0) throw ctx.error(`cannot split dimension ${axis} of size ${dim} into ${n} equal parts`);
  const sizes = new Array<number>(n).fill(dim / n);
  return splitKernel(input, splitOutputs(ctx, input, axis, sizes, false), axis, sizes);
}

export function prepareSplitV(op: OpOf<'SPLIT_V'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const axis = normalizeAxis(ctx, scalarInt(ctx, ctx.input(2), 'axis'), input.shape.length);
  const sizes = ctx.constantInts(ctx.input(1), 'size_splits');
  const n = op.outputs.length;
  if (sizes.length !== n || (op.options.numSplits !== 0 && op.options.numSplits !== n)) {
    throw ctx.error(`size_splits holds ${sizes.length} values and num_splits is ${op.options.numSplits} for ${n} outputs`);
  }
  const dim = input.shape[axis]!;
  const unknown = sizes.filter((s) => s === -1).length;
  if (unknown > 1 || sizes.some((s) => s < -1)) throw ctx.error(`size_splits [${sizes.join(', ')}] may hold one −1 and no other negative value`);
  const known = sizes.reduce((a, s) => (s === -1 ? a : a + s), 0);
  const resolved = sizes.map((s) => (s === -1 ? dim - known : s));
  if (resolved.some((s) => s < 0) || resolved.reduce((a, b) => a + b, 0) !== dim) {
    throw ctx.error(`size_splits [${sizes.join(', ')}] does not add up to dimension ${axis} of size ${dim}`);
  }
  return splitKernel(input, splitOutputs(ctx, input, axis, resolved, false), axis, resolved);
}

export function prepareUnpack(op: OpOf<'UNPACK'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const axis = normalizeAxis(ctx, op.options.axis, input.shape.length);
  const dim = input.shape[axis]!;
  if (op.options.num !== dim || op.outputs.length !== dim) {
    throw ctx.error(`num ${op.options.num} and ${op.outputs.length} outputs must both equal dimension ${axis} of size ${dim}`);
  }
  const sizes = new Array<number>(dim).fill(1);
  return splitKernel(input, splitOutputs(ctx, input, axis, sizes, true), axis, sizes);
}

export function preparePack(op: OpOf<'PACK'>, ctx: PrepareContext): Kernel {
  const output = ctx.output();
  const inputs = op.inputs.map((_, k) => ctx.input(k));
  const n = inputs.length;
  if (op.options.valuesCount !== n) throw ctx.error(`values_count ${op.options.valuesCount} does not match its ${n} inputs`);
  const shape = inputs[0]!.shape;
  const axis = normalizeAxis(ctx, op.options.axis, shape.length + 1);
  for (const t of inputs) {
    checkSameDType(ctx, t, output);
    if (!sameShape(t.shape, shape)) throw ctx.error(`inputs ${fmt(shape)} and ${fmt(t.shape)} differ in shape`);
    // pack.cc copies bytes and so requires one quantization for every 8-bit input and the output.
    if (output.dtype === 'int8' || output.dtype === 'uint8') {
      const qi = ctx.perTensorQuant(t, 'input');
      const qo = ctx.perTensorQuant(output, 'output');
      if (qi.zeroPoint !== qo.zeroPoint || Math.fround(qi.scale) !== Math.fround(qo.scale)) throw ctx.unsupported(`input '${t.name}' quantized unlike the output`);
    }
  }
  const outShape = shape.slice();
  outShape.splice(axis, 0, n);
  checkOutputShape(ctx, output, outShape);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis).reduce((a, b) => a * b, 1);
  const count = elementCount(output);
  return (values) => {
    const out = allocate(output.dtype, count);
    inputs.forEach((t, k) => {
      const x = values[t.id]!;
      for (let o = 0; o < outer; o++) out.set(x.subarray(o * inner, (o + 1) * inner), (o * n + k) * inner);
    });
    values[output.id] = out;
  };
}

// ---- GATHER, GATHER_ND --------------------------------------------------------------------------

function checkIndexDType(ctx: PrepareContext, t: TensorIR): void {
  if (t.dtype !== 'int32' && t.dtype !== 'int64' && t.dtype !== 'int16') throw ctx.unsupported(`${t.dtype} indices`);
}

/** Indices as plain numbers: a constant's are checked now, a run-time tensor's when it arrives. */
function indexReader(ctx: PrepareContext, t: TensorIR): { constant: number[] | null } {
  return { constant: t.data ? ctx.constantInts(t, 'indices') : null };
}

export function prepareGather(op: OpOf<'GATHER'>, ctx: PrepareContext): Kernel {
  const params = ctx.input(0);
  const indices = ctx.input(1);
  const output = ctx.output();
  checkSameDType(ctx, params, output);
  checkIndexDType(ctx, indices);
  const rank = params.shape.length;
  const axis = normalizeAxis(ctx, op.options.axis, rank);
  let batchDims = op.options.batchDims;
  if (batchDims < 0) batchDims += indices.shape.length;
  if (batchDims < 0 || batchDims > axis || batchDims > indices.shape.length) {
    throw ctx.error(`batch_dims ${op.options.batchDims} must lie in [0, min(axis ${axis}, indices rank ${indices.shape.length})]`);
  }
  for (let d = 0; d < batchDims; d++) {
    if (params.shape[d] !== indices.shape[d]) throw ctx.error(`params ${fmt(params.shape)} and indices ${fmt(indices.shape)} differ in batch dimension ${d}`);
  }
  const outShape = [...params.shape.slice(0, axis), ...indices.shape.slice(batchDims), ...params.shape.slice(axis + 1)];
  checkedCount(ctx, outShape, 'output');
  checkOutputShape(ctx, output, outShape);
  const batch = params.shape.slice(0, batchDims).reduce((a, b) => a * b, 1);
  const outer = params.shape.slice(batchDims, axis).reduce((a, b) => a * b, 1);
  const axisSize = params.shape[axis]!;
  const inner = params.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const perBatch = indices.shape.slice(batchDims).reduce((a, b) => a * b, 1);
  const { constant } = indexReader(ctx, indices);
  const check = (idx: ArrayLike<number>) => {
    for (let i = 0; i < idx.length; i++) {
      if (idx[i]! < 0 || idx[i]! >= axisSize) return i;
    }
    return -1;
  };
  if (constant) {
    const bad = check(constant);
    if (bad >= 0) throw ctx.error(`index ${constant[bad]} (at ${bad}) is outside [0, ${axisSize}) on axis ${axis}`);
  }
  const count = elementCount(output);
  return (values) => {
    const idx = constant ?? values[indices.id]!;
    if (!constant) {
      const bad = check(idx as ArrayLike<number>);
      if (bad >= 0) {
        throw new ReferenceRunError(`reference: GATHER index ${idx[bad]} (at ${bad}) is outside [0, ${axisSize}) on axis ${axis} (${operatorName(op)})`, op.index);
      }
    }
    const x = values[params.id]!;
    const out = allocate(output.dtype, count);
    let o = 0;
    for (let b = 0; b < batch; b++) {
      for (let u = 0; u < outer; u++) {
        for (let i = 0; i < perBatch; i++) {
          const src = ((b * outer + u) * axisSize + Number(idx[b * perBatch + i])) * inner;
          out.set(x.subarray(src, src + inner), o);
          o += inner;
        }
      }
    }
    values[output.id] = out;
  };
}

export function prepareGatherNd(op: OpOf<'GATHER_ND'>, ctx: PrepareContext): Kernel {
  const params = ctx.input(0);
  const indices = ctx.input(1);
  const output = ctx.output();
  checkSameDType(ctx, params, output);
  checkIndexDType(ctx, indices);
  if (indices.shape.length < 1) throw ctx.error('indices must have rank 1 or more');
  const k = indices.shape[indices.shape.length - 1]!;
  if (k > params.shape.length) throw ctx.error(`index depth ${k} exceeds params rank ${params.shape.length}`);
  const outShape = [...indices.shape.slice(0, -1), ...params.shape.slice(k)];
  checkedCount(ctx, outShape, 'output');
  checkOutputShape(ctx, output, outShape);
  const strides = stridesOf(params.shape);
  const inner = params.shape.slice(k).reduce((a, b) => a * b, 1);
  const lookups = indices.shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const { constant } = indexReader(ctx, indices);
  const check = (idx: ArrayLike<number>) => {
    for (let i = 0; i < idx.length; i++) {
      const d = i % k;
      if (idx[i]! < 0 || idx[i]! >= params.shape[d]!) return i;
    }
    return -1;
  };
  if (constant) {
    const bad = check(constant);
    if (bad >= 0) throw ctx.error(`index ${constant[bad]} (at ${bad}) is outside dimension ${bad % k} of params ${fmt(params.shape)}`);
  }
  const count = elementCount(output);
  return (values) => {
    const idx = constant ?? values[indices.id]!;
    if (!constant) {
      const bad = check(idx as ArrayLike<number>);
      if (bad >= 0) {
        throw new ReferenceRunError(
          `reference: GATHER_ND index ${idx[bad]} (at ${bad}) is outside dimension ${bad % k} of params ${fmt(params.shape)} (${operatorName(op)})`,
          op.index,
        );
      }
    }
    const x = values[params.id]!;
    const out = allocate(output.dtype, count);
    for (let l = 0; l < lookups; l++) {
      let src = 0;
      for (let d = 0; d < k; d++) src += Number(idx[l * k + d]) * strides[d]!;
      out.set(x.subarray(src, src + inner), l * inner);
    }
    values[output.id] = out;
  };
}

// ---- TILE, BROADCAST_TO, EXPAND_DIMS, SHAPE, REVERSE_V2 -----------------------------------------

export function prepareTile(_op: OpOf<'TILE'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  checkSameDType(ctx, input, output);
  const multiples = ctx.constantInts(ctx.input(1), 'multiples');
  const rank = input.shape.length;
  if (multiples.length !== rank) throw ctx.error(`multiples hold ${multiples.length} values for rank ${rank}`);
  if (multiples.some((m) => m < 0)) throw ctx.error(`multiples [${multiples.join(', ')}] must not be negative`);
  const outShape = input.shape.map((d, i) => d * multiples[i]!);
  checkedCount(ctx, outShape, 'output');
  checkOutputShape(ctx, output, outShape);
  const strides = stridesOf(input.shape);
  return gatherKernel(input, output, sourceMap(outShape, (c) => c.reduce((s, v, d) => s + (v % input.shape[d]!) * strides[d]!, 0)));
}

export function prepareBroadcastTo(_op: OpOf<'BROADCAST_TO'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  checkSameDType(ctx, input, output);
  const shape = ctx.constantInts(ctx.input(1), 'shape');
  if (shape.length > 8) throw ctx.error(`shape has rank ${shape.length}; TFLite broadcasts up to rank 8`);
  if (shape.length < input.shape.length) throw ctx.error(`shape [${shape.join(', ')}] has a lower rank than input ${fmt(input.shape)}`);
  const lead = shape.length - input.shape.length;
  input.shape.forEach((d, i) => {
    if (d !== 1 && d !== shape[lead + i]) throw ctx.error(`input ${fmt(input.shape)} does not broadcast to [${shape.join(', ')}]`);
  });
  checkedCount(ctx, shape, 'output');
  checkOutputShape(ctx, output, shape);
  const strides = stridesOf(input.shape);
  return gatherKernel(input, output, sourceMap(shape, (c) => {
    let s = 0;
    for (let i = 0; i < input.shape.length; i++) if (input.shape[i] !== 1) s += c[lead + i]! * strides[i]!;
    return s;
  }));
}

/** EXPAND_DIMS (and any op whose output is its input's elements in order): a copy. */
export function prepareExpandDims(_op: OpOf<'EXPAND_DIMS'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  checkSameDType(ctx, input, output);
  const rank = input.shape.length;
  const axis = normalizeAxis(ctx, scalarInt(ctx, ctx.input(1), 'axis'), rank + 1);
  const outShape = input.shape.slice();
  outShape.splice(axis, 0, 1);
  checkOutputShape(ctx, output, outShape);
  return (values) => {
    values[output.id] = values[input.id]!.slice();
  };
}

export function prepareShape(op: OpOf<'SHAPE'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  if (output.dtype !== op.options.outType) throw ctx.error(`output is ${output.dtype} but out_type is ${op.options.outType}`);
  checkOutputShape(ctx, output, [input.shape.length]);
  const shape = Int32Array.from(input.shape);
  return (values) => {
    values[output.id] = shape.slice();
  };
}

export function prepareReverseV2(_op: OpOf<'REVERSE_V2'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  checkSameDType(ctx, input, output);
  checkOutputShape(ctx, output, input.shape);
  const rank = input.shape.length;
  const axes = ctx.constantInts(ctx.input(1), 'axis').map((a) => normalizeAxis(ctx, a, rank));
  if (new Set(axes).size !== axes.length) throw ctx.error(`axis [${axes.join(', ')}] repeats a dimension`);
  const strides = stridesOf(input.shape);
  return gatherKernel(input, output, sourceMap(input.shape, (c) =>
    c.reduce((s, v, d) => s + (axes.includes(d) ? input.shape[d]! - 1 - v : v) * strides[d]!, 0),
  ));
}

// ---- DEPTH_TO_SPACE, SPACE_TO_DEPTH, SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND -----------------------

export function prepareDepthToSpace(op: OpOf<'DEPTH_TO_SPACE'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  checkSameDType(ctx, input, output);
  const b = op.options.blockSize;
  if (input.shape.length !== 4) throw ctx.error(`input ${fmt(input.shape)} must be NHWC`);
  const [n, h, w, c] = input.shape as [number, number, number, number];
  if (b < 1 || c % (b * b) !== 0) throw ctx.error(`depth ${c} is not a multiple of block_size² (${b}²)`);
  const oc = c / (b * b);
  const outShape = [n, h * b, w * b, oc];
  checkedCount(ctx, outShape, 'output');
  checkOutputShape(ctx, output, outShape);
  return gatherKernel(input, output, sourceMap(outShape, ([bn, y, x, ch]) =>
    ((bn! * h + Math.floor(y! / b)) * w + Math.floor(x! / b)) * c + ((y! % b) * b + (x! % b)) * oc + ch!,
  ));
}

export function prepareSpaceToDepth(op: OpOf<'SPACE_TO_DEPTH'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  checkSameDType(ctx, input, output);
  const b = op.options.blockSize;
  if (input.shape.length !== 4) throw ctx.error(`input ${fmt(input.shape)} must be NHWC`);
  const [n, h, w, c] = input.shape as [number, number, number, number];
  if (b < 1 || h % b !== 0 || w % b !== 0) throw ctx.error(`height ${h} and width ${w} must be multiples of block_size ${b}`);
  const outShape = [n, h / b, w / b, c * b * b];
  checkOutputShape(ctx, output, outShape);
  return gatherKernel(input, output, sourceMap(outShape, ([bn, y, x, ch]) => {
    const k = Math.floor(ch! / c);
    return ((bn! * h + y! * b + Math.floor(k / b)) * w + x! * b + (k % b)) * c + (ch! % c);
  }));
}

/** block_shape [M] and paddings/crops [M, 2] of the space↔batch ops, with TFLite's checks. */
function blockOperands(ctx: PrepareContext, input: TensorIR, role: 'paddings' | 'crops'): { block: number[]; pads: number[] } {
  const rank = input.shape.length;
  if (rank !== 3 && rank !== 4) throw ctx.error(`input ${fmt(input.shape)} must have rank 3 or 4`);
  const block = ctx.constantInts(ctx.input(1), 'block_shape');
  const pads = ctx.constantInts(ctx.input(2), role);
  const m = rank - 2;
  if (block.length !== m) throw ctx.error(`block_shape holds ${block.length} values; a rank-${rank} input has ${m} spatial dimensions`);
  if (pads.length !== 2 * m) throw ctx.error(`${role} hold ${pads.length} values for ${m} spatial dimensions`);
  if (block.some((v) => v < 1)) throw ctx.error(`block_shape [${block.join(', ')}] must be positive`);
  if (pads.some((v) => v < 0)) throw ctx.error(`${role} [${pads.join(', ')}] must not be negative`);
  return { block, pads };
}

/**
 * SPACE_TO_BATCH_ND: output batch (by·bw + bx)·N + n holds input pixel (y·by_size + by − pad_top,
 * x·bw_size + bx − pad_left) of batch n; padded positions take the zero point (TFLite's
 * output_offset) or 0. A rank-3 input is NHC with one spatial dimension.
 */
export function prepareSpaceToBatchNd(_op: OpOf<'SPACE_TO_BATCH_ND'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  checkSameDType(ctx, input, output);
  const { block, pads } = blockOperands(ctx, input, 'paddings');
  const m = block.length;
  const n = input.shape[0]!;
  const spatial = input.shape.slice(1, 1 + m);
  const padded = spatial.map((d, i) => d + pads[2 * i]! + pads[2 * i + 1]!);
  padded.forEach((d, i) => {
    if (d % block[i]! !== 0) throw ctx.error(`padded dimension ${i + 1} of size ${d} is not a multiple of block ${block[i]}`);
  });
  const blocks = block.reduce((a, v) => a * v, 1);
  const outShape = [n * blocks, ...padded.map((d, i) => d / block[i]!), ...input.shape.slice(1 + m)];
  checkedCount(ctx, outShape, 'output');
  checkOutputShape(ctx, output, outShape);
  const strides = stridesOf(input.shape);
  return gatherKernel(input, output, sourceMap(outShape, (c) => {
    const ob = c[0]!;
    const bn = ob % n;
    let shift = Math.floor(ob / n);
    const shifts = new Array<number>(m);
    for (let i = m - 1; i >= 0; i--) {
      shifts[i] = shift % block[i]!;
      shift = Math.floor(shift / block[i]!);
    }
    let s = bn * strides[0]!;
    for (let i = 0; i < m; i++) {
      const pos = c[1 + i]! * block[i]! + shifts[i]! - pads[2 * i]!;
      if (pos < 0 || pos >= spatial[i]!) return -1;
      s += pos * strides[1 + i]!;
    }
    for (let d = 1 + m; d < c.length; d++) s += c[d]! * strides[d]!;
    return s;
  }), fillValue(output));
}

/** BATCH_TO_SPACE_ND: the inverse, with crops removed from the front and back of each spatial dim. */
export function prepareBatchToSpaceNd(_op: OpOf<'BATCH_TO_SPACE_ND'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  checkSameDType(ctx, input, output);
  const { block, pads: crops } = blockOperands(ctx, input, 'crops');
  const m = block.length;
  const blocks = block.reduce((a, v) => a * v, 1);
  const inBatch = input.shape[0]!;
  if (inBatch % blocks !== 0) throw ctx.error(`batch ${inBatch} is not a multiple of the block product ${blocks}`);
  const n = inBatch / blocks;
  const spatial = input.shape.slice(1, 1 + m).map((d, i) => d * block[i]! - crops[2 * i]! - crops[2 * i + 1]!);
  if (spatial.some((d) => d < 0)) throw ctx.error(`crops [${crops.join(', ')}] remove more than the dimensions hold`);
  const outShape = [n, ...spatial, ...input.shape.slice(1 + m)];
  checkOutputShape(ctx, output, outShape);
  const strides = stridesOf(input.shape);
  return gatherKernel(input, output, sourceMap(outShape, (c) => {
    let blockIndex = 0;
    let s = 0;
    for (let i = 0; i < m; i++) {
      const pos = c[1 + i]! + crops[2 * i]!;
      blockIndex = blockIndex * block[i]! + (pos % block[i]!);
      s += Math.floor(pos / block[i]!) * strides[1 + i]!;
    }
    s += (blockIndex * n + c[0]!) * strides[0]!;
    for (let d = 1 + m; d < c.length; d++) s += c[d]! * strides[d]!;
    return s;
  }));
}

export type { TensorData };
