// Object detection heads: a model's raw outputs → a list of {box, class, label, score}.
//
// Three output layouts, recognised from the output shapes (detectionHeadOf):
// - 'ssd': TFLite_Detection_PostProcess outputs (boxes [1,N,4], classes [1,N], scores [1,N],
//   count [1]; or four float32 outputs without a shape, as the op leaves them in the file); the model already ran NMS, so decoding keeps the first `count` above the threshold.
//   Box values are (top, left, bottom, right) unless the model's metadata orders them otherwise.
// - 'yolov8': one [1, 4 + classes, anchors] output (Ultralytics YOLOv8/v11 exports): per anchor
//   (cx, cy, w, h) then one score per class.
// - 'yolov5': one [1, anchors, 5 + classes] output: (cx, cy, w, h, objectness, class scores…),
//   score = objectness × class score.
// YOLO boxes then go through Ultralytics' non_max_suppression: keep scores above the threshold
// (strictly), best class per box, by score descending, suppress boxes of the same class whose IoU
// with a kept one exceeds the IoU threshold, at most maxDetections.
//
// Boxes are in [0, 1] of the model input. Octet resizes the whole image to the input (no crop, no
// letterbox), so they are the same fractions of the original image.
import { OctetError } from '../errors.ts';
import type { Graph, TensorIR } from '../model/graph.ts';
import type { ModelMetadata } from '../model/metadata.ts';
import type { TensorData } from '../kernels/layout.ts';
import { modelBaseName } from '../image/preprocess.ts';
import { COCO80_LABELS } from './labels.ts';

/** What a head needs of a graph: its name and its input and output tensors (a GraphListing serves too). */
export type GraphIO = Pick<Graph, 'name' | 'tensors' | 'inputs' | 'outputs'>;

export class TaskError extends OctetError {
  override name = 'TaskError';
  readonly code = 'TASK';
}

