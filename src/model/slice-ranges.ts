// The index ranges of STRIDED_SLICE and SLICE, per input dimension, as TFLite's kernels compute
// them from the op's begin, end (or size) and strides. The CPU reference and the GPU lowerings both
// slice through these, so they take and refuse the same graphs.
import type { OpOf } from './graph.ts';

/** Per input dimension: first index, step, count. The slice is out[c] = in[begin + c·stride]. */
export interface AxisRange {
  begin: number;
  stride: number;
  size: number;
}

/**
 * strided_slice.cc BuildStridedSliceParams (ellipsis and new-axis masks folded into an
 * "effective" input of extra unit dims) and strided_slice_logic.h StartForAxis / StopForAxis
 * (negative indices wrap, clamped; begin_mask/end_mask take the whole range; `offset` makes end
 * relative to begin; a shrunk axis takes one element).
 */
export function stridedSliceRanges(
  inShape: readonly number[],
  beginIn: readonly number[],
  endIn: readonly number[],
  stridesIn: readonly number[],
  o: OpOf<'STRIDED_SLICE'>['options'],
  fail: (problem: string) => Error,
): { ranges: AxisRange[]; outShape: number[]; effectiveShape: number[] } {
  const beginCount = beginIn.length;
  if (endIn.length !== beginCount || stridesIn.length !== beginCount) {
    throw fail(`begin, end and strides hold ${beginCount}, ${endIn.length} and ${stridesIn.length} values; they must agree`);
  }
  const inputDims = inShape.length;
  let numAddAxis = 0;
  for (let i = 0; i < beginCount; i++) if (!((1 << i) & o.ellipsisMask) && (1 << i) & o.newAxisMask) numAddAxis++;
  const effectiveDims = inputDims + numAddAxis;
  if (effectiveDims > 5 || beginCount > 5) throw fail(`works on at most 5 dimensions (TFLite's limit), got ${Math.max(effectiveDims, beginCount)}`);
  let ellipsisMask = 0;
  let newAxisMask = 0;
  let ellipsisStart = effectiveDims;
  let expandedEllipsis = 0;
  for (let i = 0; i < effectiveDims; ) {
    if ((1 << i) & o.ellipsisMask) {
      ellipsisStart = i;
      const ellipsisEnd = Math.max(i + 1, Math.min(i + 1 + numAddAxis + inputDims - beginCount, effectiveDims));
      expandedEllipsis = ellipsisEnd - ellipsisStart - 1;
      for (; i < ellipsisEnd; i++) ellipsisMask |= 1 << i;
      continue;
    }
    if ((1 << (i - expandedEllipsis)) & o.newAxisMask) newAxisMask |= 1 << i;
    i++;
  }
  const start: number[] = [];
  const stop: number[] = [];
  const strides: number[] = [];
  const effectiveShape: number[] = [];
  let beginMask = 0;
  let endMask = 0;
  let shrinkMask = 0;
  let addedEllipsis = 0;
  let addedAxes = 0;
  for (let i = 0; i < effectiveDims; i++) {
    if ((1 << i) & ellipsisMask) {
      addedEllipsis = Math.max(0, i - ellipsisStart);
      beginMask |= 1 << i;
      endMask |= 1 << i;
      start.push(0);
      stop.push(0);
      strides.push(1);
      effectiveShape.push(inShape[i - addedAxes]!);
    } else if ((1 << i) & newAxisMask) {
      start.push(0);
      stop.push(1);
      strides.push(1);
      effectiveShape.push(1);
      addedAxes++;
    } else if (i >= beginCount + expandedEllipsis) {
      beginMask |= 1 << i;
      endMask |= 1 << i;
      start.push(0);
      stop.push(0);
      strides.push(1);
      effectiveShape.push(inShape[i - addedAxes]!);
    } else {
      const orig = i - addedEllipsis;
      start.push(beginIn[orig]!);
      stop.push(endIn[orig]!);
      strides.push(stridesIn[orig]!);
      if (o.beginMask & (1 << orig)) beginMask |= 1 << i;
      if (o.endMask & (1 << orig)) endMask |= 1 << i;
      if (o.shrinkAxisMask & (1 << orig)) shrinkMask |= 1 << i;
      effectiveShape.push(inShape[i - addedAxes]!);
    }
  }
  const clamp = (v: number, lo: number, hi: number) => (v < lo ? lo : v > hi ? hi : v);
  const ranges: AxisRange[] = [];
  const outShape: number[] = [];
  for (let i = 0; i < effectiveDims; i++) {
    const stride = strides[i]!;
    if (stride === 0) throw fail(`stride ${i} is zero`);
    const size = effectiveShape[i]!;
    let b = start[i]!;
    if (b < 0) b += size;
    b = stride > 0 ? clamp(b, 0, size) : clamp(b, -1, size - 1);
    if (beginMask & (1 << i)) b = stride > 0 ? 0 : size - 1;
    const shrink = (shrinkMask & (1 << i)) !== 0;
    let e: number;
    if (shrink) {
      // TFLite would read past the axis for a shrunk index outside it; refuse instead.
      if (b < 0 || b >= size) throw fail(`shrinks axis ${i} at index ${start[i]}, outside its size ${size}`);
      e = b + 1;
    } else {
      e = stop[i]!;
      if (o.offset) e += b;
      if (e < 0) e += size;
      e = stride > 0 ? clamp(e, 0, size) : clamp(e, -1, size - 1);
      if (endMask & (1 << i)) e = stride > 0 ? size : -1;
    }
    const count = Math.max(0, Math.ceil((e - b) / stride));
    ranges.push({ begin: b, stride, size: count });
    if (!shrink) outShape.push(count);
  }
  return { ranges, outShape, effectiveShape };
}

/** SLICE: begin and size per dimension (size −1: to the end); TFLite refuses ranges outside the input. */
export function sliceRanges(shape: readonly number[], begin: readonly number[], size: readonly number[], fail: (p: string) => Error): AxisRange[] {
  if (begin.length !== shape.length || size.length !== shape.length) {
    throw fail(`begin and size hold ${begin.length} and ${size.length} values for rank ${shape.length}`);
  }
  if (shape.length > 5) throw fail(`works on at most 5 dimensions (TFLite's limit), got ${shape.length}`);
  return shape.map((dim, d) => {
    const b = begin[d]!;
    const s = size[d] === -1 ? dim - b : size[d]!;
    if (b < 0 || s < 0 || b + s > dim) throw fail(`begin ${b} and size ${size[d]} fall outside dimension ${d} of size ${dim}`);
    return { begin: b, stride: 1, size: s };
  });
}
