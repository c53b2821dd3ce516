// Float32 CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED onto shaders/float-conv.wgsl and
// shaders/float-depthwise.wgsl. Weights may be float32, or int8/uint8 with quantization
// parameters (hybrid models), dequantized once here; biases likewise.
import convSource from '../../../shaders/float-conv.wgsl?raw';
import depthwiseSource from '../../../shaders/float-depthwise.wgsl?raw';
import type { WindowGeometry } from '../../model/conv-family.ts';
import type { Activation, OpOf, OutputPlacement, TensorIR } from '../../model/graph.ts';
import { roundUp4 } from '../layout.ts';
import { LoweringError, outputPlacementOf, tensorOf, windowGeometryOf, workgroupsFor, type BindingRef, type ConstantSpec, type LoweredOp, type LoweringContext, singleDispatch } from '../lowering.ts';
import { elementCount, expectFloat, floatActivationRange, floatConstant, floatOperand, floatShader, floatUniforms } from './common.ts';
import { balancedPart, DEFAULT_KERNEL_TILES } from '../tuned-tiles.ts';

/** Bias per output channel, zero-padded to a multiple of 4 (zeros when the op has none). */
function paddedBias(ctx: LoweringContext, biasId: number, outC: number, label: string): Float32Array {
  const out = new Float32Array(roundUp4(outC));
  if (biasId < 0) return out;
  const bias = floatConstant(tensorOf(ctx, biasId), 'bias');
  if (bias.length !== outC) throw new LoweringError(`${label}: bias has ${bias.length} values for ${outC} output channels`);
  out.set(bias);
  return out;
}

function geometryFields(g: WindowGeometry, activation: Activation, label: string): Array<['u32' | 'i32' | 'f32', number]> {
  const [actMin, actMax] = floatActivationRange(activation, label);
  return [
    ['u32', g.batch],
    ['u32', g.inH],
    ['u32', g.inW],
    ['u32', g.inC],
    ['u32', g.outH],
    ['u32', g.outW],
    ['u32', g.outC],
    ['u32', roundUp4(g.outC) / 4],
    ['u32', g.kH],
    ['u32', g.kW],
    ['u32', g.strideH],
    ['u32', g.strideW],
    ['u32', g.dilH],
    ['u32', g.dilW],
    ['i32', g.padTop],
    ['i32', g.padLeft],
    ['f32', actMin],
    ['f32', actMax],
  ];
}

/** Register micro-tile of shaders/float-conv.wgsl: `pixels` output pixels along W by `groups` vec4s of output channels per invocation. */
export interface FloatConvTile {
  pixels: number;
  groups: number;
}

/** The per-pixel and per-group statements of shaders/float-conv.wgsl, one named variable each. */
export function floatConvTileCode(tile: FloatConvTile): Record<'DECLARE' | 'TAP' | 'CHANNEL' | 'COLLECT', string> {
  const ps = Array.from({ length: tile.pixels }, (_, i) => i);
  const gs = Array.from({ length: tile.groups }, (_, i) => i);
  const lines = (indent: string, xs: string[]) => xs.map((x) => indent + x).join('\n');
  const declare = [
    ...ps.flatMap((p) => gs.map((g) => `var acc_${p}_${g} = vec4<f32>(0.0);`)),
    // A last block's groups past out_c4 read the last real one (computed, not written).
    ...gs.map((g) => `let w_base_${g} = ${g === 0 ? 'oc4' : `min(oc4 + ${g}u, params.out_c4 - 1u)`} * taps_per_channel;`),
  ];
  const tap = ps.flatMap((p) => [
    `let ix_${p} = i32((ox + ${p}u) * params.stride_w + kx * params.dil_w) - params.pad_left;`,
    `let inside_${p} = ix_${p} >= 0 && ix_${p} < i32(params.in_w);`,
    `let in_base_${p} = (row_base + u32(clamp(ix_${p}, 0, i32(params.in_w) - 1))) * params.in_c;`,
  ]);
  const channel = [
    ...ps.map((p) => `let x_${p} = input[in_base_${p} + ic];`),
    ...gs.map((g) => `let w_${g} = weights[w_base_${g} + tap + ic];`),
    ...ps.flatMap((p) => gs.map((g) => `acc_${p}_${g} = select(acc_${p}_${g}, acc_${p}_${g} + x_${p} * w_${g}, inside_${p});`)),
  ];
  // Collected for the store loop of the shader: one store_group in the code, not one per accumulator.
  const collect = [`var accs = array<vec4<f32>, ${tile.pixels * tile.groups}>(${ps.flatMap((p) => gs.map((g) => `acc_${p}_${g}`)).join(', ')});`];
  return { DECLARE: lines('  ', declare), TAP: lines('      ', tap), CHANNEL: lines('        ', channel), COLLECT: lines('  ', collect) };
}

