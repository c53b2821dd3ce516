// The task heads on what the TFLite runtime itself output for the corpus models on the asset
// images (reference/corpus): the detections, class maps and keypoints an application would draw.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { importTfliteListing } from '../../src/model/import.ts';
import { readTfliteMetadata } from '../../src/model/metadata.ts';
import {
  classHistogram,
  classMapOf,
  classMapToRgba,
  decodeDetections,
  detectionHeadOf,
  iou,
  keypointsOf,
  nonMaxSuppression,
  resizeClassMap,
  segmentationColor,
  TaskError,
  type Detection,
} from '../../src/tasks/index.ts';
import { corpusEntries, readCorpusTensor } from '../helpers/corpus.ts';

const modelPath = (name: string) => `models/corpus/${name}.tflite`;
const bytes = (name: string) => new Uint8Array(readFileSync(assetPath(modelPath(name))));
const listing = (name: string) => importTfliteListing(bytes(name), name);
function tfliteOutputs(name: string, kase: string) {
  const e = corpusEntries().find((x) => x.model === modelPath(name) && x.case === kase)!;
  return e.outputs.map((o) => readCorpusTensor(o.file, o.dtype));
}

describe('detection', () => {
  it('SSD MobileNet v1 on grace_hopper: the person, box order from the metadata, labels from its packed labelmap', () => {
    const name = 'tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29';
    const g = listing(name);
    const metadata = readTfliteMetadata(bytes(name));
    const head = detectionHeadOf(g, metadata);
    expect(head).toMatchObject({ kind: 'ssd', boxOrder: [1, 0, 3, 2] });
    const out = tfliteOutputs(name, 'grace_hopper');
    const found = decodeDetections(g, out, head, {}, metadata);
    const [boxes, , scores] = out as [Float32Array, Float32Array, Float32Array];
    expect(found.length).toBe(Array.from(scores).filter((s) => s >= 0.5).length);
    expect(found[0]).toEqual({ box: { top: boxes[0], left: boxes[1], bottom: boxes[2], right: boxes[3] }, class: 0, label: 'person', score: scores[0] });
    expect(found[0]!.box.bottom - found[0]!.box.top).toBeGreaterThan(0.5);
    // A lower threshold keeps more of the model's own 10, never more than its count.
    expect(decodeDetections(g, out, head, { scoreThreshold: 0 }, metadata)).toHaveLength(10);
  });

  it('YOLOv8n (openmv, one class) on grace_hopper: one person box after NMS covering most of the image', () => {
    const name = 'openmv_yolov8n_192';
    const g = listing(name);
    const head = detectionHeadOf(g);
    expect(head).toEqual({ kind: 'yolov8', output: 0, classes: 1, anchors: 756 });
    const found = decodeDetections(g, tfliteOutputs(name, 'grace_hopper'), head, { labels: ['person'] });
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found[0]).toMatchObject({ class: 0, label: 'person' });
    expect(found[0]!.score).toBeGreaterThan(0.9);
    for (let i = 0; i < found.length; i++) for (let j = i + 1; j < found.length; j++) expect(iou(found[i]!.box, found[j]!.box)).toBeLessThanOrEqual(0.7);
    // Without NMS the same threshold keeps dozens of overlapping anchors.
    const raw = decodeDetections(g, tfliteOutputs(name, 'grace_hopper'), head, { iouThreshold: 1 });
    expect(raw.length).toBeGreaterThan(found.length);
  });

  it('YOLOv5-style rows (gd32 YOLOv10 post, COCO 80) on the chained grace_hopper tiles: a person', () => {
    const name = 'gd32_yolov10_coco80_post';
    const g = listing(name);
    const head = detectionHeadOf(g);
    expect(head).toEqual({ kind: 'yolov5', output: 0, classes: 80, anchors: 256 });
    const found = decodeDetections(g, tfliteOutputs(name, 'grace_hopper_chained'), head, { scoreThreshold: 0.5 });
    expect(found[0]).toMatchObject({ class: 0, label: 'person' });
  });

  it('NMS: same class above the IoU threshold suppressed, at the threshold kept, other classes kept', () => {
    const d = (left: number, right: number, cls: number, score: number): Detection => ({ box: { left, right, top: 0, bottom: 1 }, class: cls, label: '', score });
    const a = d(0, 1, 0, 0.9);
    expect(nonMaxSuppression([a, d(0.1, 1, 0, 0.8)], 0.7, 10)).toEqual([a]); // IoU 0.9
    expect(nonMaxSuppression([a, d(0.3, 1, 0, 0.8)], 0.7, 10)).toHaveLength(2); // IoU 0.7 exactly: kept
    expect(nonMaxSuppression([a, d(0.1, 1, 1, 0.8)], 0.7, 10)).toHaveLength(2);
    expect(nonMaxSuppression([a, d(2, 3, 0, 0.8), d(4, 5, 0, 0.7)], 0.7, 2)).toHaveLength(2);
  });

  it('a classifier is not a detector: TaskError naming the shapes', () => {
    expect(() => detectionHeadOf(listing('coral_mobilenet_v2_1.0_224_inat_bird_quant'))).toThrow(TaskError);
    expect(() => detectionHeadOf(listing('coral_mobilenet_v2_1.0_224_inat_bird_quant'))).toThrow(/outputs \[1,965\] are not a detection head/);
  });
});

