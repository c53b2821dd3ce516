// A model written by Octet's quantizer loads in the TFLite runtime itself (the WASM build inside
// @tensorflow/tfjs-tflite, XNNPACK delegate) and gives the same outputs as Octet's GPU path with
// XNNPACK-style requantization.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { listEvalSet, loadEvalInput } from '../../src/data/datasets-node.ts';
import { recipeForModel } from '../../src/image/preprocess.ts';
import { importTflite } from '../../src/model/import.ts';
import { loadCalibrationInputs } from '../../src/quantize/dataset-node.ts';
import { quantizeFloatModelToTflite } from '../../src/quantize/index.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { createTflitePeer } from '../../bench/peers/tflite-wasm.ts';
import { compareTensors } from '../helpers/compare.ts';
import { testContext } from '../helpers/gpu.ts';

describe('a model quantized by Octet in the TFLite runtime', () => {
  for (const perTensor of [false, true]) {
    it(`ResNet-8, ${perTensor ? 'per-tensor' : 'per-channel'} weights: TFLite loads it and agrees with Octet's GPU output`, { timeout: 300_000 }, async () => {
      const floatPath = assetPath('models', 'mlperf-tiny', 'pretrainedResnet.tflite');
      const floatGraph = importTflite(new Uint8Array(readFileSync(floatPath)), 'pretrainedResnet');
      const calibration = loadCalibrationInputs(assetPath('eval', 'cifar10-test-jpg'), floatGraph, 'pretrainedResnet', { select: (items) => items.slice(0, 20) });
      const { tflite } = quantizeFloatModelToTflite(floatGraph, calibration, { perTensor });
      const peer = await createTflitePeer(tflite);
      const graph = importTflite(tflite, 'pretrainedResnet_octet_int8');
      const model = await OctetModel.load(graph, { context: await testContext(), requantization: 'xnnpack' });
      const dir = assetPath('eval', 'cifar10-mlperf-ic01');
      const input = graph.tensors[graph.inputs[0]!]!;
      const recipe = recipeForModel('pretrainedResnet_quant', input);
      let differing = 0;
      let maxDiff = 0;
      for (const item of listEvalSet(dir).items.slice(0, 10)) {
        const x = loadEvalInput(item, dir, input, recipe) as Int8Array;
        const [octet] = await model.run(x);
        const [tf] = peer.run([x]);
        const cmp = compareTensors(octet!, new Int8Array(tf!.buffer, tf!.byteOffset, tf!.byteLength));
        differing += cmp.differing;
        maxDiff = Math.max(maxDiff, cmp.maxAbsDiff);
      }
      model.dispose();
      console.log(`${perTensor ? 'per-tensor' : 'per-channel'}: ${tflite.length} bytes; over 10 inputs × 10 classes, ${differing} elements differ from TFLite, max ${maxDiff}`);
      expect(differing).toBe(0);
      expect(maxDiff).toBe(0);
    });
  }
});
