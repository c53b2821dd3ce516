// The demo's tasks and the models each offers. Only models present in the asset index are
// shown; a float twin, where the assets have one, is the float path's model. Two classification
// tasks (ImageNet, visual wake words), then detection, segmentation and pose, each with a default
// model from the corpus.

export type TaskId = 'imagenet' | 'vww' | 'detect' | 'segment' | 'pose';

/** How a task's outputs are read and drawn. */
export type TaskKind = 'classify' | 'detect' | 'segment' | 'pose';

export interface ModelChoice {
  /** Path inside the assets folder. */
  path: string;
  title: string;
  /** The float32 .tflite of the same network, when the assets hold one. */
  floatPath?: string;
}

export interface Task {
  id: TaskId;
  kind: TaskKind;
  title: string;
  blurb: string;
  models: ModelChoice[];
  defaultModel: string;
}

export const TASKS: readonly Task[] = [
  {
    id: 'imagenet',
    kind: 'classify',
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
    kind: 'classify',
    title: 'Person or not',
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
  {
    id: 'detect',
    kind: 'detect',
    title: 'Object detection',
    blurb: 'Boxes around COCO objects, int8 and float32 boxes overlaid.',
    defaultModel: 'models/corpus/tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite',
    models: [
      { path: 'models/corpus/tfls_coco_ssd_mobilenet_v1_1.0_quant_2018_06_29.tflite', title: 'SSD MobileNet v1 COCO 300 (uint8, TFLite_Detection_PostProcess)' },
      { path: 'models/corpus/openmv_yolov8n_192.tflite', title: 'YOLOv8n person 192 (uint8 in, float out)' },
    ],
  },
  {
    id: 'segment',
    kind: 'segment',
    title: 'Segmentation',
    blurb: 'A PASCAL VOC class for every pixel, as a translucent mask.',
    defaultModel: 'models/corpus/coral_deeplabv3_mnv2_pascal_quant.tflite',
    models: [{ path: 'models/corpus/coral_deeplabv3_mnv2_pascal_quant.tflite', title: 'DeepLab v3 MobileNet v2 PASCAL 513 (uint8)' }],
  },
  {
    id: 'pose',
    kind: 'pose',
    title: 'Pose',
    blurb: "One person's 17 keypoints and skeleton.",
    defaultModel: 'models/corpus/coral_movenet_single_pose_lightning_ptq.tflite',
    models: [{ path: 'models/corpus/coral_movenet_single_pose_lightning_ptq.tflite', title: 'MoveNet Lightning 192 (uint8)' }],
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
