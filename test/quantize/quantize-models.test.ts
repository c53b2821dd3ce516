// The quantizer on real float models from the shared assets, scored with the CPU reference.
// ResNet-8 gets the full check here (about 40 s of CPU); the larger ResNet and VWW get a cheap
// structural check here and their full accuracy runs in quantize-eval.full.test.ts (npm run test:full).
import { describe, expect, test } from 'vitest';
import { importTflite } from '../../src/model/import.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { listEvalSet } from '../../src/data/datasets-node.ts';
import { calibrate, quantizeFloatModel, quantizeWithRanges } from '../../src/quantize/index.ts';
import { loadCalibrationInputs } from '../../src/quantize/dataset-node.ts';
import { CIFAR_IC01, CIFAR_JPG, VWW01, cifarCalibrationItems, loadModel, top1 } from './helpers.ts';

describe('pretrainedResnet (ResNet-8 float)', () => {
  test('quantized on 100 cifar10-test-jpg images: imports back, ≤ 30% of the file, top-1 on ic01 not below TFLite int8 − 1', () => {
    const name = 'pretrainedResnet';
    const { graph, fileBytes } = loadModel(name);
    const calibration = cifarCalibrationItems(100);
    expect(calibration.length).toBe(100);
    const samples = loadCalibrationInputs(CIFAR_JPG(), graph, name, { select: () => calibration });
    const q = quantizeFloatModel(graph, samples);

    // Raw pixels 0..255 as the float input: calibration finds scale 1, zero point −128, the
    // params TFLite's own pretrainedResnet_quant has.
    const input = q.graph.tensors[q.graph.inputs[0]];
    expect([input.dtype, input.quant!.scale[0], input.quant!.zeroPoint[0]]).toEqual(['int8', 1, -128]);

    const bytes = exportTflite(q.graph);
    const back = importTflite(bytes, `${name}_octet_int8`);
    expect(back.ops.length).toBe(graph.ops.length);
    expect(bytes.length).toBeLessThanOrEqual(0.3 * fileBytes);

    const accuracy = top1(back, name, graph, CIFAR_IC01(), listEvalSet(CIFAR_IC01()).items);
    console.log(`${name}: int8 top-1 ${accuracy.toFixed(1)}% on cifar10-mlperf-ic01 (TFLite int8 85.0, float 85.5); ${fileBytes} → ${bytes.length} bytes`);
    // Measured 87.0: above TFLite's own int8 model (and the float model) by a few of 200 images,
    // which is noise of this small set, not a quantization defect; the check guards against loss.
    expect(accuracy).toBeGreaterThanOrEqual(85.0 - 1);
  }, 300_000);
});

describe('larger models (structure only; accuracy in quantize-eval.full.test.ts)', () => {
  test('vww_96_float: depthwise weights per channel on axis 3, input p/255 → scale 1/255, file smaller than TFLite int8', () => {
    const name = 'vww_96_float';
    const { graph, fileBytes } = loadModel(name);
    // Calibration items from the part of vww01 that the full run does not score (the last 100).
    const samples = loadCalibrationInputs(VWW01(), graph, name, { select: (items) => items.slice(-8) });
    const ranges = calibrate(graph, samples);
    const q = quantizeWithRanges(graph, ranges);
    const bytes = exportTflite(q.graph);
    const back = importTflite(bytes, name);
    const depthwise = back.ops.filter((op) => op.type === 'DEPTHWISE_CONV_2D');
    expect(depthwise.length).toBe(13);
    for (const op of depthwise) {
      const w = back.tensors[op.inputs[1]];
      expect([w.dtype, w.quant!.axis, w.quant!.scale.length]).toEqual(['int8', 3, w.shape[3]]);
    }
    const input = back.tensors[back.inputs[0]];
    expect(input.quant!.zeroPoint[0]).toBe(-128);
    expect(input.quant!.scale[0]).toBeCloseTo(1 / 255, 6);

    // Size. The int8 weights and biases are 26% of the float file, but per-channel params cost
    // 12 bytes a channel (float32 scale + int64 zero point, for weights and again for biases:
    // 5506 channels, 66 KB), so a per-channel VWW cannot reach 30% in the TFLite format; TFLite's
    // own vww_96_int8 is 38.5%. Per-channel must at least match TFLite's own file, and per-tensor
    // weights must reach 30%.
    const tfliteInt8Bytes = loadModel('vww_96_int8').fileBytes;
    const perTensorBytes = exportTflite(quantizeWithRanges(graph, ranges, { perTensor: true }).graph).length;
    console.log(`${name}: ${fileBytes} → ${bytes.length} bytes per channel (${((100 * bytes.length) / fileBytes).toFixed(1)}%), ${perTensorBytes} per tensor (${((100 * perTensorBytes) / fileBytes).toFixed(1)}%); TFLite int8 ${tfliteInt8Bytes}`);
    expect(bytes.length).toBeLessThanOrEqual(tfliteInt8Bytes);
    expect(perTensorBytes).toBeLessThanOrEqual(0.3 * fileBytes);
  }, 120_000);
});