/** The tile of one layer: balanced parts of at most the adapter's pixels and groups (src/kernels/tuned-tiles.ts). */
export function floatConvTile(ctx: Pick<LoweringContext, 'tiles'>, outW: number, outC4: number): FloatConvTile {
  const tiles = ctx.tiles ?? DEFAULT_KERNEL_TILES;
  return {
    // Balanced strips: a row of 9 is 2 strips of 5 (1 pixel computed for nothing), not 8 + 1 (7);
    // a 1-wide output (FULLY_CONNECTED with one row) gets 1 pixel, no wasted work.
    pixels: balancedPart(outW, tiles.floatConvPixels),
    // The same for channel groups: 3 groups are 2 + 1 (a computed, unwritten group), 1 group is 1.
    groups: balancedPart(outC4, tiles.floatConvGroups),
  };
}

/** An ADD computed in the convolution's epilogue (Conv2DOptions.fusedAdd): the residual, the ADD's output and activation. */
interface EpilogueAdd {
  residual: TensorIR;
  sum: TensorIR;
  activation: Activation;
}

/**
 * Shared by CONV_2D and FULLY_CONNECTED: weights [outC][kH][kW][inC] regrouped 4 channels per
 * vec4. `output` the convolution's own (shapes, activation); with `add` the dispatch writes the ADD's.
 */
function lowerConvLike(ctx: LoweringContext, label: string, input: TensorIR, filter: TensorIR, biasId: number, output: TensorIR, g: WindowGeometry, activation: Activation, placement: OutputPlacement | undefined, add?: EpilogueAdd): LoweredOp {
  expectFloat(output, 'output', label);
  // Its own rows, or the concatenation's it is placed in (src/passes/place-concat.ts).
  const at = outputPlacementOf(ctx, label, output, g.outC, placement);
  const w = floatConstant(filter, 'weights');
  const perChannel = g.kH * g.kW * g.inC;
  if (w.length !== g.outC * perChannel) throw new LoweringError(`${label}: weights hold ${w.length} values, expected ${g.outC}×${perChannel}`);
  const outC4 = roundUp4(g.outC) / 4;
  // packed[((group · perChannel) + k) · 4 + lane] = w[(4·group + lane) · perChannel + k]
  const packed = new Float32Array(outC4 * perChannel * 4);
  for (let oc = 0; oc < g.outC; oc++) {
    const group = oc >> 2;
    const lane = oc & 3;
    for (let k = 0; k < perChannel; k++) packed[(group * perChannel + k) * 4 + lane] = w[oc * perChannel + k]!;
  }
  const constants: ConstantSpec[] = [];
  const inputBinding = floatOperand(input, 'input', constants, label);
  constants.push({ label: `${label} weights`, data: packed, usage: 'storage' });
  constants.push({ label: `${label} bias`, data: paddedBias(ctx, biasId, g.outC, label), usage: 'storage' });
  const tile = floatConvTile(ctx, g.outW, outC4);
  const strips = Math.ceil(g.outW / tile.pixels);
  const blocks = Math.ceil(outC4 / tile.groups);
  const total = g.batch * g.outH * strips * blocks;
  const addFields: Array<['f32', number]> = [];
  if (add) {
    expectFloat(add.residual, 'residual', label);
    expectFloat(add.sum, 'output', label);
    const [addMin, addMax] = floatActivationRange(add.activation, label);
    addFields.push(['f32', addMin], ['f32', addMax]);
  }
  constants.push({ label: `${label} params`, data: floatUniforms([...geometryFields(g, activation, label), ['u32', total], ['u32', strips], ['u32', blocks], ['u32', at.rowStride], ['u32', at.offset], ...addFields]), usage: 'uniform' });
  const n = constants.length;
  const shader = floatShader(ctx, convSource, { PIXELS: tile.pixels, GROUPS: tile.groups, FUSED_ADD: add !== undefined, ...floatConvTileCode(tile) });
  const bindings: BindingRef[] = [inputBinding, { constant: n - 3 }, { constant: n - 2 }, { tensor: (add?.sum ?? output).id }, { constant: n - 1 }];
  if (add) bindings.push({ tensor: add.residual.id });
  return singleDispatch(label, shader, constants, bindings, workgroupsFor(ctx, total));
}

function fourDims(t: TensorIR, role: string, label: string): [number, number, number, number] {
  if (t.shape.length !== 4) throw new LoweringError(`${label}: ${role} must be 4-D, got [${t.shape.join(', ')}]`);
  return t.shape as [number, number, number, number];
}

export function lowerFloatConv2D(ctx: LoweringContext, op: OpOf<'CONV_2D'>): LoweredOp {
  const label = `float conv2d#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const filter = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  const inC = fourDims(input, 'input', label)[3];
  const [outC, kH, kW, filterC] = fourDims(filter, 'filter', label);
  const outputC = fourDims(output, 'output', label)[3];
  if (filterC !== inC) throw new LoweringError(`${label}: filter has ${filterC} input channels, input has ${inC} (grouped convolution is not supported)`);
  if (outputC !== outC) throw new LoweringError(`${label}: output has ${outputC} channels, filter has ${outC}`);
  const o = op.options;
  const fused = o.fusedAdd;
  if (!fused) return lowerConvLike(ctx, label, input, filter, op.inputs[2] ?? -1, output, windowGeometryOf(label, input, output, o, kH, kW), o.activation, o.placement);
  // The convolution computes its own output (the ADD's operand) as before; the dispatch writes the ADD's.
  const fusedLabel = `float conv2d+add#${op.index}`;
  const intermediate = tensorOf(ctx, fused.intermediate);
  const add: EpilogueAdd = { residual: tensorOf(ctx, op.inputs[3]!), sum: output, activation: fused.activation };
  return lowerConvLike(ctx, fusedLabel, input, filter, op.inputs[2] ?? -1, intermediate, windowGeometryOf(fusedLabel, input, intermediate, o, kH, kW), o.activation, o.placement, add);
}

