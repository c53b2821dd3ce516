// Class-name lists for model outputs. Browser-safe: parsing and the choice of file only; the
// Node helper that reads the file lives in datasets-node.ts.

/**
 * One label per line, in output-index order. Handles CRLF, drops trailing blank lines and the
 * leading WordNet id of synset lists ("n01440764 tench, Tinca tinca" → "tench, Tinca tinca").
 * Blank lines inside the list are kept (as ''), since removing them would shift every later index.
 */
export function parseLabels(text: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  return lines.map((line) => line.trim().replace(/^n\d{8}\s+/, ''));
}

/** Label files in the shared assets' labels/ folder. */
export const LABEL_FILES = {
  imagenet1001: 'imagenet_labels_1001.txt',
  imagenet1001Short: 'labels_mobilenet_quant_v1_224.txt',
  imagenet1000: 'imagenet_synset_words_1000.txt',
  cifar10: 'cifar10_labels.txt',
  vww: 'vww_labels.txt',
  kws12: 'kws12_labels.txt',
  microSpeech: 'micro_speech_labels.txt',
} as const;

/** Label files tied to a model where the class count alone is ambiguous or a model ships its own list. */
const LABEL_FILE_BY_MODEL: Readonly<Record<string, string>> = {
  // The list embedded in this TFLite Support model (short names).
  'mobilenet_v1_0.25_224_quant': LABEL_FILES.imagenet1001Short,
  micro_speech_quantized: LABEL_FILES.microSpeech,
  person_detect: LABEL_FILES.vww,
};

const LABEL_FILE_BY_CLASS_COUNT: Readonly<Record<number, string>> = {
  1001: LABEL_FILES.imagenet1001, // index 0 = background
  1000: LABEL_FILES.imagenet1000, // synset-sorted ILSVRC classes
  10: LABEL_FILES.cifar10,
  2: LABEL_FILES.vww,
  12: LABEL_FILES.kws12,
  4: LABEL_FILES.microSpeech,
};

/** Line count of each label file, so that a model-specific choice can be checked against the output size. */
const LABEL_FILE_CLASS_COUNT: Readonly<Record<string, number>> = {
  [LABEL_FILES.imagenet1001]: 1001,
  [LABEL_FILES.imagenet1001Short]: 1001,
  [LABEL_FILES.imagenet1000]: 1000,
  [LABEL_FILES.cifar10]: 10,
  [LABEL_FILES.vww]: 2,
  [LABEL_FILES.kws12]: 12,
  [LABEL_FILES.microSpeech]: 4,
};

/**
 * The label file (name inside labels/) for a model with `numClasses` outputs, or undefined when
 * none fits (e.g. the anomaly-detection autoencoder or embedding extractors). A model-specific
 * entry is only used when its class count matches.
 */
export function labelsForModel(modelName: string, numClasses: number): string | undefined {
  const base = (modelName.split(/[\\/]/).pop() ?? modelName).replace(/\.tflite$/i, '');
  const specific = LABEL_FILE_BY_MODEL[base];
  if (specific && LABEL_FILE_CLASS_COUNT[specific] === numClasses) return specific;
  return LABEL_FILE_BY_CLASS_COUNT[numClasses];
}
