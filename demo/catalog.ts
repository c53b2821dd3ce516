// The demo's two tasks and the models each offers. Only models present in the asset index are
// shown; a float twin, where the assets have one, is the float path's model.

export type TaskId = 'imagenet' | 'vww';

export interface ModelChoice {
  /** Path inside the assets folder. */
  path: string;
  title: string;
  /** The float32 .tflite of the same network, when the assets hold one. */
  floatPath?: string;
}

export interface Task {
  id: TaskId;
  title: string;
  blurb: string;
  models: ModelChoice[];
  defaultModel: string;
}

export const TASKS: readonly Task[] = [
  {
    id: 'imagenet',
    title: 'ImageNet classification',
    blurb: '1000 everyday object classes.',
    defaultModel: 'models/coral/mobilenet_v2_1.0_224_quant.tflite',
    models: [
      { path: 'models/coral/mobilenet_v2_1.0_224_quant.tflite', title: 'MobileNet v2 1.0 224 (uint8)' },
      { path: 'models/coral/tf2_mobilenet_v2_1.0_224_ptq.tflite', title: 'MobileNet v2 1.0 224, TF2 post-training (int8)' },
      { path: 'models/coral/mobilenet_v1_0.75_192_quant.tflite', title: 'MobileNet v1 0.75 192 (uint8)' },
      { path: 'models/coral/mobilenet_v1_0.5_160_quant.tflite', title: 'MobileNet v1 0.5 160 (uint8)' },
      { path: 'models/coral/mobilenet_v1_0.25_128_quant.tflite', title: 'MobileNet v1 0.25 128 (uint8)' },
      {
        path: 'models/tflite-support/mobilenet_v1_0.25_224_quant.tflite',
        title: 'MobileNet v1 0.25 224 (uint8, with float twin)',
        floatPath: 'models/tflite-support/mobilenet_v1_0.25_224_1_default_1.tflite',
      },
      { path: 'models/tflite-micro/mobilenet_v2_quantized_1x3x224x224.tflite', title: 'MobileNet v2 from PyTorch, NCHW (int8)' },
    ],
  },
  {
    id: 'vww',
    title: 'Person detection',
    blurb: 'Visual wake words: is there a person in the picture? (96×96 input)',
    defaultModel: 'models/mlperf-tiny/vww_96_int8.tflite',
    models: [
      {
        path: 'models/mlperf-tiny/vww_96_int8.tflite',
        title: 'MLPerf Tiny VWW 96 (int8, with float twin)',
        floatPath: 'models/mlperf-tiny/vww_96_float.tflite',
      },
    ],
  },
];

/** Sample images: plain pictures only. person.bmp is left out because its bytes are already the
 * int8 tensor (pixel − 128), so it neither looks nor classifies like a photo. */
export function isSampleImage(path: string): boolean {
  return /\.(jpe?g|png|bmp)$/i.test(path) && !path.endsWith('tflite-micro/person.bmp');
}

export function taskById(id: string | null | undefined): Task | undefined {
  return TASKS.find((t) => t.id === id);
}
