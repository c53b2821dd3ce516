// Data movement on the GPU: STRIDED_SLICE, SLICE, SPLIT, SPLIT_V, PACK, UNPACK, GATHER,
// GATHER_ND, TILE, EXPAND_DIMS, SHAPE, BROADCAST_TO, REVERSE_V2, DEPTH_TO_SPACE, SPACE_TO_DEPTH,
// SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND. Each op is described as one (or, for SPLIT and PACK,
// one per part) index map of shaders/move.wgsl, for 8-bit packed tensors and for 32-bit ones
// (float32, int32) alike; the same lowering serves the int8 and the float table, since which
// table an op lands in depends on its first input (SPLIT's is the axis) and not on its data.
// Shape operands must be constants (the constant-folding pass makes computed ones constant);
// everything is checked here, before anything is allocated.
import moveSource from '../../shaders/move.wgsl?raw';
import type { OpIR, OpOf, TensorIR } from '../model/graph.ts';
import { tensorElementCount } from '../model/graph.ts';
import { constantData } from '../quant/tensor.ts';
import { sliceRanges, stridedSliceRanges } from '../model/slice-ranges.ts';
import { innerDim, isEightBit, outerCount, roundUp4, samePackedBytes, toGpuLayout, type TensorData } from './layout.ts';
import { int8Shader } from './common.ts';
import { concatSlab, slabCopy } from './relayout.ts';
import {
  aliasOf,
  int8ZeroPoint,
  LoweringError,
  tensorOf,
  workgroupsFor,
  type BindingRef,
  type ConstantSpec,
  type LoweredOp,
  type LoweringContext,
  type StepSpec,
} from './lowering.ts';

const MAX_RANK = 8;
/** Elements addressable with the shader's i32 arithmetic. */
const MAX_ELEMENTS = 2 ** 31 - 1;

/** One output view dimension; see shaders/move.wgsl. */
interface OutDim {
  size: number;
  target: number;
  coef: number;
  indexStride?: number;
  offset?: number;
  /** Split the coordinate: (c + offset) / divisor → target, (c + offset) % divisor → targetB. */
  divisor?: number;
  targetB?: number;
  coefB?: number;
}

/** One input view dimension. */
interface InDim {
  size: number;
  offset: number;
  stride: number;
  modulo?: boolean;
  /** Adds indices[position + indexOffset] to the coordinate. */
  indexOffset?: number;
}

interface MoveMap {
  out: OutDim[];
  in: InDim[];
  keep?: boolean;
}

function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

function labelOf(op: OpIR): string {
  return `${op.type.toLowerCase()}#${op.index}`;
}

/** 8 bits or 32 bits per element, or a named refusal. */
function elementBits(label: string, t: TensorIR): 8 | 32 {
  if (isEightBit(t.dtype)) return 8;
  if (t.dtype === 'float32' || t.dtype === 'int32') return 32;
  throw new LoweringError(`${label}: tensor '${t.name}' is ${t.dtype}; the GPU moves 8-bit and 32-bit tensors only`);
}

function checkMove(label: string, input: TensorIR, output: TensorIR): 8 | 32 {
  if (input.dtype !== output.dtype) throw new LoweringError(`${label}: ${input.dtype} input and ${output.dtype} output`);
  const bits = elementBits(label, input);
  for (const t of [input, output]) {
    if (tensorElementCount(t.shape) > MAX_ELEMENTS) throw new LoweringError(`${label}: tensor '${t.name}' ${fmt(t.shape)} is too large`);
  }
  return bits;
}

function checkShape(label: string, output: TensorIR, expected: readonly number[]): void {
  if (output.shape.length !== expected.length || output.shape.some((d, i) => d !== expected[i])) {
    throw new LoweringError(`${label}: output ${fmt(output.shape)} is not the expected ${fmt(expected)}`);
  }
}

function constantInts(label: string, t: TensorIR, role: string): number[] {
  if (!t.data) throw new LoweringError(`${label}: the ${role} must be a constant (or computable from constants)`);
  if (t.dtype !== 'int32' && t.dtype !== 'int64') throw new LoweringError(`${label}: the ${role} is ${t.dtype}, expected int32 or int64`);
  const values = constantData(t) as Int32Array | BigInt64Array;
  return Array.from({ length: values.length }, (_, i) => Number(values[i]!));
}

function scalarInt(label: string, t: TensorIR, role: string): number {
  const v = constantInts(label, t, role);
  if (v.length !== 1) throw new LoweringError(`${label}: the ${role} must hold one value, got ${v.length}`);
  return v[0]!;
}

function normalizeAxis(label: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new LoweringError(`${label}: axis ${axis} is outside rank ${rank}`);
  return a;
}

