// TFLite_Detection_PostProcess at import: the options from custom_options (TFLite's defaults
// where it has them), the output shapes its Prepare sets, a writer round trip, and hostile files
// refused with a ModelFormatError naming the field or tensor before anything is allocated.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from 'flatbuffers/mjs/flexbuffers.js';
import { readFileSync } from 'node:fs';
import { assetPath } from '../../src/assets-node.ts';
import { readDetectionPostprocessOptions } from '../../src/model/detection-postprocess.ts';
import { isModelError, ModelFormatError } from '../../src/model/errors.ts';
import { ReferenceRunError, runReference } from '../../src/reference/run.ts';
import { encodeFlexbufferMap } from '../../src/model/flexbuffer.ts';
import type { DetectionPostprocessOptions, Graph } from '../../src/model/graph.ts';
import { importTflite, importTfliteListing } from '../../src/model/import.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { detectionGraph, SSD_OPTIONS, type DetectionCase } from '../helpers/detection-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

const WHERE = 'operator 0 (DETECTION_POSTPROCESS)';
const BASE: DetectionCase = { name: 'detect', boxes: 'uint8', classes: 'uint8', numBoxes: 12, numClasses: 3, background: true, options: {} };
const graphOf = (c: Partial<DetectionCase> = {}) => detectionGraph(mulberry32(1), { ...BASE, ...c }).graph;
/** As the converter writes it: the four outputs without a shape (the op's Prepare sets them). */
const unshaped = (g: Graph): Graph => ({ ...g, tensors: g.tensors.map((t) => (g.outputs.includes(t.id) ? { ...t, shape: [] } : t)) });

/** The error importing `bytes` throws (the test fails when it imports). */
function importError(bytes: Uint8Array): ModelFormatError {
  try {
    importTflite(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelFormatError);
    return e as ModelFormatError;
  }
  throw new Error('imported');
}

/** The file with one byte string replaced by another of the same length (a key renamed, say). */
function patched(bytes: Uint8Array, from: string, to: string): Uint8Array {
  const f = new TextEncoder().encode(from);
  const t = new TextEncoder().encode(to);
  const copy = bytes.slice();
  for (let i = 0; i + f.length <= copy.length; i++) {
    if (f.every((b, k) => copy[i + k] === b)) {
      copy.set(t, i);
      return copy;
    }
  }
  throw new Error(`'${from}' not in the file`);
}

