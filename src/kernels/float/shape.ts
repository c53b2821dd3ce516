// Float32 RESHAPE, SQUEEZE, PAD, TRANSPOSE, CONCATENATION and SOFTMAX. Float tensors are stored
// plainly (row-major, unpadded), so RESHAPE and SQUEEZE alias their input's buffer; PAD and TRANSPOSE
// are one gather kernel (shaders/float-gather.wgsl); CONCATENATION is one dispatch per input.
import gatherSource from '../../../shaders/float-gather.wgsl?raw';
import concatSource from '../../../shaders/float-concat.wgsl?raw';
import softmaxSource from '../../../shaders/float-softmax.wgsl?raw';
import type { OpOf, TensorIR } from '../../model/graph.ts';
import { aliasOf, LoweringError, tensorOf, workgroupsFor, type BindingRef, type ConstantSpec, type LoweredOp, type LoweringContext, type PlacementSpec, type StepSpec, singleDispatch } from '../lowering.ts';
import { constantInts, elementCount, expectFloat, floatOperand, floatShader, floatUniforms, rankFields, rowMajorStrides } from './common.ts';

export function lowerFloatReshape(ctx: LoweringContext, op: OpOf<'RESHAPE'> | OpOf<'SQUEEZE'>): LoweredOp {
  const label = `float ${op.type.toLowerCase()}#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  const count = elementCount(input);
  if (count !== elementCount(output)) throw new LoweringError(`${label}: cannot reshape [${input.shape.join(', ')}] to [${output.shape.join(', ')}]`);
  if (input.data) throw new LoweringError(`${label}: reshaping a constant is not supported (fold it when importing)`);
  return aliasOf(input, output);
}

function gather(ctx: LoweringContext, label: string, input: TensorIR, output: TensorIR, inStrides: number[], before: number[], inDims: number[]): LoweredOp {
  const total = elementCount(output);
  const constants: ConstantSpec[] = [];
  const inputBinding = floatOperand(input, 'input', constants, label);
  constants.push({
    label: `${label} params`,
    data: floatUniforms([
      ['u32', total],
      ['u32', 0],
      ['u32', 0],
      ['u32', 0],
      ...rankFields(output.shape, 1, label),
      ...rankFields(inStrides, 0, label),
      ...rankFields(before, 0, label),
      ...rankFields(inDims, 1, label),
    ]),
    usage: 'uniform',
  });
  const shader = floatShader(ctx, gatherSource);
  return singleDispatch(label, shader, constants, [inputBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, total));
}

/** PAD with a constant [rank, 2] paddings tensor (before, after per dimension); float pads with 0. */
export function lowerFloatPad(ctx: LoweringContext, op: OpOf<'PAD'>): LoweredOp {
  const label = `float pad#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  const rank = input.shape.length;
  const paddings = constantInts(tensorOf(ctx, op.inputs[1]!), 'paddings', label);
  if (paddings.length !== 2 * rank) throw new LoweringError(`${label}: paddings hold ${paddings.length} values for rank ${rank}`);
  const before = input.shape.map((_, d) => paddings[2 * d]!);
  const padded = input.shape.map((s, d) => s + paddings[2 * d]! + paddings[2 * d + 1]!);
  if (output.shape.length !== rank || padded.some((s, d) => s !== output.shape[d])) {
    throw new LoweringError(`${label}: output [${output.shape.join(', ')}] is not the padded shape [${padded.join(', ')}]`);
  }
  if (before.some((b) => b < 0) || paddings.some((p) => p < 0)) throw new LoweringError(`${label}: negative paddings are not supported`);
  return gather(ctx, label, input, output, rowMajorStrides(input.shape), before, input.shape);
}

