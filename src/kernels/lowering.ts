// The contract between ops and the GPU program: each op lowers to constant buffers (packed
// weights, per-channel requantization parameters, uniforms) and dispatches that bind tensors and
// constants by position. The runtime allocates, uploads and encodes; kernels only describe.
import { OctetError } from '../errors.ts';
import { isSwiftShader, type CapabilityReport } from '../gpu/capabilities.ts';
import { ConvFamilyShapeError, windowGeometry, type WindowGeometry, type WindowOptions } from '../model/conv-family.ts';
import type { Activation, Graph, OpIR, OpOf, OpType, OutputPlacement, TensorIR } from '../model/graph.ts';
import { activationRangeQuantized } from '../quant/activation.ts';
import type { RequantizationMode } from '../quant/requantization.ts';
import { gpuByteLength, roundUp4 } from './layout.ts';
import type { KernelTiles } from './tuned-tiles.ts';

export type { RequantizationMode };

export interface ConstantSpec {
  label: string;
  data: ArrayBufferView;
  usage: 'storage' | 'uniform';
}

/** A binding is a tensor of the graph or one of the op's constants, in @binding order. */
export type BindingRef = { tensor: number } | { constant: number };

export interface DispatchSpec {
  label: string;
  /** Pipelines are cached by key: equal keys must mean equal code. */
  shaderKey: string;
  code: string;
  bindings: BindingRef[];
  workgroups: [number, number, number];
}

export interface CopySpec {
  label: string;
  from: number;
  to: number;
  bytes: number;
}

export type StepSpec = { dispatch: DispatchSpec } | { copy: CopySpec };

/**
 * The op's output holds exactly its input's GPU bytes (a reshape that keeps the layout), so it
 * shares the input's buffer instead of copying it. Decided here, at lowering, because only the
 * kernel knows when two shapes pack to the same bytes (8-bit tensors pack by innermost dimension);
 * the graph and the CPU reference keep the op and both tensors, with their own shapes, ids and
 * names, so outputs, captures and layer labels are unchanged. The plan (src/runtime/plan.ts) gives
 * the pair one buffer live for the union of their ranges.
 */
export interface AliasSpec {
  /** The op's input: an activation (never a constant: constants have no activation buffer). */
  from: number;
  /** The op's output, which reads `from`'s buffer. */
  to: number;
}

/**
 * An input of the op that its producer wrote in place, into the op's output (a CONCATENATION
 * input placed by src/passes/place-concat.ts, OutputPlacement): `part` has no bytes of its own but
 * lies inside `whole`'s buffer, at an offset and stride its producer's kernel applies. The plan
 * puts both in one buffer group, as an alias, live from the first producer to the last reader.
 */
export interface PlacementSpec {
  /** The placed input (the producer's output tensor). */
  part: number;
  /** The op's output, whose buffer holds it. */
  whole: number;
}

export interface LoweredOp {
  constants: ConstantSpec[];
  steps: StepSpec[];
  /** With an alias the op has no steps: its output is its input's buffer. */
  alias?: AliasSpec;
  /** Inputs written in place into the op's output, which it then does not copy. */
  placements?: PlacementSpec[];
}

/**
 * Where a producer with an OutputPlacement writes: `into`'s tensor, each output row (pixel)
 * `rowStride` units apart from `offset` on, in u32 words for 8-bit tensors (channels packed 4 to a
 * word) and in elements for float32 ones. Without a placement its own rows of `channels`: stride
 * those (in words), offset 0. Checks what the kernels rely on: the rows line up, and an 8-bit
 * placement starts on a word and fills whole words unless it ends the row.
 */
export function outputPlacementOf(ctx: LoweringContext, label: string, output: TensorIR, channels: number, placement: OutputPlacement | undefined): { rowStride: number; offset: number } {
  const eightBit = output.dtype === 'int8' || output.dtype === 'uint8';
  const unit = (c: number) => (eightBit ? roundUp4(c) / 4 : c);
  if (!placement) return { rowStride: unit(channels), offset: 0 };
  const into = tensorOf(ctx, placement.into);
  const total = into.shape[into.shape.length - 1] ?? 1;
  const count = (t: TensorIR) => t.shape.reduce((a, b) => a * b, 1);
  const at = placement.channelOffset;
  if (into.dtype !== output.dtype || output.shape[output.shape.length - 1] !== channels || count(into) / total !== count(output) / channels || at < 0 || at + channels > total) {
    throw new LoweringError(`${label}: output [${output.shape.join(', ')}] ${output.dtype} does not fit '${into.name}' [${into.shape.join(', ')}] ${into.dtype} at channel ${at}`);
  }
  if (eightBit && (at % 4 !== 0 || (channels % 4 !== 0 && at + channels !== total))) {
    throw new LoweringError(`${label}: ${channels} channels at channel ${at} of '${into.name}' do not fill whole words`);
  }
  return { rowStride: unit(total), offset: eightBit ? at / 4 : at };
}

