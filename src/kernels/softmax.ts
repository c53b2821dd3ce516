// SOFTMAX (int8 and legacy uint8) lowering onto shaders/softmax.wgsl: gemmlowp fixed point
// ('tflite'), or under 'xnnpack' the TFLite runtime's float32 lookup-table kernel; byte for byte
// with src/reference/ops/softmax.ts. (8-bit LOGISTIC is a byte table: src/kernels/unary.ts.)
import softmaxSource from '../../shaders/softmax.wgsl?raw';
import type { OpOf, TensorIR } from '../model/graph.ts';
import { innerDim, outerCount, roundUp4 } from './layout.ts';
import { int8Shader } from './common.ts';
import { inputRadius, multiplierGreaterThanOne as greaterThanOne, softmaxTable } from '../quant/softmax.ts';
import {
  int8ZeroPoint,
  LoweringError,
  scaleOf,
  tensorOf,
  uniformWords,
  workgroupsFor,
  singleDispatch,
  type LoweredOp,
  type LoweringContext,
} from './lowering.ts';

/** TFLite's Prepare fixes 8-bit SOFTMAX/LOGISTIC outputs at scale 1/256, zero point −128 (int8) or 0 (uint8). */
export function checkFixedOutput(label: string, input: TensorIR, output: TensorIR): void {
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw new LoweringError(`${label}: ${input.dtype} input is not 8-bit`);
  if (output.dtype !== input.dtype) throw new LoweringError(`${label}: ${input.dtype} input and ${output.dtype} output`);
  if ((input.quant?.scale.length ?? 0) !== 1 || (output.quant?.scale.length ?? 0) !== 1) {
    throw new LoweringError(`${label}: input and output need per-tensor quantization`);
  }
  if (Math.fround(scaleOf(output)) !== 1 / 256 || int8ZeroPoint(output) !== -128) {
    throw new LoweringError(`${label}: output scale ${scaleOf(output)} and zero point ${output.quant!.zeroPoint[0]} are not TFLite's fixed 1/256 and ${output.dtype === 'int8' ? -128 : 0}`);
  }
}

/** QuantizeMultiplierGreaterThanOne: the shift must come out as a left shift. */
function multiplierGreaterThanOne(label: string, real: number): { multiplier: number; leftShift: number } {
  const m = greaterThanOne(real);
  if (!m) throw new LoweringError(`${label}: input scale gives a multiplier ${real} below 1`);
  return m;
}

/** Enough workgroups for one per row, folded into 2D when rows exceed the per-dimension limit. */
function workgroupPerRow(ctx: LoweringContext, rows: number): [number, number, number] {
  const x = Math.min(Math.max(rows, 1), ctx.maxWorkgroupsPerDimension);
  const y = Math.ceil(Math.max(rows, 1) / x);
  if (y > ctx.maxWorkgroupsPerDimension) throw new LoweringError(`softmax over ${rows} rows is too large for one dispatch`);
  return [x, y, 1];
}

export function lowerSoftmax(ctx: LoweringContext, op: OpOf<'SOFTMAX'>): LoweredOp {
  const label = `softmax#${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkFixedOutput(label, input, output);
  const depth = innerDim(input.shape);
  const rows = outerCount(input.shape);
  if (ctx.requantization === 'xnnpack') {
    // The TFLite runtime's optimized kernel: a float32 lookup table, one invocation per row.
    const table = softmaxTable(scaleOf(input), op.options.beta);
    // Params: eight scalars, then the table at the next 16-byte boundary (word 8).
    const words = new Uint32Array(8 + 256);
    words.set([rows, depth, roundUp4(depth) / 4, 0, 0, 0, 4, 0]);
    words.set(new Uint32Array(table.buffer), 8);
    const shader = int8Shader(ctx, softmaxSource, { SOFTMAX_TABLE: true });
    return singleDispatch(label, shader, [{ label: `${label} params`, data: words, usage: 'uniform' }], [{ tensor: input.id }, { tensor: output.id }, { constant: 0 }], workgroupsFor(ctx, rows));
  }
  const scaledDiffIntegerBits = 5;
  const realMultiplier = Math.min(op.options.beta * scaleOf(input) * 2 ** (31 - scaledDiffIntegerBits), 2 ** 31 - 1);
  const { multiplier, leftShift } = multiplierGreaterThanOne(label, realMultiplier);
  const uniforms = uniformWords([
    ['u32', rows],
    ['u32', depth],
    ['u32', roundUp4(depth) / 4],
    ['i32', multiplier],
    ['u32', leftShift],
    ['i32', -inputRadius(scaledDiffIntegerBits, leftShift)],
    ['u32', 4],
    ['i32', 0],
  ]);
  const shader = int8Shader(ctx, softmaxSource, { SOFTMAX_TABLE: false });
  return singleDispatch(label, shader, [{ label: `${label} params`, data: uniforms, usage: 'uniform' }], [{ tensor: input.id }, { tensor: output.id }, { constant: 0 }], workgroupPerRow(ctx, rows));
}