describe('segmentation', () => {
  it("DeepLab v3 on grace_hopper: the ARG_MAX int64 map is background and person; resized to the image's 512×600", () => {
    const name = 'coral_deeplabv3_mnv2_pascal_quant';
    const g = listing(name);
    const map = classMapOf(g, tfliteOutputs(name, 'grace_hopper'));
    expect([map.width, map.height]).toEqual([513, 513]);
    const hist = classHistogram(map);
    expect(hist.map((h) => h.label)).toEqual(['person', 'background']);
    expect(hist[0]!.pixels + hist[1]!.pixels).toBe(513 * 513);
    const big = resizeClassMap(map, 512, 600);
    expect(big.classes.length).toBe(512 * 600);
    expect(big.classes[300 * 512 + 256]).toBe(map.classes[256 * 513 + 256]);
    expect(classHistogram(big)[0]!.label).toBe('person');
    const rgba = classMapToRgba(map, 128);
    const person = map.classes.indexOf(15);
    expect(Array.from(rgba.subarray(4 * person, 4 * person + 4))).toEqual([192, 128, 128, 128]);
    expect(rgba[4 * map.classes.indexOf(0) + 3]).toBe(0);
  });

  it('scores [1,H,W,C] take the first maximum per pixel', () => {
    const g = { name: 't', inputs: [], outputs: [0], tensors: [{ id: 0, name: 'o', dtype: 'int8' as const, shape: [1, 1, 3, 3] }] };
    expect(Array.from(classMapOf(g, [Int8Array.of(1, 5, 5, -3, -4, -9, 7, 7, 7)]).classes)).toEqual([1, 0, 0]);
  });

  it('the PASCAL palette: background black, aeroplane (128,0,0), person (192,128,128)', () => {
    expect([0, 1, 15].map(segmentationColor)).toEqual([[0, 0, 0], [128, 0, 0], [192, 128, 128]]);
  });
});

describe('pose', () => {
  it('MoveNet on grace_hopper: 17 named keypoints equal to the output, the nose first', () => {
    const name = 'coral_movenet_single_pose_lightning_ptq';
    const out = tfliteOutputs(name, 'grace_hopper');
    const k = keypointsOf(listing(name), out);
    expect(k).toHaveLength(17);
    const v = out[0] as Float32Array;
    expect(k[0]).toEqual({ name: 'nose', y: v[0], x: v[1], score: v[2] });
    expect(k[16]!.name).toBe('right_ankle');
  });
});