/** `output` shares `input`'s buffer (see AliasSpec): the caller knows both hold the same bytes, and their sizes must agree. */
export function aliasOf(input: TensorIR, output: TensorIR): LoweredOp {
  if (input.data) throw new LoweringError(`aliasing '${output.name}' to '${input.name}': a constant has no activation buffer`);
  if (gpuByteLength(input) !== gpuByteLength(output)) throw new LoweringError(`aliasing '${output.name}' to '${input.name}': ${gpuByteLength(output)} and ${gpuByteLength(input)} bytes`);
  return { constants: [], steps: [], alias: { from: input.id, to: output.id } };
}

export interface LoweringContext {
  graph: Graph;
  useDot4: boolean;
  /**
   * 'tflite': TFLite's reference fixed-point requantization (MultiplyByQuantizedMultiplier).
   * 'xnnpack': what TFLite's default XNNPACK delegate computes (float32 scale, round half to
   * even for convolutions; 20-bit multipliers for ADD), and so what the TFLite runtime outputs.
   * The CPU reference implements both; GPU and reference must agree byte for byte in each.
   */
  requantization: RequantizationMode;
  /**
   * Under 'xnnpack': whether the TFLite runtime runs this graph through its XNNPACK delegate
   * (src/model/tflite-delegation.ts, decided on the graph as imported); when not, every op
   * follows TFLite's builtin kernels. Default true.
   */
  xnnpackDelegate?: boolean;
  /** Invocations per workgroup of every 1-D dispatch (the program takes KernelTiles.workgroupSize). */
  workgroupSize: number;
  maxWorkgroupsPerDimension: number;
  /**
   * The conv and depthwise kernels' tiles (src/kernels/tuned-tiles.ts: the adapter class's
   * entry, or what GpuProgramOptions.tiles forces). Default DEFAULT_KERNEL_TILES.
   */
  tiles?: KernelTiles;
  /**
   * How int8 convolution kernels multiply and accumulate (see Int8Arithmetic and
   * preferredInt8Arithmetic). Default 'dot4'.
   */
  int8Arithmetic?: Int8Arithmetic;
  /**
   * CONV_2D and FULLY_CONNECTED take the workgroup-memory kernel (shaders/conv2d-shared.wgsl, with
   * tiles.workgroupConv) rather than the register one (shaders/conv2d.wgsl): the program decides by
   * prefersWorkgroupTiles (src/kernels/conv2d-shared.ts) or GpuProgramOptions.convKernel. Default false.
   */
  workgroupConv?: boolean;
}

/**
 * How an int8 convolution kernel that reuses each loaded operand across a register tile computes
 * its products; all three give the same integers. DEPTHWISE_CONV_2D has no dot4 form and takes
 * i32 lanes for 'dot4' (depthwiseF32 in src/kernels/conv2d.ts).
 * - 'dot4': one dot4 per 4 products (dot4I8Packed, or common.wgsl's unpacking fallback).
 * - 'i32': each loaded word sign-extended once and multiplied as i32 vectors (dot4 would unpack
 *   both operands on every call where it is a polyfill).
 * - 'f32': each loaded value converted to f32 once (weights at load) and multiplied-added in f32.
 *   Exact where no partial sum can reach 2^24 (every integer below it is an f32): a layer whose
 *   bound 128 · Σ|w| over some output channel reaches it takes 'i32' instead (f32ProductsExact).
 */
export type Int8Arithmetic = 'dot4' | 'i32' | 'f32';

