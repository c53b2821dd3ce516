// 8-bit SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_PROD onto shaders/reduce.wgsl, and
// L2_NORMALIZATION onto shaders/l2-normalize.wgsl. The host computes from src/quant/reduce.ts
// exactly what the CPU reference computes (SUM's float32 rescaling as thresholds, PROD's
// multiplier), moved into the int8 domain the GPU works in.
import reduceSource from '../../shaders/reduce.wgsl?raw';
import l2Source from '../../shaders/l2-normalize.wgsl?raw';
import { tensorElementCount, type OpIR, type OpOf, type TensorIR } from '../model/graph.ts';
import { checkReduceAxes, checkReduceFamilyOp, ReduceShapeError } from '../model/reduce-shape.ts';
import { prodMultiplier, sumRule, sumThresholds } from '../quant/reduce.ts';
import { constantData } from '../quant/tensor.ts';
import { innerDim, outerCount, roundUp4 } from './layout.ts';
import { int8Shader } from './common.ts';
import {
  int8ZeroPoint,
  LoweringError,
  scaleOf,
  singleDispatch,
  tensorOf,
  uniformWords,
  workgroupsFor,
  type LoweredOp,
  type LoweringContext,
} from './lowering.ts';

/** SUM levels beyond this (a huge reduction rescaled upwards) would need a threshold buffer over 16 MiB. */
const MAX_SUM_LEVELS = 1 << 22;

function checkEightBitPerTensor(t: TensorIR, what: string, op: OpIR): void {
  if (t.dtype !== 'int8' && t.dtype !== 'uint8') throw new LoweringError(`${op.type} at operator ${op.index}: ${what} '${t.name}' is ${t.dtype}, expected int8 or uint8`);
  if (!t.quant || t.quant.scale.length !== 1) throw new LoweringError(`${op.type} at operator ${op.index}: ${what} '${t.name}' must be quantized per tensor`);
}

function familyCheck(ctx: LoweringContext, op: OpIR): void {
  try {
    checkReduceFamilyOp(ctx.graph, op);
  } catch (e) {
    if (e instanceof ReduceShapeError) throw new LoweringError(`${op.type} at operator ${op.index}: ${e.message}`);
    throw e;
  }
}

type ReduceOp = OpOf<'SUM'> | OpOf<'REDUCE_MAX'> | OpOf<'REDUCE_MIN'> | OpOf<'REDUCE_PROD'>;

