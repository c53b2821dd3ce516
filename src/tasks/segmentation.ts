// Semantic segmentation heads: a model's output → one class per pixel.
//
// Two layouts: a class map already computed in the graph (ARG_MAX: int32/int64 [1,H,W], DeepLab's
// TFLite exports), or per-class scores [1,H,W,C] (logits or probabilities, 8-bit or float), whose
// per-pixel argmax (first maximum on ties, as ARG_MAX) is taken here. The map is at the model's
// output resolution; resizeClassMap brings it to an image's size by nearest neighbour (Octet
// resizes the whole image without crop, so output pixel centres map straight back).
import type { TensorData } from '../kernels/layout.ts';
import { TaskError, type GraphIO } from './detection.ts';
import { PASCAL_VOC_LABELS } from './labels.ts';

export interface ClassMap {
  width: number;
  height: number;
  /** Class index per pixel, row-major. */
  classes: Uint16Array;
}

/** What a segmentation output holds: a class map computed in the graph, or per-class scores. */
export type SegmentationHead = { kind: 'map'; width: number; height: number } | { kind: 'scores'; width: number; height: number; classes: number };

/** The layout of output `outputIndex`, from its shape alone; TaskError naming it when it is neither. */
export function segmentationHeadOf(graph: GraphIO, outputIndex = 0): SegmentationHead {
  const t = graph.tensors[graph.outputs[outputIndex]!];
  if (!t) throw new TaskError(`${graph.name}: has no output ${outputIndex}`);
  const s = t.shape;
  if ((t.dtype === 'int32' || t.dtype === 'int64') && (s.length === 3 || (s.length === 4 && s[3] === 1)) && s[0] === 1) {
    return { kind: 'map', height: s[1]!, width: s[2]! };
  }
  if (s.length === 4 && s[0] === 1 && s[3]! > 1) return { kind: 'scores', height: s[1]!, width: s[2]!, classes: s[3]! };
  throw new TaskError(
    `${graph.name}: output ${outputIndex} ${t.dtype} [${s.join(',')}] is not a segmentation map (int32/int64 [1,H,W] or scores [1,H,W,C])`,
  );
}

/** The class map from output `outputIndex` of a segmentation model. */
export function classMapOf(graph: GraphIO, outputs: readonly TensorData[], outputIndex = 0): ClassMap {
  const head = segmentationHeadOf(graph, outputIndex);
  const data = outputs[outputIndex];
  if (!data) throw new TaskError(`${graph.name}: output ${outputIndex} missing`);
  const { width, height } = head;
  const classes = new Uint16Array(width * height);
  if (head.kind === 'map') {
    for (let i = 0; i < classes.length; i++) {
      const c = Number(data[i]);
      if (!(c >= 0 && c < 65536)) throw new TaskError(`${graph.name}: class ${c} at pixel ${i} is outside 0..65535`);
      classes[i] = c;
    }
    return { width, height, classes };
  }
  const C = head.classes;
  // Raw values order classes the same as their dequantized values (a positive scale).
  for (let p = 0; p < classes.length; p++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (Number(data[p * C + c]) > Number(data[p * C + best])) best = c;
    classes[p] = best;
  }
  return { width, height, classes };
}

/** Nearest-neighbour resize of a class map (pixel centres: source x = floor((x + 0.5) · w / W)). */
export function resizeClassMap(map: ClassMap, width: number, height: number): ClassMap {
  const classes = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(map.height - 1, Math.floor(((y + 0.5) * map.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(map.width - 1, Math.floor(((x + 0.5) * map.width) / width));
      classes[y * width + x] = map.classes[sy * map.width + sx]!;
    }
  }
  return { width, height, classes };
}

/** Pixels per class, most frequent first (ties by class). */
export function classHistogram(map: ClassMap, labels: readonly string[] = PASCAL_VOC_LABELS): Array<{ class: number; label: string; pixels: number; fraction: number }> {
  const counts = new Map<number, number>();
  for (const c of map.classes) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .map(([c, n]) => ({ class: c, label: labels[c] ?? `class ${c}`, pixels: n, fraction: n / map.classes.length }));
}

/** PASCAL VOC's colour map (the bit-interleaved palette DeepLab uses), RGB per class. */
export function segmentationColor(c: number): [number, number, number] {
  let [r, g, b] = [0, 0, 0];
  for (let shift = 7, v = c; v > 0 && shift >= 0; shift--, v >>= 3) {
    r |= (v & 1) << shift;
    g |= ((v >> 1) & 1) << shift;
    b |= ((v >> 2) & 1) << shift;
  }
  return [r, g, b];
}

/** RGBA pixels of a class map: each class its palette colour, background (class 0) transparent. */
export function classMapToRgba(map: ClassMap, alpha = 255): Uint8ClampedArray {
  const out = new Uint8ClampedArray(map.classes.length * 4);
  map.classes.forEach((c, i) => {
    const [r, g, b] = segmentationColor(c);
    out.set([r, g, b, c === 0 ? 0 : alpha], i * 4);
  });
  return out;
}
