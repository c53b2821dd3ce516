// TFLite Support metadata read from the asset models that carry it: what their inputs want, what
// their outputs mean, the label files packed in their zip tails; corrupt metadata refused by name.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import { parseLabels } from '../../src/data/labels.ts';
import { ModelFormatError } from '../../src/model/errors.ts';
import { importTflite } from '../../src/model/import.ts';
import { labelsFromMetadata, readTfliteMetadata } from '../../src/model/metadata.ts';
import { chooseInputRecipe, encodePixels, recipeFromMetadata, RECIPES, PreprocessError } from '../../src/image/preprocess.ts';
import type { TensorIR } from '../../src/model/graph.ts';

const bytesOf = (...parts: string[]) => new Uint8Array(readFileSync(assetPath('models', ...parts)));

describe('readTfliteMetadata', () => {
  it('MobileNet v1 0.25 (TFLite Support): RGB image input normalized by 127.5/127.5, its 1001 short labels packed', () => {
    const m = readTfliteMetadata(bytesOf('tflite-support', 'mobilenet_v1_0.25_224_quant.tflite'))!;
    expect(m).toMatchObject({ name: 'MobileNetV1 image classifier (quantized)', version: 'v1', author: 'TensorFlow' });
    expect(m.inputs).toHaveLength(1);
    expect(m.inputs[0]).toMatchObject({ name: 'image', content: { kind: 'image', colorSpace: 'RGB' }, normalization: { mean: [127.5], std: [127.5] }, stats: { min: [0], max: [255] } });
    expect(m.outputs[0]!.associatedFiles).toEqual([{ name: 'labels.txt', description: 'Labels for objects that the model can recognize.', type: 'TENSOR_AXIS_LABELS' }]);
    expect([...m.files.keys()]).toEqual(['labels.txt']);
    const labels = labelsFromMetadata(m)!;
    expect(labels.file).toBe('labels.txt');
    // The same list the assets keep for this model under its own name.
    expect(labels.labels).toEqual(parseLabels(readFileSync(assetPath('labels', 'labels_mobilenet_quant_v1_224.txt'), 'utf8')));
    expect(labels.labels[934]).toBe('cheeseburger');
  });

  it('SSD MobileNet v1: box output BOUNDARIES in (top, left, bottom, right) ratio order, classes with value labels', () => {
    const m = readTfliteMetadata(bytesOf('corpus', 'tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite'))!;
    expect(m.outputs.map((o) => o.name)).toEqual(['locations', 'classes', 'scores', 'number of detections']);
    expect(m.outputs[0]).toMatchObject({ content: { kind: 'boundingBox', type: 'BOUNDARIES', coordinateType: 'RATIO', index: [1, 0, 3, 2] }, range: { min: 2, max: 2 } });
    expect(m.outputs[1]!.associatedFiles[0]).toMatchObject({ name: 'labelmap.txt', type: 'TENSOR_VALUE_LABELS' });
    // Value labels are not axis labels: no class list for output 0 or 1 from labelsFromMetadata.
    expect(labelsFromMetadata(m, 1)).toBeUndefined();
    expect(new TextDecoder().decode(m.files.get('labelmap.txt')).split('\n').slice(0, 2)).toEqual(['person', 'bicycle']);
  });

  it('every Coral classifier that carries metadata packs labels matching its output size', () => {
    for (const f of ['mobilenet_v1_0.25_128_quant', 'mobilenet_v1_0.5_160_quant', 'mobilenet_v1_0.75_192_quant', 'mobilenet_v2_1.0_224_quant', 'tf2_mobilenet_v2_1.0_224_ptq']) {
      const bytes = bytesOf('coral', `${f}.tflite`);
      const m = readTfliteMetadata(bytes)!;
      const g = importTflite(bytes);
      const classes = g.tensors[g.outputs[0]!]!.shape.at(-1);
      expect(labelsFromMetadata(m)!.labels, f).toHaveLength(classes!);
    }
    expect(labelsFromMetadata(readTfliteMetadata(bytesOf('corpus', 'coral_mobilenet_v2_1.0_224_inat_bird_quant.tflite'))!)!.labels).toHaveLength(965);
  });

  it('undefined for a model without metadata', () => {
    expect(readTfliteMetadata(bytesOf('mlperf-tiny', 'pretrainedResnet_quant.tflite'))).toBeUndefined();
  });

  it('a corrupt metadata buffer is a ModelFormatError naming the metadata and its buffer', () => {
    const bytes = bytesOf('tflite-support', 'mobilenet_v1_0.25_224_quant.tflite');
    // The metadata flatbuffer's identifier "M001" sits at byte 4 of its buffer; its root offset before it.
    const at = Buffer.from(bytes).indexOf('M001') - 4;
    expect(at).toBeGreaterThan(0);
    const corrupt = bytes.slice();
    new DataView(corrupt.buffer).setUint32(at, 0x7fff0000, true);
    expect(() => readTfliteMetadata(corrupt)).toThrow(ModelFormatError);
    expect(() => readTfliteMetadata(corrupt)).toThrow(/^metadata 'TFLITE_METADATA' \(buffer \d+\): .*lies outside/);
    // The model itself still imports: only its metadata is unreadable.
    expect(() => importTflite(corrupt)).not.toThrow();
  });

  it('a label file the metadata names but the zip tail lacks is named', () => {
    const bytes = bytesOf('tflite-support', 'mobilenet_v1_0.25_224_quant.tflite');
    // Cutting the file where the zip's first local header starts removes every packed file.
    const zipStart = Buffer.from(bytes).indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    expect(() => readTfliteMetadata(bytes.subarray(0, zipStart))).toThrow("associated file 'labels.txt' is not packed in the model (packed: none)");
  });
});