/** The binding of an op's data operand: its activation buffer, or its constant data uploaded in the GPU layout. */
function dataOperand(label: string, t: TensorIR, constants: ConstantSpec[]): BindingRef {
  if (!t.data) return { tensor: t.id };
  const data = toGpuLayout(t, constantData(t) as TensorData);
  constants.push({ label: `${label} ${t.name}`, data, usage: 'storage' });
  return { constant: constants.length - 1 };
}

/** The fill of positions outside the input: the zero point (real 0) for 8-bit, else 0. */
function fillOf(t: TensorIR): number {
  return isEightBit(t.dtype) ? int8ZeroPoint(t) & 0xff : 0;
}

/** One dispatch of shaders/move.wgsl from `input` into `output` under `map`. */
function moveStep(
  ctx: LoweringContext,
  label: string,
  input: TensorIR,
  inputBinding: BindingRef,
  output: TensorIR,
  map: MoveMap,
  constants: ConstantSpec[],
  indices?: { binding: BindingRef; count: number },
): StepSpec | null {
  const bits = elementBits(label, output);
  if (map.out.length > MAX_RANK || map.in.length > MAX_RANK) {
    throw new LoweringError(`${label}: an index map of rank ${Math.max(map.out.length, map.in.length)} exceeds ${MAX_RANK}`);
  }
  const outCount = tensorElementCount(output.shape);
  if (outCount === 0) return null;
  const viewCount = map.out.reduce((a, d) => a * d.size, 1);
  if (viewCount !== outCount) throw new LoweringError(`${label}: internal error: the output view holds ${viewCount} elements, not ${outCount}`);
  const outInner = innerDim(output.shape);
  const outC4 = roundUp4(outInner) / 4;
  const inInner = Math.max(1, innerDim(input.shape));
  const total = bits === 8 ? outerCount(output.shape) * outC4 : outCount;
  const words = new Int32Array(12 + MAX_RANK * 12);
  words.set([total, map.out.length, map.in.length, bits === 8 ? fillOf(output) : 0, outInner, outC4, inInner, roundUp4(inInner) / 4, indices?.count ?? 0]);
  map.out.forEach((d, i) => {
    words.set([d.size, d.target, d.coef, d.indexStride ?? 0], 12 + i * 4);
    words.set([d.offset ?? 0, d.divisor ?? 0, d.targetB ?? 0, d.coefB ?? 0], 12 + MAX_RANK * 4 + i * 4);
  });
  map.in.forEach((d, k) => {
    const flags = (d.modulo ? 1 : 0) | (d.indexOffset !== undefined ? 2 | (d.indexOffset << 2) : 0);
    words.set([d.size, d.offset, d.stride, flags], 12 + MAX_RANK * 8 + k * 4);
  });
  constants.push({ label: `${label} params`, data: new Uint32Array(words.buffer), usage: 'uniform' });
  const shader = int8Shader(ctx, moveSource, { SLAB: false, MAX_RANK, ELEM32: bits === 32, KEEP: !!map.keep, INDEXED: !!indices });
  const bindings: BindingRef[] = [inputBinding, { tensor: output.id }, { constant: constants.length - 1 }];
  if (indices) bindings.push(indices.binding);
  return { dispatch: { label, shaderKey: shader.key, code: shader.code, bindings, workgroups: workgroupsFor(ctx, total) } };
}

/**
 * Where an 8-bit slice with unit strides (`begins` and `sizes` per axis of `shape`, the input's
 * element order, unit axes inserted allowed) is one contiguous run of packed words per chunk of
 * the output: every axis but one taken whole, and that one an outer axis, or the innermost at a
 * word offset filling whole words or ending the input (its last word's padding lanes are then the
 * output's, as the gather's word copy takes them). Output word w is input word
 * (w / chunkOut) · chunkIn + offset + w % chunkOut. Undefined where the slice is no such run or
 * the output's innermost dimension is not the slice's.
 */
export function sliceSlab(shape: readonly number[], begins: readonly number[], sizes: readonly number[], output: TensorIR): { chunkIn: number; chunkOut: number; offset: number } | undefined {
  const last = shape.length - 1;
  if (last < 0 || !isEightBit(output.dtype) || innerDim(output.shape) !== sizes[last] || tensorElementCount(output.shape) !== sizes.reduce((a, d) => a * d, 1)) return undefined;
  const cut = shape.map((d, k) => k).filter((k) => begins[k] !== 0 || sizes[k] !== shape[k]);
  if (cut.length > 1) return undefined;
  const words = (inner: number) => roundUp4(inner) / 4;
  const a = cut[0] ?? last;
  if (a === last) {
    const begin = begins[last]!;
    if (begin % 4 !== 0 || (sizes[last]! % 4 !== 0 && begin + sizes[last]! !== shape[last])) return undefined;
    return { chunkIn: words(shape[last]!), chunkOut: words(sizes[last]!), offset: begin / 4 };
  }
  let below = words(shape[last]!);
  for (let d = a + 1; d < last; d++) below *= shape[d]!;
  return { chunkIn: shape[a]! * below, chunkOut: sizes[a]! * below, offset: begins[a]! * below };
}

