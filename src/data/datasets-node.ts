// Readers for the labelled evaluation sets in the shared assets (eval/*), Node only.
//
// Two layouts exist:
// - image sets: labels.csv with a header (file,label,... or file,label_1000,label_1001,...),
//   image files beside it or under images/;
// - raw sets (MLPerf Tiny): y_labels.csv lines "file,classes,label", no header, beside .bin files
//   holding either 8-bit RGB pixels at the model's size (CIFAR-10, VWW) or a ready int8 tensor (KWS).
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { assetPath } from '../assets-node.ts';
import { DTYPE_BYTES, tensorElementCount, type TensorIR } from '../model/graph.ts';
import { decodeImage } from '../image/decode.ts';
import { encodePixels, imageToModelInput, inputImageSize, type InputRecipe, type ModelInputArray } from '../image/preprocess.ts';
import { labelsForModel, parseLabels } from './labels.ts';

export interface EvalItem {
  /** Path relative to the set's folder. */
  file: string;
  /** 0-based class index (for ImageNet: the synset-sorted class, i.e. label_1000). */
  label: number;
}

/** What a raw set's .bin files hold. */
export type RawFormat =
  | { kind: 'pixels'; height: number; width: number }
  | { kind: 'int8-tensor'; scale: number; zeroPoint: number }
  | { kind: 'model-tensor' };

export interface EvalSet {
  items: EvalItem[];
  kind: 'image' | 'raw';
  /** Number of classes from y_labels.csv (raw sets) or undefined when the file does not say. */
  classes?: number;
  /** For raw sets: how to read the .bin files. */
  raw?: RawFormat;
}

import { EvalSetError } from '../errors.ts';
export { EvalSetError };

/**
 * Raw-set contents by folder name. KWS MFCCs were quantized with kws_ref_model's input params
 * (the reference float inputs are exactly (q − 83) × 0.584703). Unknown raw sets are taken to
 * hold the model's own input tensor.
 */
const RAW_FORMAT_BY_SET: Readonly<Record<string, RawFormat>> = {
  'cifar10-mlperf-ic01': { kind: 'pixels', height: 32, width: 32 },
  'vww-mlperf-vww01': { kind: 'pixels', height: 96, width: 96 },
  'kws-mlperf-kws01': { kind: 'int8-tensor', scale: 0.584703, zeroPoint: 83 },
};

export function rawFormatForSet(dir: string): RawFormat {
  return RAW_FORMAT_BY_SET[basename(dir.replace(/[\\/]+$/, ''))] ?? { kind: 'model-tensor' };
}

/**
 * ImageNet output indices: 1001-class models put background at index 0, so class k is output
 * k + 1; everything else (including the 1000-class torchvision model) is 0-based.
 */
export function labelOffsetForModel(outputClasses: number): number {
  return outputClasses === 1001 ? 1 : 0;
}

export interface ListEvalSetOptions {
  /** labels.csv column holding the class; default 'label', else 'label_1000' (0-based ImageNet). */
  labelColumn?: string;
}

/** Reads an eval set's label file and checks that every listed file exists. */
export function listEvalSet(dir: string, options: ListEvalSetOptions = {}): EvalSet {
  const csvPath = join(dir, 'labels.csv');
  const yPath = join(dir, 'y_labels.csv');
  if (existsSync(csvPath)) return listImageSet(dir, csvPath, options);
  if (existsSync(yPath)) return listRawSet(dir, yPath);
  throw new EvalSetError(`${dir}: no labels.csv or y_labels.csv`);
}

function parseLabel(text: string | undefined, where: string): number {
  const label = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isInteger(label) || label < 0) {
    throw new EvalSetError(`${where}: label '${text ?? ''}' is not a non-negative integer`);
  }
  return label;
}

function csvLines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
}

function listImageSet(dir: string, csvPath: string, options: ListEvalSetOptions): EvalSet {
  const [headerLine, ...rows] = csvLines(csvPath);
  if (!headerLine) throw new EvalSetError(`${csvPath}: empty`);
  const header = headerLine.split(',').map((h) => h.trim());
  const fileColumn = header.indexOf('file');
  const labelName = options.labelColumn ?? (header.includes('label') ? 'label' : 'label_1000');
  const labelColumn = header.indexOf(labelName);
  if (fileColumn < 0 || labelColumn < 0) {
    throw new EvalSetError(`${csvPath}: header '${headerLine}' lacks a 'file' or '${labelName}' column`);
  }
  const items = rows.map((row, i): EvalItem => {
    // Class names may contain commas, but they come after file and label, which never do.
    const cells = row.split(',');
    const where = `${csvPath} line ${i + 2}`;
    const name = cells[fileColumn]?.trim();
    if (!name) throw new EvalSetError(`${where}: no file name`);
    const file = [name, join('images', name)].find((candidate) => existsSync(join(dir, candidate)));
    if (!file) throw new EvalSetError(`${where}: ${name} not found in ${dir} or ${join(dir, 'images')}`);
    return { file, label: parseLabel(cells[labelColumn], where) };
  });
  return { items, kind: 'image' };
}

