import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assetPath } from '../../src/assets-node.ts';
import {
  EvalSetError,
  labelOffsetForModel,
  listEvalSet,
  loadEvalInput,
  loadLabelsForModel,
  rawFormatForSet,
} from '../../src/data/datasets-node.ts';
import { recipeForModel } from '../../src/image/preprocess.ts';
import type { DType, TensorIR } from '../../src/model/graph.ts';

const evalDir = (name: string) => assetPath('eval', name);

function tensor(shape: number[], dtype: DType, quant?: { scale: number; zeroPoint: number }): TensorIR {
  return {
    id: 0,
    name: 'input',
    shape,
    dtype,
    quant: quant && { scale: Float64Array.of(quant.scale), zeroPoint: Int32Array.of(quant.zeroPoint), axis: 0 },
  };
}

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

describe('listEvalSet', () => {
  const cases: [string, 'image' | 'raw', number, number][] = [
    ['imagenet-sample-eli', 'image', 100, 1000],
    ['cifar10-mlperf-ic01', 'raw', 200, 10],
    ['cifar10-test-jpg', 'image', 500, 10],
    ['vww-mlperf-vww01', 'raw', 1000, 2],
    ['kws-mlperf-kws01', 'raw', 1000, 12],
  ];
  for (const [name, kind, count, classes] of cases) {
    it(`${name}: ${count} ${kind} items, labels in 0..${classes - 1}`, () => {
      const set = listEvalSet(evalDir(name));
      expect(set.kind).toBe(kind);
      expect(set.items.length).toBe(count);
      for (const item of set.items) {
        expect(item.label).toBeGreaterThanOrEqual(0);
        expect(item.label).toBeLessThan(classes);
      }
      if (kind === 'raw') expect(set.classes).toBe(classes);
      // More than one class present: the label column is not a constant one.
      expect(new Set(set.items.map((i) => i.label)).size).toBeGreaterThan(1);
    });
  }

  it('imagenet-sample-eli resolves files under images/ and uses the 0-based label_1000 column', () => {
    const set = listEvalSet(evalDir('imagenet-sample-eli'));
    expect(set.items[0]).toEqual({ file: 'images/n01440764_tench.JPEG', label: 0 });
    expect(set.items.map((i) => i.label)).toEqual(Array.from({ length: 100 }, (_, k) => k * 10));
    const background = listEvalSet(evalDir('imagenet-sample-eli'), { labelColumn: 'label_1001' });
    expect(background.items[1].label).toBe(11);
  });

  it('vww is balanced 500 person / 500 not-person', () => {
    const set = listEvalSet(evalDir('vww-mlperf-vww01'));
    expect(set.items.filter((i) => i.label === 1).length).toBe(500);
  });

  it('names the folder when there is no label file', () => {
    expect(() => listEvalSet(assetPath('labels'))).toThrow(EvalSetError);
    expect(() => listEvalSet(assetPath('labels'))).toThrow(/labels: no labels\.csv or y_labels\.csv/);
  });
});

describe('labelOffsetForModel', () => {
  it('shifts by one only for 1001-class (background-first) outputs', () => {
    expect(labelOffsetForModel(1001)).toBe(1);
    expect(labelOffsetForModel(1000)).toBe(0);
    expect(labelOffsetForModel(10)).toBe(0);
  });
});