function lowerReduce(ctx: LoweringContext, op: ReduceOp): LoweredOp {
  familyCheck(ctx, op);
  const where = `${op.type} at operator ${op.index}`;
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkEightBitPerTensor(input, 'input', op);
  checkEightBitPerTensor(output, 'output', op);
  if (input.dtype !== output.dtype) throw new LoweringError(`${where}: ${input.dtype} input with ${output.dtype} output`);
  const dtype = input.dtype as 'int8' | 'uint8';
  const rank = input.shape.length;
  if (rank > 4) throw new LoweringError(`${where}: input rank ${rank} is above 4`);
  const in4 = [...new Array<number>(4 - rank).fill(1), ...input.shape];
  const axisTensor = tensorOf(ctx, op.inputs[1]!);
  const axes = checkReduceAxes(input.shape, axisTensor.dtype, Array.from(constantData(axisTensor) as Int32Array), output.shape, op.options.keepDims);
  // Axes of the rank-4 view: the padding dimensions in front are 1 and count as kept.
  const reduced4 = in4.map((_, i) => axes.has(i - (4 - rank)));
  const keptShape = in4.map((d, i) => (reduced4[i] ? 1 : d));
  const reducedShape = in4.map((d, i) => (reduced4[i] ? d : 1));
  const n = tensorElementCount(reducedShape);
  const inner = roundUp4(in4[3]!);
  const inStrides = [in4[1]! * in4[2]! * inner, in4[2]! * inner, inner, 1];
  const inQ = { scale: scaleOf(input), zeroPoint: input.quant!.zeroPoint[0]! };
  const outQ = { scale: scaleOf(output), zeroPoint: output.quant!.zeroPoint[0]! };
  const sameQuant = Math.fround(inQ.scale) === Math.fround(outQ.scale) && inQ.zeroPoint === outQ.zeroPoint;

  let levelOffset = 0;
  let thresholds = new Int32Array(0) as Int32Array;
  let raw = false;
  let prod = { reducedMultiplier: 0, totalShift: 0, roundLo: 0, roundHi: 0 };
  if (op.type === 'SUM') {
    const spec = { dtype, count: n, inputScale: inQ.scale, inputZeroPoint: inQ.zeroPoint, outputScale: outQ.scale, outputZeroPoint: outQ.zeroPoint };
    const offset = dtype === 'uint8' ? 128 : 0;
    raw = sumRule(spec).raw;
    if (raw) {
      // The dtype-domain sum is S' + 128·n for uint8; the int8-domain output is that minus 128 (mod 256).
      levelOffset = (offset * n - offset) % 256;
    } else {
      let t: { base: number; thresholds: Int32Array };
      try {
        t = sumThresholds(spec, MAX_SUM_LEVELS);
      } catch (e) {
        if (e instanceof RangeError) throw new LoweringError(`${where}: ${e.message} (too many for the GPU's threshold table)`);
        throw e;
      }
      thresholds = t.thresholds;
      levelOffset = t.base - offset;
    }
  } else if (op.type === 'REDUCE_PROD') {
    if (dtype !== 'int8') throw new LoweringError(`${where}: ${dtype} input (TFLite's quantized REDUCE_PROD is int8 only)`);
    // As the reference (src/reference/ops/reduce.ts): TFLite's runtime mis-reduces this case.
    if (n === 1) throw new LoweringError(`${where}: an int8 product over axes of size 1 only (TFLite's runtime reduces other axes there)`);
    const { multiplier, shift } = prodMultiplier(inQ.scale, outQ.scale, n);
    if (shift < -31 || shift > 7) throw new LoweringError(`${where}: scaling shift ${shift} is outside TFLite's [-31, 7]`);
    const totalShift = 15 - shift;
    const round = 2 ** (totalShift - 1);
    prod = {
      reducedMultiplier: multiplier < 0x7fff0000 ? (multiplier + (1 << 15)) >> 16 : 0x7fff,
      totalShift,
      roundLo: totalShift - 1 < 32 ? round >>> 0 : 0,
      roundHi: totalShift - 1 < 32 ? 0 : 2 ** (totalShift - 33),
    };
  } else if (!sameQuant) {
    throw new LoweringError(`${where}: input and output quantization differ (TFLite requires them equal)`);
  }

  const outInner = innerDim(output.shape);
  const outC4 = roundUp4(outInner) / 4;
  const outCount = tensorElementCount(keptShape);
  const total = (outCount / Math.max(outInner, 1)) * outC4;
  const wordwise = !reduced4[3] && op.type !== 'REDUCE_PROD';
  const uniforms = uniformWords([
    ...keptShape.map((v) => ['u32', v] as ['u32', number]),
    ...reducedShape.map((v) => ['u32', v] as ['u32', number]),
    ...inStrides.map((v) => ['u32', v] as ['u32', number]),
    ['u32', outInner],
    ['u32', outC4],
    ['u32', total],
    ['u32', n],
    ['i32', levelOffset],
    ['u32', op.type === 'SUM' && !raw ? thresholds.length : 0],
    ['i32', inQ.zeroPoint],
    ['i32', outQ.zeroPoint],
    ['u32', prod.reducedMultiplier],
    ['u32', prod.totalShift],
    ['u32', prod.roundLo],
    ['u32', prod.roundHi],
  ]);
  const label = `${op.type.toLowerCase()}#${op.index}`;
  const shader = int8Shader(ctx, reduceSource, {
    WORDWISE: wordwise,
    SUM: op.type === 'SUM',
    THRESHOLDS: op.type === 'SUM' && !raw,
    MAX: op.type === 'REDUCE_MAX',
    MIN: op.type === 'REDUCE_MIN',
    PROD: op.type === 'REDUCE_PROD',
  });
  const withThresholds = op.type === 'SUM' && !raw;
  return singleDispatch(
    label,
    shader,
    [{ label: `${label} params`, data: uniforms, usage: 'uniform' }, ...(withThresholds ? [{ label: `${label} thresholds`, data: thresholds, usage: 'storage' as const }] : [])],
    [{ tensor: input.id }, { tensor: output.id }, { constant: 0 }, ...(withThresholds ? [{ constant: 1 }] : [])],
    workgroupsFor(ctx, total),
  );
}

/** L2_NORMALIZATION, int8 and uint8, one invocation per row (src/quant/reduce.ts l2NormalizeValue). */
function lowerL2Normalization(ctx: LoweringContext, op: OpOf<'L2_NORMALIZATION'>): LoweredOp {
  familyCheck(ctx, op);
  const input = tensorOf(ctx, op.inputs[0]!);
  const output = tensorOf(ctx, op.outputs[0]!);
  checkEightBitPerTensor(input, 'input', op);
  checkEightBitPerTensor(output, 'output', op);
  if (input.dtype !== output.dtype) throw new LoweringError(`L2_NORMALIZATION at operator ${op.index}: ${input.dtype} input with ${output.dtype} output`);
  const rows = outerCount(input.shape);
  const depth = innerDim(input.shape);
  const uniforms = uniformWords([
    ['u32', rows],
    ['u32', depth],
    ['u32', roundUp4(depth) / 4],
    ['i32', int8ZeroPoint(input)],
  ]);
  const label = `l2norm#${op.index}`;
  const shader = int8Shader(ctx, l2Source, { UINT8: input.dtype === 'uint8' });
  return singleDispatch(label, shader, [{ label: `${label} params`, data: uniforms, usage: 'uniform' }], [{ tensor: input.id }, { tensor: output.id }, { constant: 0 }], workgroupsFor(ctx, rows));
}

export const REDUCE_LOWERINGS = {
  SUM: lowerReduce,
  REDUCE_MAX: lowerReduce,
  REDUCE_MIN: lowerReduce,
  REDUCE_PROD: lowerReduce,
  L2_NORMALIZATION: lowerL2Normalization,
};