describe('input recipes from metadata', () => {
  const tensor = (dtype: TensorIR['dtype'], shape: number[], scale?: number, zp?: number): TensorIR => ({
    id: 0,
    name: 'image',
    dtype,
    shape,
    ...(scale !== undefined && { quant: { scale: Float64Array.of(scale), zeroPoint: Int32Array.of(zp!), axis: 0 } }),
  });
  const image = (normalization?: { mean: number[]; std: number[] }, colorSpace: 'RGB' | 'GRAYSCALE' = 'RGB') => ({
    dimensionNames: [],
    associatedFiles: [],
    content: { kind: 'image' as const, colorSpace },
    ...(normalization && { normalization }),
  });

  it('uint8 takes the raw pixel whatever the normalization says, as the Task Library does', () => {
    const r = recipeFromMetadata(tensor('uint8', [1, 2, 2, 3], 1 / 128, 128), image({ mean: [127.5], std: [127.5] }))!;
    expect(r.encoding).toEqual({ kind: 'pixel', offset: 0 });
  });

  it('float32 takes (p − mean[c]) / std[c], one value or one per channel', () => {
    const input = tensor('float32', [1, 1, 1, 3]);
    const one = recipeFromMetadata(input, image({ mean: [0], std: [1] }))!;
    expect(Array.from(encodePixels(Uint8Array.of(0, 128, 255), 1, 1, input, one))).toEqual([0, 128, 255]);
    const per = recipeFromMetadata(input, image({ mean: [10, 20, 30], std: [2, 4, 5] }))!;
    expect(Array.from(encodePixels(Uint8Array.of(12, 28, 40), 1, 1, input, per))).toEqual([1, 2, 2]);
    expect(recipeFromMetadata(input, image())).toBeUndefined();
    expect(() => recipeFromMetadata(input, image({ mean: [1, 2], std: [1] }))).toThrow(PreprocessError);
  });

  it('int8 quantizes the normalized value with its own parameters', () => {
    const input = tensor('int8', [1, 1, 1, 3], 1 / 128, 0);
    const r = recipeFromMetadata(input, image({ mean: [127.5], std: [127.5] }))!;
    // (p − 127.5)/127.5 × 128, rounded half away from zero, clamped to int8.
    expect(Array.from(encodePixels(Uint8Array.of(0, 128, 255), 1, 1, input, r))).toEqual([-128, 1, 127]);
  });

  it('a GRAYSCALE image needs a 1-channel input', () => {
    expect(recipeFromMetadata(tensor('uint8', [1, 4, 4, 1]), image(undefined, 'GRAYSCALE'))!.channels).toBe(1);
    expect(() => recipeFromMetadata(tensor('uint8', [1, 4, 4, 3]), image(undefined, 'GRAYSCALE'))).toThrow(/metadata says GRAYSCALE/);
  });

  it('chooseInputRecipe: metadata first, then the table by file name, then the dtype default; the source said', () => {
    const bytes = bytesOf('tflite-support', 'mobilenet_v1_0.25_224_quant.tflite');
    const g = importTflite(bytes);
    const input = g.tensors[g.inputs[0]!]!;
    const m = readTfliteMetadata(bytes);
    expect(chooseInputRecipe('renamed_model', input, m)).toMatchObject({ source: 'metadata', recipe: { encoding: { kind: 'pixel', offset: 0 } } });
    expect(chooseInputRecipe('mobilenet_v1_0.25_224_quant', input)).toMatchObject({ source: 'table', recipe: RECIPES.uint8Pixel });
    expect(chooseInputRecipe('renamed_model', input)).toMatchObject({ source: 'default' });
    const resnet = importTflite(bytesOf('mlperf-tiny', 'pretrainedResnet.tflite'));
    expect(chooseInputRecipe('pretrainedResnet', resnet.tensors[resnet.inputs[0]!]!)).toMatchObject({ source: 'table', recipe: RECIPES.floatRawPixel });
  });
});
