// Class names for a classifier output: an explicit --labels file, else the label file packed in
// the model (its metadata's TENSOR_AXIS_LABELS), else the shared assets' list chosen by model name
// and class count, else none (indices only).
import { loadLabelsForModel } from '../data/datasets-node.ts';
import { labelsForModel, parseLabels } from '../data/labels.ts';
import { labelsFromMetadata, type ModelMetadata } from '../model/metadata.ts';
import { CliError } from './errors.ts';
import { readText } from './files.ts';

export interface ResolvedLabels {
  labels: string[];
  /** Where they came from, for the output: the file given, `metadata (NAME)` or `assets (NAME)`. */
  source: string;
}

export function resolveLabels(
  modelName: string,
  numClasses: number,
  labelsFile?: string,
  metadata?: ModelMetadata,
): ResolvedLabels | undefined {
  if (labelsFile) {
    const labels = parseLabels(readText(labelsFile, 'labels file'));
    if (labels.length !== numClasses) {
      throw new CliError(`${labelsFile}: ${labels.length} labels, but the model outputs ${numClasses} classes`);
    }
    return { labels, source: labelsFile };
  }
  const packed = metadata && labelsFromMetadata(metadata, 0);
  if (packed) {
    if (packed.labels.length !== numClasses) {
      throw new CliError(`${modelName}: its packed label file ${packed.file} has ${packed.labels.length} labels, but the model outputs ${numClasses} classes`);
    }
    return { labels: packed.labels, source: `metadata (${packed.file})` };
  }
  const labels = loadLabelsForModel(modelName, numClasses);
  return labels && { labels, source: `assets (labels/${labelsForModel(modelName, numClasses)})` };
}
