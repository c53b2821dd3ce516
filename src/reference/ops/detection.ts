// TFLite_Detection_PostProcess (tensorflow/lite/kernels/detection_postprocess.cc), step for step:
// dequantize the box encodings, anchors and class scores (8-bit inputs), decode centre-size boxes
// against the anchors in double precision as TFLite does, then non-max suppression, either the
// fast variant (one NMS over each box's best class, max_classes_per_detection classes per kept
// box) or the regular one (NMS per class, the best max_detections over all classes).
//
// Exactness: every float32 step is rounded with Math.fround where TFLite computes in float; the
// box decoding is double, then float, as TFLite casts. Sorting reproduces what TFLite's C++ does:
// std::stable_sort is any stable sort, and std::partial_sort (not stable, so its order among equal
// scores is the algorithm's) is libc++'s heap-based one, transcribed below. The TFLite runtime
// leaves output rows past the detections it writes untouched (whatever the arena held); here they
// are 0.
import { detectionGeometry, DetectionShapeError } from '../../model/detection-postprocess.ts';
import type { OpOf } from '../../model/graph.ts';
import type { Kernel, PrepareContext, TensorData } from '../common.ts';

/** float32 values of an input: uint8 ones dequantized as TFLite does ((q − zp) · scale in float). */
function realValues(data: TensorData, quant: { scale: number; zeroPoint: number } | undefined): Float32Array {
  if (data instanceof Float32Array) return data;
  const out = new Float32Array(data.length);
  const scale = Math.fround(quant!.scale);
  const zp = quant!.zeroPoint;
  // (x − zp) is exact (zero points are in the 8-bit range), so float and double products agree.
  for (let i = 0; i < data.length; i++) out[i] = Math.fround((data[i]! - zp) * scale);
  return out;
}

/** std::max / std::min as C++ defines them ((a < b) ? b : a), which differ from Math.max on NaN and ±0. */
const cmax = (a: number, b: number) => (a < b ? b : a);
const cmin = (a: number, b: number) => (b < a ? b : a);
const f = Math.fround;

/** ComputeIntersectionOverUnion over decoded boxes (ymin, xmin, ymax, xmax per box), in float32. */
function iouOf(boxes: Float32Array, i: number, j: number): number {
  const [iy0, ix0, iy1, ix1] = [boxes[4 * i]!, boxes[4 * i + 1]!, boxes[4 * i + 2]!, boxes[4 * i + 3]!];
  const [jy0, jx0, jy1, jx1] = [boxes[4 * j]!, boxes[4 * j + 1]!, boxes[4 * j + 2]!, boxes[4 * j + 3]!];
  const areaI = f(f(iy1 - iy0) * f(ix1 - ix0));
  const areaJ = f(f(jy1 - jy0) * f(jx1 - jx0));
  if (areaI <= 0 || areaJ <= 0) return 0;
  const y0 = cmax(iy0, jy0);
  const x0 = cmax(ix0, jx0);
  const y1 = cmin(iy1, jy1);
  const x1 = cmin(ix1, jx1);
  const inter = f(cmax(f(y1 - y0), 0) * cmax(f(x1 - x0), 0));
  return f(inter / f(f(areaI + areaJ) - inter));
}

/** Indices 0..n−1 by decreasing value, ties in index order (std::stable_sort with values[i] > values[j]). */
function decreasingArgSort(values: ArrayLike<number>, n: number): Int32Array {
  const idx = Array.from({ length: n }, (_, i) => i);
  idx.sort((a, b) => (values[a]! > values[b]! ? -1 : values[b]! > values[a]! ? 1 : 0));
  return Int32Array.from(idx);
}

/**
 * DecreasingPartialArgSort: `indices[0..n)` ← 0..n−1, then the first `k` become the indices of the
 * k largest values in decreasing order. k = 1 is optimized_ops::ArgMaxVector (the first maximum);
 * otherwise std::partial_sort as libc++ implements it (make_heap over the first k, sift the rest
 * through the heap's top, sort_heap with Floyd's pop_heap), so equal values land where TFLite's do.
 */