describe('loadEvalInput reproduces the reference vectors made from eval files', () => {
  interface VectorEntry {
    model: string;
    input_file: string;
    input_shape: number[];
    input_dtype: DType;
    how_input_was_made: string;
  }
  const vectors: VectorEntry[] = JSON.parse(readFileSync(assetPath('reference', 'vectors', 'vectors.json'), 'utf8'));
  // e.g. "pretrainedResnet_quant__felis_domesticus_s_000074.input.bin" ← "ic01 bin pixel-128"
  const setBySource: Record<string, string> = { ic01: 'cifar10-mlperf-ic01', vww01: 'vww-mlperf-vww01', kws01: 'kws-mlperf-kws01' };
  const fromBins = vectors.filter((v) => /^(ic01|vww01|kws01) bin/.test(v.how_input_was_made));

  it('covers the 12 ResNet-8, 4 VWW and 4 KWS vectors', () => {
    expect(fromBins.length).toBe(20);
  });

  for (const v of fromBins) {
    const setName = setBySource[v.how_input_was_made.split(' ')[0]];
    const stem = v.input_file.split('/').pop()!.replace(/\.input\.bin$/, '');
    const itemFile = stem.slice(stem.indexOf('__') + 2) + '.bin';
    it(`${stem}: ${v.how_input_was_made}`, () => {
      const dir = evalDir(setName);
      const item = listEvalSet(dir).items.find((i) => i.file === itemFile);
      expect(item).toBeDefined();
      // int8 inputs of the kws model carry the params the .bin files were quantized with.
      const quant = v.model.includes('kws_ref_model.') ? { scale: 0.584703, zeroPoint: 83 } : undefined;
      const input = tensor(v.input_shape, v.input_dtype, quant);
      const ours = bytesOf(loadEvalInput(item!, dir, input, recipeForModel(v.model, input)));
      const ref = new Uint8Array(readFileSync(assetPath(v.input_file)));
      expect(Buffer.from(ours).equals(Buffer.from(ref))).toBe(true);
    });
  }

  it('person_detect on vww01 takes round(mean(R,G,B)) − 128 of the 96x96x3 pixels', () => {
    const dir = evalDir('vww-mlperf-vww01');
    const item = listEvalSet(dir).items[0];
    const input = tensor([1, 96, 96, 1], 'int8');
    const out = loadEvalInput(item, dir, input, recipeForModel('person_detect.tflite', input));
    const raw = new Uint8Array(readFileSync(`${dir}/${item.file}`));
    expect(out.length).toBe(96 * 96);
    for (const i of [0, 1234, 9215]) expect(out[i]).toBe(Math.round((raw[i * 3] + raw[i * 3 + 1] + raw[i * 3 + 2]) / 3) - 128);
  });

  it('decodes, resizes and encodes ImageNet JPEGs for a 1001-class uint8 model', () => {
    const dir = evalDir('imagenet-sample-eli');
    const input = tensor([1, 128, 128, 3], 'uint8', { scale: 1 / 128, zeroPoint: 128 });
    const out = loadEvalInput(listEvalSet(dir).items[0], dir, input, recipeForModel('mobilenet_v1_0.25_128_quant.tflite', input));
    expect(out).toBeInstanceOf(Uint8Array);
    expect(out.length).toBe(128 * 128 * 3);
  });

  it('refuses raw files whose size does not fit the model', () => {
    const dir = evalDir('cifar10-mlperf-ic01');
    const item = listEvalSet(dir).items[0];
    const input = tensor([1, 96, 96, 3], 'int8');
    expect(() => loadEvalInput(item, dir, input, recipeForModel('vww_96_int8', input))).toThrow(
      /lippizaner_s_000613\.bin: 32x32 pixels, input 'input' wants 96x96/,
    );
    const kwsDir = evalDir('kws-mlperf-kws01');
    expect(() => loadEvalInput(listEvalSet(kwsDir).items[0], kwsDir, tensor([1, 1960], 'int8'), undefined)).toThrow(
      /490 int8 values, input 'input' \[1, 1960\] has 1960/,
    );
  });

  it('knows what each raw set holds', () => {
    expect(rawFormatForSet(evalDir('vww-mlperf-vww01'))).toEqual({ kind: 'pixels', height: 96, width: 96 });
    expect(rawFormatForSet('/somewhere/else/')).toEqual({ kind: 'model-tensor' });
  });
});

describe('loadLabelsForModel', () => {
  it('reads the label file matching the model and output size', () => {
    const imagenet = loadLabelsForModel('mobilenet_v1_0.25_128_quant.tflite', 1001)!;
    expect(imagenet[0]).toBe('background');
    expect(imagenet[934]).toBe('cheeseburger');
    expect(imagenet[286]).toBe('Egyptian cat');
    const short = loadLabelsForModel('models/tflite-support/mobilenet_v1_0.25_224_quant.tflite', 1001)!;
    expect(short[1]).toBe('tench');
    const torchvision = loadLabelsForModel('mobilenet_v2_quantized_1x3x224x224', 1000)!;
    expect(torchvision[0]).toBe('tench, Tinca tinca'); // wnid stripped
    expect(loadLabelsForModel('kws_ref_model', 12)![11]).toBe('Unknown');
    expect(loadLabelsForModel('person_detect', 2)).toEqual(['notperson', 'person']);
    expect(loadLabelsForModel('ad01_int8', 640)).toBeUndefined();
  });
});
