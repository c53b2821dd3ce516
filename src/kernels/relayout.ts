// RESHAPE, SQUEEZE, PAD, TRANSPOSE and CONCATENATION on 8-bit tensors. RESHAPE/SQUEEZE that keep
// the packed bytes (samePackedBytes) lower to a buffer alias; everything else lowers onto the
// general gather in shaders/relayout.wgsl.
import relayoutSource from '../../shaders/relayout.wgsl?raw';
import type { OpOf, TensorIR } from '../model/graph.ts';
import { tensorElementCount } from '../model/graph.ts';
import { constantData } from '../quant/tensor.ts';
import { innerDim, isEightBit, outerCount, roundUp4, samePackedBytes, toGpuLayout, type TensorData } from './layout.ts';
import { lowerFloatConcatenation } from './float/shape.ts';
import { int8Shader } from './common.ts';
import {
  aliasOf,
  int8ZeroPoint,
  LoweringError,
  tensorOf,
  uniformWords,
  workgroupsFor,
  type BindingRef,
  type ConstantSpec,
  type LoweredOp,
  type PlacementSpec,
  type LoweringContext,
  type StepSpec,
} from './lowering.ts';

const MAX_RANK = 6;

/** One output dimension of the gather: output coordinate c reads input coordinate c − padBefore. */
interface MappedDim {
  outDim: number;
  inDim: number;
  padBefore: number;
  /** Stride of this dimension in the input's logical row-major element order. */
  inStride: number;
}

interface Rescale {
  scale: number;
  bias: number;
  zeroPoint: number;
}

interface GatherOptions {
  fillByte: number;
  /** Elements outside the input keep the output's bytes (CONCATENATION) instead of the fill. */
  keep: boolean;
  rescale?: Rescale;
  /**
   * One side is a tensor's plain dense bytes rather than Octet's packed layout: every byte goes
   * through the element path (a plain buffer's bytes past the tensor are the caller's, never
   * copied into padding), and uint8 values cross between their plain bytes and the int8 domain.
   */
  plain?: boolean;
  /**
   * The input is one contiguous run of words per chunk of the output (ConcatSlab): one invocation
   * per input word, written at its place, the rest of the output untouched; `dims` are unused.
   */
  slab?: ConcatSlab;
}

/**
 * Where a CONCATENATION input's packed words go in the output: chunk c's run of chunkIn words
 * (the input's words from its axis on) starts at output word c · chunkOut + offset. Along an outer
 * axis the rows below it are whole and alike in input and output; along the channels the input
 * must start on a word and fill whole words or end the output (src/passes/place-concat.ts asks
 * the same of a placed producer). Undefined where it does not.
 */
export interface ConcatSlab {
  chunkIn: number;
  chunkOut: number;
  offset: number;
}