/**
 * FULLY_CONNECTED with weights [units, depth]. Float tensors are unpadded, so an input of any
 * shape is read as [count / depth, depth] — the flattening TFLite does — even when its innermost
 * dimension is not depth.
 */
export function lowerFloatFullyConnected(ctx: LoweringContext, op: OpOf<'FULLY_CONNECTED'>): LoweredOp {
  const label = `float fc#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const filter = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  if (filter.shape.length !== 2) throw new LoweringError(`${label}: weights must be 2-D [units, depth], got [${filter.shape.join(', ')}]`);
  const [units, depth] = filter.shape as [number, number];
  const count = elementCount(input);
  const batch = count / depth;
  if (!Number.isInteger(batch)) throw new LoweringError(`${label}: input of ${count} elements is not a multiple of depth ${depth}`);
  if (elementCount(output) !== batch * units) throw new LoweringError(`${label}: output [${output.shape.join(', ')}] is not ${batch}×${units}`);
  // The rows as one 1×rows image (the same layout): the kernel's strips share each weight load across rows.
  return lowerConvLike(ctx, label, input, filter, op.inputs[2] ?? -1, output, {
    batch: 1, inH: 1, inW: batch, inC: depth, outH: 1, outW: batch, outC: units, kH: 1, kW: 1,
    strideH: 1, strideW: 1, dilH: 1, dilW: 1, padTop: 0, padLeft: 0,
  }, op.options.activation, op.options.placement);
}

export function lowerFloatDepthwiseConv2D(ctx: LoweringContext, op: OpOf<'DEPTHWISE_CONV_2D'>): LoweredOp {
  const label = `float depthwise#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const filter = tensorOf(ctx, op.inputs[1]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  const inC = fourDims(input, 'input', label)[3];
  const [one, kH, kW, outC] = fourDims(filter, 'filter', label);
  const outputC = fourDims(output, 'output', label)[3];
  if (one !== 1) throw new LoweringError(`${label}: filter must be [1, kH, kW, channels], got [${filter.shape.join(', ')}]`);
  if (outputC !== outC) throw new LoweringError(`${label}: output has ${outputC} channels, filter has ${outC}`);
  // The multiplier follows from the shapes, as in the reference (some converters write an
  // inconsistent option value).
  const multiplier = outC / inC;
  if (!Number.isInteger(multiplier) || multiplier < 1) throw new LoweringError(`${label}: ${outC} output channels is not a multiple of ${inC} input channels`);
  const w = floatConstant(filter, 'weights');
  const taps = kH * kW;
  const outC4 = roundUp4(outC) / 4;
  const packed = new Float32Array(taps * outC4 * 4);
  for (let t = 0; t < taps; t++) packed.set(w.subarray(t * outC, (t + 1) * outC), t * outC4 * 4);
  const o = op.options;
  const g = windowGeometryOf(label, input, output, o, kH, kW);
  // Its own rows, or the concatenation's it is placed in (src/passes/place-concat.ts).
  const at = outputPlacementOf(ctx, label, output, outC, o.placement);
  const constants: ConstantSpec[] = [];
  const inputBinding = floatOperand(input, 'input', constants, label);
  constants.push({ label: `${label} weights`, data: packed, usage: 'storage' });
  constants.push({ label: `${label} bias`, data: paddedBias(ctx, op.inputs[2] ?? -1, outC, label), usage: 'storage' });
  // Output pixels along W per invocation, 1-4: the adapter's (src/kernels/tuned-tiles.ts).
  const pixels = (ctx.tiles ?? DEFAULT_KERNEL_TILES).floatDepthwisePixels;
  const strips = Math.ceil(g.outW / pixels);
  const total = g.batch * g.outH * strips * outC4;
  constants.push({
    label: `${label} params`,
    data: floatUniforms([...geometryFields(g, o.activation, label), ['u32', multiplier], ['u32', total], ['u32', strips], ['u32', at.rowStride], ['u32', at.offset]]),
    usage: 'uniform',
  });
  const n = constants.length;
  const shader = floatShader(ctx, depthwiseSource, {
    PIXELS: pixels,
    PIXELS_2: pixels >= 2,
    PIXELS_3: pixels >= 3,
    PIXELS_4: pixels >= 4,
    // Column reuse that keeps the taps in order (the sum exactly the one-pixel kernel's).
    SHIFT_ONE: o.strideW === o.dilationW,
  });
  return singleDispatch(label, shader, constants, [inputBinding, { constant: n - 3 }, { constant: n - 2 }, { tensor: output.id }, { constant: n - 1 }], workgroupsFor(ctx, total));
}
