// AVERAGE_POOL_2D, MAX_POOL_2D and MEAN: windowed and axis reductions.
//
// Pooling follows reference_integer_ops::AveragePool / MaxPool (int8) and reference_ops (uint8,
// float): the window is clipped to the image and the average divides by the number of taps
// inside it (filter_count), never by the full window.
import { activationRangeFloat, activationRangeQuantized } from '../../quant/activation.ts';
import { meanRule } from '../../quant/mean.ts';
import type { OpOf } from '../../model/graph.ts';
import { allocate, elementCount, stridesOf, type Kernel, type PrepareContext, type QuantizedData } from '../common.ts';
import type { WindowGeometry } from '../../model/conv-family.ts';
import { windowGeometry } from './conv.ts';

type PoolOp = OpOf<'AVERAGE_POOL_2D'> | OpOf<'MAX_POOL_2D'>;

/**
 * Shared shape and dtype checks of both pools. TFLite requires the output to carry the input's
 * quantization (pooling never rescales); the clamp range comes from the output's params.
 */
function preparePool(op: PoolOp, ctx: PrepareContext): { g: WindowGeometry; min: number; max: number } {
  const input = ctx.input(0);
  const output = ctx.output();
  const o = op.options;
  const g = windowGeometry(ctx, input, output, { ...o, dilationH: 1, dilationW: 1 }, o.filterH, o.filterW);
  if (g.outC !== g.inC) throw ctx.error(`output has ${g.outC} channels but the input has ${g.inC}`);
  if (output.dtype !== input.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  if (input.dtype === 'float32') {
    const [min, max] = activationRangeFloat(o.activation);
    return { g, min, max };
  }
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw ctx.unsupported(`${input.dtype} input`);
  const inQ = ctx.perTensorQuant(input, 'input');
  const outQ = ctx.perTensorQuant(output, 'output');
  if (inQ.zeroPoint !== outQ.zeroPoint || Math.fround(inQ.scale) !== Math.fround(outQ.scale)) {
    throw ctx.unsupported('different input and output quantization');
  }
  const [min, max] = activationRangeQuantized(o.activation, outQ.scale, outQ.zeroPoint, input.dtype);
  return { g, min, max };
}

/** Visits each output pixel with its window clipped to the image: [yStart, yEnd) × [xStart, xEnd) in input rows/cols. */
function forEachWindow(
  g: WindowGeometry,
  visit: (outBase: number, inPixel: (y: number, x: number) => number, y0: number, y1: number, x0: number, x1: number) => void,
): void {
  for (let n = 0; n < g.batch; n++) {
    const inPixel = (y: number, x: number): number => ((n * g.inH + y) * g.inW + x) * g.inC;
    for (let oy = 0; oy < g.outH; oy++) {
      const originY = oy * g.strideH - g.padTop;
      const y0 = Math.max(0, originY);
      const y1 = Math.min(g.inH, originY + g.kH);
      for (let ox = 0; ox < g.outW; ox++) {
        const originX = ox * g.strideW - g.padLeft;
        const x0 = Math.max(0, originX);
        const x1 = Math.min(g.inW, originX + g.kW);
        visit(((n * g.outH + oy) * g.outW + ox) * g.outC, inPixel, y0, y1, x0, x1);
      }
    }
  }
}

export function prepareAveragePool2D(op: OpOf<'AVERAGE_POOL_2D'>, ctx: PrepareContext): Kernel {
  const { g, min, max } = preparePool(op, ctx);
  const inId = ctx.input(0).id;
  const output = ctx.output();
  const outCount = elementCount(output);
  const channels = g.inC;
  const dtype = output.dtype;
  const sums = new Float64Array(channels);
  return (values) => {
    const x = values[inId]!;
    const out = allocate(dtype, outCount);
    forEachWindow(g, (outBase, inPixel, y0, y1, x0, x1) => {
      sums.fill(0);
      for (let y = y0; y < y1; y++) {
        for (let xx = x0; xx < x1; xx++) {
          const base = inPixel(y, xx);
          for (let c = 0; c < channels; c++) sums[c] += x[base + c];
        }
      }
      const count = (y1 - y0) * (x1 - x0);
      const half = Math.floor(count / 2);
      for (let c = 0; c < channels; c++) {
        const acc = sums[c];
        let v: number;
        if (dtype === 'float32') v = acc / count;
        // int8 rounds half away from zero; uint8 sums are never negative, so TFLite's uint8
        // kernel only has the positive branch. C's integer division truncates toward zero.
        else if (dtype === 'int8') v = acc > 0 ? Math.trunc((acc + half) / count) : Math.trunc((acc - half) / count);
        else v = Math.trunc((acc + half) / count);
        out[outBase + c] = v < min ? min : v > max ? max : v;
      }
    });
    values[output.id] = out;
  };
}

export function prepareMaxPool2D(op: OpOf<'MAX_POOL_2D'>, ctx: PrepareContext): Kernel {
  const { g, min, max } = preparePool(op, ctx);
  const inId = ctx.input(0).id;
  const output = ctx.output();
  const outCount = elementCount(output);
  const channels = g.inC;
  const best = new Float64Array(channels);
  return (values) => {
    const x = values[inId]!;
    const out = allocate(output.dtype, outCount);
    forEachWindow(g, (outBase, inPixel, y0, y1, x0, x1) => {
      best.fill(-Infinity);
      for (let y = y0; y < y1; y++) {
        for (let xx = x0; xx < x1; xx++) {
          const base = inPixel(y, xx);
          for (let c = 0; c < channels; c++) if (x[base + c] > best[c]) best[c] = x[base + c];
        }
      }
      for (let c = 0; c < channels; c++) {
        const v = best[c];
        out[outBase + c] = v < min ? min : v > max ? max : v;
      }
    });
    values[output.id] = out;
  };
}

/**
 * For every input element, the index of the output element it reduces into (axes removed or
 * kept as 1; the layout is the same either way). Computed once at prepare.
 */
function reductionIndex(shape: readonly number[], axes: ReadonlySet<number>): { index: Int32Array; outCount: number } {
  const keptShape = shape.map((d, i) => (axes.has(i) ? 1 : d));
  const keptStrides = stridesOf(keptShape);
  const count = shape.reduce((a, b) => a * b, 1);
  const index = new Int32Array(count);
  const coord = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < count; i++) {
    let o = 0;
    for (let d = 0; d < shape.length; d++) if (!axes.has(d)) o += coord[d] * keptStrides[d];
    index[i] = o;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++coord[d] < shape[d]) break;
      coord[d] = 0;
    }
  }
  return { index, outCount: keptShape.reduce((a, b) => a * b, 1) };
}