export function decreasingPartialArgSort(values: ArrayLike<number>, n: number, k: number, indices: Int32Array, base = 0): void {
  if (k === 1) {
    let best = 0;
    for (let i = 1; i < n; i++) if (values[i]! > values[best]!) best = i;
    indices[base] = best;
    return;
  }
  for (let i = 0; i < n; i++) indices[base + i] = i;
  if (k <= 0) return;
  // comp(a, b) = values[a] > values[b]: the "largest" element of the heap is the smallest value.
  const comp = (a: number, b: number) => values[a]! > values[b]!;
  const at = (i: number) => indices[base + i]!;
  const set = (i: number, v: number) => {
    indices[base + i] = v;
  };
  const siftDown = (len: number, start: number) => {
    let child = start;
    if (len < 2 || ((len - 2) >> 1) < child) return;
    child = 2 * child + 1;
    if (child + 1 < len && comp(at(child), at(child + 1))) child++;
    if (comp(at(child), at(start))) return;
    const top = at(start);
    do {
      set(start, at(child));
      start = child;
      if (((len - 2) >> 1) < child) break;
      child = 2 * child + 1;
      if (child + 1 < len && comp(at(child), at(child + 1))) child++;
    } while (!comp(at(child), top));
    set(start, top);
  };
  // Floyd's sift-down: the hole at the top walks to a leaf along the larger children.
  const floydSiftDown = (len: number): number => {
    let hole = 0;
    let child = 0;
    for (;;) {
      child = 2 * child + 1;
      if (child + 1 < len && comp(at(child), at(child + 1))) child++;
      set(hole, at(child));
      hole = child;
      if (child > ((len - 2) >> 1)) return hole;
    }
  };
  const siftUp = (last: number, len: number) => {
    // last: one past the element to sift up; len: its count from the start.
    if (len > 1) {
      len = (len - 2) >> 1;
      let ptr = len;
      last--;
      if (comp(at(ptr), at(last))) {
        const t = at(last);
        do {
          set(last, at(ptr));
          last = ptr;
          if (len === 0) break;
          len = (len - 1) >> 1;
          ptr = len;
        } while (comp(at(ptr), t));
        set(last, t);
      }
    }
  };
  const popHeap = (last: number, len: number) => {
    if (len > 1) {
      const top = at(0);
      let hole = floydSiftDown(len);
      last--;
      if (hole === last) {
        set(hole, top);
      } else {
        set(hole, at(last));
        hole++;
        set(last, top);
        siftUp(hole, hole);
      }
    }
  };
  // make_heap over [0, k)
  if (k > 1) for (let start = (k - 2) >> 1; start >= 0; start--) siftDown(k, start);
  for (let i = k; i < n; i++) {
    if (comp(at(i), at(0))) {
      const t = at(i);
      set(i, at(0));
      set(0, t);
      siftDown(k, 0);
    }
  }
  // sort_heap over [0, k)
  for (let last = k, len = k; len > 1; last--, len--) popHeap(last, len);
}