/** One dispatch copying sliceSlab's runs of words from `input` into `output`. */
function slabStep(ctx: LoweringContext, label: string, inputBinding: BindingRef, output: TensorIR, slab: { chunkIn: number; chunkOut: number; offset: number }, constants: ConstantSpec[]): StepSpec | null {
  const total = outerCount(output.shape) * (roundUp4(innerDim(output.shape)) / 4);
  if (tensorElementCount(output.shape) === 0) return null;
  constants.push({ label: `${label} params`, data: Uint32Array.of(total, slab.chunkIn, slab.chunkOut, slab.offset), usage: 'uniform' });
  const shader = int8Shader(ctx, moveSource, { SLAB: true, MAX_RANK, ELEM32: false, KEEP: false, INDEXED: false });
  return { dispatch: { label, shaderKey: shader.key, code: shader.code, bindings: [inputBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroups: workgroupsFor(ctx, total) } };
}

function slabbed(ctx: LoweringContext, label: string, input: TensorIR, output: TensorIR, slab: { chunkIn: number; chunkOut: number; offset: number }): LoweredOp {
  const constants: ConstantSpec[] = [];
  const step = slabStep(ctx, label, dataOperand(label, input, constants), output, slab, constants);
  return { constants, steps: step ? [step] : [] };
}

function single(ctx: LoweringContext, label: string, input: TensorIR, output: TensorIR, map: MoveMap): LoweredOp {
  const constants: ConstantSpec[] = [];
  const binding = dataOperand(label, input, constants);
  const step = moveStep(ctx, label, input, binding, output, map, constants);
  return { constants, steps: step ? [step] : [] };
}

/** Output view = `shape`, each dim mapped with coefficient 1 onto the same input dim. */
function identityOut(shape: readonly number[]): OutDim[] {
  return shape.map((size, d) => ({ size, target: d, coef: 1 }));
}

function inDims(shape: readonly number[], offsets?: readonly number[]): InDim[] {
  const strides = rowMajorStrides(shape);
  return shape.map((size, k) => ({ size, offset: offsets?.[k] ?? 0, stride: strides[k]! }));
}

/** Element order unchanged (EXPAND_DIMS): the input's buffer (an alias) when the packed layout is unchanged too. */
function sameOrder(ctx: LoweringContext, label: string, input: TensorIR, output: TensorIR): LoweredOp {
  const bits = checkMove(label, input, output);
  const count = tensorElementCount(output.shape);
  if (!input.data && (bits === 32 || samePackedBytes(input.shape, output.shape))) return aliasOf(input, output);
  return single(ctx, label, input, output, { out: [{ size: count, target: 0, coef: 1 }], in: [{ size: count, offset: 0, stride: 1 }] });
}

// ---- the ops ------------------------------------------------------------------------------------

export function lowerStridedSlice(ctx: LoweringContext, op: OpOf<'STRIDED_SLICE'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkMove(label, input, output);
  const { ranges, outShape, effectiveShape } = stridedSliceRanges(
    input.shape,
    constantInts(label, tensorOf(ctx, op.inputs[1]!), 'begin'),
    constantInts(label, tensorOf(ctx, op.inputs[2]!), 'end'),
    constantInts(label, tensorOf(ctx, op.inputs[3]!), 'strides'),
    op.options,
    (p) => new LoweringError(`${label}: ${p}`),
  );
  checkShape(label, output, outShape);
  // Unit strides over the input's own innermost dimension: perhaps one run of words per chunk.
  if (isEightBit(input.dtype) && ranges.every((r) => r.stride === 1) && effectiveShape.at(-1) === input.shape.at(-1)) {
    const slab = sliceSlab(effectiveShape, ranges.map((r) => r.begin), ranges.map((r) => r.size), output);
    if (slab) return slabbed(ctx, label, input, output, slab);
  }
  const strides = rowMajorStrides(effectiveShape);
  return single(ctx, label, input, output, {
    out: ranges.map((r, d) => ({ size: r.size, target: d, coef: r.stride })),
    in: effectiveShape.map((size, k) => ({ size, offset: ranges[k]!.begin, stride: strides[k]! })),
  });
}

export function lowerSlice(ctx: LoweringContext, op: OpOf<'SLICE'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkMove(label, input, output);
  const ranges = sliceRanges(
    input.shape,
    constantInts(label, tensorOf(ctx, op.inputs[1]!), 'begin'),
    constantInts(label, tensorOf(ctx, op.inputs[2]!), 'size'),
    (p) => new LoweringError(`${label}: ${p}`),
  );
  checkShape(label, output, ranges.map((r) => r.size));
  const slab = isEightBit(input.dtype) ? sliceSlab(input.shape, ranges.map((r) => r.begin), ranges.map((r) => r.size), output) : undefined;
  if (slab) return slabbed(ctx, label, input, output, slab);
  return single(ctx, label, input, output, { out: identityOut(output.shape), in: inDims(input.shape, ranges.map((r) => r.begin)) });
}

/** One dispatch per output, each a slab of `input` along `axis` (SPLIT, SPLIT_V, UNPACK). */
function lowerSlabs(ctx: LoweringContext, label: string, input: TensorIR, outputs: TensorIR[], axis: number, sizes: number[], squeeze: boolean): LoweredOp {
  const constants: ConstantSpec[] = [];
  const binding = dataOperand(label, input, constants);
  const steps: StepSpec[] = [];
  let start = 0;
  outputs.forEach((output, k) => {
    checkMove(label, input, output);
    const shape = input.shape.slice();
    shape[axis] = sizes[k]!;
    const expected = shape.slice();
    if (squeeze) expected.splice(axis, 1);
    checkShape(`${label} output ${k}`, output, expected);
    const offsets = input.shape.map((_, d) => (d === axis ? start : 0));
    const slab = isEightBit(input.dtype) ? sliceSlab(input.shape, offsets, shape, output) : undefined;
    const step = slab
      ? slabStep(ctx, `${label} output ${k}`, binding, output, slab, constants)
      : moveStep(ctx, `${label} output ${k}`, input, binding, output, { out: identityOut(shape), in: inDims(input.shape, offsets) }, constants);
    if (step) steps.push(step);
    start += sizes[k]!;
  });
  if (start !== input.shape[axis]) throw new LoweringError(`${label}: the parts add up to ${start}, not ${input.shape[axis]}`);
  return { constants, steps };
}

export function lowerSplit(ctx: LoweringContext, op: OpOf<'SPLIT'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[1]!);
  const axis = normalizeAxis(label, scalarInt(label, tensorOf(ctx, op.inputs[0]!), 'axis'), input.shape.length);
  const n = op.outputs.length;
  if (op.options.numSplits !== n) throw new LoweringError(`${label}: num_splits ${op.options.numSplits} does not match its ${n} outputs`);
  const dim = input.shape[axis]!;
  if (dim % n !== 0) throw new LoweringError(`${label}: cannot split dimension ${axis} of size ${dim} into ${n} equal parts`);
  return lowerSlabs(ctx, label, input, op.outputs.map((id) => tensorOf(ctx, id)), axis, new Array<number>(n).fill(dim / n), false);
}

