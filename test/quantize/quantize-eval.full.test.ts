// npm run test:full: full accuracy runs of the quantizer on the MLPerf Tiny float models, on the
// CPU reference (minutes of CPU). Each prints its figures.
//
// Splits (calibration never sees a scored image):
// - ResNet-8 large: calibrated on 100 images of cifar10-test-jpg (see cifarCalibrationItems),
//   scored on all 200 of cifar10-mlperf-ic01, against summary.tsv (pretrainedResnet_large_int8 93.0).
// - VWW: calibrated on the last 100 items of vww-mlperf-vww01, scored on the first 900. TFLite's
//   own int8 model is scored on the same 900 from its per-item CSV, as is the float model, since
//   summary.tsv's 85.2 covers all 1000.
import { describe, expect, test } from 'vitest';
import { importTflite } from '../../src/model/import.ts';
import { exportTflite } from '../../src/model/tflite-writer.ts';
import { listEvalSet } from '../../src/data/datasets-node.ts';
import { quantizeFloatModel } from '../../src/quantize/index.ts';
import { loadCalibrationInputs } from '../../src/quantize/dataset-node.ts';
import { CIFAR_IC01, CIFAR_JPG, VWW01, cifarCalibrationItems, loadModel, referenceTop1, top1 } from './helpers.ts';

describe('quantize pretrainedResnet_large_float (full eval)', () => {
  test('within 1 point of TFLite int8 on cifar10-mlperf-ic01', () => {
    const name = 'pretrainedResnet_large_float';
    const { graph, fileBytes } = loadModel(name);
    const calibration = cifarCalibrationItems(100);
    const samples = loadCalibrationInputs(CIFAR_JPG(), graph, name, { select: () => calibration });
    const started = performance.now();
    const q = quantizeFloatModel(graph, samples);
    const quantizeMs = performance.now() - started;
    const bytes = exportTflite(q.graph);
    const back = importTflite(bytes, `${name}_octet_int8`);
    const items = listEvalSet(CIFAR_IC01()).items;
    const evalStarted = performance.now();
    const accuracy = top1(back, name, graph, CIFAR_IC01(), items);
    console.log(
      `${name}: int8 top-1 ${accuracy.toFixed(1)}% on ${items.length} (TFLite int8 93.0, float 93.0); ` +
        `file ${fileBytes} → ${bytes.length} bytes (${((100 * bytes.length) / fileBytes).toFixed(1)}%); ` +
        `quantize ${(quantizeMs / 1000).toFixed(1)} s, eval ${((performance.now() - evalStarted) / 1000).toFixed(1)} s`,
    );
    expect(bytes.length).toBeLessThanOrEqual(0.3 * fileBytes);
    expect(Math.abs(accuracy - 93.0)).toBeLessThanOrEqual(1);
  }, 1_200_000);
});

describe('quantize vww_96_float (full eval)', () => {
  test('within 1 point of TFLite int8 on the first 900 of vww-mlperf-vww01', () => {
    const name = 'vww_96_float';
    const { graph, fileBytes } = loadModel(name);
    const all = listEvalSet(VWW01()).items;
    const scored = all.slice(0, 900);
    const samples = loadCalibrationInputs(VWW01(), graph, name, { select: (items) => items.slice(900) });
    const started = performance.now();
    const q = quantizeFloatModel(graph, samples);
    const quantizeMs = performance.now() - started;
    const bytes = exportTflite(q.graph);
    const back = importTflite(bytes, `${name}_octet_int8`);
    const evalStarted = performance.now();
    const accuracy = top1(back, name, graph, VWW01(), scored);
    const files = new Set(scored.map((it) => it.file));
    const tfliteInt8 = referenceTop1('vww_96_int8', 'vww-mlperf-vww01', files);
    const tfliteFloat = referenceTop1('vww_96_float', 'vww-mlperf-vww01', files);
    console.log(
      `${name}: int8 top-1 ${accuracy.toFixed(1)}% on the first 900 (TFLite int8 ${tfliteInt8.toFixed(1)}%, float ${tfliteFloat.toFixed(1)}% on the same); ` +
        `file ${fileBytes} → ${bytes.length} bytes (${((100 * bytes.length) / fileBytes).toFixed(1)}%); ` +
        `quantize ${(quantizeMs / 1000).toFixed(1)} s, eval ${((performance.now() - evalStarted) / 1000).toFixed(1)} s`,
    );
    // Per-channel params (12 bytes a channel, twice) keep VWW above 30% of the float file in the
    // TFLite format; see quantize-models.test.ts. The bound is TFLite's own int8 file.
    expect(bytes.length).toBeLessThanOrEqual(loadModel('vww_96_int8').fileBytes);
    expect(Math.abs(accuracy - tfliteInt8)).toBeLessThanOrEqual(1);
  }, 1_200_000);
});
