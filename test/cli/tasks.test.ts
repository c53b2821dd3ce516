// `octet detect`, `segment` and `pose` in-process: the plumbing (image → recipe → run → decode →
// output) on small written models whose outputs are the image's own pixels (a RESHAPE), so every
// box, class and keypoint is known in advance, on the CPU reference and the GPU; TaskErrors for
// models whose outputs do not fit; and the real corpus models on grace_hopper, equal to decoding
// what the TFLite runtime output for the same input.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { detectObjects } from '../../src/cli/commands/detect.ts';
import { estimatePose } from '../../src/cli/commands/pose.ts';
import { segmentImage } from '../../src/cli/commands/segment.ts';
import { importTflite, importTfliteListing } from '../../src/model/import.ts';
import { readTfliteMetadata } from '../../src/model/metadata.ts';
import { classHistogram, classMapOf, decodeDetections, detectionHeadOf, keypointsOf, resizeClassMap, TaskError, type Detection } from '../../src/tasks/index.ts';
import { corpusEntries, FLOAT_RELATIVE, readCorpusTensor } from '../helpers/corpus.ts';
import { pngOf, reshapeModel, SCALE, tinyYolo } from '../helpers/task-models.ts';

const tmp = mkdtempSync(join(tmpdir(), 'octet-tasks-'));

const BACKENDS = ['cpu', 'gpu'] as const;

describe('octet detect on a written YOLOv8-layout model ([1,8,8,3] → [1,6,32]: 2 classes, 32 anchors)', () => {
  // Anchor 9 overlaps anchor 5 (same class, IoU above 0.7) and is suppressed.
  const { model, image } = tinyYolo(tmp);
  const box = (cx: number, cy: number, w: number, h: number) => ({
    left: SCALE * cx - (SCALE * w) / 2,
    top: SCALE * cy - (SCALE * h) / 2,
    right: SCALE * cx + (SCALE * w) / 2,
    bottom: SCALE * cy + (SCALE * h) / 2,
  });

  for (const backend of BACKENDS) {
    it(`${backend}: the two boxes NMS keeps, best first, labels from --labels`, async () => {
      const labels = join(tmp, 'two.txt');
      writeFileSync(labels, 'cat\ndog\n');
      const r = await detectObjects(model, image, { backend, labels });
      expect(r).toMatchObject({ model: 'tiny_yolov8', backend, width: 8, height: 8, head: 'yolov8', recipeSource: 'default', labelsSource: labels });
      expect(r.detections).toEqual([
        { box: box(128, 64, 128, 64), class: 1, label: 'dog', score: SCALE * 230 },
        { box: box(40, 200, 50, 40), class: 0, label: 'cat', score: SCALE * 153 },
      ]);
    });
  }

  it('--threshold and --iou reach the decoder; without labels the classes are numbered', async () => {
    const r = await detectObjects(model, image, { backend: 'cpu', threshold: 0.7, iou: 0.95 });
    expect(r.labelsSource).toBeNull();
    expect(r.detections.map((d) => [d.class, d.label, d.score])).toEqual([
      [1, 'class 1', SCALE * 230],
      [1, 'class 1', SCALE * 204],
    ]);
    await expect(detectObjects(model, image, { backend: 'cpu', threshold: 2 })).rejects.toThrow('--threshold must be a number in [0, 1], got 2');
  });
});