export function concatSlab(inShape: readonly number[], outShape: readonly number[], axis: number, offset: number): ConcatSlab | undefined {
  const last = outShape.length - 1;
  const words = (inner: number) => roundUp4(inner) / 4;
  if (axis === last) {
    const inInner = inShape[last]!;
    if (offset % 4 !== 0 || (inInner % 4 !== 0 && offset + inInner !== outShape[last])) return undefined;
    return { chunkIn: words(inInner), chunkOut: words(outShape[last]!), offset: offset / 4 };
  }
  let below = words(outShape[last]!);
  for (let d = axis + 1; d < last; d++) below *= outShape[d]!;
  return { chunkIn: inShape[axis]! * below, chunkOut: outShape[axis]! * below, offset: offset * below };
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

const f32Bits = (x: number): number => new Uint32Array(new Float32Array([x]).buffer)[0]!;

function check8Bit(label: string, ...tensors: TensorIR[]): void {
  for (const t of tensors) {
    if (!isEightBit(t.dtype)) throw new LoweringError(`${label}: tensor '${t.name}' is ${t.dtype}; the int8 path moves 8-bit tensors only`);
  }
}

/** One gather dispatch from `input` into `output`; returns its uniform constant and its step. */
function gather(
  ctx: LoweringContext,
  label: string,
  input: TensorIR,
  output: TensorIR,
  dims: MappedDim[],
  options: GatherOptions,
  constantIndex: number,
  inputBinding: BindingRef = { tensor: input.id },
): { constant: ConstantSpec; step: StepSpec } {
  if (dims.length === 0 || dims.length > MAX_RANK) throw new LoweringError(`${label}: rank ${dims.length} is outside 1..${MAX_RANK}`);
  const inInner = innerDim(input.shape);
  const outInner = innerDim(output.shape);
  const last = dims[dims.length - 1]!;
  // Whole words move where the innermost dimension maps onto itself word for word: stride 1, an
  // offset of whole words (PAD or CONCATENATION along the channels at a multiple of 4), and either
  // whole input words or an input that ends where the output does (its last word's padding lanes
  // are then the output's). Each output word is then all input or all fill.
  const wordCopy =
    !options.plain && last.inDim === inInner && last.inStride === 1 && last.padBefore % 4 === 0 && (inInner % 4 === 0 || last.padBefore + inInner === outInner);
  const outC4 = roundUp4(outInner) / 4;
  const slab = options.slab;
  const total = slab ? outerCount(input.shape) * (roundUp4(inInner) / 4) : outerCount(output.shape) * outC4;
  const r = options.rescale;
  const header = uniformWords([
    ['u32', dims.length],
    ['u32', inInner],
    ['u32', roundUp4(inInner) / 4],
    ['u32', outInner],
    ['u32', outC4],
    ['u32', total],
    ['u32', options.fillByte & 0xff],
    ['i32', input.dtype === 'uint8' ? 128 : 0],
    ['u32', r ? f32Bits(r.scale) : 0],
    ['u32', r ? f32Bits(r.bias) : 0],
    ['i32', r ? r.zeroPoint : 0],
    ['u32', slab?.chunkIn ?? 0],
    ['u32', slab?.chunkOut ?? 0],
    ['u32', slab?.offset ?? 0],
    ['u32', 0],
  ]);
  const dimWords = new Int32Array(MAX_RANK * 4);
  dims.forEach((d, i) => dimWords.set([d.outDim, d.inDim, d.padBefore, d.inStride], i * 4));
  const data = new Uint32Array(header.length + dimWords.length);
  data.set(header);
  data.set(new Uint32Array(dimWords.buffer), header.length);
  const shader = int8Shader(ctx, relayoutSource, {
    MAX_RANK,
    SLAB: !!slab,
    WORD_COPY: wordCopy,
    KEEP: options.keep,
    RESCALE: !!r,
    FLIP: !!options.plain && input.dtype === 'uint8',
  });
  return {
    constant: { label: `${label} params`, data, usage: 'uniform' },
    step: {
      dispatch: {
        label,
        shaderKey: shader.key,
        code: shader.code,
        bindings: [inputBinding, { tensor: output.id }, { constant: constantIndex }],
        workgroups: workgroupsFor(ctx, total),
      },
    },
  };
}

function singleGather(ctx: LoweringContext, label: string, input: TensorIR, output: TensorIR, dims: MappedDim[], options: GatherOptions): LoweredOp {
  const { constant, step } = gather(ctx, label, input, output, dims, options, 0);
  return { constants: [constant], steps: [step] };
}

/** Which way a plain-layout gather converts: plain dense bytes into the packed layout, or back. */
export type PlainDirection = 'to-packed' | 'to-plain';

/**
 * The gather between an 8-bit tensor's plain dense bytes (what its TypedArray holds: row-major,
 * uint8 as stored, no padding) and Octet's packed layout (src/kernels/layout.ts): the plain bytes
 * are the packed layout of the flat [N] tensor, so this is the RESHAPE gather between [N] and
 * [rows, inner], with the uint8 flip. Bindings: 0 the source, 1 the destination, 2 the params
 * (the returned constant); the program binds the caller's GPUBuffer itself, per run.
 */
export function plainLayoutGather(ctx: LoweringContext, t: TensorIR, direction: PlainDirection): { constant: ConstantSpec; step: StepSpec } {
  const label = `${direction} '${t.name}'`;
  check8Bit(label, t);
  const count = tensorElementCount(t.shape);
  const inner = innerDim(t.shape);
  const rows = outerCount(t.shape);
  const flat: TensorIR = { ...t, shape: [count] };
  const [from, to] = direction === 'to-packed' ? [flat, t] : [t, flat];
  // Output element (row r, index j) is flat element r * inner + j, either way round.
  const dims: MappedDim[] =
    direction === 'to-packed'
      ? [
          { outDim: rows, inDim: rows, padBefore: 0, inStride: inner },
          { outDim: inner, inDim: inner, padBefore: 0, inStride: 1 },
        ]
      : [{ outDim: count, inDim: count, padBefore: 0, inStride: 1 }];
  return gather(ctx, label, from, to, dims, { fillByte: 0, keep: false, plain: true }, 0);
}

/** Integer operand (perm, paddings) from a constant int32 or int64 tensor. */
function constantInts(label: string, t: TensorIR, role: string): number[] {
  if (!t.data) throw new LoweringError(`${label}: the ${role} must be a constant`);
  if (t.dtype !== 'int32' && t.dtype !== 'int64') throw new LoweringError(`${label}: the ${role} is ${t.dtype}, expected int32 or int64`);
  const values = constantData(t) as Int32Array | BigInt64Array;
  return Array.from({ length: values.length }, (_, i) => Number(values[i]!));
}

function sameQuantization(a: TensorIR, b: TensorIR): boolean {
  if (a.quant?.scale.length !== 1 || b.quant?.scale.length !== 1) {
    throw new LoweringError(`tensors '${a.name}' and '${b.name}' need per-tensor quantization`);
  }
  return int8ZeroPoint(a) === int8ZeroPoint(b) && Math.fround(a.quant!.scale[0]!) === Math.fround(b.quant!.scale[0]!);
}

/**
 * RESHAPE and SQUEEZE keep the row-major element order. Where the packed bytes are identical too
 * (samePackedBytes: the same innermost dimension, or both whole words) the output aliases the
 * input's buffer; otherwise output element i reads input element i.
 */
export function lowerReshape(ctx: LoweringContext, op: OpOf<'RESHAPE'> | OpOf<'SQUEEZE'>): LoweredOp {
  const label = `${op.type.toLowerCase()}#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (input.dtype !== output.dtype) throw new LoweringError(`${label}: ${input.dtype} input and ${output.dtype} output`);
  // int32, int64 and bool tensors (MoveNet's FLOOR_DIV → RESHAPE index arithmetic) are stored
  // plainly: the element order is the layout, so a reshape is the same bytes.
  if ((input.dtype === 'int32' || input.dtype === 'int64' || input.dtype === 'bool') && !input.data && tensorElementCount(input.shape) === tensorElementCount(output.shape)) {
    return aliasOf(input, output);
  }
  check8Bit(label, input, output);
  if (tensorElementCount(input.shape) !== tensorElementCount(output.shape)) {
    throw new LoweringError(`${label}: cannot reshape [${input.shape.join(', ')}] to [${output.shape.join(', ')}]`);
  }
  if (samePackedBytes(input.shape, output.shape) && !input.data) return aliasOf(input, output);
  // The output seen as [rows, inner]: its logical index is the input's.
  const inner = innerDim(output.shape);
  const rows = outerCount(output.shape);
  return singleGather(ctx, label, input, output, [
    { outDim: rows, inDim: rows, padBefore: 0, inStride: inner },
    { outDim: inner, inDim: inner, padBefore: 0, inStride: 1 },
  ], { fillByte: 0, keep: false });
}

/** PAD with the zero point (real 0); paddings (input 1) is a [rank, 2] int32/int64 constant. */
export function lowerPad(ctx: LoweringContext, op: OpOf<'PAD'>): LoweredOp {
  const label = `pad#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  check8Bit(label, input, output);
  const rank = input.shape.length;
  const paddings = constantInts(label, tensorOf(ctx, op.inputs[1]!), 'paddings');
  if (paddings.length !== rank * 2) throw new LoweringError(`${label}: paddings hold ${paddings.length} values for rank ${rank}`);
  if (output.shape.length !== rank || input.shape.some((d, i) => d + paddings[2 * i]! + paddings[2 * i + 1]! !== output.shape[i])) {
    throw new LoweringError(`${label}: output [${output.shape.join(', ')}] is not the padded input`);
  }
  if (paddings.some((p) => p < 0)) throw new LoweringError(`${label}: negative paddings`);
  if (input.dtype !== output.dtype || !sameQuantization(input, output)) {
    throw new LoweringError(`${label}: input and output must share dtype and quantization`);
  }
  const strides = rowMajorStrides(input.shape);
  return singleGather(ctx, label, input, output, input.shape.map((d, i) => ({
    outDim: output.shape[i]!,
    inDim: d,
    padBefore: paddings[2 * i]!,
    inStride: strides[i]!,
  })), { fillByte: int8ZeroPoint(output), keep: false });
}

/** TRANSPOSE: output dimension i is input dimension perm[i] (perm is input 1). */
export function lowerTranspose(ctx: LoweringContext, op: OpOf<'TRANSPOSE'>): LoweredOp {
  const label = `transpose#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  check8Bit(label, input, output);
  if (input.dtype !== output.dtype) throw new LoweringError(`${label}: ${input.dtype} input and ${output.dtype} output`);
  const rank = input.shape.length;
  const perm = constantInts(label, tensorOf(ctx, op.inputs[1]!), 'permutation').map((p) => (p < 0 ? p + rank : p));
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    throw new LoweringError(`${label}: [${perm.join(', ')}] is not a permutation of rank ${rank}`);
  }
  if (perm.some((p, i) => input.shape[p] !== output.shape[i])) {
    throw new LoweringError(`${label}: output [${output.shape.join(', ')}] is not the transposed input`);
  }
  const strides = rowMajorStrides(input.shape);
  return singleGather(ctx, label, input, output, perm.map((p, i) => ({
    outDim: output.shape[i]!,
    inDim: output.shape[i]!,
    padBefore: 0,
    inStride: strides[p]!,
  })), { fillByte: 0, keep: false });
}

/**
 * One dispatch copying `input`'s words into their place in `output` along concatSlab's runs, the
 * rest of the output kept (CONCATENATION's inputs, PACK's along an outer axis). Its uniform goes
 * into `constants`.
 */
export function slabCopy(ctx: LoweringContext, label: string, input: TensorIR, output: TensorIR, slab: ConcatSlab, inputBinding: BindingRef, constants: ConstantSpec[]): StepSpec {
  // The gather's dimensions play no part in a slab copy.
  const dims: MappedDim[] = [{ outDim: 1, inDim: 1, padBefore: 0, inStride: 1 }];
  const { constant, step } = gather(ctx, label, input, output, dims, { fillByte: 0, keep: true, slab }, constants.length, inputBinding);
  constants.push(constant);
  return step;
}

/**
 * CONCATENATION: one dispatch per input, each writing its slab of the output along the axis: a
 * copy of its words into place (concatSlab), or a gather over the whole output keeping the rest. Inputs quantized unlike the output are rescaled as
 * reference_ops::ConcatenationWithScaling does (float32 scale and bias, round half away).
 */
export function lowerConcatenation(ctx: LoweringContext, op: OpOf<'CONCATENATION'>): LoweredOp {
  const label = `concatenation#${op.index}`;
  const output = tensorOf(ctx, op.outputs[0]!);
  const inputs = op.inputs.map((id) => tensorOf(ctx, id));
  // int32 tensors are stored plainly, as float32 ones: the float path's word copy serves them.
  if (output.dtype === 'int32') return lowerFloatConcatenation(ctx, op);
  check8Bit(label, output, ...inputs);
  const rank = output.shape.length;
  const axis = op.options.axis < 0 ? op.options.axis + rank : op.options.axis;
  if (axis < 0 || axis >= rank) throw new LoweringError(`${label}: axis ${op.options.axis} is outside rank ${rank}`);
  if (op.options.activation !== 'NONE') throw new LoweringError(`${label}: fused activation ${op.options.activation} is not supported`);
  let offset = 0;
  const constants: ConstantSpec[] = [];
  const steps: StepSpec[] = [];
  const placed = new Set(op.options.placedInputs ?? []);
  const placements: PlacementSpec[] = [];
  const f = Math.fround;
  for (const [k, input] of inputs.entries()) {
    if (input.dtype !== output.dtype) throw new LoweringError(`${label}: ${input.dtype} input and ${output.dtype} output`);
    if (input.shape.length !== rank || input.shape.some((d, i) => i !== axis && d !== output.shape[i])) {
      throw new LoweringError(`${label}: input [${input.shape.join(', ')}] does not fit output [${output.shape.join(', ')}] on axis ${axis}`);
    }
    if (placed.has(k)) {
      // Its producer wrote it into the output already (src/passes/place-concat.ts): a copy, never a rescale.
      if (input.data || !sameQuantization(input, output)) throw new LoweringError(`${label}: input ${k} is placed but is a constant or quantized unlike the output`);
      placements.push({ part: input.id, whole: output.id });
      offset += input.shape[axis]!;
      continue;
    }
    let rescale: Rescale | undefined;
    if (!sameQuantization(input, output)) {
      const scale = f(f(input.quant!.scale[0]!) * f(1 / f(output.quant!.scale[0]!)));
      rescale = { scale, bias: f(-input.quant!.zeroPoint[0]! * scale), zeroPoint: output.quant!.zeroPoint[0]! };
    }
    const strides = rowMajorStrides(input.shape);
    const dims = output.shape.map((d, i) => ({
      outDim: d,
      inDim: input.shape[i]!,
      padBefore: i === axis ? offset : 0,
      inStride: strides[i]!,
    }));
    // A constant input (the graph's own data, not computed) is uploaded in the GPU layout and read
    // from there; it has no activation buffer.
    let inputBinding: BindingRef = { tensor: input.id };
    if (input.data) {
      constants.push({ label: `${label} input ${k} data`, data: toGpuLayout(input, constantData(input) as TensorData), usage: 'storage' });
      inputBinding = { constant: constants.length - 1 };
    }
    // Inputs that are contiguous runs of words (outer axes; channels on word boundaries) are
    // copied word for word into place; others gather over the whole output, keeping the rest.
    const slab = concatSlab(input.shape, output.shape, axis, offset);
    const { constant, step } = gather(ctx, `${label} input ${k}`, input, output, dims, { fillByte: 0, keep: true, rescale, ...(slab ? { slab } : {}) }, constants.length, inputBinding);
    constants.push(constant);
    steps.push(step);
    offset += input.shape[axis]!;
  }
  if (offset !== output.shape[axis]) throw new LoweringError(`${label}: inputs add up to ${offset} on axis ${axis}, not ${output.shape[axis]}`);
  return placements.length > 0 ? { constants, steps, placements } : { constants, steps };
}
