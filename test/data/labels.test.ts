import { describe, expect, it } from 'vitest';
import { LABEL_FILES, labelsForModel, parseLabels } from '../../src/data/labels.ts';

describe('parseLabels', () => {
  it('splits lines, handles CRLF and a BOM, drops trailing blank lines but keeps inner ones', () => {
    expect(parseLabels('\uFEFFcat\r\ndog\r\n\r\nbird\n\n\n')).toEqual(['cat', 'dog', '', 'bird']);
  });

  it('strips WordNet ids from synset lists', () => {
    expect(parseLabels('n01440764 tench, Tinca tinca\nn15075141 toilet tissue\n')).toEqual(['tench, Tinca tinca', 'toilet tissue']);
  });
});

describe('labelsForModel', () => {
  it('chooses by model where needed and by class count otherwise', () => {
    expect(labelsForModel('models/coral/mobilenet_v2_1.0_224_quant.tflite', 1001)).toBe(LABEL_FILES.imagenet1001);
    expect(labelsForModel('mobilenet_v1_0.25_224_quant.tflite', 1001)).toBe(LABEL_FILES.imagenet1001Short);
    expect(labelsForModel('mobilenet_v2_quantized_1x3x224x224', 1000)).toBe(LABEL_FILES.imagenet1000);
    expect(labelsForModel('pretrainedResnet_quant', 10)).toBe(LABEL_FILES.cifar10);
    expect(labelsForModel('micro_speech_quantized', 4)).toBe(LABEL_FILES.microSpeech);
    expect(labelsForModel('vww_96_int8', 2)).toBe(LABEL_FILES.vww);
    expect(labelsForModel('anything', 7)).toBeUndefined();
  });

  it('ignores a model-specific file whose size does not match the output', () => {
    expect(labelsForModel('mobilenet_v1_0.25_224_quant', 1000)).toBe(LABEL_FILES.imagenet1000);
  });
});
