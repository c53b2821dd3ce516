// The custom op TFLite_Detection_PostProcess (tensorflow/lite/kernels/detection_postprocess.cc):
// its options as TFLite's Init reads them from the FlexBuffers custom_options, and the shape
// rules of its Prepare and Eval, checked when a model is imported so that a hostile file is
// refused, with the field or tensor named, before anything is allocated. Shared by the importer
// (options, validation, output shapes), the writer (options) and the CPU reference (geometry).
import { OctetError } from '../errors.ts';
import type { DetectionPostprocessOptions, OpIR, TensorIR } from './graph.ts';
import { encodeFlexbufferMap, readFlexbufferMap, type FlexValue } from './flexbuffer.ts';
import { ModelFormatError } from './errors.ts';

/** Operator.custom_code of the op. */
export const DETECTION_POSTPROCESS_CUSTOM_CODE = 'TFLite_Detection_PostProcess';

/** TFLite's kNumDetectionsPerClass: detections_per_class when the options leave it out. */
const DEFAULT_DETECTIONS_PER_CLASS = 100;

/**
 * Most output rows (max_detections × max_classes_per_detection) a model may ask for: detection
 * outputs take 24 bytes a row, and no detector keeps anywhere near 2^20 boxes; a larger count is
 * a corrupt or hostile file, refused before the outputs are sized.
 */
export const MAX_DETECTION_ROWS = 1 << 20;

/** Largest count field accepted (TFLite reads them as int32). */
const INT32_MAX = 2 ** 31 - 1;

/**
 * The options from custom_options, validated: every field TFLite's Init reads without a default
 * must be present (TFLite would read a missing one as 0: zero classes, zero scales), counts at
 * least 1, thresholds and scales finite, the IoU threshold in (0, 1] as Eval requires.
 * @throws ModelFormatError naming the field.
 */
export function readDetectionPostprocessOptions(bytes: Uint8Array | null, where: string): DetectionPostprocessOptions {
  const at = `${where} custom_options`;
  if (!bytes || bytes.length === 0) throw new ModelFormatError(at, 'are missing (TFLite_Detection_PostProcess keeps its options there)');
  const map = readFlexbufferMap(bytes, at);
  const fail = (key: string, problem: string): never => {
    throw new ModelFormatError(at, `'${key}' ${problem}`);
  };
  const entry = (key: string): FlexValue | undefined => {
    const v = map.get(key);
    return v === undefined || v.kind === 'null' ? undefined : v;
  };
  const int = (key: string, dflt?: number): number => {
    const v = entry(key);
    if (!v) return dflt ?? fail(key, 'is missing');
    if (v.kind !== 'int' && v.kind !== 'uint') return fail(key, `is a ${v.kind}, expected an integer`);
    if (v.value < 1 || v.value > INT32_MAX) return fail(key, `${v.value} must be between 1 and ${INT32_MAX}`);
    return v.value;
  };
  // TFLite's AsFloat: the stored number rounded to float32.
  const float = (key: string): number => {
    const v = entry(key);
    if (!v) return fail(key, 'is missing');
    if (v.kind !== 'float' && v.kind !== 'int' && v.kind !== 'uint') return fail(key, `is a ${v.kind}, expected a number`);
    const f = Math.fround(v.value);
    if (!Number.isFinite(f)) return fail(key, `${v.value} is not a finite float32`);
    return f;
  };
  const bool = (key: string, dflt: boolean): boolean => {
    const v = entry(key);
    if (!v) return dflt;
    if (v.kind === 'bool') return v.value;
    if (v.kind === 'int' || v.kind === 'uint') return v.value !== 0;
    return fail(key, `is a ${v.kind}, expected a boolean`);
  };
  const scale = (key: string): number => {
    const s = float(key);
    // The decoder divides by it: zero turns every box into infinities.
    if (s === 0) fail(key, 'is 0 (the box decoder divides by it)');
    return s;
  };
  const options: DetectionPostprocessOptions = {
    maxDetections: int('max_detections'),
    maxClassesPerDetection: int('max_classes_per_detection'),
    detectionsPerClass: int('detections_per_class', DEFAULT_DETECTIONS_PER_CLASS),
    useRegularNms: bool('use_regular_nms', false),
    nmsScoreThreshold: float('nms_score_threshold'),
    nmsIouThreshold: float('nms_iou_threshold'),
    numClasses: int('num_classes'),
    yScale: scale('y_scale'),
    xScale: scale('x_scale'),
    hScale: scale('h_scale'),
    wScale: scale('w_scale'),
  };
  if (!(options.nmsIouThreshold > 0 && options.nmsIouThreshold <= 1)) {
    fail('nms_iou_threshold', `${options.nmsIouThreshold} is outside (0, 1] (TFLite fails every run with it)`);
  }
  const rows = options.maxDetections * options.maxClassesPerDetection;
  if (rows > MAX_DETECTION_ROWS) {
    fail('max_detections', `${options.maxDetections} × max_classes_per_detection ${options.maxClassesPerDetection} = ${rows} output rows, above ${MAX_DETECTION_ROWS}`);
  }
  return options;
}

/** The options as FlexBuffers custom_options, with TFLite's key names (floats as floats). */
export function encodeDetectionPostprocessOptions(o: DetectionPostprocessOptions): Uint8Array {
  return encodeFlexbufferMap({
    max_detections: o.maxDetections,
    max_classes_per_detection: o.maxClassesPerDetection,
    detections_per_class: o.detectionsPerClass,
    use_regular_nms: o.useRegularNms,
    nms_score_threshold: { float: o.nmsScoreThreshold },
    nms_iou_threshold: { float: o.nmsIouThreshold },
    num_classes: o.numClasses,
    y_scale: { float: o.yScale },
    x_scale: { float: o.xScale },
    h_scale: { float: o.hScale },
    w_scale: { float: o.wScale },
  });
}