export function lowerSplitV(ctx: LoweringContext, op: OpOf<'SPLIT_V'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const axis = normalizeAxis(label, scalarInt(label, tensorOf(ctx, op.inputs[2]!), 'axis'), input.shape.length);
  const sizes = constantInts(label, tensorOf(ctx, op.inputs[1]!), 'size_splits');
  if (sizes.length !== op.outputs.length) throw new LoweringError(`${label}: size_splits holds ${sizes.length} values for ${op.outputs.length} outputs`);
  const dim = input.shape[axis]!;
  if (sizes.filter((s) => s === -1).length > 1 || sizes.some((s) => s < -1)) throw new LoweringError(`${label}: size_splits ${fmt(sizes)} may hold one −1 and no other negative value`);
  const known = sizes.reduce((a, s) => (s === -1 ? a : a + s), 0);
  return lowerSlabs(ctx, label, input, op.outputs.map((id) => tensorOf(ctx, id)), axis, sizes.map((s) => (s === -1 ? dim - known : s)), false);
}

export function lowerUnpack(ctx: LoweringContext, op: OpOf<'UNPACK'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const axis = normalizeAxis(label, op.options.axis, input.shape.length);
  const dim = input.shape[axis]!;
  if (op.options.num !== dim || op.outputs.length !== dim) throw new LoweringError(`${label}: num ${op.options.num} and ${op.outputs.length} outputs must both equal ${dim}`);
  return lowerSlabs(ctx, label, input, op.outputs.map((id) => tensorOf(ctx, id)), axis, new Array<number>(dim).fill(1), true);
}