export interface Box {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface Detection {
  box: Box;
  /** Class index in the model's own numbering. */
  class: number;
  label: string;
  score: number;
}

export type DetectionHead =
  | { kind: 'ssd'; boxes: number; classes: number; scores: number; count: number; boxOrder: readonly [number, number, number, number] }
  | { kind: 'yolov8'; output: number; classes: number; anchors: number }
  | { kind: 'yolov5'; output: number; classes: number; anchors: number };

export interface DetectOptions {
  /** Minimum score; default 0.5 for 'ssd', 0.25 for YOLO (Ultralytics' default). */
  scoreThreshold?: number;
  /** YOLO NMS IoU threshold; default 0.7 (Ultralytics' default). */
  iouThreshold?: number;
  /** YOLO: at most this many boxes; default 300. */
  maxDetections?: number;
  /** Class names by class index; default from the metadata, else COCO's 80 for 80-class YOLO models. */
  labels?: readonly string[];
}

/** TFLite's default box order: (ymin, xmin, ymax, xmax), as positions of (left, top, right, bottom). */
const TOP_LEFT_BOTTOM_RIGHT = [1, 0, 3, 2] as const;

/** Which detection layout a model's outputs have; throws TaskError naming the shapes when none fits. */
export function detectionHeadOf(graph: GraphIO, metadata?: ModelMetadata): DetectionHead {
  const outs = graph.outputs.map((id) => graph.tensors[id]!);
  const shapes = outs.map((t) => `[${t.shape.join(',')}]`).join(' ');
  if (outs.length === 4) {
    const [b, c, s, n] = outs as [TensorIR, TensorIR, TensorIR, TensorIR];
    const N = b.shape[1];
    const staticShapes = b.shape.length === 3 && b.shape[2] === 4 && c.shape.join() === `1,${N}` && s.shape.join() === `1,${N}` && n.shape.join() === '1';
    // TFLite_Detection_PostProcess outputs have no shape in the file (the op sets it when it runs).
    const unshaped = outs.every((t) => t.dtype === 'float32' && t.shape.length === 0);
    if (staticShapes || unshaped) {
      const box = metadata?.outputs[0]?.content;
      const order = box?.kind === 'boundingBox' && box.type === 'BOUNDARIES' && box.index.length === 4 ? box.index : TOP_LEFT_BOTTOM_RIGHT;
      if (box?.kind === 'boundingBox' && box.type !== 'BOUNDARIES') {
        throw new TaskError(`${graph.name}: its metadata gives ${box.type} boxes; the SSD head reads BOUNDARIES boxes`);
      }
      return { kind: 'ssd', boxes: 0, classes: 1, scores: 2, count: 3, boxOrder: order as unknown as readonly [number, number, number, number] };
    }
  }
  if (outs.length === 1 && outs[0]!.shape.length === 3 && outs[0]!.shape[0] === 1) {
    const [, a, b] = outs[0]!.shape as [number, number, number];
    if (a < b && a >= 5) return { kind: 'yolov8', output: 0, classes: a - 4, anchors: b };
    if (a > b && b >= 6) return { kind: 'yolov5', output: 0, classes: b - 5, anchors: a };
  }
  throw new TaskError(
    `${graph.name}: outputs ${shapes} are not a detection head Octet decodes ` +
      '(TFLite_Detection_PostProcess [1,N,4] [1,N] [1,N] [1]; YOLOv8 [1,4+C,N]; YOLOv5-style [1,N,5+C])',
  );
}

/** Detectors in the shared assets whose files name no classes: by file basename. */
const LABELS_BY_MODEL: Readonly<Record<string, readonly string[]>> = {
  // OpenMV's person detector (ASSETS.md: "person detection, YOLOv8n").
  openmv_yolov8n_192: ['person'],
};

/**
 * Class names for a head: the metadata's value labels on the classes output, else the table of
 * known asset models by file name, else COCO's 80 for 80-class YOLO models.
 */
export function detectionLabels(head: DetectionHead, metadata?: ModelMetadata, modelName = ''): readonly string[] | undefined {
  return detectionLabelsWithSource(head, metadata, modelName)?.labels;
}

/** detectionLabels with where they came from: `metadata (FILE)`, `table` or `COCO 80`. */
export function detectionLabelsWithSource(
  head: DetectionHead,
  metadata?: ModelMetadata,
  modelName = '',
): { labels: readonly string[]; source: string } | undefined {
  if (head.kind === 'ssd') {
    const file = metadata?.outputs[head.classes]?.associatedFiles.find((f) => f.type === 'TENSOR_VALUE_LABELS');
    const bytes = file && metadata!.files.get(file.name);
    if (bytes) return { labels: new TextDecoder().decode(bytes).split(/\r?\n/), source: `metadata (${file.name})` };
  }
  const base = modelBaseName(modelName);
  if (Object.hasOwn(LABELS_BY_MODEL, base)) return { labels: LABELS_BY_MODEL[base]!, source: "Octet's table of known models" };
  return head.kind !== 'ssd' && head.classes === 80 ? { labels: COCO80_LABELS, source: 'COCO 80 (the YOLO order)' } : undefined;
}

function realValues(data: TensorData, t: TensorIR): Float64Array {
  const out = new Float64Array(data.length);
  const q = t.dtype === 'float32' ? undefined : t.quant;
  const scale = q?.scale[0] ?? 1;
  const zp = q?.zeroPoint[0] ?? 0;
  for (let i = 0; i < data.length; i++) out[i] = q ? scale * (Number(data[i]) - zp) : Number(data[i]);
  return out;
}

export function iou(a: Box, b: Box): number {
  const w = Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left));
  const h = Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  const inter = w * h;
  const union = (a.right - a.left) * (a.bottom - a.top) + (b.right - b.left) * (b.bottom - b.top) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy per-class NMS over candidates already sorted by score descending (ties by anchor order). */
