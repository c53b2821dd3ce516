// Every quantized model in the shared assets, end to end on the GPU: output equal to the CPU
// reference byte for byte, and equal to what the TFLite runtime produced (its XNNPACK delegate,
// hence the default 'xnnpack' requantization): 0 differing elements on every vector. The 'tflite'
// fixed-point mode is checked against the reference byte for byte too, and one model runs with dot4
// forced off. The outside models of models/corpus/ are in corpus.test.ts.
import { describe, expect, it } from 'vitest';
import { importTflite } from '../../src/model/import.ts';
import { OctetModel } from '../../src/runtime/model.ts';
import { prepareReference, type RequantizationMode } from '../../src/reference/run.ts';
import { compareTensors } from '../helpers/compare.ts';
import { testContext } from '../helpers/gpu.ts';
import { modelBytes, readTyped, vectorEntries, type VectorEntry } from '../helpers/vectors.ts';

const quantized = vectorEntries().filter((e) => e.input_dtype !== 'float32' || e.output_dtype !== 'float32');
const byModel = new Map<string, VectorEntry[]>();
for (const e of quantized) byModel.set(e.model, [...(byModel.get(e.model) ?? []), e]);

async function checkModel(path: string, entries: VectorEntry[], requantization: RequantizationMode, dot4: 'auto' | 'off' = 'auto') {
  const graph = importTflite(modelBytes(path), path);
  const model = await OctetModel.load(graph, { context: await testContext(dot4), requantization });
  const reference = prepareReference(graph, { requantization });
  const rows: string[] = [];
  try {
    for (const e of entries) {
      const input = readTyped(e.input_file, e.input_dtype);
      const [gpu] = await model.run(input);
      const [cpu] = reference.run([input]);
      const versusReference = compareTensors(gpu!, cpu!);
      const versusTflite = compareTensors(gpu!, readTyped(e.output_file, e.output_dtype));
      rows.push(`${e.output_file.split('/').pop()}: reference ${versusReference.differing} differ; TFLite ${versusTflite.differing}/${versusTflite.elements} differ, max ${versusTflite.maxAbsDiff}`);
      expect(versusReference, `${e.output_file} GPU vs reference (${requantization})`).toMatchObject({ differing: 0 });
      if (requantization === 'xnnpack') expect(versusTflite, `${e.output_file} GPU vs TFLite`).toMatchObject({ differing: 0 });
    }
  } finally {
    model.dispose();
  }
  console.log(`${path} [${requantization}, dot4 ${dot4}]\n  ${rows.join('\n  ')}`);
}

describe('asset models on the GPU equal the reference and TFLite', () => {
  for (const [path, entries] of byModel) {
    it(`${path.split('/').pop()} (xnnpack requantization)`, () => checkModel(path, entries, 'xnnpack'));
  }
  for (const path of ['models/mlperf-tiny/pretrainedResnet_quant.tflite', 'models/coral/mobilenet_v1_0.25_128_quant.tflite', 'models/tflite-micro/micro_speech_quantized.tflite']) {
    it(`${path.split('/').pop()} (tflite fixed-point requantization)`, () => checkModel(path, byModel.get(path)!, 'tflite'));
  }
  it('mobilenet_v2_1.0_224_quant with the dot4 fallback', () =>
    checkModel('models/coral/mobilenet_v2_1.0_224_quant.tflite', byModel.get('models/coral/mobilenet_v2_1.0_224_quant.tflite')!, 'xnnpack', 'off'));
});