function listRawSet(dir: string, yPath: string): EvalSet {
  let classes: number | undefined;
  const items = csvLines(yPath).map((row, i): EvalItem => {
    const where = `${yPath} line ${i + 1}`;
    const [file, classText, labelText] = row.split(',').map((c) => c.trim());
    if (!file || labelText === undefined) throw new EvalSetError(`${where}: expected 'file,classes,label', got '${row}'`);
    const rowClasses = parseLabel(classText, where);
    if (classes !== undefined && rowClasses !== classes) {
      throw new EvalSetError(`${where}: ${rowClasses} classes, earlier lines say ${classes}`);
    }
    classes = rowClasses;
    const label = parseLabel(labelText, where);
    if (label >= rowClasses) throw new EvalSetError(`${where}: label ${label} outside ${rowClasses} classes`);
    if (!existsSync(join(dir, file))) throw new EvalSetError(`${where}: ${file} not found in ${dir}`);
    return { file, label };
  });
  return { items, kind: 'raw', classes, raw: rawFormatForSet(dir) };
}

/**
 * The model input for one eval item: images are decoded, resized and encoded per recipe; raw
 * pixel files are encoded per recipe; raw tensors are copied, or requantized / dequantized when
 * the model's input params or dtype differ from the file's.
 */
export function loadEvalInput(item: EvalItem, dir: string, input: TensorIR, recipe: InputRecipe | undefined): ModelInputArray {
  const path = join(dir, item.file);
  const bytes = new Uint8Array(readFileSync(path));
  const isRaw = item.file.toLowerCase().endsWith('.bin');
  if (!isRaw) {
    if (!recipe) throw new EvalSetError(`${path}: image file, but input '${input.name}' has no image recipe`);
    return imageToModelInput(decodeImage(bytes, path), input, { recipe });
  }
  const format = rawFormatForSet(dir);
  switch (format.kind) {
    case 'pixels': {
      if (!recipe) throw new EvalSetError(`${path}: raw pixels, but input '${input.name}' has no image recipe`);
      const expected = format.height * format.width * 3;
      if (bytes.length !== expected) {
        throw new EvalSetError(`${path}: ${bytes.length} bytes, expected ${format.height}x${format.width}x3 = ${expected}`);
      }
      const size = inputImageSize(input, recipe);
      if (size.height !== format.height || size.width !== format.width) {
        throw new EvalSetError(`${path}: ${format.height}x${format.width} pixels, input '${input.name}' wants ${size.height}x${size.width}`);
      }
      return encodePixels(bytes, format.width, format.height, input, recipe);
    }
    case 'int8-tensor':
      return int8TensorToInput(bytes, format.scale, format.zeroPoint, input, path);
    case 'model-tensor':
      return copyModelTensor(bytes, input, path);
  }
}

function int8TensorToInput(bytes: Uint8Array, scale: number, zeroPoint: number, input: TensorIR, path: string): ModelInputArray {
  const count = tensorElementCount(input.shape);
  if (bytes.length !== count) {
    throw new EvalSetError(`${path}: ${bytes.length} int8 values, input '${input.name}' [${input.shape.join(', ')}] has ${count}`);
  }
  const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
  if (input.dtype === 'float32') {
    // Product in float64, rounded once to float32: how the reference float inputs were made
    // (a float32 scale first would differ in the last bit on about a quarter of the values).
    return Float32Array.from(q, (v) => scale * (v - zeroPoint));
  }
  if (input.dtype !== 'int8' && input.dtype !== 'uint8') {
    throw new EvalSetError(`${path}: int8 tensor file cannot feed ${input.dtype} input '${input.name}'`);
  }
  const params = input.quant;
  const sameParams =
    !params || (params.scale.length === 1 && Math.abs(params.scale[0] - scale) <= 1e-6 * scale && params.zeroPoint[0] === zeroPoint);
  if (input.dtype === 'int8' && sameParams) return Int8Array.from(q);
  if (!params || params.scale.length !== 1) {
    throw new EvalSetError(`${path}: input '${input.name}' lacks per-tensor quant params to requantize into`);
  }
  const [lo, hi] = input.dtype === 'int8' ? [-128, 127] : [0, 255];
  const out = input.dtype === 'int8' ? new Int8Array(count) : new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const v = (scale * (q[i] - zeroPoint)) / params.scale[0];
    out[i] = Math.min(hi, Math.max(lo, Math.sign(v) * Math.round(Math.abs(v)) + params.zeroPoint[0]));
  }
  return out;
}

function copyModelTensor(bytes: Uint8Array, input: TensorIR, path: string): ModelInputArray {
  const expected = tensorElementCount(input.shape) * DTYPE_BYTES[input.dtype];
  if (bytes.length !== expected) {
    throw new EvalSetError(`${path}: ${bytes.length} bytes, input '${input.name}' (${input.dtype} [${input.shape.join(', ')}]) needs ${expected}`);
  }
  const copy = bytes.slice(); // own, aligned buffer for the typed views below
  switch (input.dtype) {
    case 'int8':
      return new Int8Array(copy.buffer);
    case 'uint8':
      return copy;
    case 'float32':
      return new Float32Array(copy.buffer);
    default:
      throw new EvalSetError(`${path}: raw tensors for ${input.dtype} input '${input.name}' are not supported`);
  }
}

/** Labels for a model's outputs from the shared assets, or undefined when no label file fits. */
export function loadLabelsForModel(modelName: string, numClasses: number): string[] | undefined {
  const file = labelsForModel(modelName, numClasses);
  if (!file) return undefined;
  const path = assetPath('labels', file);
  const labels = parseLabels(readFileSync(path, 'utf8'));
  if (labels.length !== numClasses) {
    throw new EvalSetError(`${path}: ${labels.length} labels for a ${numClasses}-class output`);
  }
  return labels;
}