/** PACK: one dispatch per input, each writing its slot along the new axis and keeping the rest. */
export function lowerPack(ctx: LoweringContext, op: OpOf<'PACK'>): LoweredOp {
  const label = labelOf(op);
  const output = tensorOf(ctx, op.outputs[0]!);
  const inputs = op.inputs.map((id) => tensorOf(ctx, id));
  const n = inputs.length;
  if (op.options.valuesCount !== n) throw new LoweringError(`${label}: values_count ${op.options.valuesCount} does not match its ${n} inputs`);
  const shape = inputs[0]!.shape;
  const axis = normalizeAxis(label, op.options.axis, shape.length + 1);
  const outShape = shape.slice();
  outShape.splice(axis, 0, n);
  checkShape(label, output, outShape);
  const constants: ConstantSpec[] = [];
  const steps: StepSpec[] = [];
  const inShape = shape.slice();
  inShape.splice(axis, 0, 1);
  inputs.forEach((input, k) => {
    checkMove(label, input, output);
    if (fmt(input.shape) !== fmt(shape)) throw new LoweringError(`${label}: inputs ${fmt(shape)} and ${fmt(input.shape)} differ in shape`);
    if (isEightBit(output.dtype) && (int8ZeroPoint(input) !== int8ZeroPoint(output) || Math.fround(input.quant!.scale[0]!) !== Math.fround(output.quant!.scale[0]!))) {
      throw new LoweringError(`${label}: input '${input.name}' is quantized unlike the output (PACK copies bytes)`);
    }
    const binding = dataOperand(`${label} input ${k}`, input, constants);
    // Along an outer axis each input is one run of words per chunk of the output (a CONCATENATION
    // of the inputs with a unit axis there): copied a word an invocation into place.
    const slab = isEightBit(output.dtype) && axis < outShape.length - 1 ? concatSlab(inShape, outShape, axis, k) : undefined;
    if (slab) {
      if (tensorElementCount(shape) > 0) steps.push(slabCopy(ctx, `${label} input ${k}`, input, output, slab, binding, constants));
      return;
    }
    const offsets = inShape.map((_, d) => (d === axis ? -k : 0));
    const step = moveStep(ctx, `${label} input ${k}`, input, binding, output, { out: identityOut(outShape), in: inDims(inShape, offsets), keep: true }, constants);
    if (step) steps.push(step);
  });
  return { constants, steps };
}

/**
 * The index operand of GATHER / GATHER_ND: a run-time int32 tensor, or a constant (int32 or
 * int64) checked against `bound(i)` now and uploaded as int32. Run-time indices outside the
 * input give the fill (the zero point, or 0) on the GPU, where TFLite returns an error.
 */
function indexOperand(label: string, t: TensorIR, constants: ConstantSpec[], bound: (i: number) => number): { binding: BindingRef; count: number } {
  const count = tensorElementCount(t.shape);
  if (!t.data) {
    if (t.dtype !== 'int32') throw new LoweringError(`${label}: run-time indices '${t.name}' are ${t.dtype}; the GPU reads int32 indices`);
    return { binding: { tensor: t.id }, count };
  }
  const values = constantInts(label, t, 'indices');
  values.forEach((v, i) => {
    if (v < 0 || v >= bound(i)) throw new LoweringError(`${label}: index ${v} (at ${i}) is outside [0, ${bound(i)})`);
  });
  constants.push({ label: `${label} indices`, data: Int32Array.from(values.length > 0 ? values : [0]), usage: 'storage' });
  return { binding: { constant: constants.length - 1 }, count };
}