/**
 * MEAN. Float32: Σx / n. 8-bit: the sum of each window's raw values, finished by the kernel the
 * TFLite runtime runs for this node (src/quant/mean.ts meanRule: XNNPACK's global average pooling
 * under 'xnnpack' where the delegate takes the node, else reduce.cc's optimized 4-D mean, its
 * integer mean for equal quantization, or QuantizedMeanOrSum).
 */
export function prepareMean(op: OpOf<'MEAN'>, ctx: PrepareContext): Kernel {
  const input = ctx.input(0);
  const output = ctx.output();
  const rank = input.shape.length;
  const rawAxes = ctx.constantInts(ctx.input(1), 'axis');
  const axes = new Set(
    rawAxes.map((a) => {
      const axis = a < 0 ? a + rank : a;
      if (axis < 0 || axis >= rank) throw ctx.error(`axis ${a} is outside rank ${rank}`);
      return axis;
    }),
  );
  const { index, outCount } = reductionIndex(input.shape, axes);
  if (outCount !== elementCount(output)) {
    throw ctx.error(`output [${output.shape.join(', ')}] does not match reducing [${input.shape.join(', ')}] over [${[...axes].join(', ')}]`);
  }
  const n = elementCount(input) / Math.max(outCount, 1);
  const inId = input.id;
  const outId = output.id;
  const sumInto = (x: ArrayLike<number>): Float64Array => {
    const sums = new Float64Array(outCount);
    for (let i = 0; i < index.length; i++) sums[index[i]] += x[i];
    return sums;
  };

  if (input.dtype === 'float32') {
    if (output.dtype !== 'float32') throw ctx.unsupported(`float32 input and ${output.dtype} output`);
    return (values) => {
      const sums = sumInto(values[inId] as Float32Array);
      const out = new Float32Array(outCount);
      for (let o = 0; o < outCount; o++) out[o] = sums[o] / n;
      values[outId] = out;
    };
  }
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') throw ctx.unsupported(`${input.dtype} input`);
  if (output.dtype !== input.dtype) throw ctx.unsupported(`${input.dtype} input and ${output.dtype} output`);
  const inQ = ctx.perTensorQuant(input, 'input');
  const outQ = ctx.perTensorQuant(output, 'output');
  const { finish } = meanRule({
    dtype: input.dtype,
    rank,
    rawAxes: rawAxes.map(Number),
    axesInt32: ctx.input(1).dtype === 'int32',
    keepDims: op.options.keepDims,
    count: n,
    inputScale: inQ.scale,
    inputZeroPoint: inQ.zeroPoint,
    outputScale: outQ.scale,
    outputZeroPoint: outQ.zeroPoint,
    // XNNPACK's global average pooling only where its delegate runs the graph.
    requantization: ctx.xnnpack ? 'xnnpack' : 'tflite',
  });
  return (values) => {
    const sums = sumInto(values[inId] as QuantizedData);
    const out = allocate(output.dtype, outCount);
    for (let o = 0; o < outCount; o++) out[o] = finish(sums[o]);
    values[outId] = out;
  };
}