/**
 * The adapter's int8 arithmetic, one predicate per choice:
 * - SwiftShader takes 'f32': it runs shader arithmetic on CPU SIMD lanes, where its f32
 *   multiply-add beat its i32 multiply, and dot4I8Packed is a polyfill. Measured (conv GPU time
 *   per run, medians of 3): MobileNet v2 352-361 ms in 'f32' against 384 in 'i32', VWW 13.0
 *   against 15.6, ResNet-8 14.1 against 17.4.
 * - Any other software adapter (llvmpipe) takes 'i32': there dot4 is a polyfill too, but f32 was
 *   the slower one (whole-run medians of 12 alternated runs: MobileNet v2 131 ms in 'f32' against
 *   105 in 'i32', ResNet-8 2.5 against 1.7).
 * - A GPU takes 'dot4' where it has dot4I8Packed (4 products an instruction on GPUs with packed
 *   8-bit dot products), and 'i32' without it (the fallback unpacks both operands per call).
 */
export function preferredInt8Arithmetic(caps: Pick<CapabilityReport, 'adapter' | 'paths'>, useDot4: boolean): Int8Arithmetic {
  if (isSwiftShader(caps.adapter)) return 'f32';
  if (caps.paths.softwareAdapter) return 'i32';
  return useDot4 ? 'dot4' : 'i32';
}

/**
 * 128 · Σ|w − zw| for each output channel: the largest magnitude any partial sum of its int8
 * products can reach (int8 inputs are at most 128 in magnitude). `weights` in the int8 domain, one
 * row of `k` per output channel; `weightZp` the weight zero point (0 for int8 weights).
 */
export function productBounds(weights: ArrayLike<number>, weightZp: number, channels: number, k: number): Float64Array {
  const bounds = new Float64Array(channels);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let i = c * k; i < (c + 1) * k; i++) sum += Math.abs(weights[i]! - weightZp);
    bounds[c] = 128 * sum;
  }
  return bounds;
}

/**
 * Whether f32 accumulation of a layer's int8 products is exact: every partial sum of an output
 * channel is an integer no larger in magnitude than its bound (productBounds), and f32 holds every
 * integer below 2^24 exactly. With `offsets` (each channel's bias, zero-point terms folded in) the
 * sums plus their offset stay below 2^24 too, so the requantization can add them in f32.
 */
export function f32ProductsExact(bounds: ArrayLike<number>, offsets?: ArrayLike<number>): boolean {
  for (let c = 0; c < bounds.length; c++) {
    if (bounds[c]! + Math.abs(offsets?.[c] ?? 0) >= 2 ** 24) return false;
  }
  return true;
}

/** XNNPACK's kernel rules apply: 'xnnpack' requantization in a graph the delegate takes (PrepareContext.xnnpack). */
export function xnnpackKernels(ctx: LoweringContext): boolean {
  return ctx.requantization === 'xnnpack' && (ctx.xnnpackDelegate ?? true);
}

/** TFLite's builtin kernels under 'xnnpack': a graph the delegate refuses. */
export function builtinKernels(ctx: LoweringContext): boolean {
  return ctx.requantization === 'xnnpack' && !xnnpackKernels(ctx);
}

export class LoweringError extends OctetError {
  override name = 'LoweringError';
  readonly code = 'LOWERING';
}

export function tensorOf(ctx: LoweringContext, id: number): TensorIR {
  const t = ctx.graph.tensors[id];
  if (!t) throw new LoweringError(`tensor ${id} does not exist`);
  return t;
}

export function scaleOf(t: TensorIR, channel = 0): number {
  if (!t.quant) throw new LoweringError(`tensor '${t.name}' has no quantization parameters`);
  return t.quant.scale.length === 1 ? t.quant.scale[0]! : t.quant.scale[channel]!;
}

/** Zero point in the int8 domain the GPU works in: uint8 zero points move down by 128. */
export function int8ZeroPoint(t: TensorIR, channel = 0): number {
  if (!t.quant) throw new LoweringError(`tensor '${t.name}' has no quantization parameters`);
  const zp = t.quant.zeroPoint.length === 1 ? t.quant.zeroPoint[0]! : t.quant.zeroPoint[channel]!;
  return t.dtype === 'uint8' ? zp - 128 : zp;
}

/** The fused activation's clamp range, in the int8 domain. */
export function int8ActivationRange(act: Activation, out: TensorIR): [number, number] {
  if (out.dtype !== 'int8' && out.dtype !== 'uint8') {
    throw new LoweringError(`tensor '${out.name}' is ${out.dtype}, expected int8 or uint8`);
  }
  const zp = out.quant!.zeroPoint[0]!;
  const [lo, hi] = activationRangeQuantized(act, scaleOf(out), zp, out.dtype);
  return out.dtype === 'uint8' ? [lo - 128, hi - 128] : [lo, hi];
}

/** A word holding the same int8 value in all four bytes. */
export function splatByte(v: number): number {
  return ((v & 0xff) * 0x01010101) >>> 0;
}