export function lowerGather(ctx: LoweringContext, op: OpOf<'GATHER'>): LoweredOp {
  const label = labelOf(op);
  const params = tensorOf(ctx, op.inputs[0]!);
  const indices = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkMove(label, params, output);
  const rank = params.shape.length;
  const axis = normalizeAxis(label, op.options.axis, rank);
  const batchDims = op.options.batchDims < 0 ? op.options.batchDims + indices.shape.length : op.options.batchDims;
  if (batchDims < 0 || batchDims > axis || batchDims > indices.shape.length) throw new LoweringError(`${label}: batch_dims ${op.options.batchDims} is out of range`);
  for (let d = 0; d < batchDims; d++) {
    if (params.shape[d] !== indices.shape[d]) throw new LoweringError(`${label}: params and indices differ in batch dimension ${d}`);
  }
  const idxShape = indices.shape.slice(batchDims);
  checkShape(label, output, [...params.shape.slice(0, axis), ...idxShape, ...params.shape.slice(axis + 1)]);
  // Constant indices i0, i0 + 1, … along one axis (a channel split exported as GATHER): a slice.
  if (isEightBit(params.dtype) && indices.data && indices.shape.length === 1 && batchDims === 0) {
    const values = constantInts(label, indices, 'indices');
    const [first] = values;
    if (first !== undefined && first >= 0 && first + values.length <= params.shape[axis]! && values.every((v, i) => v === first + i)) {
      const slab = sliceSlab(params.shape, params.shape.map((_, d) => (d === axis ? first : 0)), params.shape.map((dim, d) => (d === axis ? values.length : dim)), output);
      if (slab) return slabbed(ctx, label, params, output, slab);
    }
  }
  const idxStrides = rowMajorStrides(indices.shape);
  const constants: ConstantSpec[] = [];
  const binding = dataOperand(label, params, constants);
  const index = indexOperand(label, indices, constants, () => params.shape[axis]!);
  const out: OutDim[] = [
    ...params.shape.slice(0, axis).map((size, d) => ({ size, target: d, coef: 1, indexStride: d < batchDims ? idxStrides[d]! : 0 })),
    ...idxShape.map((size, j) => ({ size, target: axis, coef: 0, indexStride: idxStrides[batchDims + j]! })),
    ...params.shape.slice(axis + 1).map((size, j) => ({ size, target: axis + 1 + j, coef: 1 })),
  ];
  const map: MoveMap = { out: out.length > 0 ? out : [{ size: 1, target: 0, coef: 0 }], in: inDims(params.shape).map((d, k) => (k === axis ? { ...d, indexOffset: 0 } : d)) };
  const step = moveStep(ctx, label, params, binding, output, map, constants, index);
  return { constants, steps: step ? [step] : [] };
}

export function lowerGatherNd(ctx: LoweringContext, op: OpOf<'GATHER_ND'>): LoweredOp {
  const label = labelOf(op);
  const params = tensorOf(ctx, op.inputs[0]!);
  const indices = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkMove(label, params, output);
  if (indices.shape.length < 1) throw new LoweringError(`${label}: indices must have rank 1 or more`);
  const k = indices.shape[indices.shape.length - 1]!;
  if (k > params.shape.length) throw new LoweringError(`${label}: index depth ${k} exceeds params rank ${params.shape.length}`);
  const lookupShape = indices.shape.slice(0, -1);
  checkShape(label, output, [...lookupShape, ...params.shape.slice(k)]);
  const idxStrides = rowMajorStrides(indices.shape);
  const constants: ConstantSpec[] = [];
  const binding = dataOperand(label, params, constants);
  const index = indexOperand(label, indices, constants, (i) => params.shape[i % k]!);
  const out: OutDim[] = [
    ...lookupShape.map((size, j) => ({ size, target: 0, coef: 0, indexStride: idxStrides[j]! })),
    ...params.shape.slice(k).map((size, j) => ({ size, target: k + j, coef: 1 })),
  ];
  const map: MoveMap = { out: out.length > 0 ? out : [{ size: 1, target: 0, coef: 0 }], in: inDims(params.shape).map((d, i) => (i < k ? { ...d, indexOffset: i } : d)) };
  const step = moveStep(ctx, label, params, binding, output, map, constants, index);
  return { constants, steps: step ? [step] : [] };
}

export function lowerTile(ctx: LoweringContext, op: OpOf<'TILE'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkMove(label, input, output);
  const multiples = constantInts(label, tensorOf(ctx, op.inputs[1]!), 'multiples');
  if (multiples.length !== input.shape.length || multiples.some((m) => m < 0)) throw new LoweringError(`${label}: multiples ${fmt(multiples)} do not fit rank ${input.shape.length}`);
  checkShape(label, output, input.shape.map((d, i) => d * multiples[i]!));
  return single(ctx, label, input, output, { out: identityOut(output.shape), in: inDims(input.shape).map((d) => ({ ...d, modulo: true })) });
}

export function lowerBroadcastTo(ctx: LoweringContext, op: OpOf<'BROADCAST_TO'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkMove(label, input, output);
  const shape = constantInts(label, tensorOf(ctx, op.inputs[1]!), 'shape');
  checkShape(label, output, shape);
  const lead = shape.length - input.shape.length;
  if (lead < 0 || input.shape.some((d, i) => d !== 1 && d !== shape[lead + i])) throw new LoweringError(`${label}: ${fmt(input.shape)} does not broadcast to ${fmt(shape)}`);
  const strides = rowMajorStrides(input.shape);
  const out: OutDim[] = shape.map((size, d) => (d < lead || input.shape[d - lead] === 1 ? { size, target: 0, coef: 0 } : { size, target: d - lead, coef: 1 }));
  const ins: InDim[] = input.shape.map((size, k) => ({ size, offset: 0, stride: strides[k]! }));
  return single(ctx, label, input, output, { out, in: ins.length > 0 ? ins : [{ size: 1, offset: 0, stride: 0 }] });
}