export interface DetectionGeometry {
  /** Anchors (box encodings' dimension 1). */
  numBoxes: number;
  /** Values per box encoding (≥ 4; the first four are y, x, h, w). */
  boxStride: number;
  /** Class predictions' last dimension: num_classes, or num_classes + 1 with a background class first. */
  numClassesWithBackground: number;
  labelOffset: number;
  /** Output rows: max_detections × max_classes_per_detection. */
  rows: number;
  /** The four output shapes TFLite's Prepare sets. */
  outputShapes: [number[], number[], number[], number[]];
}

/** A broken shape or dtype rule, in words; the importer adds where. */
export class DetectionShapeError extends OctetError {
  override name = 'DetectionShapeError';
  readonly code = 'DETECTION_SHAPE';
}

/**
 * What TFLite's Eval dequantizes or reads: uint8 (quantized models) and float32. Its switch has no
 * int8 case, so an int8 model fails every run in the TFLite runtime; it is refused here at import.
 */
const INPUT_DTYPES = new Set(['uint8', 'float32']);

/**
 * Checks the rules of TFLite's Prepare and Eval (3 inputs, 4 outputs; box encodings [1, N, ≥4],
 * class predictions [1, N, C] with C − num_classes ∈ {0, 1}, anchors [N, 4]; batch 1) and those
 * TFLite leaves unchecked but reads by (anchors as many as boxes, and of the box encodings'
 * dtype; per-tensor quantization with a zero point in range), and the dtypes TFLite runs.
 * @throws DetectionShapeError naming the tensor and the rule.
 */
export function detectionGeometry(tensors: readonly TensorIR[], op: Extract<OpIR, { type: 'DETECTION_POSTPROCESS' }>): DetectionGeometry {
  const fail = (problem: string): never => {
    throw new DetectionShapeError(problem);
  };
  if (op.inputs.length !== 3) fail(`takes 3 inputs (box encodings, class predictions, anchors), got ${op.inputs.length}`);
  if (op.outputs.length !== 4) fail(`gives 4 outputs (boxes, classes, scores, count), got ${op.outputs.length}`);
  const role = ['box encodings', 'class predictions', 'anchors'];
  const [boxes, classes, anchors] = op.inputs.map((id, i) => tensors[id] ?? fail(`${role[i]} input is absent`)) as [TensorIR, TensorIR, TensorIR];
  const name = (t: TensorIR, i: number) => `${role[i]} '${t.name}'`;
  [boxes, classes, anchors].forEach((t, i) => {
    if (!INPUT_DTYPES.has(t.dtype)) fail(`${name(t, i)} is ${t.dtype}; TFLite's kernel reads uint8 or float32 (it fails every run on other types)`);
    if (t.dtype !== 'float32') {
      const q = t.quant;
      if (!q || q.scale.length !== 1) fail(`${name(t, i)} needs per-tensor quantization`);
      const zp = q!.zeroPoint[0]!;
      if (zp < 0 || zp > 255) fail(`${name(t, i)} has zero point ${zp}, outside uint8's [0, 255]`);
    }
  });
  const shape = (t: TensorIR) => `[${t.shape.join(', ')}]`;
  if (boxes.shape.length !== 3) fail(`${name(boxes, 0)} has shape ${shape(boxes)}; it must be [1, boxes, 4 or more]`);
  if (classes.shape.length !== 3) fail(`${name(classes, 1)} has shape ${shape(classes)}; it must be [1, boxes, classes]`);
  if (anchors.shape.length !== 2) fail(`${name(anchors, 2)} has shape ${shape(anchors)}; it must be [boxes, 4]`);
  const [batch, numBoxes, boxStride] = boxes.shape as [number, number, number];
  if (batch !== 1) fail(`${name(boxes, 0)} has batch ${batch}; TFLite's op runs batch 1 only`);
  if (boxStride < 4) fail(`${name(boxes, 0)} has ${boxStride} values per box; the decoder reads 4 (y, x, h, w)`);
  if (classes.shape[0] !== 1 || classes.shape[1] !== numBoxes) fail(`${name(classes, 1)} has shape ${shape(classes)}; it must be [1, ${numBoxes}, classes] to match the box encodings`);
  if (anchors.shape[0] !== numBoxes || anchors.shape[1] !== 4) fail(`${name(anchors, 2)} has shape ${shape(anchors)}; it must be [${numBoxes}, 4], one (y, x, h, w) per box`);
  if (boxes.dtype === 'float32' ? anchors.dtype !== 'float32' : anchors.dtype !== boxes.dtype) {
    fail(`${name(anchors, 2)} is ${anchors.dtype} but the box encodings are ${boxes.dtype}; TFLite reads anchors in the box encodings' type`);
  }
  const o = op.options;
  const numClassesWithBackground = classes.shape[2]!;
  const labelOffset = numClassesWithBackground - o.numClasses;
  if (labelOffset !== 0 && labelOffset !== 1) {
    fail(`${name(classes, 1)} has ${numClassesWithBackground} classes per box but num_classes is ${o.numClasses}; it must be num_classes, or one more with a background class`);
  }
  const rows = o.maxDetections * o.maxClassesPerDetection;
  return {
    numBoxes,
    boxStride,
    numClassesWithBackground,
    labelOffset,
    rows,
    outputShapes: [[1, rows, 4], [1, rows], [1, rows], [1]],
  };
}