describe('TFLite_Detection_PostProcess import', () => {
  it('reads the options of the SSD MobileNet v1 model, TFLite defaults for what it leaves out, and sets the output shapes', () => {
    const bytes = new Uint8Array(readFileSync(assetPath('models/corpus/tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite')));
    const g = importTflite(bytes);
    const op = g.ops[g.ops.length - 1]!;
    expect(op.type).toBe('DETECTION_POSTPROCESS');
    expect(op.options).toEqual({
      maxDetections: 10,
      maxClassesPerDetection: 1,
      detectionsPerClass: 100,
      useRegularNms: false,
      nmsScoreThreshold: Math.fround(1e-8),
      nmsIouThreshold: Math.fround(0.6),
      numClasses: 90,
      yScale: 10,
      xScale: 10,
      hScale: 5,
      wScale: 5,
    } satisfies DetectionPostprocessOptions);
    // The file leaves the four outputs without a shape; Prepare's shapes are set at import.
    expect(g.outputs.map((id) => g.tensors[id]!.shape)).toEqual([[1, 10, 4], [1, 10], [1, 10], [1]]);
    expect(importTfliteListing(bytes).ops).toEqual(g.ops);
  });

  it('round-trips through the writer (CUSTOM op code, FlexBuffers custom_options)', () => {
    for (const options of [{}, { useRegularNms: true, detectionsPerClass: 7, maxClassesPerDetection: 2, nmsScoreThreshold: Math.fround(-0.5) }]) {
      const g = graphOf({ options });
      for (const file of [exportTflite(g), exportTflite(unshaped(g))]) {
        const back = importTflite(file);
        expect(back.ops).toEqual(g.ops);
        expect(back.outputs.map((id) => back.tensors[id]!.shape)).toEqual(g.outputs.map((id) => g.tensors[id]!.shape));
      }
    }
  });

  it('refuses hostile options, naming the field', () => {
    const refusals: Array<[Partial<DetectionPostprocessOptions>, RegExp]> = [
      [{ numClasses: 0 }, /'num_classes' 0 must be between 1 and 2147483647/],
      [{ maxDetections: 2 ** 30 }, /'max_detections' 1073741824 × max_classes_per_detection 1 = 1073741824 output rows, above 1048576/],
      [{ maxDetections: 2 ** 12, maxClassesPerDetection: 2 ** 12 }, /'max_detections' 4096 × max_classes_per_detection 4096/],
      [{ maxDetections: 2 ** 40 }, /'max_detections' 1099511627776 must be between 1 and 2147483647/],
      [{ maxClassesPerDetection: 0 }, /'max_classes_per_detection' 0 must be between 1/],
      [{ detectionsPerClass: -3 }, /'detections_per_class' -3 must be between 1/],
      [{ nmsIouThreshold: 0 }, /'nms_iou_threshold' 0 is outside \(0, 1\]/],
      [{ nmsIouThreshold: 1.5 }, /'nms_iou_threshold' 1.5 is outside \(0, 1\]/],
      [{ yScale: 0 }, /'y_scale' is 0 \(the box decoder divides by it\)/],
      [{ wScale: 1e39 }, /'w_scale' 1e\+39 is not a finite float32/],
      [{ nmsScoreThreshold: Number.NaN }, /'nms_score_threshold' NaN is not a finite float32/],
    ];
    for (const [options, message] of refusals) {
      const e = importError(exportTflite(unshaped(graphOf({ options }))));
      expect(e.message).toMatch(message);
      expect(e.where).toBe(`${WHERE} custom_options`);
    }
    // A field TFLite reads without a default, renamed away: missing, not silently 0.
    const e = importError(patched(exportTflite(graphOf()), 'num_classes\0', 'num_classet\0'));
    expect(e.message).toBe(`${WHERE} custom_options: 'num_classes' is missing`);
  });

  it('refuses options of the wrong FlexBuffers type, and missing or non-map custom_options', () => {
    const at = `${WHERE} custom_options`;
    expect(() => readDetectionPostprocessOptions(encode({ max_detections: 'ten' }), WHERE)).toThrow(`${at}: 'max_detections' is a string, expected an integer`);
    expect(() => readDetectionPostprocessOptions(encodeFlexbufferMap({ max_detections: { float: 10 } }), WHERE)).toThrow(`${at}: 'max_detections' is a float, expected an integer`);
    const full = {
      max_detections: 10, max_classes_per_detection: 1, nms_score_threshold: { float: 0.1 }, nms_iou_threshold: { float: 0.5 },
      num_classes: 3, y_scale: 10, x_scale: 10, h_scale: 5, w_scale: 5,
    };
    expect(readDetectionPostprocessOptions(encodeFlexbufferMap(full), WHERE)).toMatchObject({ detectionsPerClass: 100, useRegularNms: false, yScale: 10 });
    expect(readDetectionPostprocessOptions(encodeFlexbufferMap({ ...full, use_regular_nms: 1 }), WHERE).useRegularNms).toBe(true);
    expect(() => readDetectionPostprocessOptions(encodeFlexbufferMap({ ...full, use_regular_nms: { float: 1 } }), WHERE)).toThrow(`${at}: 'use_regular_nms' is a float, expected a boolean`);
    // (The package's encoder writes only ints and 4-byte floats correctly: integral thresholds here.)
    const ints = { ...full, nms_score_threshold: 0, nms_iou_threshold: 1 };
    expect(readDetectionPostprocessOptions(encode(ints), WHERE)).toMatchObject({ nmsScoreThreshold: 0, nmsIouThreshold: 1, numClasses: 3 });
    expect(() => readDetectionPostprocessOptions(encode({ ...ints, y_scale: [1] }), WHERE)).toThrow(`${at}: 'y_scale' is a vector, expected a number`);
    expect(() => readDetectionPostprocessOptions(null, WHERE)).toThrow(`${at}: are missing`);
    expect(() => readDetectionPostprocessOptions(encode([1, 2]), WHERE)).toThrow(/not a map/);
  });

  it('refuses hostile shapes and dtypes, naming the tensor', () => {
    const withTensor = (g: Graph, input: number, change: Partial<Graph['tensors'][number]>): Graph => {
      const id = g.ops[0]!.inputs[input]!;
      const tensors = g.tensors.map((t) => (t.id === id ? { ...t, ...change } : t));
      return { ...g, tensors };
    };
    const g = graphOf();
    const anchors = g.tensors[g.ops[0]!.inputs[2]!]!;
    const fewerAnchors = withTensor(g, 2, { shape: [11, 4], data: anchors.data!.subarray(0, 44) });
    const refusals: Array<[Graph, RegExp]> = [
      [fewerAnchors, /anchors 'anchors' has shape \[11, 4\]; it must be \[12, 4\], one \(y, x, h, w\) per box/],
      [withTensor(g, 2, { shape: [6, 8] }), /anchors 'anchors' has shape \[6, 8\]; it must be \[12, 4\]/],
      [withTensor(g, 1, { shape: [1, 12, 6] }), /class predictions 'class_predictions' has 6 classes per box but num_classes is 3; it must be num_classes, or one more/],
      [withTensor(g, 1, { shape: [1, 11, 4] }), /class predictions 'class_predictions' has shape \[1, 11, 4\]; it must be \[1, 12, classes\]/],
      [withTensor(g, 0, { shape: [2, 6, 4] }), /box encodings 'box_encodings' has batch 2; TFLite's op runs batch 1 only/],
      [withTensor(g, 0, { shape: [1, 24, 2] }), /box encodings 'box_encodings' has 2 values per box; the decoder reads 4/],
      [withTensor(g, 0, { dtype: 'int8' }), /box encodings 'box_encodings' is int8; TFLite's kernel reads uint8 or float32/],
      [withTensor(g, 1, { dtype: 'int8' }), /class predictions 'class_predictions' is int8/],
      [withTensor(g, 0, { quant: undefined }), /box encodings 'box_encodings' needs per-tensor quantization/],
    ];
    expect(() => importTflite(exportTflite(graphOf({ boxes: 'float32', classes: 'float32' })))).not.toThrow();
    for (const [graph, message] of refusals) {
      const e = importError(exportTflite(graph));
      expect(e.where).toBe(WHERE);
      expect(e.message).toMatch(message);
    }
    const floatAnchors = withTensor(g, 2, { dtype: 'float32', quant: undefined, data: new Uint8Array(12 * 4 * 4) });
    expect(importError(exportTflite(floatAnchors)).message).toMatch(/anchors 'anchors' is float32 but the box encodings are uint8; TFLite reads anchors in the box encodings' type/);
    // Outputs: float32, and a stored shape must be the options' one.
    const out = g.outputs[0]!;
    const badOut = { ...g, tensors: g.tensors.map((t) => (t.id === out ? { ...t, shape: [1, 9, 4] } : t)) };
    expect(importError(exportTflite(badOut)).message).toMatch(/output 0 tensor \d+ 'detection_boxes' has shape \[1,9,4\] but the op's options give \[1,10,4\]/);
  });

  it('fast-check: damaged detection models import or throw typed errors, and what imports runs or throws ReferenceRunError', () => {
    const { graph, inputs } = detectionGraph(mulberry32(2), { ...BASE, options: { useRegularNms: true } });
    const base = exportTflite(unshaped(graph));
    const clean = (bytes: Uint8Array) => {
      let g: Graph | undefined;
      try {
        g = importTflite(bytes);
      } catch (e) {
        if (!isModelError(e)) throw new Error(`untyped error escaped the importer: ${String(e)}`, { cause: e });
        return;
      }
      expect(importTflite(exportTflite(g))).toEqual(g);
      if (g.inputs.length !== 2 || g.ops.some((op) => op.type !== 'DETECTION_POSTPROCESS')) return;
      const ins = g.inputs.map((id, k) => (g.tensors[id]!.shape.join() === graph.tensors[graph.inputs[k]!]!.shape.join() && g.tensors[id]!.dtype === graph.tensors[graph.inputs[k]!]!.dtype ? inputs[k]! : undefined));
      if (ins.some((x) => !x)) return;
      try {
        runReference(g, ins as typeof inputs);
      } catch (e) {
        if (!(e instanceof ReferenceRunError)) throw e;
      }
    };
    for (let k = 0; k < base.length; k += 7) clean(base.slice(0, k));
    fc.assert(
      fc.property(fc.array(fc.record({ pos: fc.nat({ max: base.length - 1 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }), (edits) => {
        const copy = base.slice();
        for (const e of edits) copy[e.pos] = e.value;
        clean(copy);
      }),
      { numRuns: 1500, seed: 11 },
    );
  });
});