describe('octet segment on a written scores model ([1,4,4,3]: class = the strongest channel)', () => {
  const model = reshapeModel(tmp, 'tiny_seg', [1, 4, 4, 3], [1, 4, 4, 3]);
  // A 12×8 image of 3×2 blocks, one per model pixel: resizing to 4×4 samples inside each block,
  // and the class map resized back to 12×8 is the block pattern again.
  const classOfBlock = (bx: number, by: number) => (bx + by) % 3;
  const rgb = new Uint8Array(12 * 8 * 3);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 12; x++) rgb[3 * (y * 12 + x) + classOfBlock(Math.floor(x / 3), Math.floor(y / 2))] = 200;
  const image = pngOf(tmp, 'tiny_seg.png', rgb, 12, 8);

  for (const backend of BACKENDS) {
    it(`${backend}: the class map at the image's 12×8, histogram and mask PNG`, async () => {
      const mask = join(tmp, `mask-${backend}.png`);
      const r = await segmentImage(model, image, { backend, output: mask });
      expect(r).toMatchObject({ width: 12, height: 8, mapWidth: 4, mapHeight: 4, labelsSource: 'PASCAL VOC 21', mask });
      // 16 blocks: classes 0, 1, 2 on 6, 5, 5 of them (6 pixels each).
      expect(r.classes).toEqual([
        { class: 0, label: 'background', pixels: 36, fraction: 36 / 96 },
        { class: 1, label: 'aeroplane', pixels: 30, fraction: 30 / 96 },
        { class: 2, label: 'bicycle', pixels: 30, fraction: 30 / 96 },
      ]);
      const png = PNG.sync.read(Buffer.from(readFileSync(mask)));
      expect([png.width, png.height]).toEqual([12, 8]);
      const colour = [[0, 0, 0, 0], [128, 0, 0, 255], [0, 128, 0, 255]];
      for (let y = 0; y < 8; y++) {
        for (let x = 0; x < 12; x++) {
          const i = 4 * (y * 12 + x);
          expect(Array.from(png.data.subarray(i, i + 4)), `pixel ${x},${y}`).toEqual(colour[classOfBlock(Math.floor(x / 3), Math.floor(y / 2))]);
        }
      }
    });
  }
});

describe('octet pose on a written keypoint model ([1,1,17,3] from a 17×1 image)', () => {
  const model = reshapeModel(tmp, 'tiny_pose', [1, 1, 17, 3], [1, 1, 17, 3]);
  const rgb = Uint8Array.from({ length: 51 }, (_, i) => (i * 37 + 11) % 256);
  const image = pngOf(tmp, 'tiny_pose.png', rgb, 17, 1);
  for (const backend of BACKENDS) {
    it(`${backend}: 17 named keypoints (y, x, score) dequantized`, async () => {
      const r = await estimatePose(model, image, { backend });
      expect(r.keypoints).toHaveLength(17);
      expect(r.keypoints[0]).toEqual({ name: 'nose', y: SCALE * rgb[0]!, x: SCALE * rgb[1]!, score: SCALE * rgb[2]! });
      expect(r.keypoints[16]).toEqual({ name: 'right_ankle', y: SCALE * rgb[48]!, x: SCALE * rgb[49]!, score: SCALE * rgb[50]! });
    });
  }
});

describe("models whose outputs do not fit the task: TaskError naming the outputs, before the image is read", () => {
  const MOBILENET = assetPath('models', 'tflite-support', 'mobilenet_v1_0.25_224_quant.tflite');
  const missing = join(tmp, 'no-such-image.png');
  it('detect on a classifier', async () => {
    const e = detectObjects(MOBILENET, missing, { backend: 'cpu' });
    await expect(e).rejects.toThrow(TaskError);
    await expect(e).rejects.toThrow(/mobilenet_v1_0\.25_224_quant: outputs \[1,1001\] are not a detection head/);
  });
  it('segment on a classifier, pose on a segmenter', async () => {
    await expect(segmentImage(MOBILENET, missing, { backend: 'cpu' })).rejects.toThrow(/output 0 uint8 \[1,1001\] is not a segmentation map/);
    const seg = reshapeModel(tmp, 'seg_for_pose', [1, 4, 4, 3], [1, 4, 4, 3]);
    await expect(estimatePose(seg, missing, { backend: 'cpu' })).rejects.toThrow(/seg_for_pose: output 0 \[1,4,4,3\] is not a single-pose keypoint tensor/);
  });
});

// The real task models, on grace_hopper, equal to decoding the TFLite runtime's own outputs for the
// same input (all four take uint8 pixels, the reference inputs' encoding). Each runs once its ops
// load (DETECTION_POSTPROCESS, RESIZE_NEAREST_NEIGHBOR, RESIZE_BILINEAR / ARG_MAX / CAST are being
// added); test/model/import.test.ts's corpus table says which do, so a model that stops importing
// fails there rather than passing here unseen.
const corpusModel = (name: string) => assetPath('models', 'corpus', `${name}.tflite`);
function imports(name: string): boolean {
  try {
    importTflite(new Uint8Array(readFileSync(corpusModel(name))), name);
    return true;
  } catch {
    return false;
  }
}
function tfliteOutputs(name: string) {
  const e = corpusEntries().find((x) => x.model === `models/corpus/${name}.tflite` && x.case === 'grace_hopper')!;
  return e.outputs.map((o) => readCorpusTensor(o.file, o.dtype));
}
/**
 * Decoded float outputs against TFLite's: classes and labels equal, numbers within the corpus
 * suite's float bound (FLOAT_RELATIVE of 1, the size of these fractions and scores): the GPU's
 * float math is not the CPU's to the last bit.
 */