/** 1D work over `invocations` spread into a 2D grid that respects the per-dimension limit. */
/**
 * The context of one dispatch of `invocations` invocations: the adapter's workgroup size, halved
 * (down to 8) while the dispatch would have fewer than `minWorkgroups` workgroups (KernelTiles).
 * SwiftShader runs each workgroup on one thread, so a small layer in one workgroup leaves the other
 * cores idle: ResNet-8's 8×8×64 convolutions are 64 invocations, one workgroup of 64.
 */
export function spreadWorkgroups(ctx: LoweringContext, invocations: number): LoweringContext {
  const min = ctx.tiles?.minWorkgroups ?? 1;
  let size = ctx.workgroupSize;
  while (size > 8 && Math.ceil(invocations / size) < min) size /= 2;
  return size === ctx.workgroupSize ? ctx : { ...ctx, workgroupSize: size };
}

export function workgroupsFor(ctx: LoweringContext, invocations: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(invocations / ctx.workgroupSize));
  const x = Math.min(groups, ctx.maxWorkgroupsPerDimension);
  const y = Math.ceil(groups / x);
  if (y > ctx.maxWorkgroupsPerDimension) throw new LoweringError(`dispatch of ${invocations} invocations is too large`);
  return [x, y, 1];
}

/** Little-endian uniform struct from a list of (u32 | i32) fields, padded to 16 bytes. */
export function uniformWords(fields: Array<['u32' | 'i32', number]>): Uint32Array {
  const words = new Uint32Array(Math.ceil(fields.length / 4) * 4);
  const view = new DataView(words.buffer);
  fields.forEach(([kind, value], i) => {
    if (kind === 'u32') view.setUint32(i * 4, value >>> 0, true);
    else view.setInt32(i * 4, value | 0, true);
  });
  return words;
}

/** A geometry from src/model/conv-family.ts; its refusal becomes this op's LoweringError. */
export function geometryOf<T>(label: string, make: () => T): T {
  try {
    return make();
  } catch (e) {
    if (e instanceof ConvFamilyShapeError) throw new LoweringError(`${label}: ${e.message}`);
    throw e;
  }
}

/** The window geometry every stage shares (the CPU reference computes with the same one). */
export function windowGeometryOf(label: string, input: TensorIR, output: TensorIR, o: WindowOptions, kH: number, kW: number): WindowGeometry {
  return geometryOf(label, () => windowGeometry(input, output, o, kH, kW));
}

/** Lowers one op; each op family module exports a table of these by op type. */
export type Lowering = (ctx: LoweringContext, op: OpIR) => LoweredOp;

/** A lowering registered for op type T: it takes that op, typed, so an entry under the wrong key does not compile. */
export type LoweringOf<T extends OpType> = (ctx: LoweringContext, op: OpOf<T>) => LoweredOp;

/** Lowerings by op type, each checked against its key: an op family's share of a path's table. */
export type LoweringsFor<K extends OpType> = { readonly [T in K]: LoweringOf<T> };

/**
 * A whole GPU path (int8 or float32): every op type has an entry, its lowering or `null` for
 * "no kernel on this path", so a new op type is a compile error here until it is decided.
 */
export type GpuPathTable = { readonly [T in OpType]: LoweringOf<T> | null };

/** One lowering for several op types (a family that switches on op.type inside). */
export function loweringFor<K extends OpType>(types: readonly K[], lowering: LoweringOf<K>): LoweringsFor<K> {
  // Each LoweringOf<T> for T in K accepts a subset of what `lowering` takes; TypeScript cannot
  // see that through Object.fromEntries.
  return Object.fromEntries(types.map((t) => [t, lowering])) as unknown as LoweringsFor<K>;
}

/** The `null` entries of a path's table: the op types it has no kernel for, said by name. */
export function withoutKernel<K extends OpType>(...types: K[]): { readonly [T in K]: null } {
  return Object.fromEntries(types.map((t) => [t, null])) as { [T in K]: null };
}

/** The common shape of a lowering: one dispatch of one shader, binding tensors and constants in order. */
export function singleDispatch(
  label: string,
  shader: { code: string; key: string },
  constants: ConstantSpec[],
  bindings: BindingRef[],
  workgroups: [number, number, number],
): LoweredOp {
  return { constants, steps: [{ dispatch: { label, shaderKey: shader.key, code: shader.code, bindings, workgroups } }] };
}
