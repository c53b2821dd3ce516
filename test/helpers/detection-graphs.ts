// Single-op TFLite_Detection_PostProcess graphs: box encodings and class predictions as graph
// inputs (8-bit or float), anchors constant, options as the converter writes them. Random anchors
// sit on a coarse grid so that boxes overlap and NMS has something to suppress; class scores come
// from a few levels so that equal scores (and the sort order among them) matter.
import type { DetectionPostprocessOptions, Graph, TensorIR } from '../../src/model/graph.ts';
import type { TensorData } from '../../src/reference/run.ts';
import { GraphBuilder, quant } from './graphs.ts';
import { randInt } from './rng.ts';

export type DetectionDType = 'uint8' | 'int8' | 'float32';

export interface DetectionCase {
  name: string;
  boxes: DetectionDType;
  classes: DetectionDType;
  numBoxes: number;
  numClasses: number;
  /** A background class in front (class predictions have num_classes + 1 columns). */
  background: boolean;
  /** Values per box encoding (4, or more as keypoint box coders give). */
  boxStride?: number;
  /** Distinct score levels (few: many ties). */
  scoreLevels?: number;
  options: Partial<DetectionPostprocessOptions>;
}

export const SSD_OPTIONS: DetectionPostprocessOptions = {
  maxDetections: 10,
  maxClassesPerDetection: 1,
  detectionsPerClass: 100,
  useRegularNms: false,
  nmsScoreThreshold: Math.fround(0.1),
  nmsIouThreshold: Math.fround(0.6),
  numClasses: 3,
  yScale: 10,
  xScale: 10,
  hScale: 5,
  wScale: 5,
};

const BOX_QUANT = { uint8: quant(0.08, 128), int8: quant(0.08, 3) };
const SCORE_QUANT = { uint8: quant(1 / 256, 0), int8: quant(1 / 256, -128) };
const ANCHOR_QUANT = { uint8: quant(1 / 255, 0), int8: quant(1 / 255, -128) };

function eightBit(dtype: 'uint8' | 'int8', values: number[]): Int8Array | Uint8Array {
  return dtype === 'uint8' ? Uint8Array.from(values) : Int8Array.from(values.map((v) => v - 128));
}

/** The graph and one input set (box encodings, class predictions). */
export function detectionGraph(rng: () => number, c: DetectionCase): { graph: Graph; inputs: TensorData[] } {
  const o: DetectionPostprocessOptions = { ...SSD_OPTIONS, numClasses: c.numClasses, ...c.options };
  const stride = c.boxStride ?? 4;
  const columns = c.numClasses + (c.background ? 1 : 0);
  const levels = c.scoreLevels ?? 256;
  const b = new GraphBuilder();
  const q = (d: DetectionDType, table: { uint8: TensorIR['quant']; int8: TensorIR['quant'] }) => (d === 'float32' ? undefined : table[d]);

  // Anchors (y, x, h, w) in [0, 1]: centres on a 4 × 4 grid, sizes 0.1 … 0.5 (codes on the uint8 scale 1/255).
  const anchorCodes: number[] = [];
  for (let i = 0; i < c.numBoxes; i++) {
    anchorCodes.push(32 + 64 * randInt(rng, 0, 3), 32 + 64 * randInt(rng, 0, 3), randInt(rng, 26, 128), randInt(rng, 26, 128));
  }
  const anchorDType = c.boxes;
  const anchorData = anchorDType === 'float32' ? Float32Array.from(anchorCodes, (v) => Math.fround(v / 255)) : eightBit(anchorDType, anchorCodes);
  const boxes = b.tensor('box_encodings', [1, c.numBoxes, stride], c.boxes, q(c.boxes, BOX_QUANT));
  const classes = b.tensor('class_predictions', [1, c.numBoxes, columns], c.classes, q(c.classes, SCORE_QUANT));
  const anchors = b.tensor('anchors', [c.numBoxes, 4], anchorDType, q(anchorDType, ANCHOR_QUANT), anchorData);
  const rows = o.maxDetections * o.maxClassesPerDetection;
  const outs = [
    b.tensor('detection_boxes', [1, rows, 4], 'float32'),
    b.tensor('detection_classes', [1, rows], 'float32'),
    b.tensor('detection_scores', [1, rows], 'float32'),
    b.tensor('num_detections', [1], 'float32'),
  ];
  b.op({ type: 'DETECTION_POSTPROCESS', inputs: [boxes, classes, anchors], outputs: outs, options: o });
  const graph = b.build([boxes, classes], outs, c.name);

  // Box encodings: codes around the zero point (y, x within ±2.5 anchor sizes / 10; h, w within exp(±1)).
  const boxCodes = Array.from({ length: c.numBoxes * stride }, () => randInt(rng, 64, 192));
  const boxInput: TensorData = c.boxes === 'float32' ? Float32Array.from(boxCodes, (v) => Math.fround((v - 128) * 0.08)) : eightBit(c.boxes, boxCodes);
  const scoreCodes = Array.from({ length: c.numBoxes * columns }, () => Math.floor((randInt(rng, 0, levels - 1) * 255) / Math.max(1, levels - 1)));
  const scoreInput: TensorData = c.classes === 'float32' ? Float32Array.from(scoreCodes, (v) => Math.fround(v / 256)) : eightBit(c.classes, scoreCodes);
  return { graph, inputs: [boxInput, scoreInput] };
}

/**
 * Output row offsets TFLite writes (it leaves the others as the arena held them): fast NMS fills
 * max_classes_per_detection rows per kept box, min(that, num_classes) of them; regular NMS the
 * first max_detections rows (zeros past the count).
 */
export function writtenRows(o: DetectionPostprocessOptions, count: number): number[] {
  if (o.useRegularNms) return Array.from({ length: o.maxDetections }, (_, r) => r);
  const per = Math.min(o.maxClassesPerDetection, o.numClasses);
  const rows: number[] = [];
  for (let r = 0; r < count; r++) for (let c = 0; c < per; c++) rows.push(r * o.maxClassesPerDetection + c);
  return rows;
}

/** The written part of the four outputs, for comparing with the runtime's. */
export function writtenOutputs(o: DetectionPostprocessOptions, outputs: ArrayLike<number>[]): number[][] {
  const [boxes, classes, scores, count] = outputs as [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>, ArrayLike<number>];
  const rows = writtenRows(o, count[0]!);
  return [rows.flatMap((r) => [boxes[4 * r]!, boxes[4 * r + 1]!, boxes[4 * r + 2]!, boxes[4 * r + 3]!]), rows.map((r) => classes[r]!), rows.map((r) => scores[r]!), [count[0]!]];
}
