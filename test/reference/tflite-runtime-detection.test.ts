// TFLite_Detection_PostProcess in the CPU reference against the TFLite runtime itself (the WASM
// build that made the reference vectors), on single-op graphs written with the .tflite writer:
// fast and regular NMS, uint8 and float inputs, with and without a background class, keypoint-
// style box encodings, few score levels so that equal scores (and the order the runtime's sorts
// and merges give them) decide the output. Compared exactly, on the rows the runtime writes (it
// leaves the others as its arena held them; the reference writes 0 there).
import { describe, expect, it } from 'vitest';
import { importTflite } from '../../src/model/import.ts';
import type { DetectionPostprocessOptions, Graph } from '../../src/model/graph.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { ReferenceRunError, runReference, type TensorData } from '../../src/reference/run.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { detectionGraph, writtenOutputs, type DetectionCase } from '../helpers/detection-graphs.ts';
import { mulberry32 } from '../helpers/rng.ts';

const CASES: DetectionCase[] = [
  { name: 'uint8, fast, SSD-like (background class)', boxes: 'uint8', classes: 'uint8', numBoxes: 50, numClasses: 4, background: true, options: {} },
  { name: 'uint8, fast, 3 classes per box, 5 score levels', boxes: 'uint8', classes: 'uint8', numBoxes: 60, numClasses: 6, background: false, scoreLevels: 5, options: { maxClassesPerDetection: 3 } },
  { name: 'uint8, fast, 7 of 30 classes per box, 4 levels', boxes: 'uint8', classes: 'uint8', numBoxes: 80, numClasses: 30, background: false, scoreLevels: 4, options: { maxClassesPerDetection: 7 } },
  { name: 'uint8, fast, more classes per box than classes', boxes: 'uint8', classes: 'uint8', numBoxes: 30, numClasses: 2, background: true, options: { maxClassesPerDetection: 4 } },
  { name: 'uint8, fast, high score threshold (fewer than max_detections)', boxes: 'uint8', classes: 'uint8', numBoxes: 40, numClasses: 3, background: true, options: { nmsScoreThreshold: Math.fround(0.97), maxDetections: 20 } },
  { name: 'uint8, regular, 5 levels', boxes: 'uint8', classes: 'uint8', numBoxes: 60, numClasses: 6, background: true, scoreLevels: 5, options: { useRegularNms: true, detectionsPerClass: 7, maxDetections: 12 } },
  { name: 'uint8, regular, 9 classes, 4 levels, 5 per class', boxes: 'uint8', classes: 'uint8', numBoxes: 80, numClasses: 9, background: false, scoreLevels: 4, options: { useRegularNms: true, detectionsPerClass: 5, maxDetections: 17 } },
  { name: 'uint8, regular, 2 classes per detection (only max_detections rows written)', boxes: 'uint8', classes: 'uint8', numBoxes: 40, numClasses: 4, background: true, options: { useRegularNms: true, maxClassesPerDetection: 2, detectionsPerClass: 3 } },
  { name: 'uint8, regular, high threshold (zero rows past the count)', boxes: 'uint8', classes: 'uint8', numBoxes: 40, numClasses: 3, background: true, options: { useRegularNms: true, nmsScoreThreshold: Math.fround(0.95), maxDetections: 25 } },
  { name: 'uint8, fast, tight IoU threshold', boxes: 'uint8', classes: 'uint8', numBoxes: 60, numClasses: 3, background: true, options: { nmsIouThreshold: Math.fround(0.05), maxDetections: 30 } },
  { name: 'float32, fast', boxes: 'float32', classes: 'float32', numBoxes: 40, numClasses: 3, background: true, options: {} },
  { name: 'float32, regular, keypoint box encodings (stride 6)', boxes: 'float32', classes: 'float32', numBoxes: 40, numClasses: 5, background: false, boxStride: 6, options: { useRegularNms: true, maxDetections: 15 } },
  { name: 'uint8 boxes, float32 classes, regular, IoU 1', boxes: 'uint8', classes: 'float32', numBoxes: 40, numClasses: 3, background: true, options: { useRegularNms: true, nmsIouThreshold: 1 } },
  { name: 'uint8 boxes, stride 5', boxes: 'uint8', classes: 'uint8', numBoxes: 30, numClasses: 3, background: true, boxStride: 5, options: {} },
];

async function runtimeOutputs(graph: Graph, inputs: TensorData[]): Promise<Float32Array[]> {
  const peer = await createTflitePeer(exportTflite(graph));
  return peer.run(inputs) as Float32Array[];
}

describe('TFLite_Detection_PostProcess: the reference equals the TFLite runtime', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      for (const seed of [1, 2, 3]) {
        const { graph, inputs } = detectionGraph(mulberry32(seed), c);
        // The graph as the importer reads it back (options through FlexBuffers), as models arrive.
        const imported = importTflite(exportTflite(graph));
        const o = imported.ops[0]!.options as DetectionPostprocessOptions;
        const ours = runReference(imported, inputs, { requantization: 'xnnpack' });
        const theirs = await runtimeOutputs(graph, inputs);
        expect(writtenOutputs(o, ours), `seed ${seed}`).toEqual(writtenOutputs(o, theirs));
        // Rows the op does not write are 0 here (the runtime leaves arena contents).
        expect(ours[3]![0], `seed ${seed}: some detections`).toBeGreaterThan(0);
      }
    });
  }

  it('a decoded box with ymin > ymax (negative anchor height) fails in both, as TFLite ValidateBoxes', async () => {
    const { graph, inputs } = detectionGraph(mulberry32(5), CASES[0]!);
    const anchorsId = graph.ops[0]!.inputs[2]!;
    const broken: Graph = {
      ...graph,
      tensors: graph.tensors.map((t) => (t.id === anchorsId ? { ...t, quant: { ...t.quant!, zeroPoint: Int32Array.of(200) } } : t)),
    };
    expect(() => runReference(broken, inputs)).toThrow(ReferenceRunError);
    expect(() => runReference(broken, inputs)).toThrow(/decoded box \d+ has ymin > ymax or xmin > xmax/);
    await expect(runtimeOutputs(broken, inputs)).rejects.toThrow(/infer\(\) failed/);
  });

  it('int8 inputs: the runtime fails every run, so the importer refuses them', async () => {
    for (const dtypes of [{ boxes: 'int8', classes: 'float32' }, { boxes: 'uint8', classes: 'int8' }] as const) {
      const { graph, inputs } = detectionGraph(mulberry32(1), { ...CASES[0]!, ...dtypes });
      await expect(runtimeOutputs(graph, inputs)).rejects.toThrow(/infer\(\) failed/);
      expect(() => importTflite(exportTflite(graph))).toThrow(/is int8; TFLite's kernel reads uint8 or float32/);
    }
  });
});
