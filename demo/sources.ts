// Where each asset the demo uses comes from, copied from the shared assets' MANIFEST.tsv
// (path, size, sha256, repository, path in it, commit). Used only when the page is served without
// /assets/ (a static build, say): the files are then fetched from their public source and checked
// against the sha256 before use.

export interface AssetSource {
  path: string;
  size: number;
  sha256: string;
  url: string;
}

type Row = [path: string, size: number, sha256: string, repo: string, sourcePath: string, commit: string];

const ROWS: Row[] = [
  ['models/coral/mobilenet_v1_0.25_128_quant.tflite', 525598, 'cb273c23ee76374b05b9583177e28aa19744858a7679c56a250e83d0333da785', 'google-coral/test_data', 'mobilenet_v1_0.25_128_quant.tflite', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['models/coral/mobilenet_v1_0.5_160_quant.tflite', 1392846, '3cc6d2ca460abd2e0f699a6d0d2550c6b61c6e3b0e27a3616e384ea74cb86f43', 'google-coral/test_data', 'mobilenet_v1_0.5_160_quant.tflite', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['models/coral/mobilenet_v1_0.75_192_quant.tflite', 2652542, '41daeb22fdcf947e0e5ec32373aa9df7c31f3ef45dbd0ef7b5940fbce3c20f6a', 'google-coral/test_data', 'mobilenet_v1_0.75_192_quant.tflite', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['models/coral/mobilenet_v2_1.0_224_quant.tflite', 3610798, '7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776', 'google-coral/test_data', 'mobilenet_v2_1.0_224_quant.tflite', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['models/coral/tf2_mobilenet_v2_1.0_224_ptq.tflite', 4070174, '5d3137241276e79c86d14a74fe43581398ae0e815191d3dba45495b810840e8c', 'google-coral/test_data', 'tf2_mobilenet_v2_1.0_224_ptq.tflite', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['models/tflite-support/mobilenet_v1_0.25_224_quant.tflite', 508786, 'e480eb15572f86d3d5f1be6e83e35b3c7d509ab2bcec353707d1f614e14edca2', 'tensorflow/tflite-support', 'tensorflow_lite_support/cc/test/testdata/task/vision/mobilenet_v1_0.25_224_quant.tflite', 'dd3362ea685bb7ab1f7268c81ec567d3b720ae57'],
  ['models/tflite-support/mobilenet_v1_0.25_224_1_default_1.tflite', 1882904, '446ec673881cd46371a8726075b714194ada39d144762260cb76d15318597df7', 'tensorflow/tflite-support', 'tensorflow_lite_support/cc/test/testdata/task/vision/mobilenet_v1_0.25_224_1_default_1.tflite', 'dd3362ea685bb7ab1f7268c81ec567d3b720ae57'],
  ['models/tflite-micro/mobilenet_v2_quantized_1x3x224x224.tflite', 3980776, '2778683128d56fe4a3da6b8cdbbb00ec12663553f30a9b4fe927747ba637bb2f', 'tensorflow/tflite-micro', 'third_party/xtensa/examples/pytorch_to_tflite/mobilenet_v2_quantized_1x3x224x224.tflite', '90b983c2b3f1480642e040bbd2ddb37b998f3424'],
  ['models/mlperf-tiny/vww_96_int8.tflite', 333288, '597a384c8c2c8a1276f04702f25013b7838f2f814f1ca7c174d295b73e3d6b7b', 'mlcommons/tiny', 'benchmark/training/visual_wake_words/trained_models/vww_96_int8.tflite', '1afd2c9820f795965a6134facd0b4dfae41ef23f'],
  ['models/mlperf-tiny/vww_96_float.tflite', 866284, '115bbc094d2119561320a21f01b6500a18bea8cc8589282ab007097bec8af38c', 'mlcommons/tiny', 'benchmark/training/visual_wake_words/trained_models/vww_96_float.tflite', '1afd2c9820f795965a6134facd0b4dfae41ef23f'],
  ['labels/imagenet_labels_1001.txt', 21686, 'b8aaeb5630c62626a7d124a05c0e14230a7ffdd2136a31d0190a4fb71c1d82f1', 'google-coral/test_data', 'imagenet_labels.txt', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['images/coral/cat.bmp', 523914, '34f235786382686111728287fd26d4c24dd8c25de8233469d6eeb301888ce0a9', 'google-coral/test_data', 'cat.bmp', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['images/coral/resized_cat.bmp', 150666, 'c171ae0db8c92170ddf8b91218961bbb0d6ec13b5e193c3b761e45b852d94d97', 'google-coral/test_data', 'resized_cat.bmp', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['images/coral/bird.bmp', 526986, '3fd22d6ed352b8e721d9982e38ed655f8429e168bb53ad205c6f3cdfa848e994', 'google-coral/test_data', 'bird.bmp', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['images/coral/grace_hopper.bmp', 921738, 'c43444bf3b1b1e3080551ca194bd231da4b67f20fc91454502915a6b806b614f', 'google-coral/test_data', 'grace_hopper.bmp', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['images/coral/parrot.jpg', 596977, 'a8fba9e7e29439fa414c13129aad661f2289ff891231920a7c33641b076f1833', 'google-coral/test_data', 'parrot.jpg', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['images/coral/sunflower.bmp', 522378, '896b5e31cee42ebe32ee91251fc42041ca03c767fe02bd7ebc0e37d45f4a45b2', 'google-coral/test_data', 'sunflower.bmp', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['images/coral/dragonfly.bmp', 642186, 'bb42efbdd3ef1a06cc17cc4db862373be91d74eec2fcdeeb6665247a3ae6ce52', 'google-coral/test_data', 'dragonfly.bmp', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['images/coral/owl.jpg', 155944, 'ea9a0e3943bbd0acaeb472a6e66e777d13cf76646f9e42e84cafa931cc8a5bf7', 'google-coral/test_data', 'owl.jpg', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['images/coral/hot_dog.jpg', 200930, 'ed6952e022eb71c0d0b1ff068dcee3abed056dfa1852f041c35f138c4ff15b2e', 'google-coral/test_data', 'hot_dog.jpg', '104342d2d3480b3e66203073dac24f4e2dbb4c41'],
  ['images/tflite-micro/no_person.bmp', 10294, '2322df94e6788b05e4051e531f7a3a95b6db54624d170ebc9af2f1d5a73e9f79', 'tensorflow/tflite-micro', 'tensorflow/lite/micro/examples/person_detection/testdata/no_person.bmp', '90b983c2b3f1480642e040bbd2ddb37b998f3424'],
  ['images/tflite-support/burger.jpg', 30300, '97c15bbbf3cf3615063b1031c85d669de55839f59262bbe145d15ca75b36ecbf', 'tensorflow/tflite-support', 'tensorflow_lite_support/cc/test/testdata/task/vision/burger.jpg', 'dd3362ea685bb7ab1f7268c81ec567d3b720ae57'],
  ['images/tflite-support/burger-224.png', 141793, 'f875747ac9e093017f48c0f2a4e73d1c133ca3f950c923582410e6c264929a47', 'tensorflow/tflite-support', 'tensorflow_lite_support/cc/test/testdata/task/vision/burger-224.png', 'dd3362ea685bb7ab1f7268c81ec567d3b720ae57'],
  ['images/tflite-support/sparrow.png', 191893, '1c1990d995ad6c10e625df5fd611506b100d7ea19d3dddbb337b1336fb554569', 'tensorflow/tflite-support', 'tensorflow_lite_support/cc/test/testdata/task/vision/sparrow.png', 'dd3362ea685bb7ab1f7268c81ec567d3b720ae57'],
  ['images/tflite-support/cats_and_dogs.jpg', 54472, 'a2eaa7ad3a1aae4e623dd362a5f737e8a88d122597ecd1a02b3e1444db56df9c', 'tensorflow/tflite-support', 'tensorflow_lite_support/cc/test/testdata/task/vision/cats_and_dogs.jpg', 'dd3362ea685bb7ab1f7268c81ec567d3b720ae57'],
];

export const REMOTE_SOURCES: ReadonlyMap<string, AssetSource> = new Map(
  ROWS.map(([path, size, sha256, repo, sourcePath, commit]) => [
    path,
    { path, size, sha256, url: `https://raw.githubusercontent.com/${repo}/${commit}/${sourcePath}` },
  ]),
);

/**
 * Label lists the staging helper generated (no public file to fetch) or that upstream ships inside
 * a model's zip: the same classes from a list that can be fetched, or written out here.
 */
export const REMOTE_LABEL_SUBSTITUTES: Readonly<Record<string, { from: string; dropFirst: boolean } | { inline: string[] }>> = {
  'labels_mobilenet_quant_v1_224.txt': { from: 'labels/imagenet_labels_1001.txt', dropFirst: false },
  'imagenet_synset_words_1000.txt': { from: 'labels/imagenet_labels_1001.txt', dropFirst: true },
  'vww_labels.txt': { inline: ['notperson', 'person'] },
};
