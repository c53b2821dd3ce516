// Small written models for the task commands: outputs that are the image's own pixels (a
// RESHAPE of the uint8 input), so every box, class and keypoint is known in advance.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePngRgba } from '../../src/image/encode-png.ts';
import type { DType } from '../../src/model/graph.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { GraphBuilder, quant } from './graphs.ts';

/** The output scale of every model here: raw byte v means v / 255 (as float32 stores 1/255). */
export const SCALE = Math.fround(1 / 255);

/** Writes DIR/NAME.tflite: uint8 input inShape reshaped to outShape (scale 1/255, zero point 0). */
export function reshapeModel(dir: string, name: string, inShape: number[], outShape: number[], outDtype: DType = 'uint8'): string {
  const b = new GraphBuilder();
  const q = quant(1 / 255, 0);
  const input = b.tensor('image', inShape, 'uint8', q);
  const shape = b.tensor('shape', [outShape.length], 'int32', undefined, Int32Array.from(outShape));
  const output = b.tensor('output', outShape, outDtype, q);
  b.op({ type: 'RESHAPE', inputs: [input, shape], outputs: [output], options: {} });
  const path = join(dir, `${name}.tflite`);
  writeFileSync(path, exportTflite(b.build([input], [output], name)));
  return path;
}

/** Writes DIR/NAME: an opaque PNG of RGB bytes. */
export function pngOf(dir: string, name: string, rgb: Uint8Array, width: number, height: number): string {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) rgba.set([rgb[3 * i]!, rgb[3 * i + 1]!, rgb[3 * i + 2]!, 255], 4 * i);
  const path = join(dir, name);
  writeFileSync(path, encodePngRgba(rgba, width, height));
  return path;
}

/**
 * The YOLOv8-layout detector [1,8,8,3] → [1,6,32] (2 classes, 32 anchors) and its 8×8 image:
 * output element (field f, anchor a) is image byte f·32 + a, fields (cx, cy, w, h, class 0, class 1).
 * Anchor 5: class 1 at 230/255; anchor 9: class 1 at 204/255 overlapping it (IoU above 0.7);
 * anchor 20: class 0 at 153/255 elsewhere.
 */
export function tinyYolo(dir: string): { model: string; image: string } {
  const rgb = new Uint8Array(192);
  const anchor = (a: number, fields: number[]) => fields.forEach((v, f) => (rgb[f * 32 + a] = v));
  anchor(5, [128, 64, 128, 64, 10, 230]);
  anchor(9, [130, 66, 128, 64, 20, 204]);
  anchor(20, [40, 200, 50, 40, 153, 0]);
  return { model: reshapeModel(dir, 'tiny_yolov8', [1, 8, 8, 3], [1, 6, 32]), image: pngOf(dir, 'tiny_yolov8.png', rgb, 8, 8) };
}

/**
 * The scores segmenter [1,4,4,3] (class = the strongest channel) and its 12×8 image of 3×2 blocks,
 * one per model pixel: block (bx, by) is class (bx + by) mod 3 at the image's resolution too.
 */
export function tinySegmenter(dir: string): { model: string; image: string; classAt: (x: number, y: number) => number } {
  const classAt = (x: number, y: number) => (Math.floor(x / 3) + Math.floor(y / 2)) % 3;
  const rgb = new Uint8Array(12 * 8 * 3);
  for (let y = 0; y < 8; y++) for (let x = 0; x < 12; x++) rgb[3 * (y * 12 + x) + classAt(x, y)] = 200;
  return { model: reshapeModel(dir, 'tiny_seg', [1, 4, 4, 3], [1, 4, 4, 3]), image: pngOf(dir, 'tiny_seg.png', rgb, 12, 8), classAt };
}

/** The keypoint model [1,1,17,3] and its 17×1 image: keypoint k is pixel k's (y, x, score). */
export function tinyPose(dir: string): { model: string; image: string; rgb: Uint8Array } {
  const rgb = Uint8Array.from({ length: 51 }, (_, i) => (i * 37 + 11) % 256);
  return { model: reshapeModel(dir, 'tiny_pose', [1, 1, 17, 3], [1, 1, 17, 3]), image: pngOf(dir, 'tiny_pose.png', rgb, 17, 1), rgb };
}