/** TRANSPOSE: output dimension i is input dimension perm[i]. */
export function lowerFloatTranspose(ctx: LoweringContext, op: OpOf<'TRANSPOSE'>): LoweredOp {
  const label = `float transpose#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  const rank = input.shape.length;
  const perm = constantInts(tensorOf(ctx, op.inputs[1]!), 'permutation', label).map((p) => (p < 0 ? p + rank : p));
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    throw new LoweringError(`${label}: [${perm.join(', ')}] is not a permutation of rank ${rank}`);
  }
  const outShape = perm.map((p) => input.shape[p]!);
  if (output.shape.length !== rank || outShape.some((s, d) => s !== output.shape[d])) {
    throw new LoweringError(`${label}: output [${output.shape.join(', ')}] is not the transposed shape [${outShape.join(', ')}]`);
  }
  const strides = rowMajorStrides(input.shape);
  return gather(ctx, label, input, output, perm.map((p) => strides[p]!), new Array<number>(rank).fill(0), outShape);
}

export function lowerFloatConcatenation(ctx: LoweringContext, op: OpOf<'CONCATENATION'>): LoweredOp {
  const label = `float concat#${op.index}`;
  const output = tensorOf(ctx, op.outputs[0]!);
  // int32 tensors (MoveNet's GATHER_ND indices, built at run time) concatenate word for word too;
  // the int8 table sends them here.
  const int32 = output.dtype === 'int32';
  if (!int32) expectFloat(output, 'output', label);
  const rank = output.shape.length;
  const axis = op.options.axis < 0 ? op.options.axis + rank : op.options.axis;
  if (axis < 0 || axis >= rank) throw new LoweringError(`${label}: axis ${op.options.axis} is outside rank ${rank}`);
  // TFLite's CONCATENATION refuses fused activations too (concatenation.cc Prepare).
  if (op.options.activation !== 'NONE') throw new LoweringError(`${label}: fused activation ${op.options.activation} is not supported`);
  const innerOf = (shape: readonly number[]): number => shape.slice(axis).reduce((a, b) => a * b, 1);
  const outInner = innerOf(output.shape);
  const constants: ConstantSpec[] = [];
  const steps: StepSpec[] = [];
  const shader = floatShader(ctx, concatSource);
  let axisOffset = 0;
  let axisTotal = 0;
  const placed = new Set(op.options.placedInputs ?? []);
  const placements: PlacementSpec[] = [];
  op.inputs.forEach((id, k) => {
    const input = tensorOf(ctx, id);
    if (input.shape.length !== rank || input.shape.some((d, i) => i !== axis && d !== output.shape[i])) {
      throw new LoweringError(`${label}: input [${input.shape.join(', ')}] does not fit output [${output.shape.join(', ')}] on axis ${axis}`);
    }
    axisTotal += input.shape[axis]!;
    const inner = innerOf(input.shape);
    if (placed.has(k)) {
      // Its producer wrote it into the output already (src/passes/place-concat.ts).
      if (input.data || input.dtype !== output.dtype) throw new LoweringError(`${label}: input ${k} is placed but is a constant or ${input.dtype}`);
      placements.push({ part: input.id, whole: output.id });
      axisOffset += inner;
      return;
    }
    const total = elementCount(input);
    if (total > 0) {
      let binding: BindingRef;
      if (int32) {
        if (input.dtype !== 'int32') throw new LoweringError(`${label}: input ${k} is ${input.dtype}, the output int32`);
        if (input.data) {
          constants.push({ label: `${label} input ${k}`, data: new Int32Array(input.data.buffer.slice(input.data.byteOffset, input.data.byteOffset + input.data.byteLength)), usage: 'storage' });
          binding = { constant: constants.length - 1 };
        } else binding = { tensor: input.id };
      } else binding = floatOperand(input, `input ${k}`, constants, label);
      constants.push({
        label: `${label} input ${k} params`,
        data: floatUniforms([['u32', total], ['u32', inner], ['u32', outInner], ['u32', axisOffset]]),
        usage: 'uniform',
      });
      steps.push({
        dispatch: {
          label: `${label} input ${k}`,
          shaderKey: shader.key,
          code: shader.code,
          bindings: [binding, { tensor: output.id }, { constant: constants.length - 1 }],
          workgroups: workgroupsFor(ctx, total),
        },
      });
    }
    axisOffset += inner;
  });
  if (axisTotal !== output.shape[axis]) throw new LoweringError(`${label}: inputs add up to ${axisTotal} on axis ${axis}, not ${output.shape[axis]}`);
  return placements.length > 0 ? { constants, steps, placements } : { constants, steps };
}

/** SOFTMAX over the last dimension with beta, max-subtracted. */
export function lowerFloatSoftmax(ctx: LoweringContext, op: OpOf<'SOFTMAX'>): LoweredOp {
  const label = `float softmax#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  expectFloat(output, 'output', label);
  const count = elementCount(input);
  if (count !== elementCount(output)) throw new LoweringError(`${label}: input and output sizes differ`);
  const depth = input.shape[input.shape.length - 1] ?? 1;
  const rows = depth === 0 ? 0 : count / depth;
  const constants: ConstantSpec[] = [];
  const inputBinding = floatOperand(input, 'input', constants, label);
  constants.push({ label: `${label} params`, data: floatUniforms([['u32', rows], ['u32', depth], ['f32', op.options.beta]]), usage: 'uniform' });
  const shader = floatShader(ctx, softmaxSource);
  return singleDispatch(label, shader, constants, [inputBinding, { tensor: output.id }, { constant: constants.length - 1 }], workgroupsFor(ctx, rows));
}