function expectDetectionsClose(actual: Detection[], expected: Detection[]): void {
  expect(actual.map((d) => [d.class, d.label])).toEqual(expected.map((d) => [d.class, d.label]));
  actual.forEach((d, i) => {
    const e = expected[i]!;
    for (const [a, b] of [[d.score, e.score], [d.box.left, e.box.left], [d.box.top, e.box.top], [d.box.right, e.box.right], [d.box.bottom, e.box.bottom]] as const) {
      expect(Math.abs(a - b), `detection ${i}`).toBeLessThanOrEqual(FLOAT_RELATIVE);
    }
  });
}

const GRACE = assetPath('images', 'coral', 'grace_hopper.bmp');
const listing = (name: string) => importTfliteListing(new Uint8Array(readFileSync(corpusModel(name))), name);

describe('the corpus task models on grace_hopper equal the TFLite runtime decoded', () => {
  const SSD = 'tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29';
  it.runIf(imports(SSD))('SSD MobileNet v1: the person first, labels from its packed labelmap', { timeout: 300_000 }, async () => {
    const r = await detectObjects(corpusModel(SSD), GRACE);
    const metadata = readTfliteMetadata(new Uint8Array(readFileSync(corpusModel(SSD))));
    const g = listing(SSD);
    // Exactly: the 8-bit body equals TFLite's, and the post-processing's float math is TFLite's too.
    expect(r.detections).toEqual(decodeDetections(g, tfliteOutputs(SSD), detectionHeadOf(g, metadata), {}, metadata));
    expect(r.detections[0]!.label).toBe('person');
    expect(r).toMatchObject({ recipeSource: 'metadata', labelsSource: 'metadata (labelmap.txt)' });
  });

  const YOLO = 'openmv_yolov8n_192';
  it.runIf(imports(YOLO))('YOLOv8n (openmv): the person, labelled from the table of known models', { timeout: 300_000 }, async () => {
    const r = await detectObjects(corpusModel(YOLO), GRACE);
    const g = listing(YOLO);
    expectDetectionsClose(r.detections, decodeDetections(g, tfliteOutputs(YOLO), detectionHeadOf(g)));
    expect(r.detections[0]!.label).toBe('person');
  });

  const DEEPLAB = 'coral_deeplabv3_mnv2_pascal_quant';
  it.runIf(imports(DEEPLAB))("DeepLab v3: person and background at the image's 512×600", { timeout: 300_000 }, async () => {
    const mask = join(tmp, 'deeplab.png');
    const r = await segmentImage(corpusModel(DEEPLAB), GRACE, { output: mask });
    const expected = resizeClassMap(classMapOf(listing(DEEPLAB), tfliteOutputs(DEEPLAB)), r.width, r.height);
    expect(r.classes).toEqual(classHistogram(expected));
    expect(r.classes.map((c) => c.label)).toEqual(['person', 'background']);
    expect(PNG.sync.read(Buffer.from(readFileSync(mask))).width).toBe(r.width);
  });

  const MOVENET = 'coral_movenet_single_pose_lightning_ptq';
  it.runIf(imports(MOVENET))('MoveNet Lightning: the 17 keypoints', { timeout: 300_000 }, async () => {
    const r = await estimatePose(corpusModel(MOVENET), GRACE);
    const expected = keypointsOf(listing(MOVENET), tfliteOutputs(MOVENET));
    expect(r.keypoints.map((k) => k.name)).toEqual(expected.map((k) => k.name));
    r.keypoints.forEach((k, i) => {
      for (const f of ['x', 'y', 'score'] as const) expect(Math.abs(k[f] - expected[i]![f]), `${k.name} ${f}`).toBeLessThanOrEqual(FLOAT_RELATIVE);
    });
  });
});