export function prepareDetectionPostprocess(op: OpOf<'DETECTION_POSTPROCESS'>, ctx: PrepareContext): Kernel {
  let geometry;
  try {
    geometry = detectionGeometry(ctx.graph.tensors, op);
  } catch (e) {
    if (e instanceof DetectionShapeError) throw ctx.error(e.message);
    throw e;
  }
  const { numBoxes, boxStride, numClassesWithBackground: ncwb, labelOffset, rows } = geometry;
  const o = op.options;
  const [boxesT, classesT, anchorsT] = [ctx.input(0), ctx.input(1), ctx.input(2)];
  const quantOf = (t: typeof boxesT) => (t.dtype === 'float32' ? undefined : ctx.perTensorQuant(t, t.name));
  const boxQuant = quantOf(boxesT);
  const classQuant = quantOf(classesT);
  const anchorQuant = quantOf(anchorsT);
  const outIds = op.outputs;
  const numClasses = o.numClasses;

  return (values) => {
    const enc = realValues(values[boxesT.id]!, boxQuant);
    const anchors = realValues(values[anchorsT.id]!, anchorQuant);
    const scores = realValues(values[classesT.id]!, classQuant);

    // DecodeCenterSizeBoxes: double arithmetic on the float inputs, each result cast to float.
    const decoded = new Float32Array(numBoxes * 4);
    for (let i = 0; i < numBoxes; i++) {
      const [y, x, h, w] = [enc[i * boxStride]!, enc[i * boxStride + 1]!, enc[i * boxStride + 2]!, enc[i * boxStride + 3]!];
      const [ay, ax, ah, aw] = [anchors[4 * i]!, anchors[4 * i + 1]!, anchors[4 * i + 2]!, anchors[4 * i + 3]!];
      const yc = f((y / o.yScale) * ah + ay);
      const xc = f((x / o.xScale) * aw + ax);
      const halfH = f(0.5 * Math.exp(h / o.hScale) * ah);
      const halfW = f(0.5 * Math.exp(w / o.wScale) * aw);
      decoded[4 * i] = yc - halfH;
      decoded[4 * i + 1] = xc - halfW;
      decoded[4 * i + 2] = yc + halfH;
      decoded[4 * i + 3] = xc + halfW;
    }

    const outBoxes = new Float32Array(rows * 4);
    const outClasses = new Float32Array(rows);
    const outScores = new Float32Array(rows);
    const count = new Float32Array(1);

    // NonMaxSuppressionSingleClassHelper: ValidateBoxes, threshold, stable sort, greedy suppression.
    const singleClassNms = (classScores: Float32Array, maxDetections: number): number[] => {
      for (let i = 0; i < numBoxes; i++) {
        if (decoded[4 * i]! > decoded[4 * i + 2]! || decoded[4 * i + 1]! > decoded[4 * i + 3]!) {
          throw ctx.error(`decoded box ${i} has ymin > ymax or xmin > xmax (TFLite's ValidateBoxes fails the run)`);
        }
      }
      const keepIndices: number[] = [];
      const keepScores: number[] = [];
      for (let i = 0; i < classScores.length; i++) {
        if (classScores[i]! >= o.nmsScoreThreshold) {
          keepScores.push(classScores[i]!);
          keepIndices.push(i);
        }
      }
      const kept = keepScores.length;
      const sorted = decreasingArgSort(keepScores, kept);
      const outputSize = Math.min(kept, maxDetections);
      const selected: number[] = [];
      const active = new Uint8Array(kept).fill(1);
      let numActive = kept;
      for (let i = 0; i < kept; i++) {
        if (numActive === 0 || selected.length >= outputSize) break;
        if (active[i] !== 1) continue;
        const boxI = keepIndices[sorted[i]!]!;
        selected.push(boxI);
        active[i] = 0;
        numActive--;
        for (let j = i + 1; j < kept; j++) {
          if (active[j] === 1 && iouOf(decoded, boxI, keepIndices[sorted[j]!]!) > o.nmsIouThreshold) {
            active[j] = 0;
            numActive--;
          }
        }
      }
      return selected;
    };

    if (o.useRegularNms) {
      // NonMaxSuppressionMultiClassRegularHelper.
      const maxDetections = o.maxDetections;
      const candidateBoxes = new Int32Array(numBoxes + maxDetections);
      const candidateScores = new Float32Array(numBoxes + maxDetections);
      const merged = new Int32Array(numBoxes + maxDetections);
      const mergedScores = new Float32Array(numBoxes + maxDetections);
      const classScores = new Float32Array(numBoxes);
      let sizeOfSorted = 0;
      for (let col = 0; col < numClasses; col++) {
        for (let row = 0; row < numBoxes; row++) classScores[row] = scores[row * ncwb + col + labelOffset]!;
        const selected = singleClassNms(classScores, o.detectionsPerClass);
        let outputIndex = sizeOfSorted;
        for (const s of selected) {
          candidateBoxes[outputIndex] = s * ncwb + col + labelOffset;
          candidateScores[outputIndex] = classScores[s]!;
          outputIndex++;
        }
        // InplaceMergeBoxInfo: std::inplace_merge of the kept list [0, size) with this class's
        // picks [size, outputIndex), both by decreasing score, under `a.score >= b.score`: on equal
        // scores the newer class's box goes first. Then the best max_detections stay.
        let a = 0;
        let b = sizeOfSorted;
        for (let k = 0; k < outputIndex; k++) {
          const takeB = b < outputIndex && (a >= sizeOfSorted || candidateScores[b]! >= candidateScores[a]!);
          const from = takeB ? b++ : a++;
          merged[k] = candidateBoxes[from]!;
          mergedScores[k] = candidateScores[from]!;
        }
        candidateBoxes.set(merged.subarray(0, outputIndex));
        candidateScores.set(mergedScores.subarray(0, outputIndex));
        sizeOfSorted = Math.min(outputIndex, maxDetections);
      }
      for (let r = 0; r < sizeOfSorted; r++) {
        const anchor = Math.floor(candidateBoxes[r]! / ncwb);
        outBoxes.set(decoded.subarray(4 * anchor, 4 * anchor + 4), 4 * r);
        outClasses[r] = candidateBoxes[r]! - anchor * ncwb - labelOffset;
        outScores[r] = candidateScores[r]!;
      }
      count[0] = sizeOfSorted;
    } else {
      // NonMaxSuppressionMultiClassFastHelper.
      const perAnchor = o.maxClassesPerDetection;
      const categories = Math.min(perAnchor, numClasses);
      const maxScores = new Float32Array(numBoxes);
      const classIndices = new Int32Array(numBoxes * numClasses);
      for (let row = 0; row < numBoxes; row++) {
        const boxScores = scores.subarray(row * ncwb + labelOffset, row * ncwb + labelOffset + numClasses);
        decreasingPartialArgSort(boxScores, numClasses, categories, classIndices, row * numClasses);
        maxScores[row] = boxScores[classIndices[row * numClasses]!]!;
      }
      const selected = singleClassNms(maxScores, o.maxDetections);
      selected.forEach((s, outRow) => {
        for (let col = 0; col < categories; col++) {
          const offset = perAnchor * outRow + col;
          const cls = classIndices[s * numClasses + col]!;
          outBoxes.set(decoded.subarray(4 * s, 4 * s + 4), 4 * offset);
          outClasses[offset] = cls;
          outScores[offset] = scores[s * ncwb + labelOffset + cls]!;
        }
      });
      count[0] = selected.length;
    }
    values[outIds[0]!] = outBoxes;
    values[outIds[1]!] = outClasses;
    values[outIds[2]!] = outScores;
    values[outIds[3]!] = count;
  };
}