export function lowerExpandDims(ctx: LoweringContext, op: OpOf<'EXPAND_DIMS'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  const axis = normalizeAxis(label, scalarInt(label, tensorOf(ctx, op.inputs[1]!), 'axis'), input.shape.length + 1);
  const expected = input.shape.slice();
  expected.splice(axis, 0, 1);
  checkShape(label, output, expected);
  return sameOrder(ctx, label, input, output);
}

/** SHAPE is folded at load unless its output is a graph output; then it is a copy of a constant. */
export function lowerShape(ctx: LoweringContext, op: OpOf<'SHAPE'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (output.dtype !== 'int32') throw new LoweringError(`${label}: a ${output.dtype} shape cannot be stored on the GPU`);
  checkShape(label, output, [input.shape.length]);
  const shape: TensorIR = { ...output, data: new Uint8Array(Int32Array.from(input.shape).buffer) };
  return single(ctx, label, shape, output, { out: [{ size: input.shape.length, target: 0, coef: 1 }], in: [{ size: input.shape.length, offset: 0, stride: 1 }] });
}

export function lowerReverseV2(ctx: LoweringContext, op: OpOf<'REVERSE_V2'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkMove(label, input, output);
  checkShape(label, output, input.shape);
  const rank = input.shape.length;
  const axes = constantInts(label, tensorOf(ctx, op.inputs[1]!), 'axis').map((a) => normalizeAxis(label, a, rank));
  if (new Set(axes).size !== axes.length) throw new LoweringError(`${label}: axis ${fmt(axes)} repeats a dimension`);
  return single(ctx, label, input, output, {
    out: input.shape.map((size, d) => ({ size, target: d, coef: axes.includes(d) ? -1 : 1 })),
    in: inDims(input.shape, input.shape.map((size, d) => (axes.includes(d) ? size - 1 : 0))),
  });
}

function nhwc(label: string, t: TensorIR): [number, number, number, number] {
  if (t.shape.length !== 4) throw new LoweringError(`${label}: '${t.name}' ${fmt(t.shape)} must be NHWC`);
  return t.shape as [number, number, number, number];
}

export function lowerDepthToSpace(ctx: LoweringContext, op: OpOf<'DEPTH_TO_SPACE'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkMove(label, input, output);
  const b = op.options.blockSize;
  const [n, h, w, c] = nhwc(label, input);
  if (b < 1 || c % (b * b) !== 0) throw new LoweringError(`${label}: depth ${c} is not a multiple of block_size² (${b}²)`);
  const oc = c / (b * b);
  checkShape(label, output, [n, h * b, w * b, oc]);
  // Output [n, h, by, w, bx, c'] reads input [n, h, w, by, bx, c'].
  const inView = [n, h, w, b, b, oc];
  return single(ctx, label, input, output, {
    out: [n, h, b, w, b, oc].map((size, d) => ({ size, target: [0, 1, 3, 2, 4, 5][d]!, coef: 1 })),
    in: inDims(inView),
  });
}

export function lowerSpaceToDepth(ctx: LoweringContext, op: OpOf<'SPACE_TO_DEPTH'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkMove(label, input, output);
  const b = op.options.blockSize;
  const [n, h, w, c] = nhwc(label, input);
  if (b < 1 || h % b !== 0 || w % b !== 0) throw new LoweringError(`${label}: height ${h} and width ${w} must be multiples of block_size ${b}`);
  checkShape(label, output, [n, h / b, w / b, c * b * b]);
  // Output [n, h', w', by, bx, c] reads input [n, h', by, w', bx, c].
  const inView = [n, h / b, b, w / b, b, c];
  return single(ctx, label, input, output, {
    out: [n, h / b, w / b, b, b, c].map((size, d) => ({ size, target: [0, 1, 3, 2, 4, 5][d]!, coef: 1 })),
    in: inDims(inView),
  });
}

function blockOperands(label: string, ctx: LoweringContext, op: OpIR, input: TensorIR, role: string): { block: number[]; pads: number[] } {
  const rank = input.shape.length;
  if (rank !== 3 && rank !== 4) throw new LoweringError(`${label}: input ${fmt(input.shape)} must have rank 3 or 4`);
  const block = constantInts(label, tensorOf(ctx, op.inputs[1]!), 'block_shape');
  const pads = constantInts(label, tensorOf(ctx, op.inputs[2]!), role);
  const m = rank - 2;
  if (block.length !== m || pads.length !== 2 * m) throw new LoweringError(`${label}: block_shape ${fmt(block)} and ${role} ${fmt(pads)} do not fit ${m} spatial dimensions`);
  if (block.some((v) => v < 1) || pads.some((v) => v < 0)) throw new LoweringError(`${label}: block_shape ${fmt(block)} must be positive and ${role} ${fmt(pads)} not negative`);
  return { block, pads };
}