export function nonMaxSuppression<D extends Detection>(sorted: readonly D[], iouThreshold: number, maxDetections: number): D[] {
  const kept: D[] = [];
  for (const d of sorted) {
    if (kept.length >= maxDetections) break;
    if (kept.every((k) => k.class !== d.class || iou(k.box, d.box) <= iouThreshold)) kept.push(d);
  }
  return kept;
}

/** Decodes a detector's outputs (in graph.outputs order) into detections, best first. */
export function decodeDetections(
  graph: GraphIO,
  outputs: readonly TensorData[],
  head: DetectionHead,
  options: DetectOptions = {},
  metadata?: ModelMetadata,
): Detection[] {
  const labels = options.labels ?? detectionLabels(head, metadata, graph.name);
  const label = (c: number) => labels?.[c] || `class ${c}`;
  const tensor = (k: number) => graph.tensors[graph.outputs[k]!]!;
  const values = (k: number) => {
    const data = outputs[k];
    if (!data) throw new TaskError(`${graph.name}: output ${k} missing`);
    return realValues(data, tensor(k));
  };
  if (head.kind === 'ssd') {
    const threshold = options.scoreThreshold ?? 0.5;
    const [boxes, classes, scores, count] = [values(head.boxes), values(head.classes), values(head.scores), values(head.count)];
    const n = Math.min(Math.max(0, Math.round(count[0]!)), scores.length);
    const out: Detection[] = [];
    const [l, t, r, b] = head.boxOrder;
    for (let i = 0; i < n; i++) {
      if (!(scores[i]! >= threshold)) continue;
      const v = boxes.subarray(4 * i, 4 * i + 4);
      const c = Math.round(classes[i]!);
      out.push({ box: { left: v[l]!, top: v[t]!, right: v[r]!, bottom: v[b]! }, class: c, label: label(c), score: scores[i]! });
    }
    return out;
  }
  const threshold = options.scoreThreshold ?? 0.25;
  const v = values(head.output);
  const { classes, anchors } = head;
  // Element (anchor a, field f): channels-first for YOLOv8, rows for YOLOv5.
  const at = head.kind === 'yolov8' ? (a: number, f: number) => v[f * anchors + a]! : (a: number, f: number) => v[a * (classes + 5) + f]!;
  const first = head.kind === 'yolov8' ? 4 : 5;
  // Coordinates in pixels (most Ultralytics exports) become fractions of the input size.
  const input = graph.tensors[graph.inputs[0]!]!;
  const [inH, inW] = input.shape.length === 4 ? [input.shape[1]!, input.shape[2]!] : [1, 1];
  let maxCoordinate = 0;
  for (let a = 0; a < anchors; a++) maxCoordinate = Math.max(maxCoordinate, Math.abs(at(a, 0)), Math.abs(at(a, 1)));
  const [sx, sy] = maxCoordinate > 2 ? [1 / inW, 1 / inH] : [1, 1];
  const candidates: Array<Detection & { anchor: number }> = [];
  for (let a = 0; a < anchors; a++) {
    let best = 0;
    let score = -Infinity;
    for (let c = 0; c < classes; c++) {
      const s = at(a, first + c);
      if (s > score) {
        score = s;
        best = c;
      }
    }
    if (head.kind === 'yolov5') score *= at(a, 4);
    if (!(score > threshold)) continue;
    const [cx, cy, w, h] = [at(a, 0) * sx, at(a, 1) * sy, at(a, 2) * sx, at(a, 3) * sy];
    candidates.push({ box: { left: cx - w / 2, top: cy - h / 2, right: cx + w / 2, bottom: cy + h / 2 }, class: best, label: label(best), score, anchor: a });
  }
  candidates.sort((p, q) => q.score - p.score || p.anchor - q.anchor);
  return nonMaxSuppression(candidates, options.iouThreshold ?? 0.7, options.maxDetections ?? 300).map(({ anchor: _a, ...d }) => d);
}