/** Output batch (shift_h·bw + shift_w)·N + n; viewed as [bh, bw, N, H', W', C] it is an affine read with padding. */
export function lowerSpaceToBatchNd(ctx: LoweringContext, op: OpOf<'SPACE_TO_BATCH_ND'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkMove(label, input, output);
  const { block, pads } = blockOperands(label, ctx, op, input, 'paddings');
  const m = block.length;
  const n = input.shape[0]!;
  const padded = input.shape.slice(1, 1 + m).map((d, i) => d + pads[2 * i]! + pads[2 * i + 1]!);
  if (padded.some((d, i) => d % block[i]! !== 0)) throw new LoweringError(`${label}: padded spatial dims ${fmt(padded)} are not multiples of ${fmt(block)}`);
  const rest = input.shape.slice(1 + m);
  checkShape(label, output, [n * block.reduce((a, v) => a * v, 1), ...padded.map((d, i) => d / block[i]!), ...rest]);
  const out: OutDim[] = [
    ...block.map((size, i) => ({ size, target: 1 + i, coef: 1 })),
    { size: n, target: 0, coef: 1 },
    ...padded.map((d, i) => ({ size: d / block[i]!, target: 1 + i, coef: block[i]! })),
    ...rest.map((size, j) => ({ size, target: 1 + m + j, coef: 1 })),
  ];
  return single(ctx, label, input, output, { out, in: inDims(input.shape, [0, ...pads.filter((_, j) => j % 2 === 0).map((p) => -p)]) });
}

/** Output (n, y, x, c) reads input batch (((y + crop_top) % bh)·bw + (x + crop_left) % bw)·N + n at ((y + crop_top) / bh, …). */
export function lowerBatchToSpaceNd(ctx: LoweringContext, op: OpOf<'BATCH_TO_SPACE_ND'>): LoweredOp {
  const label = labelOf(op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkMove(label, input, output);
  const { block, pads: crops } = blockOperands(label, ctx, op, input, 'crops');
  const m = block.length;
  const blocks = block.reduce((a, v) => a * v, 1);
  if (input.shape[0]! % blocks !== 0) throw new LoweringError(`${label}: batch ${input.shape[0]} is not a multiple of ${blocks}`);
  const n = input.shape[0]! / blocks;
  const spatial = input.shape.slice(1, 1 + m).map((d, i) => d * block[i]! - crops[2 * i]! - crops[2 * i + 1]!);
  if (spatial.some((d) => d < 0)) throw new LoweringError(`${label}: crops ${fmt(crops)} remove more than the dimensions hold`);
  const rest = input.shape.slice(1 + m);
  checkShape(label, output, [n, ...spatial, ...rest]);
  // The block index's weight in the input batch: block dim i contributes shift_i · (Π later blocks) · N.
  const batchWeight = block.map((_, i) => block.slice(i + 1).reduce((a, v) => a * v, 1) * n);
  const out: OutDim[] = [
    { size: n, target: 0, coef: 1 },
    ...spatial.map((size, i) => ({ size, target: 1 + i, coef: 1, offset: crops[2 * i]!, divisor: block[i]!, targetB: 0, coefB: batchWeight[i]! })),
    ...rest.map((size, j) => ({ size, target: 1 + m + j, coef: 1 })),
  ];
  return single(ctx, label, input, output, { out, in: inDims(input.shape) });
}

/** The family's table, spread into both the int8 and the float registry. */
export const MOVE_LOWERINGS = {
  STRIDED_SLICE: lowerStridedSlice,
  SLICE: lowerSlice,
  SPLIT: lowerSplit,
  SPLIT_V: lowerSplitV,
  PACK: lowerPack,
  UNPACK: lowerUnpack,
  GATHER: lowerGather,
  GATHER_ND: lowerGatherNd,
  TILE: lowerTile,
  EXPAND_DIMS: lowerExpandDims,
  SHAPE: lowerShape,
  BROADCAST_TO: lowerBroadcastTo,
  REVERSE_V2: lowerReverseV2,
  DEPTH_TO_SPACE: lowerDepthToSpace,
  SPACE_TO_DEPTH: lowerSpaceToDepth,
  SPACE_TO_BATCH_ND: lowerSpaceToBatchNd,
  BATCH_TO_SPACE_ND: lowerBatchToSpaceNd,
};
